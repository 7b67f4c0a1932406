"""DejaVu Sans, shipped with the package (licence in LICENSE, from Debian's fonts-dejavu-core 2.37).

Shipped rather than looked up on the system so that a fresh machine with only Python and pip renders Vietnamese
diacritics and ★ the same way: DejaVu Sans covers Latin Extended Additional (all precomposed Vietnamese letters).
"""

from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"

_DIR = Path(__file__).parent


@cache
def register() -> None:
    """Register both faces with reportlab once per process (parsing a TTF takes tens of milliseconds)."""
    for name in (REGULAR, BOLD):
        pdfmetrics.registerFont(TTFont(name, str(_DIR / f"{name}.ttf")))


def string_width(text: str, bold: bool, size: float) -> float:
    """Advance width in points."""
    register()
    return pdfmetrics.stringWidth(text, BOLD if bold else REGULAR, size)
