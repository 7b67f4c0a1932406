"""Label layouts as data: where each label sits on a page, in millimetres from the page's top-left corner.

A sheet holds ``rows x cols`` labels filled left to right, top to bottom; a thermal layout holds one label per page
(the page is the label). Every layout is checked when it is built, so a layout that exists always fits its page.
Errors are ``ValueError`` with an English message for the caller to translate.
"""

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

A4 = (210.0, 297.0)

MIN_LABEL_WIDTH = 25.0
MIN_LABEL_HEIGHT = 15.0
"""Below this a QR code big enough for a phone camera and a line of text no longer fit side by side."""

_TOLERANCE = 1e-6  # mm; sheet specifications are given to 0.05 mm and sums of floats must not fail on rounding


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    kind: Literal["sheet", "thermal"]
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    rows: int
    cols: int
    margin_left: float
    margin_top: float
    pitch_x: float
    """Distance between the left edges of neighbouring labels in a row."""
    pitch_y: float
    """Distance between the top edges of neighbouring labels in a column."""

    def __post_init__(self) -> None:
        if self.rows < 1 or self.cols < 1:
            raise ValueError(f"layout {self.name}: rows and columns must be at least 1")
        if self.label_width < MIN_LABEL_WIDTH or self.label_height < MIN_LABEL_HEIGHT:
            raise ValueError(
                f"layout {self.name}: a label of {self.label_width:g} x {self.label_height:g} mm is too small; "
                f"the minimum is {MIN_LABEL_WIDTH:g} x {MIN_LABEL_HEIGHT:g} mm"
            )
        if self.margin_left < 0 or self.margin_top < 0:
            raise ValueError(f"layout {self.name}: margins cannot be negative")
        if self.cols > 1 and self.pitch_x < self.label_width - _TOLERANCE:
            raise ValueError(
                f"layout {self.name}: horizontal pitch {self.pitch_x:g} mm is less than the label width "
                f"{self.label_width:g} mm, so labels would overlap"
            )
        if self.rows > 1 and self.pitch_y < self.label_height - _TOLERANCE:
            raise ValueError(
                f"layout {self.name}: vertical pitch {self.pitch_y:g} mm is less than the label height "
                f"{self.label_height:g} mm, so labels would overlap"
            )
        right = self.margin_left + (self.cols - 1) * self.pitch_x + self.label_width
        if right > self.page_width + _TOLERANCE:
            raise ValueError(
                f"layout {self.name}: {self.cols} columns of {self.label_width:g} mm labels need {right:g} mm "
                f"but the page is {self.page_width:g} mm wide"
            )
        bottom = self.margin_top + (self.rows - 1) * self.pitch_y + self.label_height
        if bottom > self.page_height + _TOLERANCE:
            raise ValueError(
                f"layout {self.name}: {self.rows} rows of {self.label_height:g} mm labels need {bottom:g} mm "
                f"but the page is {self.page_height:g} mm high"
            )

    @property
    def per_page(self) -> int:
        return self.rows * self.cols

    def origin(self, position: int) -> tuple[float, float]:
        """Top-left corner (x, y) in mm of the label at ``position`` (0-based, row by row) on a page."""
        if not 0 <= position < self.per_page:
            raise ValueError(f"layout {self.name}: position {position} is not on a page of {self.per_page}")
        row, col = divmod(position, self.cols)
        return self.margin_left + col * self.pitch_x, self.margin_top + row * self.pitch_y

    def check_skip(self, skip: int) -> None:
        """Positions already used on a partly printed first sheet; at least one must be left."""
        if not 0 <= skip < self.per_page:
            raise ValueError(
                f"layout {self.name}: can skip 0 to {self.per_page - 1} positions on the first page, not {skip}"
            )


def sheet(
    rows: int,
    cols: int,
    label_width: float,
    label_height: float,
    margin_left: float,
    margin_top: float,
    pitch_x: float | None = None,
    pitch_y: float | None = None,
    page_width: float = A4[0],
    page_height: float = A4[1],
    name: str = "custom",
) -> Layout:
    """A sheet of labels (A4 unless told); pitch defaults to the label size (labels edge to edge)."""
    return Layout(
        name=name,
        kind="sheet",
        page_width=page_width,
        page_height=page_height,
        label_width=label_width,
        label_height=label_height,
        rows=rows,
        cols=cols,
        margin_left=margin_left,
        margin_top=margin_top,
        pitch_x=label_width if pitch_x is None else pitch_x,
        pitch_y=label_height if pitch_y is None else pitch_y,
    )


def thermal(width: float, height: float, name: str = "thermal-custom") -> Layout:
    """One label per page, the page cut to the label, as thermal printers feed a roll."""
    return Layout(
        name=name,
        kind="thermal",
        page_width=width,
        page_height=height,
        label_width=width,
        label_height=height,
        rows=1,
        cols=1,
        margin_left=0.0,
        margin_top=0.0,
        pitch_x=width,
        pitch_y=height,
    )


# Sheet geometry of the common stock for each size (e.g. Avery/Herma 3474 for 70x37, Avery L7163 for 99.1x38.1).
LAYOUTS: MappingProxyType[str, Layout] = MappingProxyType(
    {
        layout.name: layout
        for layout in (
            sheet(8, 3, 70.0, 37.0, margin_left=0.0, margin_top=0.5, name="a4-3x8"),
            sheet(10, 4, 48.5, 25.4, margin_left=8.0, margin_top=21.5, name="a4-4x10"),
            sheet(7, 2, 99.1, 38.1, margin_left=4.65, margin_top=15.15, pitch_x=101.6, name="a4-2x7"),
            thermal(50.0, 30.0, name="thermal-50x30"),
            thermal(40.0, 30.0, name="thermal-40x30"),
        )
    }
)


_NUMBER = r"(\d{1,3}(?:\.\d{1,2})?)"
CUSTOM_SHEET = re.compile(
    rf"custom:(\d{{1,2}})x(\d{{1,2}}):{_NUMBER}x{_NUMBER}:{_NUMBER},{_NUMBER}(?::{_NUMBER},{_NUMBER})?"
)


def get_layout(name: str) -> Layout:
    """A registered layout, or a custom A4 sheet written ``custom:COLSxROWS:WxH:LEFT,TOP[:PITCH_X,PITCH_Y]`` (mm),
    a name short enough to be stored with a label run and reprinted from it."""
    if name in LAYOUTS:
        return LAYOUTS[name]
    match = CUSTOM_SHEET.fullmatch(name)
    if match is None:
        raise ValueError(f"unknown layout {name!r}; known layouts: {', '.join(LAYOUTS)}, or custom:COLSxROWS:WxH:L,T")
    cols, rows = int(match[1]), int(match[2])
    width, height, left, top = (float(match[i]) for i in range(3, 7))
    pitch_x = float(match[7]) if match[7] else None
    pitch_y = float(match[8]) if match[8] else None
    return sheet(rows, cols, width, height, left, top, pitch_x, pitch_y, name=name)
