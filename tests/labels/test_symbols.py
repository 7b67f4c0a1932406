import io
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from labels.symbols import (
    QUIET_ZONE,
    ean13_png,
    ean13_svg,
    gs1_128_png,
    gs1_128_svg,
    gs1_element_string,
    qr_matrix,
    qr_png,
    qr_svg,
)

URI = "https://trace.example.vn/01/08930000000019/10/LOT1/21/K7QP3MX9TRWZ"
GS = "\x1d"  # what a scanner transmits for an FNC1 separator


def decode(image: Image.Image) -> zxingcpp.Barcode:
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, found
    return found[0]


def test_qr_png_decodes_to_the_data_with_error_correction_m() -> None:
    image = Image.open(io.BytesIO(qr_png(URI, scale=4)))
    barcode = decode(image)
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert barcode.text == URI
    assert barcode.ec_level == "M"
    assert image.size == ((len(qr_matrix(URI)) + 2 * QUIET_ZONE) * 4,) * 2


def test_qr_png_has_a_four_module_quiet_zone() -> None:
    scale = 4
    image = Image.open(io.BytesIO(qr_png(URI, scale=scale))).convert("L")
    side, border = image.size[0], QUIET_ZONE * scale
    for strip in [
        (0, 0, side, border),
        (0, side - border, side, side),
        (0, 0, border, side),
        (side - border, 0, side, side),
    ]:
        assert image.crop(strip).getextrema() == (255, 255)
    assert image.getpixel((border, border)) == 0  # the top-left finder pattern starts right inside it


def test_qr_svg_paints_the_same_modules() -> None:
    svg = qr_svg(URI)
    root = ET.fromstring(svg)
    side = int(root.get("viewBox", "").split()[2])
    image = Image.new("L", (side * 8, side * 8), 255)
    draw = ImageDraw.Draw(image)
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    for x, y, width in re.findall(r"M(\d+),(\d+)h(\d+)v1h-\d+z", path.get("d", "")):
        left, top = int(x) * 8, int(y) * 8
        draw.rectangle((left, top, left + int(width) * 8 - 1, top + 7), fill=0)
    assert decode(image).text == URI


def test_qr_matrix_is_square_rows_of_modules() -> None:
    matrix = qr_matrix(URI)
    assert len(matrix) == len(matrix[0]) == 33  # version 4 for this 66-character URI at M
    assert set(b"".join(matrix)) == {0, 1}


def test_ean13_from_gtin14_decodes() -> None:
    barcode = decode(Image.open(io.BytesIO(ean13_png("08930000000019"))))
    assert barcode.format == zxingcpp.BarcodeFormat.EAN13
    assert barcode.text == "8930000000019"
    assert barcode.symbology_identifier == "]E0"


def test_ean13_svg_carries_the_human_readable_digits() -> None:
    svg = ean13_svg("8930000000019")
    ET.fromstring(svg)
    assert "930000" in svg and "000019" in svg


@pytest.mark.parametrize(
    ("gtin", "reason"),
    [
        ("18930000000016", "indicator digit 1"),
        ("8930000000017", "wrong check digit"),
        ("٨٩٣٠٠٠٠٠٠٠٠١٧", "not 13 digits"),
        ("893000000001", "not 13 digits"),
    ],
)
def test_ean13_rejects_what_it_cannot_encode(gtin: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        ean13_png(gtin)


def test_gs1_element_string_puts_ais_in_parentheses() -> None:
    assert gs1_element_string("08930000000019", "LOT1", date(2026, 12, 31)) == "(01)08930000000019(10)LOT1(17)261231"
    assert gs1_element_string("08930000000019") == "(01)08930000000019"


def test_gs1_128_has_fnc1_after_the_variable_length_lot() -> None:
    barcode = decode(Image.open(io.BytesIO(gs1_128_png("08930000000019", "LOT1", date(2026, 12, 31)))))
    assert barcode.symbology_identifier == "]C1"  # Code 128 with FNC1 first: GS1-128
    assert barcode.text == "(01)08930000000019(10)LOT1(17)261231"
    assert barcode.bytes.decode() == "".join(["0108930000000019", "10LOT1", GS, "17261231"])


def test_gs1_128_needs_no_separator_after_the_last_element() -> None:
    barcode = decode(Image.open(io.BytesIO(gs1_128_png("08930000000019", "A(1)/B"))))
    assert barcode.symbology_identifier == "]C1"
    assert barcode.bytes.decode() == "".join(["0108930000000019", "10A(1)/B"])


def test_gs1_128_svg_shows_the_element_string() -> None:
    svg = gs1_128_svg("08930000000019", "LOT1", date(2026, 12, 31))
    ET.fromstring(svg)
    assert "(01)08930000000019(10)LOT1(17)261231" in svg


@pytest.mark.parametrize(
    ("gtin14", "lot", "reason"),
    [
        ("08930000000017", "LOT1", "check digit"),
        ("8930000000019", "LOT1", "not 14 digits"),
        ("08930000000019", "LÔ1", "CSET 82"),
        ("08930000000019", "L" * 21, "CSET 82"),
        ("08930000000019", "", "CSET 82"),
    ],
)
def test_gs1_element_string_rejects_bad_values(gtin14: str, lot: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        gs1_element_string(gtin14, lot)
