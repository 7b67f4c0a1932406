"""The authority's pages (/authority): verification queues and decisions, revocations, recalls, suspensions, the
province's figures with CSV export, consumers' reports, and password resets. Admins see the same pages."""

import csv
import io

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from trace import (
    batches,
    certifications,
    dashboard,
    events,
    organizations,
    products,
    reports,
    signup,
    users,
    verification,
)
from trace.access import Caller
from trace.batches import RecallIn
from trace.certifications import RevocationIn
from trace.db import vietnam_today
from trace.errors import NotFound
from trace.fields import Input
from trace.organizations import OrgStatus
from trace.products import OcopGroup
from trace.verification import RejectionIn, Subject
from web import forms
from web.console.base import ConsoleRoute, OversightCaller, Posted, act, flash, page, redirect, search_words, submit
from web.console.charts import bar_chart
from web.console.workspace import settings_of
from web.deps import Db, Id
from web.files import certificate_document
from web.forms import Form
from web.i18n import N_, gettext
from web.links import batch_url

router = APIRouter(prefix="/authority", route_class=ConsoleRoute, include_in_schema=False)
FIGURES = ("producer_accounts", "products", "ocop_by_stars", "ocop_by_commune", "scans_per_day")


@router.get("")
def overview(request: Request, db: Db, caller: OversightCaller) -> HTMLResponse:
    return page(
        request,
        "console/authority_home.html",
        producers=verification.producer_queue(db, caller),
        certs=verification.certificate_queue(db, caller),
        report_count=dashboard.open_reports(db, caller),
    )


# --- producers ------------------------------------------------------------------------------------------------------


@router.get("/producers")
def producer_list(request: Request, db: Db, caller: OversightCaller) -> HTMLResponse:
    query = search_words(request)
    return page(
        request,
        "console/authority_producers.html",
        queue=verification.producer_queue(db, caller),
        found=organizations.list_visible(db, caller, query) if query else [],
        q=query,
    )


def _producer_page(
    request: Request, db: Session, caller: Caller, org_id: int, forms_: dict[str, Form] | None = None, status: int = 200
) -> HTMLResponse:
    org = organizations.get_visible(db, caller, org_id)
    return page(
        request,
        "console/authority_producer.html",
        status_code=status,
        org=org,
        products=products.list_visible(db, caller, org.id),
        certs=certifications.list_visible(db, caller, organization_id=org.id),
        batches=batches.list_visible(db, caller, organization_id=org.id),
        reviews=verification.reviews(db, Subject.ORGANIZATION, org.id),
        people=signup.organization_users(db, caller, org.id),
        forms={"reject": Form(), "suspend": Form()} | (forms_ or {}),
        today=vietnam_today(),
    )


@router.get("/producers/{org_id}")
def producer_detail(org_id: Id, request: Request, db: Db, caller: OversightCaller) -> HTMLResponse:
    return _producer_page(request, db, caller, org_id)


@router.post("/producers/{org_id}/approve")
def approve_producer(org_id: Id, request: Request, db: Db, caller: OversightCaller) -> RedirectResponse:
    organizations.get_visible(db, caller, org_id)
    act(request, db, lambda: verification.approve_producer(db, caller, org_id), N_("Producer verified"))
    return redirect(f"/authority/producers/{org_id}")


def _with_reason(
    request: Request, db: Session, caller: Caller, org_id: int, posted: Posted, name: str, action: object
) -> Response:
    organizations.get_visible(db, caller, org_id)
    form = Form(forms.typed(posted, ("reason",)))

    def decide() -> object:
        reason = forms.validate(request, RejectionIn, form.values).reason
        return action(reason)  # type: ignore[operator]

    if submit(request, db, form, decide) is None:
        return _producer_page(request, db, caller, org_id, {name: form}, 422)
    flash(request, N_("Decision recorded"))
    return redirect(f"/authority/producers/{org_id}")


@router.post("/producers/{org_id}/reject")
def reject_producer(org_id: Id, request: Request, db: Db, caller: OversightCaller, posted: Posted) -> Response:
    return _with_reason(
        request, db, caller, org_id, posted, "reject", lambda r: verification.reject_producer(db, caller, org_id, r)
    )


@router.post("/producers/{org_id}/suspend")
def suspend_producer(org_id: Id, request: Request, db: Db, caller: OversightCaller, posted: Posted) -> Response:
    return _with_reason(
        request,
        db,
        caller,
        org_id,
        posted,
        "suspend",
        lambda r: organizations.set_status(db, caller, org_id, OrgStatus.SUSPENDED, r),
    )


@router.post("/producers/{org_id}/reinstate")
def reinstate_producer(org_id: Id, request: Request, db: Db, caller: OversightCaller) -> RedirectResponse:
    org = organizations.get_visible(db, caller, org_id)
    if org.status is OrgStatus.SUSPENDED:
        organizations.set_status(db, caller, org_id, OrgStatus.VERIFIED, None)
        flash(request, N_("Producer reinstated"))
    return redirect(f"/authority/producers/{org_id}")


# --- certificates ---------------------------------------------------------------------------------------------------


@router.get("/certifications")
def cert_queue(request: Request, db: Db, caller: OversightCaller) -> HTMLResponse:
    queue = verification.certificate_queue(db, caller)
    orgs = {o.id: o.name for o in organizations.list_visible(db, caller)} if queue else {}
    return page(request, "console/authority_certs.html", queue=queue, orgs=orgs, today=vietnam_today())


def _cert_page(
    request: Request,
    db: Session,
    caller: Caller,
    cert_id: int,
    forms_: dict[str, Form] | None = None,
    status: int = 200,
) -> HTMLResponse:
    cert = certifications.get(db, caller, cert_id)
    return page(
        request,
        "console/authority_cert.html",
        status_code=status,
        cert=cert,
        org=organizations.get_visible(db, caller, cert.organization_id),
        product=products.get(db, caller, cert.product_id) if cert.product_id else None,
        history=certifications.history(db, cert),
        reviews=verification.reviews(db, Subject.CERTIFICATION, cert.id),
        forms={"reject": Form(), "revoke": Form()} | (forms_ or {}),
        today=vietnam_today(),
    )


@router.get("/certifications/{cert_id}")
def cert_detail(cert_id: Id, request: Request, db: Db, caller: OversightCaller) -> HTMLResponse:
    return _cert_page(request, db, caller, cert_id)


@router.get("/certifications/{cert_id}/document")
def cert_document(cert_id: Id, request: Request, db: Db, caller: OversightCaller) -> FileResponse:
    cert = certifications.get(db, caller, cert_id)
    return certificate_document(settings_of(request).storage_dir, cert.document_path)


@router.post("/certifications/{cert_id}/approve")
def approve_cert(cert_id: Id, request: Request, db: Db, caller: OversightCaller) -> RedirectResponse:
    certifications.get(db, caller, cert_id)
    act(request, db, lambda: verification.approve_certificate(db, caller, cert_id), N_("Certificate verified"))
    return redirect(f"/authority/certifications/{cert_id}")


def _cert_decision(
    request: Request, db: Session, caller: Caller, cert_id: int, posted: Posted, name: str, model: type[Input]
) -> Response:
    certifications.get(db, caller, cert_id)
    form = Form(forms.typed(posted, ("reason",)))

    def decide() -> object:
        reason: str = forms.validate(request, model, form.values).reason  # type: ignore[attr-defined]
        if name == "revoke":
            return certifications.revoke(db, caller, cert_id, reason)
        return verification.reject_certificate(db, caller, cert_id, reason)

    if submit(request, db, form, decide) is None:
        return _cert_page(request, db, caller, cert_id, {name: form}, 422)
    flash(request, N_("Decision recorded"))
    return redirect(f"/authority/certifications/{cert_id}")


@router.post("/certifications/{cert_id}/reject")
def reject_cert(cert_id: Id, request: Request, db: Db, caller: OversightCaller, posted: Posted) -> Response:
    return _cert_decision(request, db, caller, cert_id, posted, "reject", RejectionIn)


@router.post("/certifications/{cert_id}/revoke")
def revoke_cert(cert_id: Id, request: Request, db: Db, caller: OversightCaller, posted: Posted) -> Response:
    return _cert_decision(request, db, caller, cert_id, posted, "revoke", RevocationIn)


# --- batches --------------------------------------------------------------------------------------------------------


@router.get("/batches")
def batch_search(request: Request, db: Db, caller: OversightCaller) -> HTMLResponse:
    query = search_words(request)
    found = dashboard.find_batches(db, caller, query) if query else []
    return page(request, "console/authority_batches.html", found=found, q=query)


def _batch_page(
    request: Request, db: Session, caller: Caller, batch_id: int, recall: Form | None = None, status: int = 200
) -> HTMLResponse:
    batch = batches.get(db, caller, batch_id)
    return page(
        request,
        "console/authority_batch.html",
        status_code=status,
        batch=batch,
        org=organizations.get_visible(db, caller, batch.organization_id),
        timeline=events.list_for_batch(db, batch.id),
        public_url=batch_url(settings_of(request).public_base_url, batch),
        recall=recall or Form(),
    )


@router.get("/batches/{batch_id}")
def batch_detail(batch_id: Id, request: Request, db: Db, caller: OversightCaller) -> HTMLResponse:
    return _batch_page(request, db, caller, batch_id)


@router.post("/batches/{batch_id}/recall")
def recall_batch(batch_id: Id, request: Request, db: Db, caller: OversightCaller, posted: Posted) -> Response:
    batches.get(db, caller, batch_id)
    form = Form(forms.typed(posted, ("reason",)))

    def recall() -> object:
        return batches.recall(db, caller, batch_id, forms.validate(request, RecallIn, form.values).reason)

    if submit(request, db, form, recall) is None:
        return _batch_page(request, db, caller, batch_id, form, 422)
    flash(request, N_("Batch recalled: the public page shows the recall"))
    return redirect(f"/authority/batches/{batch_id}")


# --- figures --------------------------------------------------------------------------------------------------------


def _figures(db: Session, caller: Caller) -> dict[str, dashboard.Figure]:
    return {
        "producer_accounts": dashboard.producer_accounts(db, caller),
        "products": dashboard.products(db, caller),
        "ocop_by_stars": dashboard.ocop_by_stars(db, caller),
        "ocop_by_commune": dashboard.ocop_by_commune(db, caller),
        "scans_per_day": dashboard.scans_per_day(db, caller, 30),
    }


@router.get("/dashboard")
def figures(request: Request, db: Db, caller: OversightCaller) -> HTMLResponse:
    shown = _figures(db, caller)
    per_day = shown["scans_per_day"]
    title = gettext(request.state.lang, "Scans per day, last 30 days")
    return page(
        request,
        "console/dashboard.html",
        figures=shown,
        chart=bar_chart(per_day.series(), title),
        scan_total=sum(n for _, n in per_day.series()),
        status_enum=OrgStatus,
        group_enum=OcopGroup,
    )


@router.get("/dashboard/{name}.csv")
def figure_csv(name: str, db: Db, caller: OversightCaller) -> Response:
    if name not in FIGURES:
        raise NotFound("Not found")
    figure = _figures(db, caller)[name]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(figure.columns)
    writer.writerows(figure.rows)
    # A byte-order mark so that Excel, which most offices open CSV files with, reads the Vietnamese correctly.
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-{vietnam_today().isoformat()}.csv"'},
    )


@router.get("/reports")
def report_list(request: Request, db: Db, caller: OversightCaller) -> HTMLResponse:
    found = reports.list_visible(db, caller, limit=300)
    orgs = {o.id: o.name for o in organizations.list_visible(db, caller)} if found else {}
    return page(request, "console/authority_reports.html", reports=found, orgs=orgs)


# --- accounts -------------------------------------------------------------------------------------------------------


@router.get("/users")
def user_list(request: Request, db: Db, caller: OversightCaller) -> HTMLResponse:
    query = search_words(request)
    people = signup.list_accounts(db, caller, query or None)
    return page(request, "console/authority_users.html", people=people, q=query)


def _password_page(
    request: Request, db: Session, caller: Caller, user_id: int, form: Form, status: int = 200
) -> HTMLResponse:
    person = signup.get_account(db, caller, user_id)
    form.values.pop("password", None)
    return page(request, "console/authority_password.html", status_code=status, person=person, form=form)


@router.get("/users/{user_id}/password")
def password_page(user_id: Id, request: Request, db: Db, caller: OversightCaller) -> HTMLResponse:
    return _password_page(request, db, caller, user_id, Form())


@router.post("/users/{user_id}/password")
def reset_password(user_id: Id, request: Request, db: Db, caller: OversightCaller, posted: Posted) -> Response:
    _password_page(request, db, caller, user_id, Form())
    password = posted.get("password")
    form = Form({"password": password if isinstance(password, str) else ""})

    def reset() -> users.User:
        return users.reset_password(db, caller, user_id, form.values["password"])

    if submit(request, db, form, reset) is None:
        return _password_page(request, db, caller, user_id, form, 422)
    flash(request, N_("Password changed: hand it to the person; their old sessions are closed"))
    return redirect("/authority/users")
