"""Print-ready vector PDF of labels laid out on sheets or thermal pages.

Each QR code is one filled path of raw PDF operators: a rectangle per run of dark modules, in module units under
one transformation matrix. Measured here on 1,000 codes, encoding aside, that draws about 8 times faster and makes
a PDF 2.3 times smaller than a reportlab ``rect`` per module. Labels are drawn as the iterable yields them and each
full page is closed at once, so the caller can stream rows from a query; reportlab keeps the closed pages' content
streams until ``save`` (about 6 KB a label: 10,000 labels peak under 100 MB for the whole process).
"""

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import BinaryIO

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels import fonts
from labels.compose import plan_label
from labels.content import LabelContent
from labels.layouts import Layout
from labels.symbols import QUIET_ZONE, dark_runs, qr_matrix


def render_pdf(
    labels: Iterable[LabelContent],
    layout: Layout,
    out: BinaryIO,
    skip: int = 0,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the labels to ``out`` as PDF and return the number of pages.

    ``skip`` leaves the first positions of the first sheet empty (already used). ``progress`` is called after
    each page with the number of labels drawn so far.
    """
    layout.check_skip(skip)
    fonts.register()
    canvas = Canvas(
        out,
        pagesize=(layout.page_width * mm, layout.page_height * mm),
        pageCompression=1,
        initialFontName=fonts.REGULAR,  # else reportlab lists Helvetica, unembedded, which print preflight flags
    )
    canvas.setCreator("OCOP traceability labels")
    position, drawn, pages = skip, 0, 0
    for content in labels:
        _draw_label(canvas, content, layout, position)
        drawn += 1
        position += 1
        if position == layout.per_page:
            canvas.showPage()
            pages += 1
            position = 0
            if progress:
                progress(drawn)
    if not drawn:
        raise ValueError("no labels to render")
    if position:
        canvas.showPage()
        pages += 1
        if progress:
            progress(drawn)
    canvas.save()
    return pages


def _draw_label(canvas: Canvas, content: LabelContent, layout: Layout, position: int) -> None:
    left, top = layout.origin(position)
    plan = plan_label(content, layout.label_width, layout.label_height)
    page_top = layout.page_height - top  # PDF y grows upwards from the page's bottom edge
    side, path = _qr_path(content.qr_data)
    module = plan.qr_side / side * mm
    # Flip y so that module rows go down the page like the matrix rows; "0 g" fills black.
    canvas.addLiteral(
        f"q {module:.4f} 0 0 {-module:.4f} {(left + plan.qr_x) * mm:.3f} {(page_top - plan.qr_y) * mm:.3f} cm "
        f"0 g {path} f Q"
    )
    text = canvas.beginText()
    for line in plan.lines:
        text.setFont(fonts.BOLD if line.bold else fonts.REGULAR, line.size)
        text.setTextOrigin((left + line.x) * mm, (page_top - line.baseline) * mm)
        text.textOut(line.text)
    canvas.drawText(text)


# Batch labels repeat one URI on every label: encode it once.
@lru_cache(maxsize=32)
def _qr_path(data: str) -> tuple[int, str]:
    """Side in modules (quiet zone included) and the PDF path of the dark modules in module units."""
    matrix = qr_matrix(data)
    path = " ".join(
        f"{QUIET_ZONE + start} {QUIET_ZONE + y} {end - start} 1 re"
        for y, row in enumerate(matrix)
        for start, end in dark_runs(row)
    )
    return len(matrix) + 2 * QUIET_ZONE, path
