from dataclasses import FrozenInstanceError

import pytest

from labels.layouts import LAYOUTS, Layout, get_layout, sheet, thermal

EXPECTED = {
    "a4-3x8": (24, 70.0, 37.0),
    "a4-4x10": (40, 48.5, 25.4),
    "a4-2x7": (14, 99.1, 38.1),
    "thermal-50x30": (1, 50.0, 30.0),
    "thermal-40x30": (1, 40.0, 30.0),
}


def test_the_registry_holds_the_sheets_and_rolls_of_the_issue() -> None:
    assert {name: (layout.per_page, layout.label_width, layout.label_height) for name, layout in LAYOUTS.items()} == (
        EXPECTED
    )
    assert {layout.kind for name, layout in LAYOUTS.items() if name.startswith("a4-")} == {"sheet"}
    assert LAYOUTS["a4-3x8"].page_width == 210.0 and LAYOUTS["a4-3x8"].page_height == 297.0


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=list(LAYOUTS))
def test_every_label_lies_on_the_page_without_overlap(layout: Layout) -> None:
    boxes = []
    for position in range(layout.per_page):
        x, y = layout.origin(position)
        assert x >= 0 and x + layout.label_width <= layout.page_width + 1e-9
        assert y >= 0 and y + layout.label_height <= layout.page_height + 1e-9
        boxes.append((x, y))
    for i, (x1, y1) in enumerate(boxes):
        for x2, y2 in boxes[i + 1 :]:
            apart = abs(x1 - x2) >= layout.label_width - 1e-9 or abs(y1 - y2) >= layout.label_height - 1e-9
            assert apart, (x1, y1, x2, y2)


def test_positions_fill_rows_left_to_right_then_down() -> None:
    layout = LAYOUTS["a4-2x7"]
    assert layout.origin(0) == (4.65, 15.15)
    assert layout.origin(1) == (4.65 + 101.6, 15.15)
    assert layout.origin(2) == (4.65, 15.15 + 38.1)
    with pytest.raises(ValueError):
        layout.origin(14)


def test_sheets_are_centred_on_a4() -> None:
    for name in ("a4-4x10", "a4-2x7"):
        layout = LAYOUTS[name]
        x, y = layout.origin(layout.per_page - 1)
        assert x + layout.label_width == pytest.approx(layout.page_width - layout.margin_left)
        assert y + layout.label_height == pytest.approx(layout.page_height - layout.margin_top)


def test_skip_leaves_at_least_one_position() -> None:
    layout = LAYOUTS["a4-3x8"]
    layout.check_skip(0)
    layout.check_skip(23)
    for skip in (-1, 24):
        with pytest.raises(ValueError, match="skip 0 to 23 positions"):
            layout.check_skip(skip)
    with pytest.raises(ValueError):
        LAYOUTS["thermal-50x30"].check_skip(1)


def test_custom_sheet_with_gaps() -> None:
    layout = sheet(
        rows=6, cols=2, label_width=90, label_height=40, margin_left=10, margin_top=15, pitch_x=100, pitch_y=45
    )
    assert layout.per_page == 12
    assert layout.origin(11) == (110, 15 + 5 * 45)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cols": 4, "label_width": 70}, r"4 columns of 70 mm labels need 280 mm but the page is 210 mm wide"),
        ({"rows": 9, "label_height": 37}, r"9 rows of 37 mm labels need 333 mm but the page is 297 mm high"),
        ({"pitch_x": 60}, r"horizontal pitch 60 mm is less than the label width 70 mm"),
        ({"pitch_y": 30}, r"vertical pitch 30 mm is less than the label height 37 mm"),
        ({"rows": 0}, r"rows and columns must be at least 1"),
        ({"margin_left": -1}, r"margins cannot be negative"),
        ({"label_width": 20, "label_height": 10, "pitch_x": 20, "pitch_y": 10}, r"too small; the minimum is 25 x 15"),
    ],
)
def test_custom_sheet_that_does_not_fit_is_rejected_with_a_clear_message(
    kwargs: dict[str, float], message: str
) -> None:
    values: dict[str, float] = {
        "rows": 8,
        "cols": 3,
        "label_width": 70,
        "label_height": 37,
        "margin_left": 0,
        "margin_top": 0,
    } | kwargs
    with pytest.raises(ValueError, match=message):
        sheet(**values)  # type: ignore[arg-type]


def test_thermal_layout_is_one_label_a_page() -> None:
    layout = thermal(60, 40)
    assert (layout.kind, layout.per_page, layout.page_width, layout.page_height) == ("thermal", 1, 60, 40)


def test_layouts_are_immutable_data() -> None:
    with pytest.raises(FrozenInstanceError):
        LAYOUTS["a4-3x8"].rows = 9  # type: ignore[misc]
    with pytest.raises(TypeError):
        LAYOUTS["new"] = LAYOUTS["a4-3x8"]  # type: ignore[index]


def test_unknown_layout_names_the_known_ones() -> None:
    assert get_layout("a4-3x8") is LAYOUTS["a4-3x8"]
    with pytest.raises(ValueError, match="unknown layout 'a5'; known layouts: a4-3x8"):
        get_layout("a5")


def test_custom_sheets_are_written_in_a_short_name() -> None:
    layout = get_layout("custom:2x5:90x50:10,15:95,55")
    assert (layout.cols, layout.rows, layout.label_width, layout.label_height) == (2, 5, 90.0, 50.0)
    assert (layout.pitch_x, layout.pitch_y, layout.per_page) == (95.0, 55.0, 10)
    assert get_layout("custom:3x8:70x37:0,0.5").pitch_y == 37.0  # pitch defaults to the label size
    for bad in ("custom:3x8:90x37:0,0.5", "custom:3x8:70x37", "custom:0x8:70x37:0,0"):
        with pytest.raises(ValueError):
            get_layout(bad)
