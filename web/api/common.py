"""Error responses documented on every operation, so the OpenAPI document tells clients what can go wrong."""

from typing import Any

from pydantic import BaseModel


class FieldError(BaseModel):
    field: str | None
    message: str


class ErrorOut(BaseModel):
    error: str
    message: str
    errors: list[FieldError]


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "The request body could not be read (not UTF-8 JSON, or a broken multipart form)",
        401: "Not logged in, or the API token is not valid",
        403: "The caller's role does not allow this",
        404: "Not found, or not visible to the caller",
        409: "Conflicts with the current state",
        422: "Invalid input: each field error names the field",
        429: "Too many requests: wait the seconds the Retry-After header gives",
    }
    return {code: {"model": ErrorOut, "description": descriptions[code]} for code in codes}


READ = errors(401, 404, 422)
WRITE = errors(401, 403, 404, 409, 422)
