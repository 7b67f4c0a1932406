"""Barcode symbols: QR (GS1 Digital Link), EAN-13 and GS1-128, as module matrices, PNG and SVG.

Why zxing-cpp and not the design card's ``qrcode``: measured on this 2-core machine (Intel Xeon, Python 3.11,
``tests/perf/bench_labels.py``), building the matrix of one serialized 66-character Digital Link URI at error
correction M takes about 4.2 ms with qrcode 8.2 and 0.26 ms with zxing-cpp 3.1. The label-run budget is 1,000
labels to PDF in 3 s and 10,000 in 20 s; with qrcode the QR encoding alone takes about 4.2 s and 42 s, over
budget before anything is drawn. With zxing-cpp the whole run takes about 0.9 s and 8 s. zxing-cpp's writer
(zint inside) also does GS1-128 properly: FNC1 after a variable-length AI that is not last, AIs in parentheses
under the bars; with python-barcode both are left to the caller.

``qr_matrix`` is the only place that calls a QR encoder; every QR renderer (PDF, PNG, SVG) draws from its matrix
and adds the 4-module quiet zone itself.
"""

import io
import re
from datetime import date

import zxingcpp
from PIL import Image

QUIET_ZONE = 4
"""Modules of light margin around a QR code (ISO/IEC 18004)."""

# GS1 AI (10) is up to 20 characters of CSET 82 (GS1 General Specifications, section 7.11).
_CSET82_LOT = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")


QRMatrix = tuple[bytes, ...]
"""A QR code's modules, one ``bytes`` a row, one byte a module: 1 dark, 0 light; no quiet zone.

Bytes rather than lists of booleans: rows stay compact and runs of dark modules are found by ``re`` in C, which
matters when a label run draws ten thousand codes.
"""

# zxing-cpp's bitmap has one byte a module: 0 dark, 255 light.
_BITMAP_TO_MODULES = bytes.maketrans(b"\x00\xff", b"\x01\x00")
_DARK_RUN = re.compile(rb"\x01+")


def qr_matrix(data: str) -> QRMatrix:
    """The modules of a QR code for ``data`` with error correction M."""
    symbol = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    bitmap = symbol.to_image(add_quiet_zones=False)
    size = bitmap.shape[1]
    modules = bytes(memoryview(bitmap)).translate(_BITMAP_TO_MODULES)
    return tuple(modules[start : start + size] for start in range(0, size * size, size))


def dark_runs(row: bytes) -> list[tuple[int, int]]:
    """(start, end) of each run of dark modules in a row: one rectangle per run keeps vector output small."""
    return [run.span() for run in _DARK_RUN.finditer(row)]


def qr_png(data: str, scale: int = 8) -> bytes:
    """A QR code as a 1-bit PNG, ``scale`` pixels a module, quiet zone included."""
    matrix = qr_matrix(data)
    side = len(matrix) + 2 * QUIET_ZONE
    margin = b"\x00" * QUIET_ZONE
    blank = margin * side  # QUIET_ZONE whole rows
    modules = blank + b"".join(margin + row + margin for row in matrix) + blank
    # Mode "P" with a two-colour palette takes the 0/1 module bytes as they are: 0 white, 1 black.
    image = Image.frombytes("P", (side, side), modules)
    image.putpalette([255, 255, 255, 0, 0, 0])
    return _png(image.resize((side * scale, side * scale), Image.Resampling.NEAREST))


def qr_svg(data: str, scale: int = 4) -> str:
    """A QR code as SVG: one path in module units (viewBox), ``scale`` pixels a module as the nominal size."""
    matrix = qr_matrix(data)
    side = len(matrix) + 2 * QUIET_ZONE
    path = "".join(
        f"M{QUIET_ZONE + start},{QUIET_ZONE + y}h{end - start}v1h-{end - start}z"
        for y, row in enumerate(matrix)
        for start, end in dark_runs(row)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side * scale}" height="{side * scale}" '
        f'viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    )


def gs1_element_string(gtin14: str, lot: str | None = None, expiry: date | None = None) -> str:
    """The human-readable GS1 element string, e.g. ``(01)08930000000017(10)LOT1(17)261231``."""
    return "".join(f"({ai}){value}" for ai, value in _gs1_elements(gtin14, lot, expiry))


def gs1_128_png(gtin14: str, lot: str | None = None, expiry: date | None = None, scale: int = 2) -> bytes:
    """GS1-128 with (01), (10), (17) in that order, human-readable line underneath."""
    return _png(_as_image(_gs1_128(gtin14, lot, expiry).to_image(scale=scale, add_hrt=True)))


def gs1_128_svg(gtin14: str, lot: str | None = None, expiry: date | None = None, scale: int = 1) -> str:
    return _gs1_128(gtin14, lot, expiry).to_svg(scale=scale, add_hrt=True)


def ean13_png(gtin: str, scale: int = 2) -> bytes:
    """EAN-13 of a GTIN-13, or of a GTIN-14 whose indicator digit is 0."""
    return _png(_as_image(_ean13(gtin).to_image(scale=scale, add_hrt=True)))


def ean13_svg(gtin: str, scale: int = 1) -> str:
    return _ean13(gtin).to_svg(scale=scale, add_hrt=True)


def _gs1_elements(gtin14: str, lot: str | None, expiry: date | None) -> list[tuple[str, str]]:
    _check_gtin(gtin14, 14)
    elements = [("01", gtin14)]
    if lot is not None:
        if not _CSET82_LOT.fullmatch(lot):
            raise ValueError(f"lot {lot!r} is not 1 to 20 characters of GS1 CSET 82")
        elements.append(("10", lot))
    if expiry is not None:
        elements.append(("17", f"{expiry:%y%m%d}"))
    return elements


def _gs1_128(gtin14: str, lot: str | None, expiry: date | None) -> zxingcpp.Barcode:
    # Square brackets delimit AIs for the encoder: unlike parentheses they are not in CSET 82, so a lot such as
    # "A(1)" cannot be misread as an AI.
    bracketed = "".join(f"[{ai}]{value}" for ai, value in _gs1_elements(gtin14, lot, expiry))
    return zxingcpp.create_barcode(bracketed, zxingcpp.BarcodeFormat.Code128, gs1=True)


def _ean13(gtin: str) -> zxingcpp.Barcode:
    if len(gtin) == 14:
        if not gtin.startswith("0"):
            raise ValueError(f"GTIN {gtin} has indicator digit {gtin[0]}: only a GTIN-14 starting with 0 fits EAN-13")
        gtin = gtin[1:]
    _check_gtin(gtin, 13)
    return zxingcpp.create_barcode(gtin, zxingcpp.BarcodeFormat.EAN13)


def _check_gtin(gtin: str, length: int) -> None:
    # isascii: "٣".isdigit() is True, and such digits must not reach a symbol.
    if len(gtin) != length or not gtin.isascii() or not gtin.isdigit():
        raise ValueError(f"GTIN {gtin!r} is not {length} digits")
    weighted = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(gtin[:-1])))
    if (10 - weighted % 10) % 10 != int(gtin[-1]):
        raise ValueError(f"GTIN {gtin} has a wrong check digit")


def _as_image(bitmap: zxingcpp.Image) -> Image.Image:
    height, width = bitmap.shape
    return Image.frombytes("L", (width, height), bytes(memoryview(bitmap)))


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
