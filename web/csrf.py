"""CSRF protection for the HTML forms: a synchronizer token kept in the (signed, HttpOnly, SameSite=Lax) session
cookie and repeated in a hidden field of every form. The console's route class checks it on every POST, so a
form cannot forget it. The JSON API needs none: it takes JSON or a bearer token, which a cross-site form cannot
send."""

import hmac
import secrets

from fastapi import Request

from trace.errors import Forbidden

FIELD = "csrf_token"
_KEY = "csrf"


def token(request: Request) -> str:
    """The session's token, created on first use (the login page gives an anonymous visitor one too)."""
    value = request.session.get(_KEY)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        request.session[_KEY] = value
    return value


def rotate(request: Request) -> None:
    """A new token at log-in and log-out, so a token seen before authentication is worthless after it."""
    request.session[_KEY] = secrets.token_urlsafe(32)


async def check(request: Request) -> None:
    expected = request.session.get(_KEY)
    form = await request.form()
    sent = form.get(FIELD)
    if not (isinstance(expected, str) and isinstance(sent, str) and hmac.compare_digest(expected, sent)):
        raise Forbidden("This form has expired. Please open the page again and resend it.")
