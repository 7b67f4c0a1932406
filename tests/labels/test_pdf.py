import io
import unicodedata
from collections.abc import Iterator

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
import zxingcpp
from PIL import Image
from reportlab.pdfbase import pdfmetrics

from labels import fonts
from labels.content import LabelContent
from labels.layouts import LAYOUTS, Layout
from labels.pdf import render_pdf
from tests.labels.pdftools import HAVE_POPPLER, font_names, page_text, rasterise
from tests.labels.samples import content, serialized

DPI = 300


def render(labels: list[LabelContent], layout: Layout, skip: int = 0) -> bytes:
    out = io.BytesIO()
    render_pdf(labels, layout, out, skip=skip)
    return out.getvalue()


def decoded_qr_codes(page: Image.Image) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)


def position_of(barcode: zxingcpp.Barcode, layout: Layout) -> int:
    """The layout position whose label holds the barcode's centre."""
    corners = barcode.position
    points = (corners.top_left, corners.top_right, corners.bottom_right, corners.bottom_left)
    x = sum(point.x for point in points) / 4 / DPI * 25.4
    y = sum(point.y for point in points) / 4 / DPI * 25.4
    for position in range(layout.per_page):
        left, top = layout.origin(position)
        if left <= x <= left + layout.label_width and top <= y <= top + layout.label_height:
            return position
    raise AssertionError(f"barcode at {x:.1f}, {y:.1f} mm is on no label")


@pytest.mark.parametrize("name", ["a4-3x8", "a4-4x10", "thermal-40x30"])
def test_every_qr_on_the_first_page_decodes_to_its_uri(name: str) -> None:
    layout = LAYOUTS[name]
    labels = serialized(layout.per_page + 2)
    pdf = render(labels, layout)
    found = decoded_qr_codes(rasterise(pdf, DPI))
    assert sorted(barcode.text for barcode in found) == sorted(label.qr_data for label in labels[: layout.per_page])
    assert {position_of(barcode, layout) for barcode in found} == set(range(layout.per_page))


def test_qr_codes_decode_when_rasterised_by_pdfium_too() -> None:
    layout = LAYOUTS["a4-2x7"]
    labels = serialized(layout.per_page)
    found = decoded_qr_codes(rasterise(render(labels, layout), DPI, poppler=False))
    assert sorted(barcode.text for barcode in found) == sorted(label.qr_data for label in labels)


def test_skip_starts_on_the_first_free_position() -> None:
    layout = LAYOUTS["a4-3x8"]
    labels = serialized(24)
    out = io.BytesIO()
    assert render_pdf(labels, layout, out, skip=5) == 2
    found = decoded_qr_codes(rasterise(out.getvalue(), DPI))
    placed = {barcode.text: position_of(barcode, layout) for barcode in found}
    assert placed == {label.qr_data: 5 + i for i, label in enumerate(labels[:19])}


def test_each_qr_code_is_a_single_path() -> None:
    labels = serialized(4)
    page = pypdfium2.PdfDocument(render(labels, LAYOUTS["a4-3x8"]))[0]
    paths = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH]))
    assert len(paths) == len(labels)


def test_vietnamese_text_comes_back_exactly_in_the_embedded_dejavu_font() -> None:
    label = content(
        product_name=unicodedata.normalize("NFD", "Miến dong Phja Đén"),  # decomposed, as some phones send it
        producer_name="Hợp tác xã Ưng Hoà Hữu Cơ",
        lot="LÔ-ẮẴẶỠỸ",
    )
    pdf = render([label], LAYOUTS["a4-2x7"])
    text = page_text(pdf)
    for expected in ("Miến dong Phja Đén", "Hợp tác xã Ưng Hoà Hữu Cơ", "Lô: LÔ-ẮẴẶỠỸ", "NSX: 01/09/2025", "★★★★"):
        assert unicodedata.normalize("NFC", expected) in text
    assert font_names(pdf) == {fonts.REGULAR, fonts.BOLD}
    assert pdf.count(b"/FontFile2") == 2  # both faces embedded, not referenced
    # No character falls back to the font's missing-glyph box.
    for face in (fonts.REGULAR, fonts.BOLD):
        glyphs = pdfmetrics.getFont(face).face.charToGlyph
        assert [ch for ch in text if not ch.isspace() and ord(ch) not in glyphs] == []


@pytest.mark.skipif(not HAVE_POPPLER, reason="compares poppler's text with pdfium's; the other tests use either")
def test_text_extraction_agrees_between_poppler_and_pdfium() -> None:
    pdf = render([content()], LAYOUTS["a4-3x8"])
    assert page_text(pdf, poppler=True) == page_text(pdf, poppler=False)


def test_labels_are_drawn_as_they_arrive_and_progress_is_reported_per_page() -> None:
    layout = LAYOUTS["a4-3x8"]
    pulled = 0
    seen_at_progress: list[tuple[int, int]] = []

    def labels() -> Iterator[LabelContent]:
        nonlocal pulled
        for label in serialized(50):
            pulled += 1
            yield label

    pages = render_pdf(labels(), layout, io.BytesIO(), progress=lambda done: seen_at_progress.append((done, pulled)))
    assert pages == 3
    # After the first page only its 24 labels had been taken from the iterable.
    assert seen_at_progress == [(24, 24), (48, 48), (50, 50)]


def test_no_labels_is_an_error() -> None:
    with pytest.raises(ValueError, match="no labels"):
        render_pdf([], LAYOUTS["a4-3x8"], io.BytesIO())


def test_skip_must_leave_room_on_the_first_sheet() -> None:
    with pytest.raises(ValueError, match="skip"):
        render_pdf([content()], LAYOUTS["a4-3x8"], io.BytesIO(), skip=24)
