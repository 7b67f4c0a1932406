"""Where things go on one label: the QR box and the fitted lines of text, for every renderer (PDF, ZPL).

Geometry in millimetres from the label's top-left corner, font sizes in points. The QR code sits on the left at
the full label height (quiet zone inside its box); the text column on its right holds, top to bottom, the product
name, the producer, lot, NSX/HSD dates, OCOP stars, and the short code at the bottom. Names wrap onto two lines
and all text shrinks together until it fits; at the smallest size names may take three lines, then text is cut
with an ellipsis and, if still needed, whole lines dropped, least useful first. The short code is never cut,
only shrunk. Nothing ever leaves the label.
"""

import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics

from labels import fonts
from labels.content import LabelContent

LINE_SPACING = 1.2
MAX_SIZE = 8.0
MIN_SIZE = 4.0
_SIZE_STEP = 0.25
_NAME_SCALE = 1.2  # the product name is the label's heading
_CODE_SCALE = 1.1
_ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class TextLine:
    text: str
    bold: bool
    size: float
    x: float
    baseline: float


@dataclass(frozen=True, slots=True)
class LabelPlan:
    qr_x: float
    qr_y: float
    qr_side: float
    """Side of the QR box, quiet zone included."""
    lines: tuple[TextLine, ...]


@dataclass(frozen=True, slots=True)
class _Block:
    lines: tuple[str, ...]
    bold: bool
    size: float
    priority: int  # lower is kept longer when space runs out
    cut: bool  # some text was replaced by an ellipsis


def plan_label(content: LabelContent, width: float, height: float) -> LabelPlan:
    pad = min(2.0, max(1.0, height * 0.05))
    qr_side = min(height - 2 * pad, width * 0.5)
    text_x = pad + qr_side
    text_width = (width - pad - text_x) * mm
    size, body = _body(
        content.product_name,
        content.producer_name,
        content.lot,
        content.production_date,
        content.expiry_date,
        content.ocop_stars,
        text_width,
        (height - 2 * pad) * mm,
    )
    lines = [TextLine(text, bold, line_size, text_x, pad + baseline / mm) for text, bold, line_size, baseline in body]
    code_size = _fit_size(content.short_code, True, size * _CODE_SCALE, text_width)
    lines.append(TextLine(content.short_code, True, code_size, text_x, height - pad - _descent(code_size) / mm))
    return LabelPlan(qr_x=pad, qr_y=(height - qr_side) / 2, qr_side=qr_side, lines=tuple(lines))


# Serialized runs repeat everything but the code and the URI, so the costly fitting happens once per run.
@lru_cache(maxsize=256)
def _body(
    product_name: str,
    producer_name: str,
    lot: str | None,
    production_date: date | None,
    expiry_date: date | None,
    ocop_stars: int | None,
    width: float,
    height: float,
) -> tuple[float, tuple[tuple[str, bool, float, float], ...]]:
    """The text size, and (text, bold, size, baseline in points from the top) for each line above the short code.

    Room is kept at the bottom for the short code at the same scale; it is drawn there by the caller.
    """
    # (priority, text): when lines must go, the highest number goes first and the product name (1) last.
    details = [
        (3, f"Lô: {lot}" if lot else ""),
        (4, f"NSX: {production_date:%d/%m/%Y}" if production_date else ""),
        (2, f"HSD: {expiry_date:%d/%m/%Y}" if expiry_date else ""),
        (6, f"OCOP {'★' * ocop_stars}" if ocop_stars else ""),
    ]

    def blocks(size: float, max_lines: int) -> list[_Block]:
        found = [
            _wrapped(product_name, True, size * _NAME_SCALE, width, max_lines, priority=1),
            _wrapped(producer_name, False, size, width, max_lines, priority=5),
        ]
        found += [_wrapped(text, False, size, width, 1, priority) for priority, text in details if text]
        return [block for block in found if block.lines]

    def fits(found: list[_Block], size: float) -> bool:
        code = _Block(("",), True, size * _CODE_SCALE, priority=0, cut=False)
        return _height([*found, code]) <= height

    size = MAX_SIZE
    while size >= MIN_SIZE:
        found = blocks(size, max_lines=2)
        if fits(found, size) and not any(block.cut for block in found):
            return size, _place(found)
        size -= _SIZE_STEP
    # At the smallest size, names may take a third line if there is room, else get cut.
    for max_lines in (3, 2, 1):
        found = blocks(MIN_SIZE, max_lines)
        if fits(found, MIN_SIZE):
            return MIN_SIZE, _place(found)
    while found and not fits(found, MIN_SIZE):
        found.remove(max(found, key=lambda block: block.priority))
    return MIN_SIZE, _place(found)


def _wrapped(text: str, bold: bool, size: float, width: float, max_lines: int, priority: int) -> _Block:
    font = fonts.BOLD if bold else fonts.REGULAR
    fonts.register()
    lines = simpleSplit(text, font, size, width) if text else []
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    # simpleSplit breaks only at spaces, so a single long word may still be too wide.
    fitted = [_ellipsize(line, bold, size, width) for line in lines]
    return _Block(tuple(line for line, _ in fitted), bold, size, priority, cut=any(cut for _, cut in fitted))


def _ellipsize(text: str, bold: bool, size: float, width: float) -> tuple[str, bool]:
    """The text, cut short with an ellipsis if it is wider than ``width``; and whether it was cut."""
    if fonts.string_width(text, bold, size) <= width:
        return text, False
    while text and fonts.string_width(text + _ELLIPSIS, bold, size) > width:
        text = text[:-1]
    return text.rstrip() + _ELLIPSIS, True


def _fit_size(text: str, bold: bool, size: float, width: float) -> float:
    """The largest size up to ``size``, in steps of 0.05 pt, at which ``text`` fits ``width``.

    No lower bound: a short code cut with an ellipsis could not be typed, so it only ever shrinks.
    """
    natural = fonts.string_width(text, bold, size)
    return size if natural <= width else math.floor(size * width / natural * 20) / 20


def _height(blocks: list[_Block]) -> float:
    if not blocks:
        return 0.0
    leading = sum(len(b.lines) * b.size * LINE_SPACING for b in blocks)
    # The first line needs only its ascent, the last only its descent, not a full line of leading.
    return leading - blocks[0].size * LINE_SPACING + _ascent(blocks[0].size) + _descent(blocks[-1].size)


def _place(blocks: list[_Block]) -> tuple[tuple[str, bool, float, float], ...]:
    placed = []
    baseline = None
    for block in blocks:
        for line in block.lines:
            baseline = _ascent(block.size) if baseline is None else baseline + block.size * LINE_SPACING
            placed.append((line, block.bold, block.size, baseline))
    return tuple(placed)


def _ascent(size: float) -> float:
    fonts.register()
    return pdfmetrics.getAscent(fonts.REGULAR, size)


def _descent(size: float) -> float:
    fonts.register()
    return -pdfmetrics.getDescent(fonts.REGULAR, size)
