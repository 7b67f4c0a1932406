"""Logging in and out, and a producer's sign-up. The failure count behind the lockout is committed even when the
password is wrong (trace.users.authenticate counts, the request would otherwise roll it back)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from trace import signup
from trace.errors import Unauthenticated
from trace.organizations import OrgKind
from trace.users import User, authenticate
from web import csrf, forms
from web.console.base import HOME, AnyCaller, ConsoleRoute, Posted, flash, optional_caller, page, redirect, submit
from web.console.record_pages import ORG_FIELDS
from web.deps import Db
from web.errors import request_lang
from web.forms import Form
from web.i18n import N_, translate

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
SIGNUP_FIELDS = (*ORG_FIELDS, "login", "display_name", "password", "password_again")
_SECRET_FIELDS = ("password", "password_again")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never "//elsewhere" or a full URL (an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _log_in(request: Request, user_id: int, session_version: int) -> None:
    request.session.clear()
    request.session.update({"uid": user_id, "sv": session_version})
    csrf.rotate(request)


@router.get("/login")
def login_page(request: Request, db: Db) -> Response:
    caller = optional_caller(request, db)
    if caller is not None:
        return redirect(HOME[caller.role])
    return page(request, "console/login.html", form=Form({"next": request.query_params.get("next", "")}))


@router.post("/login")
def login(request: Request, db: Db, posted: Posted) -> Response:
    form = Form(forms.typed(posted, ("login", "next")))
    password = posted.get("password")
    try:
        user = authenticate(db, form.get("login"), password if isinstance(password, str) else "")
    except Unauthenticated as exc:
        db.commit()  # keep the failure count that drives the lockout
        form.errors[""] = translate(request_lang(request), exc.message, exc.params)
        return page(request, "console/login.html", status_code=401, form=form)
    _log_in(request, user.id, user.session_version)
    return redirect(_safe_next(form.get("next")) or HOME[user.role])


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    csrf.rotate(request)
    return redirect("/login")


@router.get("/home")
def home(caller: AnyCaller) -> RedirectResponse:
    return redirect(HOME[caller.role])


def _signup_page(request: Request, form: Form, status: int = 200) -> HTMLResponse:
    for name in _SECRET_FIELDS:  # a password is never sent back to the browser
        form.values.pop(name, None)
    return page(request, "console/signup.html", status_code=status, form=form, kinds=list(OrgKind))


@router.get("/signup")
def signup_page(request: Request) -> HTMLResponse:
    return _signup_page(request, Form({"province": "Cao Bằng", "kind": OrgKind.COOPERATIVE.value}))


@router.post("/signup")
def sign_up(request: Request, db: Db, posted: Posted) -> Response:
    form = Form(forms.typed(posted, SIGNUP_FIELDS))
    # Passwords are kept as typed: spaces may be part of one.
    for name in _SECRET_FIELDS:
        value = posted.get(name)
        form.values[name] = value if isinstance(value, str) else ""

    def register() -> tuple[object, User]:
        return signup.sign_up(db, forms.validate(request, signup.SignupIn, form.values))

    result = submit(request, db, form, register)
    if result is None:
        return _signup_page(request, form, 422)
    _, owner = result
    _log_in(request, owner.id, owner.session_version)
    flash(request, N_("Welcome! Your producer is registered and waits for the authority's verification."))
    return redirect("/console")
