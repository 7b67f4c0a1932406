"""What every console page shares: the route class that turns domain errors into pages (log in, 403, 404) and
checks the CSRF token of every POST, the role-checking dependencies, rendering with the layout's context, flash
messages and redirects."""

import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from trace import users
from trace.access import OVERSIGHT_ROLES, PRODUCER_ROLES, Caller, Role
from trace.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, Unauthenticated
from trace.text import nfc
from web import csrf
from web.console.names import helpers
from web.deps import Db
from web.errors import request_lang
from web.forms import Form, Invalid, errors_of
from web.i18n import LANGUAGES, translate
from web.templating import render

T = TypeVar("T")

HOME = {
    Role.PRODUCER_OWNER: "/console",
    Role.PRODUCER_STAFF: "/console",
    Role.POINT_OPERATOR: "/points",
    Role.AUTHORITY: "/authority",
    Role.ADMIN: "/authority",
}


class ConsoleRoute(APIRoute):
    """Pages answer in HTML: not logged in → the login page; wrong role → a 403 page; not yours or absent → 404.
    Every POST must carry the session's CSRF token before its handler runs."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                if request.method == "POST":
                    await csrf.check(request)
                response = await handler(request)
            except Unauthenticated:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            except RequestValidationError:
                # Only path parameters are declared on console routes: an id that cannot exist.
                response = error_page(request, 404, translate(request_lang(request), "Not found"))
            except DomainError as exc:
                status = 403 if isinstance(exc, Forbidden) else 404 if isinstance(exc, NotFound) else 409
                response = error_page(request, status, translate(request_lang(request), exc.message, exc.params))
            response.headers.setdefault("Cache-Control", "no-store")
            chosen = request.query_params.get("lang")
            if chosen in LANGUAGES:
                response.set_cookie("lang", chosen, max_age=365 * 86400, samesite="lax", httponly=True)
            return response

        return page_handler


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return page(request, "console/error.html", status=status, status_code=status, message=message)


def _session_caller(request: Request, db: Session) -> Caller | None:
    uid, version = request.session.get("uid"), request.session.get("sv")
    if not (isinstance(uid, int) and isinstance(version, int)):
        return None
    user = db.get(users.User, uid)
    if user is None or not user.is_active or user.session_version != version:
        request.session.pop("uid", None)
        request.session.pop("sv", None)
        return None
    return users.caller_for(user)


def optional_caller(request: Request, db: Db) -> Caller | None:
    caller = _session_caller(request, db)
    request.state.caller = caller
    return caller


def _requires(roles: Iterable[Role]) -> Callable[[Request, Session], Caller]:
    allowed = frozenset(roles)

    def dependency(request: Request, db: Db) -> Caller:
        caller = optional_caller(request, db)
        if caller is None:
            raise Unauthenticated("Please log in")
        if caller.role not in allowed:
            raise Forbidden("Your role does not allow this page")
        return caller

    return dependency


AnyCaller = Annotated[Caller, Depends(_requires(Role))]
ProducerCaller = Annotated[Caller, Depends(_requires(PRODUCER_ROLES))]
OwnerCaller = Annotated[Caller, Depends(_requires({Role.PRODUCER_OWNER}))]
OperatorCaller = Annotated[Caller, Depends(_requires({Role.POINT_OPERATOR}))]
OversightCaller = Annotated[Caller, Depends(_requires(OVERSIGHT_ROLES))]


def flash(request: Request, message: str, kind: str = "ok", **params: Any) -> None:
    """A message shown once on the next page (after a redirect), already in the user's language."""
    text = translate(request_lang(request), message, params)
    request.session.setdefault("flash", []).append([kind, text])


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    flashes = request.session.pop("flash", []) if "flash" in request.session else []
    return render(
        request,
        name,
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
        caller=getattr(request.state, "caller", None),
        csrf_token=csrf.token(request),
        flashes=flashes,
        home=HOME,
        **helpers(request_lang(request)),
        **context,
    )


async def _posted(request: Request) -> FormData:
    return await request.form()


Posted = Annotated[FormData, Depends(_posted)]


def submit(request: Request, db: Session, form: Form, action: Callable[[], T]) -> T | None:
    """Run a form's action; on bad input roll back whatever it wrote, put each message beside its field and
    return None so the page is shown again with what the user typed."""
    try:
        return action()
    except Invalid as exc:
        form.errors.update(exc.errors)
    except (ValidationError, InvalidInput, Conflict) as exc:
        form.errors.update(errors_of(request, exc))
    except (NotFound, Forbidden) as exc:
        if exc.field is None:
            raise
        form.errors.update(errors_of(request, exc))
    db.rollback()
    return None


def act(request: Request, db: Session, action: Callable[[], object], done: str) -> bool:
    """A button's action (publish, verify, ...): a refusal becomes a message on the page it came from."""
    try:
        action()
    except (InvalidInput, Conflict, Forbidden) as exc:
        db.rollback()
        flash(request, exc.message, "error", **exc.params)
        return False
    flash(request, done)
    return True


def search_words(request: Request) -> str:
    """The ?q= of a search box as safe text: NFC, at most 100 characters, no control characters (PostgreSQL
    refuses a NUL in a query parameter)."""
    raw = nfc(request.query_params.get("q", ""))[:100]
    return "".join(ch for ch in raw if unicodedata.category(ch) != "Cc").strip()
