"""Jinja2 rendering shared by every page: autoescaped, with gettext bound to the request's language."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from web.i18n import LANGUAGES, gettext

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    # Templates change only with a deploy; checking their files on every render costs the scan page a stat().
    auto_reload=False,
    lstrip_blocks=True,
)
env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


def _language(lang: str) -> dict[str, Any]:
    """What every template gets: the language and gettext bound to it."""

    def _(message: str, **params: Any) -> str:
        text = gettext(lang, message)
        return text % params if params else text

    return {
        "lang": lang, "languages": LANGUAGES, "gettext": _, "_": _,
        "ngettext": lambda s, p, n, **kw: _(s if n == 1 else p, **{"num": n, **kw}),
    }  # fmt: skip


def render(
    request: Request, name: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    html = render_text(getattr(request.state, "lang", "vi"), name, request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def render_text(lang: str, name: str, **context: Any) -> Markup:
    """A template (a page or a part of one) as safe HTML in the given language."""
    return Markup(env.get_template(name).render(**_language(lang), **context))
