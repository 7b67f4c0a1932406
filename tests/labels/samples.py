"""Label contents for the tests: Vietnamese text with every kind of diacritic, distinct Digital Link URIs."""

from datetime import date
from typing import Any

from labels.content import LabelContent

BASE_URI = "https://trace.example.vn/01/08930000000019/10/LOT1/21/"


def content(**overrides: Any) -> LabelContent:
    values: dict[str, Any] = {
        "product_name": "Hạt dẻ Trùng Khánh",
        "producer_name": "Hợp tác xã Nông nghiệp Đức Thông",
        "lot": "LOT1",
        "production_date": date(2025, 9, 1),
        "expiry_date": date(2026, 8, 31),
        "ocop_stars": 4,
        "short_code": "K7QP-3MX9",
        "qr_data": BASE_URI + "K7QP3MX9TRWZ",
        "gtin": "08930000000019",
    }
    return LabelContent(**(values | overrides))


def serialized(count: int) -> list[LabelContent]:
    """Labels of one batch with distinct serials, as a label run produces them."""
    return [content(short_code=f"S{i:05d}", qr_data=f"{BASE_URI}SER{i:09d}") for i in range(count)]
