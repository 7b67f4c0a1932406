"""ZPL II for Zebra thermal printers at 203 or 300 dpi; the printer draws the QR code itself (``^BQ``).

Same placement as the PDF (``labels.compose``), converted to dots. Text goes as UTF-8 under ``^CI28`` in a
TrueType font resident on current Zebra printers (``E:TT0003M_.FNT``, Swiss 721; pass another font path if the
printer has a different one). Lines were fitted with DejaVu Sans metrics, which are wider than Swiss 721's, so they
fit on the label here too. ZPL has no bold for that font: headings print in the regular face.

The QR data goes in manual byte mode, so the symbol version, and with it the largest magnification that fits
the label, is known here rather than left to the printer's automatic mode.
"""

from collections.abc import Iterable
from typing import BinaryIO

from labels.compose import plan_label
from labels.content import LabelContent
from labels.layouts import Layout
from labels.symbols import QUIET_ZONE

DPIS = (203, 300)
DEFAULT_FONT = "E:TT0003M_.FNT"

# Data capacity in byte mode of QR versions 1 to 10 at error correction M (ISO/IEC 18004:2015, table 7).
# Version 10 is already 57 modules: more would not scan at the module size a 30 mm label leaves.
_BYTE_CAPACITY_M = (14, 26, 42, 62, 84, 106, 122, 152, 180, 213)
_MAX_MAGNIFICATION = 10

# ^FH makes "_" introduce a hex byte; "^" and "~" would otherwise start ZPL commands inside the data.
_FIELD_ESCAPES = str.maketrans({"_": "_5F", "^": "_5E", "~": "_7E"})


def render_zpl(
    labels: Iterable[LabelContent],
    layout: Layout,
    out: BinaryIO,
    dpi: int = 203,
    font: str = DEFAULT_FONT,
) -> int:
    """Write one ``^XA ... ^XZ`` format a label to ``out`` (UTF-8) and return the number of labels."""
    if layout.kind != "thermal":
        raise ValueError(f"layout {layout.name} is a sheet; ZPL needs a thermal layout")
    if dpi not in DPIS:
        raise ValueError(f"{dpi} dpi is not supported; use one of {DPIS}")
    count = 0
    for content in labels:
        out.write(_label(content, layout, dpi, font).encode())
        count += 1
    return count


def qr_version(data: bytes) -> int:
    """The smallest QR version holding ``data`` in byte mode at error correction M."""
    for version, capacity in enumerate(_BYTE_CAPACITY_M, start=1):
        if len(data) <= capacity:
            return version
    raise ValueError(f"QR data of {len(data)} bytes is too long for a thermal label (at most {_BYTE_CAPACITY_M[-1]})")


def _label(content: LabelContent, layout: Layout, dpi: int, font: str) -> str:
    if not content.qr_data.isascii():
        raise ValueError("QR data for ZPL must be ASCII; percent-encode the URI")
    dots_per_mm = dpi / 25.4
    plan = plan_label(content, layout.label_width, layout.label_height)
    data = content.qr_data.encode()
    side = 17 + 4 * qr_version(data) + 2 * QUIET_ZONE
    box = round(plan.qr_side * dots_per_mm)
    magnification = min(_MAX_MAGNIFICATION, box // side)
    if magnification < 1:
        raise ValueError(f"layout {layout.name}: no room for a QR code of {side} modules at {dpi} dpi")
    # Centre the symbol in its box; the printer draws no quiet zone, the margin of the box is it.
    inset = (box - magnification * side) // 2 + QUIET_ZONE * magnification
    qr_x = round(plan.qr_x * dots_per_mm) + inset
    qr_y = round(plan.qr_y * dots_per_mm) + inset
    fields = [
        "^XA",
        "^CI28",
        f"^PW{round(layout.label_width * dots_per_mm)}",
        f"^LL{round(layout.label_height * dots_per_mm)}",
        "^LH0,0",
        f"^FO{qr_x},{qr_y}^BQN,2,{magnification},M^FH^FDMM,B{len(data):04d}{_escape(content.qr_data)}^FS",
    ]
    for line in plan.lines:
        height = max(1, round(line.size / 72 * dpi))
        fields.append(
            f"^FT{round(line.x * dots_per_mm)},{round(line.baseline * dots_per_mm)}"
            f"^A@N,{height},{height},{font}^FH^FD{_escape(line.text)}^FS"
        )
    fields.append("^XZ\n")
    return "\n".join(fields)


def _escape(text: str) -> str:
    return text.translate(_FIELD_ESCAPES)
