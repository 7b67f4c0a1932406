"""Reading generated PDFs back: poppler's command-line tools when installed (as in CI), else pdfium.

The fallback keeps these tests running on a machine without poppler-utils instead of skipping them.
"""

import io
import re
import shutil
import subprocess

import pypdfium2
from PIL import Image

HAVE_POPPLER = shutil.which("pdftoppm") is not None and shutil.which("pdftotext") is not None


def rasterise(pdf: bytes, dpi: int = 300, page: int = 1, poppler: bool = HAVE_POPPLER) -> Image.Image:
    """One page as a greyscale image."""
    if poppler:
        pgm = subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-gray", "-"],
            input=pdf,
            capture_output=True,
            check=True,
        ).stdout
        return Image.open(io.BytesIO(pgm))  # PGM: PNG encoding would take most of the time
    document = pypdfium2.PdfDocument(pdf)
    return document[page - 1].render(scale=dpi / 72, grayscale=True).to_pil()


def page_text(pdf: bytes, page: int = 1, poppler: bool = HAVE_POPPLER) -> str:
    """Text of one page, whitespace collapsed to single spaces."""
    if poppler:
        text = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), "-enc", "UTF-8", "-", "-"],
            input=pdf,
            capture_output=True,
            check=True,
        ).stdout.decode()
    else:
        text = pypdfium2.PdfDocument(pdf)[page - 1].get_textpage().get_text_bounded()
    return " ".join(text.split())


def font_names(pdf: bytes) -> set[str]:
    """Base font names without the subset tag ("AAAAAA+DejaVuSans" gives "DejaVuSans")."""
    # reportlab writes font dictionaries as plain objects, so their names are readable in the file.
    return {name.decode() for name in re.findall(rb"/BaseFont /(?:[A-Z]{6}\+)?([\w-]+)", pdf)}
