import unicodedata

import pytest

from tests.labels.samples import content


def test_text_is_nfc_normalised_and_trimmed() -> None:
    decomposed = unicodedata.normalize("NFD", " Hạt dẻ Trùng Khánh ")
    assert content(product_name=decomposed).product_name == "Hạt dẻ Trùng Khánh"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"product_name": " "}, "needs a product name"),
        ({"short_code": ""}, "a short code"),
        ({"qr_data": ""}, "QR data"),
        ({"ocop_stars": 2}, "OCOP stars must be one of"),
        ({"gtin": "8930000000019"}, "not 14 digits"),
        ({"gtin": "٠٨٩٣٠٠٠٠٠٠٠٠١٩"}, "not 14 digits"),
    ],
)
def test_invalid_content_is_rejected(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        content(**overrides)
