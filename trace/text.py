"""Vietnamese text as data: NFC normalisation, sorting and accent-insensitive search keys."""

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from pydantic_core import PydanticCustomError

_VI_ORDER = "aáàảãạăắằẳẵặâấầẩẫậbcdđeéèẻẽẹêếềểễệfghiíìỉĩịjklmnoóòỏõọôốồổỗộơớờởỡợpqrstuúùủũụưứừửữựvwxyýỳỷỹỵz"
_RANK = {ch: i for i, ch in enumerate(_VI_ORDER)}


def nfc(value: str) -> str:
    """Normalise to NFC and trim: a phone keyboard may send decomposed diacritics (NFD)."""
    return unicodedata.normalize("NFC", value).strip()


def nfc_or_none(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = nfc(value)
    return cleaned or None


def fold(value: str) -> str:
    """Search key: lower case, no diacritics, đ → d ("Trùng Khánh" matches "trung khanh")."""
    # NUL never matches a stored name, and PostgreSQL refuses it in a query parameter.
    decomposed = unicodedata.normalize("NFD", value.casefold().replace("đ", "d").replace("\x00", ""))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def sort_key(value: str) -> tuple[tuple[int, int], ...]:
    """Vietnamese alphabetical order (a < ă < â < b ... đ after d, tones ordered), unknown characters last."""
    base = nfc(value).casefold()
    return tuple((_RANK.get(ch, len(_VI_ORDER)), ord(ch)) for ch in base)


def decimal_text(value: str) -> str:
    """A number as a person types it, written as Python and JSON read it: Vietnamese writes 1,5 for one and a half
    and 1.200,5 for twelve hundred and a half; a dot alone stays a decimal point (22.6 copied from a map). Spaces
    between thousands go. Text that is no number after this is left for the model to name."""
    compact = value.replace(" ", "").replace("\u00a0", "")
    if "," in compact and "." in compact:  # 1.200,5 → 1200.5
        compact = compact.replace(".", "").replace(",", ".")
    elif compact.count(",") == 1:  # 1,5 → 1.5
        compact = compact.replace(",", ".")
    try:
        Decimal(compact)
    except InvalidOperation:
        return value
    return compact


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def date_text(value: str) -> str:
    """A day as a person types it, written as ISO 8601: Vietnamese writes the day first (1/10/2026, 01.10.2026,
    1-10-2026), as a phone's browser without a date picker lets it be typed. Anything else is left to the model."""
    match = _DAY_MONTH_YEAR.fullmatch(value.strip())
    if match is None:
        return value
    day, month, year = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


_ALLOWED_CONTROLS = {"\n", "\t"}


def clean_text(value: object, *, multiline: bool = False) -> object:
    """Pydantic pre-validator: NFC-normalise strings and refuse control characters (PostgreSQL rejects NUL;
    none belong in a product name). Non-strings pass through so the type error names the field."""
    if not isinstance(value, str):
        return value
    value = nfc(value)
    allowed = _ALLOWED_CONTROLS if multiline else set()
    for ch in value:
        if unicodedata.category(ch) == "Cc" and ch not in allowed:
            raise PydanticCustomError("control_char", "Control characters are not allowed")
    return value
