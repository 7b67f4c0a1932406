"""Languages: Vietnamese first, English, and simplified Chinese (Cao Bằng trades with Guangxi).

Message ids are English; catalogs are gettext .po files in web/locale, read with Babel at start-up."""

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.core import UnknownLocaleError
from babel.messages.pofile import read_po
from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LANGUAGES = ("vi", "en", "zh")
DEFAULT = "vi"
LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Marks a message id for extraction where it is defined (in a table), translated later where shown."""
    return message


@lru_cache
def catalog(lang: str) -> dict[str, str]:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        po = read_po(fh, locale=lang)
    return {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}


def gettext(lang: str, message: str) -> str:
    return catalog(lang).get(message, message)


def translate(lang: str, message: str, params: dict[str, Any] | None = None) -> str:
    text = gettext(lang, message)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def negotiate(query_lang: str | None, cookie_lang: str | None, accept_language: str | None) -> str:
    """An explicit choice (?lang=, then the cookie set by the language switch) beats the browser's header."""
    for choice in (query_lang, cookie_lang):
        if choice in LANGUAGES:
            return choice
    if accept_language:
        wanted = []
        for part in accept_language.split(",")[:10]:
            tag, _, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                continue
            wanted.append((weight, tag.strip().replace("-", "_")))
        for _, tag in sorted(wanted, key=lambda w: -w[0]):
            try:
                lang = Locale.parse(tag).language if tag and tag != "*" else None
            except (ValueError, UnknownLocaleError):
                continue
            if lang in LANGUAGES:
                return lang
    return DEFAULT


class LanguageMiddleware:
    """Sets request.state.lang and the Content-Language header. Plain ASGI rather than @app.middleware("http"):
    that wrapper costs a task and a stream per request, measurable on the scan page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        query = scope.get("query_string", b"")
        lang = negotiate(
            QueryParams(query).get("lang") if query else None,
            cookie_parser(headers.get("cookie", "")).get("lang"),
            headers.get("accept-language"),
        )
        scope.setdefault("state", {})["lang"] = lang

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                if "content-language" not in response_headers:
                    response_headers["Content-Language"] = lang
            await send(message)

        await self.app(scope, receive, send_with_language)
