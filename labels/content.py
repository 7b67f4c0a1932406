"""What one label says, as plain values (the caller maps its records to this)."""

import unicodedata
from dataclasses import dataclass, fields
from datetime import date

OCOP_STARS = (3, 4, 5)


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelContent:
    product_name: str
    producer_name: str
    lot: str | None = None
    production_date: date | None = None
    expiry_date: date | None = None
    ocop_stars: int | None = None
    short_code: str
    """A code a person can type on the lookup page when the QR code will not scan."""
    qr_data: str
    """The GS1 Digital Link URI, encoded as is."""
    gtin: str | None = None
    """14 digits, when the product has one."""

    def __post_init__(self) -> None:
        # A phone keyboard may send decomposed diacritics; NFC picks the font's precomposed glyphs.
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, str):
                object.__setattr__(self, field.name, unicodedata.normalize("NFC", value).strip())
        if not self.product_name or not self.short_code or not self.qr_data:
            raise ValueError("a label needs a product name, a short code and QR data")
        if self.ocop_stars is not None and self.ocop_stars not in OCOP_STARS:
            raise ValueError(f"OCOP stars must be one of {OCOP_STARS}, not {self.ocop_stars}")
        if self.gtin is not None and (len(self.gtin) != 14 or not self.gtin.isascii() or not self.gtin.isdigit()):
            raise ValueError(f"GTIN {self.gtin!r} is not 14 digits")
