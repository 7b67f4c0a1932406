"""Domain errors. The web layer maps each class to an HTTP status in one place (web/errors.py).

Messages are English gettext msgids with ``{name}`` placeholders; the web layer translates them
(Vietnamese first) and fills in ``params``.
"""

from typing import Any


def N_(message: str) -> str:
    """Marks a message id kept in a table or constant, so extraction finds it; translated where it is shown."""
    return message


class DomainError(Exception):
    def __init__(self, message: str, field: str | None = None, **params: Any) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.field = field
        self.params = params


class InvalidInput(DomainError, ValueError):
    """The caller sent something that breaks a rule; nothing was written. A ValueError too, so that raised
    inside an input model's validator it is reported with the other field errors."""


class NotFound(DomainError):
    """The record does not exist, or the caller may not see it (the two are indistinguishable on purpose)."""


class Conflict(DomainError):
    """The request clashes with the current state (duplicate code, published batch, ...)."""


class Forbidden(DomainError):
    """The caller is known but their role does not allow this action."""


class Unauthenticated(DomainError):
    """No valid session or token."""
