"""The one place where domain errors and validation errors become HTTP answers, in the caller's language."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from trace.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, Unauthenticated
from web.i18n import N_, translate

log = logging.getLogger("web.errors")

STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    Unauthenticated: 401,
}

# Pydantic error types → message ids (with the error's context as parameters).
PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": N_("This field is required"),
    "string_too_short": N_("This field is required"),
    "string_too_long": N_("At most {max_length} characters"),
    "string_type": N_("Must be text"),
    "int_parsing": N_("Must be a whole number"),
    "int_type": N_("Must be a whole number"),
    "int_from_float": N_("Must be a whole number"),
    "float_parsing": N_("Must be a number"),
    "float_type": N_("Must be a number"),
    "decimal_parsing": N_("Must be a number"),
    "decimal_type": N_("Must be a number"),
    "decimal_max_digits": N_("Too many digits"),
    "decimal_max_places": N_("Too many digits after the decimal point"),
    "decimal_whole_digits": N_("Too many digits"),
    "finite_number": N_("Must be a number"),
    "greater_than_equal": N_("Must be at least {ge}"),
    "greater_than": N_("Must be more than {gt}"),
    "less_than_equal": N_("Must be at most {le}"),
    "less_than": N_("Must be less than {lt}"),
    "date_parsing": N_("Must be a date (YYYY-MM-DD)"),
    "date_type": N_("Must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("Must be a date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": N_("Must be a date (YYYY-MM-DD)"),
    "datetime_parsing": N_("Must be a date and time with its offset (YYYY-MM-DDTHH:MM+07:00)"),
    "datetime_type": N_("Must be a date and time with its offset (YYYY-MM-DDTHH:MM+07:00)"),
    "datetime_from_date_parsing": N_("Must be a date and time with its offset (YYYY-MM-DDTHH:MM+07:00)"),
    "enum": N_("Must be one of: {expected}"),
    "literal_error": N_("Must be one of: {expected}"),
    "extra_forbidden": N_("Unknown field"),
    "json_invalid": N_("The request body is not valid JSON"),
    "json_type": N_("The request body is not valid JSON"),
    "model_attributes_type": N_("Must be an object"),
    "dict_type": N_("Must be an object"),
    "model_type": N_("Must be an object"),
    "list_type": N_("Must be a list"),
    "bool_parsing": N_("Must be true or false"),
    "bool_type": N_("Must be true or false"),
    "too_long": N_("Too many items"),
}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def validation_messages(errors: list[Any], lang: str) -> list[dict[str, str]]:
    out = []
    for err in errors:
        kind = err.get("type", "")
        ctx = dict(err.get("ctx") or {})
        error = ctx.get("error")
        field = _field(tuple(err.get("loc", ())))
        if isinstance(error, DomainError):
            message, ctx = error.message, error.params
            if error.field and field == "body":  # a rule across fields names the field it is about
                field = error.field
        elif kind == "value_error":
            message = str(error or N_("Invalid value"))
        elif "template" in ctx:
            message = ctx.pop("template")
        elif kind in ("too_long", "too_short") and ctx.get("field_type") != "List":
            # Pydantic names a string constraint applied after a validator by its generic (sequence) type.
            message = N_("At most {max_length} characters") if kind == "too_long" else N_("This field is required")
        else:
            message = PYDANTIC_MESSAGES.get(kind, N_("Invalid value"))
        out.append({"field": field, "message": translate(lang, message, ctx)})
    return out


def request_lang(request: Request) -> str:
    return getattr(request.state, "lang", "vi")


def error_body(lang: str, kind: str, message: str, errors: list[dict[str, str]]) -> dict[str, Any]:
    return {"error": kind, "message": message, "errors": errors}


_HTTP_MESSAGES = {404: N_("Not found"), 405: N_("Method not allowed"), 413: N_("The request is too large")}
_HTTP_OTHER = N_("The request could not be handled")
_HTTP_PAGE_MESSAGES = {404: N_("There is no page at this address."), 405: N_("Method not allowed")}


def _wants_page(request: Request) -> bool:
    """A browser asking for a page outside the API, which answers JSON to programs."""
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/api/")


def _problem_page(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """What a person's browser gets for an address mistyped or cut short on a label: the page with the way home."""
    from web.public.view import page  # the public pages' modules import this one

    return page(request, "public/problem.html", status, headers, status=status, message=message)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        lang = request_lang(request)
        errors = validation_messages(list(exc.errors()), lang)
        summary = translate(lang, "Please correct the fields below")
        return JSONResponse(error_body(lang, "invalid_input", summary, errors), status_code=422)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        lang = request_lang(request)
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
        message = translate(lang, exc.message, exc.params)
        if _wants_page(request):
            return _problem_page(request, status, message)
        errors = [{"field": exc.field, "message": message}] if exc.field else []
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        kind = type(exc).__name__.lower()
        return JSONResponse(error_body(lang, kind, message, errors), status_code=status, headers=headers)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        lang = request_lang(request)
        if _wants_page(request):
            message = translate(lang, _HTTP_PAGE_MESSAGES.get(exc.status_code, _HTTP_OTHER))
            return _problem_page(request, exc.status_code, message, getattr(exc, "headers", None))
        message = translate(lang, _HTTP_MESSAGES.get(exc.status_code, _HTTP_OTHER))
        return JSONResponse(
            error_body(lang, "http", message, []), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Never a stack trace for the user: log it, answer plainly.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        lang = request_lang(request)
        message = translate(lang, "Something went wrong on our side; nothing was saved. Please try again.")
        return JSONResponse(error_body(lang, "internal", message, []), status_code=500)
