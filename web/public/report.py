"""The "report a problem" form of the public page: no account, so no session either.

Its CSRF protection is a double-submitted nonce: the page sets a random nonce in an HttpOnly, SameSite=Lax cookie
and puts, in a hidden field, a token signed with the service's secret (itsdangerous) that holds the nonce, the
code, the time and the form's own random id. Another site can neither read the cookie nor send it with a cross-site
POST, and a token fetched elsewhere carries a nonce that is not the reader's. The form's id makes a form sent twice
one report. Reports are rate-limited per network."""

import secrets
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer

from trace import lookup, reports
from trace.db import vietnam_today
from trace.errors import Conflict
from trace.lookup import Missing, Page
from trace.reports import ReportIn
from web import forms
from web.deps import Db
from web.i18n import N_, translate
from web.public.codes import Scanned, base, read_code
from web.public.view import ip_digest, page

router = APIRouter(include_in_schema=False)

NONCE_COOKIE = "report_nonce"
TOKEN_MAX_AGE = 2 * 24 * 3600
FIELDS = ("kind", "message", "contact")
EXPIRED = N_("This form has expired. Please open the page again and resend it.")


@dataclass
class ReportForm:
    """The form as shown: the code it is about, its token, what the reader typed and the error beside each field
    ("" for the whole form)."""

    code: str
    token: str
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def error(self, name: str) -> str:
        return self.errors.get(name, "")


def _signer(request: Request) -> URLSafeTimedSerializer:
    state = request.app.state
    signer: URLSafeTimedSerializer | None = getattr(state, "report_signer", None)
    if signer is None:
        signer = URLSafeTimedSerializer(state.settings.resolved_secret_key(), salt="public-report-form")
        state.report_signer = signer
    return signer


def _nonce(request: Request) -> str:
    """The reader's nonce; a new one is remembered for keep_nonce() to set on the response."""
    nonce = request.cookies.get(NONCE_COOKIE)
    if not nonce or len(nonce) > 64:
        nonce = getattr(request.state, "new_report_nonce", None) or secrets.token_urlsafe(16)
        request.state.new_report_nonce = nonce
    return nonce


def blank_form(request: Request, code: str) -> ReportForm:
    return ReportForm(code, _signer(request).dumps([code, _nonce(request), secrets.token_urlsafe(16)]))


def keep_nonce(request: Request, response: Response) -> Response:
    nonce = getattr(request.state, "new_report_nonce", None)
    if nonce is not None:
        response.set_cookie(
            NONCE_COOKIE, nonce, max_age=TOKEN_MAX_AGE, httponly=True, samesite="lax",
            secure=request.app.state.settings.secure_cookies,
        )  # fmt: skip
    return response


def _form_id(request: Request, code: str, token: str) -> str | None:
    """The id of the form the token was signed for, when it is this reader's, about this code and recent."""
    try:
        signed_code, nonce, form_id = _signer(request).loads(token, max_age=TOKEN_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    if signed_code != code or nonce != request.cookies.get(NONCE_COOKIE) or not isinstance(form_id, str):
        return None
    return form_id


def _not_ours(request: Request) -> HTMLResponse:
    message = translate(request.state.lang, N_("This code is not registered"))
    return page(request, "public/problem.html", 400, status=400, message=message, here="/")


def _show(
    request: Request, status: int, scanned: Scanned, found: Page | Missing | None, form: ReportForm
) -> HTMLResponse:
    """The form (blank or with its errors) under what it is about, with a fresh token."""
    form.token = blank_form(request, form.code).token
    response = page(request, "public/report.html", status, found=found, scanned=scanned, form=form, here=scanned.code)
    return keep_nonce(request, response)


@router.get("/report")
def start(request: Request, db: Db, code: Annotated[str, Query(max_length=300)] = "") -> HTMLResponse:
    """The form, opened from a product's page: the page itself sets no cookie and signs nothing (every scan
    would pay for it, and few readers report)."""
    scanned = read_code(base(request), code)
    if scanned is None:
        return _not_ours(request)
    found = lookup.find(db, scanned.key, vietnam_today()) if scanned.key is not None else None
    return _show(request, 200, scanned, found, ReportForm(scanned.code, ""))


@router.post("/report")
def submit(
    request: Request,
    db: Db,
    code: Annotated[str, Form(max_length=300)] = "",
    token: Annotated[str, Form(max_length=500)] = "",
    kind: Annotated[str, Form(max_length=50)] = "",
    message: Annotated[str, Form(max_length=10_000)] = "",
    contact: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    scanned = read_code(base(request), code)
    if scanned is None:
        return _not_ours(request)
    values = {"kind": kind, "message": message, "contact": contact}
    found = lookup.find(db, scanned.key, vietnam_today()) if scanned.key is not None else None
    form = ReportForm(code, token, values)

    def again(status: int, errors: dict[str, str]) -> HTMLResponse:
        form.errors = errors
        return _show(request, status, scanned, found, form)

    form_id = _form_id(request, code, token)
    if form_id is None:
        return again(403, {"": translate(request.state.lang, EXPIRED)})
    try:
        data = forms.validate(request, ReportIn, {k: v.strip() for k, v in values.items()})
    except forms.Invalid as invalid:
        return again(422, invalid.errors)
    target = found if isinstance(found, Page) else None
    try:
        reports.submit(
            db,
            data,
            code=scanned.code,
            lang=request.state.lang,
            ip_digest=ip_digest(request),
            limit_per_hour=request.app.state.settings.reports_per_hour,
            batch_id=target.batch.id if target is not None and target.batch is not None else None,
            organization_id=target.producer.id if target is not None else None,
            serial=target.serial if target is not None else None,
            form_id=form_id,
        )
    except Conflict as error:  # the network sent its hourly share of reports already
        return again(429, {"": translate(request.state.lang, error.message)})
    return page(request, "public/report_sent.html", 200, scanned=scanned, found=found, here=scanned.code)
