"""HTML forms on top of the API's input models: the same pydantic model (trace.products.ProductIn, ...) checks a
form as it checks JSON, and its errors come back as one translated message per field, shown beside the field,
while the page keeps what the user typed."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from trace.errors import DomainError, InvalidInput
from web.errors import request_lang, validation_messages
from web.files import within_limit
from web.i18n import translate

M = TypeVar("M", bound=BaseModel)

# What the form asks, for fields typed as a datetime with its UTC offset: the date-time picker gives local time
# without one, and the offset is chosen beside it (+07:00 in Vietnam).
_LOCAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
OFFSETS = ("+07:00", "+08:00", "+00:00")


@dataclass
class Form:
    """What the user typed (strings, as sent) and the error shown beside each field ("" for the whole form)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def error(self, name: str) -> str:
        return self.errors.get(name, "")


class Invalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def typed(form: FormData, names: Iterable[str] | None = None) -> dict[str, str]:
    """The text fields of a submitted form (files and the CSRF token left out), trimmed."""
    out = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key != "csrf_token" and (names is None or key in names):
            out[key] = value.strip()
    return out


def _nest(values: Mapping[str, str]) -> dict[str, Any]:
    """Empty fields mean "not given" (the model's default, or "This field is required"); rows of a repeated group
    are named ``inputs.0.supplier_name`` and become a list of objects, empty rows dropped."""
    data: dict[str, Any] = {}
    rows: dict[str, dict[int, dict[str, str]]] = {}
    for key, value in values.items():
        if value == "":
            continue
        parts = key.split(".")
        if len(parts) == 3 and parts[1].isdigit():
            rows.setdefault(parts[0], {}).setdefault(int(parts[1]), {})[parts[2]] = value
        else:
            data[key] = value
    for name, by_index in rows.items():
        data[name] = [by_index[i] for i in sorted(by_index)]
    return data


def with_offset(values: dict[str, str], name: str, offset_field: str = "tz_offset") -> dict[str, str]:
    """Join a datetime-local value and its chosen offset into the ISO form the input model takes."""
    out = dict(values)
    offset = out.pop(offset_field, "+07:00")
    when = out.get(name, "")
    if _LOCAL_DATETIME.match(when) and offset in OFFSETS:
        out[name] = when + offset
    return out


def validate(request: Request, model: type[M], values: Mapping[str, str], **extra: Any) -> M:
    """The model built from the form, or Invalid with a translated message per field name."""
    data = _nest(values)
    data.update(extra)
    allowed = set(model.model_fields)
    unknown = [k for k in data if k not in allowed]
    for key in unknown:
        data.pop(key)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(errors_of(request, exc)) from exc


def errors_of(request: Request, exc: ValidationError | DomainError) -> dict[str, str]:
    lang = request_lang(request)
    if isinstance(exc, DomainError):
        return {exc.field or "": translate(lang, exc.message, exc.params)}
    errors: dict[str, str] = {}
    for item in validation_messages(list(exc.errors()), lang):
        name = "" if item["field"] == "body" else item["field"]
        errors.setdefault(name, item["message"])
    return errors


def read_upload(upload: object, max_bytes: int, required: bool = True) -> bytes | None:
    """A file field's bytes, read at most one byte past the limit whatever size the browser declared."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        if required:
            raise InvalidInput("Choose a file", field="file")
        return None
    upload.file.seek(0)
    return within_limit(upload.file.read(max_bytes + 1), max_bytes)
