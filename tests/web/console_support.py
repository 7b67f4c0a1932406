"""Driving the console's HTML forms from tests as a browser would: log in through the form, send the session's
CSRF token with every POST, read field errors from the page."""

import io
import re
from typing import Any
from weakref import WeakKeyDictionary

from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image

from tests.factories import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# The token each logged-in test client got at log-in (it changes only at log-in and log-out).
_TOKENS: "WeakKeyDictionary[TestClient, str]" = WeakKeyDictionary()
_FIELD_ERROR = re.compile(r'<p class="error" id="e-([^"]+)">([^<]*)</p>')


def token(client: TestClient, path: str = "/login") -> str:
    """The session's CSRF token, read from a page the client is allowed to open."""
    response = client.get(path, follow_redirects=True)
    found = _TOKEN.search(response.text)
    assert found, f"no CSRF token on {path}: {response.status_code}"
    return found.group(1)


def log_in(client: TestClient, login: str, password: str = PASSWORD) -> TestClient:
    response = client.post(
        "/login", data={"login": login, "password": password, "csrf_token": token(client)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    _TOKENS[client] = token(client, response.headers["location"])
    return client


def post(client: TestClient, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Response:
    """A form POST with the session's token (the one log_in read, or a fresh one for an anonymous client)."""
    csrf = _TOKENS.get(client) or token(client)
    return client.post(path, data={**(data or {}), "csrf_token": csrf}, follow_redirects=False, **kw)


def field_errors(html: str) -> dict[str, str]:
    return {name: message for name, message in _FIELD_ERROR.findall(html)}


def value_of(html: str, name: str) -> str | None:
    """What a text field of the page holds."""
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    return found.group(1) if found else None


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buf, format="PNG")
    return buf.getvalue()


def png_file(name: str = "a.png") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, png(), "image/png")}
