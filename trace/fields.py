"""Field types shared by the input models of every concept: bounded, NFC-normalised, safe for both databases."""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from trace import gs1
from trace.text import clean_text, date_text, decimal_text

MAX_DB_INT = 2_147_483_647


def _blank_to_none(value: object) -> object:
    # A form's empty optional field means "not given", not an empty name.
    return None if isinstance(value, str) and not value.strip() else value


ShortText = Annotated[str, BeforeValidator(clean_text), StringConstraints(min_length=1, max_length=200)]
OptShortText = Annotated[
    Annotated[str, BeforeValidator(clean_text), StringConstraints(max_length=200)] | None,
    BeforeValidator(_blank_to_none),
]
LongText = Annotated[
    Annotated[str, BeforeValidator(partial(clean_text, multiline=True)), StringConstraints(max_length=5000)] | None,
    BeforeValidator(_blank_to_none),
]
Code = Annotated[
    Annotated[str, BeforeValidator(clean_text), StringConstraints(max_length=50)] | None,
    BeforeValidator(_blank_to_none),
]


def invalid(kind: str, message: str, **ctx: object) -> PydanticCustomError:
    """A validation error whose message (an English msgid) the web layer translates, naming the field."""
    # The template travels in the context so the web layer can translate the message, not its English rendering.
    return PydanticCustomError(kind, message, {"template": message, **ctx})


def _gln(value: str | None) -> str | None:
    if not value:
        return None
    if not gs1.is_gln(value):
        raise invalid("gln", "A GLN has 13 digits with a correct check digit")
    return value


Gln = Annotated[Code, AfterValidator(_gln)]  # a location: 13 digits, the last a check digit


def _refuse(kinds: tuple[type, ...], error: str, message: str) -> BeforeValidator:
    """A value of ``kinds`` refused as pydantic's own ``error`` would be. Pydantic's lax mode, which forms and
    spreadsheets need (their numbers and dates come as text), also takes JSON's ``true`` as the number 1, ``false``
    as a longitude of 0 and ``0`` as the day 1970-01-01: a wrong type stored as a value nobody gave."""

    def check(value: object) -> object:
        if isinstance(value, kinds):
            raise invalid(error, message)
        return value

    return BeforeValidator(check)


_NUMBERS = (bool, int, float, Decimal)  # bool is an int, and no number is a day
_WHOLE, _NUMBER = "Must be a whole number", "Must be a number"
Count = Annotated[int, _refuse((bool,), "int_type", _WHOLE)]


def _as_typed(read: Callable[[str], str]) -> BeforeValidator:
    """Text as a person types it (trace.text) made what the type reads; other values as they are."""
    return BeforeValidator(lambda value: read(value) if isinstance(value, str) else value)


_TYPED_NUMBER = _as_typed(decimal_text)  # 1,5 and 1.200,5 as a Vietnamese keyboard writes them
Quantity = Annotated[
    Decimal, _TYPED_NUMBER, _refuse((bool,), "decimal_type", _NUMBER), Field(ge=0, max_digits=14, decimal_places=3)
]
Latitude = Annotated[float, _TYPED_NUMBER, _refuse((bool,), "float_type", _NUMBER), Field(ge=-90, le=90)]
Longitude = Annotated[float, _TYPED_NUMBER, _refuse((bool,), "float_type", _NUMBER), Field(ge=-180, le=180)]
DbId = Annotated[Count, Field(ge=1, le=MAX_DB_INT)]
Day = Annotated[
    date,
    _as_typed(date_text),  # 1/10/2026, the day first
    _refuse(_NUMBERS, "date_type", "Must be a date (YYYY-MM-DD)"),
    Field(ge=date(1900, 1, 1), le=date(2200, 12, 31)),
]
Moment = Annotated[
    datetime, _refuse(_NUMBERS, "datetime_type", "Must be a date and time with its offset (YYYY-MM-DDTHH:MM+07:00)")
]


class Input(BaseModel):
    """Base of every command model: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
