import pytest
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from labels import fonts
from labels.compose import plan_label
from labels.content import LabelContent
from labels.layouts import LAYOUTS, MIN_LABEL_HEIGHT, MIN_LABEL_WIDTH, Layout
from tests.labels.samples import content

LONG_NAME = "Trà hoa vàng Cao Bằng thượng hạng sấy lạnh đóng hộp quà tặng cao cấp phiên bản đặc biệt năm 2025"
ONE_LONG_WORD = "Hạtdẻ" * 20

CONTENTS = {
    "typical": content(),
    "long names": content(product_name=LONG_NAME, producer_name=LONG_NAME, lot="L" * 20),
    "one long word": content(product_name=ONE_LONG_WORD, producer_name=ONE_LONG_WORD),
    "long short code": content(short_code="ABCD-EFGH-JKLM-NPQR"),
    "bare": content(lot=None, production_date=None, expiry_date=None, ocop_stars=None, producer_name=""),
}
SIZES = {name: (layout.label_width, layout.label_height) for name, layout in LAYOUTS.items()}
SIZES["smallest allowed"] = (MIN_LABEL_WIDTH, MIN_LABEL_HEIGHT)


@pytest.mark.parametrize("size", SIZES.values(), ids=list(SIZES))
@pytest.mark.parametrize("label", CONTENTS.values(), ids=list(CONTENTS))
def test_nothing_leaves_the_label_or_overlaps(label: LabelContent, size: tuple[float, float]) -> None:
    width, height = size
    plan = plan_label(label, width, height)
    assert plan.qr_x >= 0 and plan.qr_x + plan.qr_side <= width
    assert plan.qr_y >= 0 and plan.qr_y + plan.qr_side <= height
    previous_bottom = 0.0
    for line in plan.lines:
        font = fonts.BOLD if line.bold else fonts.REGULAR
        ascent, descent = (value / mm for value in pdfmetrics.getAscentDescent(font, line.size))
        right = line.x + fonts.string_width(line.text, line.bold, line.size) / mm
        assert line.x >= plan.qr_x + plan.qr_side, line  # right of the QR box and its quiet zone
        assert right <= width + 1e-9, (line, right)
        assert line.baseline - ascent >= previous_bottom - 1e-9, line  # below the line before
        previous_bottom = line.baseline - descent
    assert previous_bottom <= height + 1e-9


@pytest.mark.parametrize("size", SIZES.values(), ids=list(SIZES))
def test_the_short_code_is_never_cut(size: tuple[float, float]) -> None:
    label = CONTENTS["long short code"]
    assert plan_label(label, *size).lines[-1].text == label.short_code


def test_a_roomy_label_shows_everything_in_full() -> None:
    layout = LAYOUTS["a4-2x7"]
    texts = [line.text for line in plan_label(content(), layout.label_width, layout.label_height).lines]
    assert texts == [
        "Hạt dẻ Trùng Khánh",
        "Hợp tác xã Nông nghiệp Đức Thông",
        "Lô: LOT1",
        "NSX: 01/09/2025",
        "HSD: 31/08/2026",
        "OCOP ★★★★",
        "K7QP-3MX9",
    ]


def test_long_names_wrap_before_they_are_cut() -> None:
    layout: Layout = LAYOUTS["a4-3x8"]
    name = "Hạt dẻ Trùng Khánh sấy khô loại đặc biệt"
    plan = plan_label(content(product_name=name), layout.label_width, layout.label_height)
    name_lines = [line.text for line in plan.lines if line.bold][:-1]
    assert len(name_lines) == 2
    assert " ".join(name_lines) == name


def test_text_that_cannot_fit_is_cut_with_an_ellipsis() -> None:
    layout = LAYOUTS["thermal-40x30"]
    plan = plan_label(CONTENTS["long names"], layout.label_width, layout.label_height)
    name_lines = [line.text for line in plan.lines if line.bold][:-1]
    assert 1 <= len(name_lines) <= 3
    shown = " ".join(name_lines)
    assert shown.endswith("…")
    assert LONG_NAME.startswith(shown[:-1])
