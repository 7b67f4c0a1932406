"""A bar chart drawn on the server as SVG: no JavaScript, no CDN, a few hundred bytes per bar, readable on a
phone (it scales to the screen's width) and by a screen reader (each bar has a <title>). Hand-written because
the one figure we chart (a count per day) needs about forty lines, and the SVG chart libraries on PyPI either
embed JavaScript for tooltips (pygal) or pull in a plotting stack (matplotlib) for a few rectangles."""

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 220
LEFT = 40
BOTTOM = 24
TOP = 12


def _nice_max(value: int) -> int:
    """An axis top that is 1, 2 or 5 times a power of ten, at least the value."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor:
                return step * factor
        step *= 10


def bar_chart(points: Sequence[tuple[str, int]], title: str, every: int = 7) -> Markup:
    """Bars for (label, value) pairs; every ``every``-th label, counted back from the last, goes under the axis."""
    top = _nice_max(max((v for _, v in points), default=0) or 1)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(points), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0, 0.5, 1) if top > 1 else (0, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{top * fraction:g}</text>')
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        x = LEFT + i * slot
        parts.append(
            f'<rect x="{x + slot * 0.1:.1f}" y="{TOP + plot_h - h:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        if (len(points) - 1 - i) % every == 0:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle">{escape(label[-5:])}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
