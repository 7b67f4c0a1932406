"""Community traceability points (/points): the operator registers producers of the communes the point serves,
with their consent, works in their workspaces on their behalf, and sees everything the point did and printed."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from trace import dashboard, labelruns, organizations, points
from trace.access import Caller
from trace.fields import OptShortText
from trace.organizations import Organization, OrganizationIn, OrgKind
from web import forms
from web.console.base import ConsoleRoute, OperatorCaller, Posted, flash, page, redirect, search_words, submit
from web.console.record_pages import ORG_FIELDS
from web.console.workspace import point_workspace, workspace_router
from web.deps import Db
from web.forms import Form
from web.i18n import N_

workspace = workspace_router("/points/producers/{org_id}", point_workspace)
router = APIRouter(prefix="/points", route_class=ConsoleRoute, include_in_schema=False)


class OnBehalfRegistrationIn(OrganizationIn):
    consent_note: OptShortText = None


def _point(db: Session, caller: Caller) -> points.TracePoint | None:
    return points.get_trace_point(db, caller.trace_point_id) if caller.trace_point_id else None


@router.get("")
def point_home(request: Request, db: Db, caller: OperatorCaller) -> HTMLResponse:
    query = search_words(request)
    return page(
        request,
        "console/point_home.html",
        point=_point(db, caller),
        producers=organizations.list_visible(db, caller, query or None),
        q=query,
    )


def _register_page(request: Request, db: Session, caller: Caller, form: Form, status: int = 200) -> HTMLResponse:
    return page(
        request,
        "console/point_register.html",
        status_code=status,
        point=_point(db, caller),
        form=form,
        kinds=list(OrgKind),
    )


@router.get("/register")
def register_page(request: Request, db: Db, caller: OperatorCaller) -> HTMLResponse:
    point = _point(db, caller)
    values = {"kind": OrgKind.HOUSEHOLD.value}
    if point is not None:
        values |= {"commune": point.commune, "province": point.province}
    return _register_page(request, db, caller, Form(values))


@router.post("/register")
def register_producer(request: Request, db: Db, caller: OperatorCaller, posted: Posted) -> Response:
    form = Form(forms.typed(posted, (*ORG_FIELDS, "consent_note")))

    def register() -> Organization:
        data = forms.validate(request, OnBehalfRegistrationIn, form.values)
        details = OrganizationIn(**data.model_dump(exclude={"consent_note"}))
        return organizations.register(db, caller, details, consent_note=data.consent_note)

    org = submit(request, db, form, register)
    if org is None:
        return _register_page(request, db, caller, form, 422)
    flash(request, N_("Producer registered; it waits for the authority's verification"))
    return redirect(f"/points/producers/{org.id}")


@router.get("/history")
def history(request: Request, db: Db, caller: OperatorCaller) -> HTMLResponse:
    runs = labelruns.list_visible(db, caller, trace_point_id=caller.trace_point_id)
    names = {o.id: o.name for o in organizations.list_visible(db, caller)}
    return page(
        request,
        "console/point_history.html",
        point=_point(db, caller),
        runs=runs,
        names=names,
        entries=dashboard.point_history(db, caller),
    )
