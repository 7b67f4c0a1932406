"""The producer's console (/console): its workspace, and the owner's page for the people who work in it."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from trace import organizations, signup, users
from trace.access import Role
from web import forms
from web.console.base import ConsoleRoute, OwnerCaller, Posted, flash, page, redirect, submit
from web.console.workspace import producer_workspace, workspace_router
from web.deps import Db
from web.forms import Form
from web.i18n import N_

workspace = workspace_router("/console", producer_workspace)
router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
STAFF_FIELDS = ("login", "display_name", "password")


def _staff_page(request: Request, db: Db, caller: OwnerCaller, form: Form, status: int = 200) -> HTMLResponse:
    assert caller.organization_id is not None
    org = organizations.get_visible(db, caller, caller.organization_id)
    people = signup.organization_users(db, caller, org.id)
    form.values.pop("password", None)
    return page(request, "console/staff.html", status_code=status, org=org, people=people, form=form)


@router.get("/staff")
def staff(request: Request, db: Db, caller: OwnerCaller) -> HTMLResponse:
    return _staff_page(request, db, caller, Form())


@router.post("/staff")
def add_staff(request: Request, db: Db, caller: OwnerCaller, posted: Posted) -> Response:
    form = Form(forms.typed(posted, ("login", "display_name")))
    password = posted.get("password")
    form.values["password"] = password if isinstance(password, str) else ""

    def create() -> users.User:
        data = forms.validate(request, users.UserIn, form.values, role=Role.PRODUCER_STAFF.value)
        return users.create_user(db, caller, data)

    if submit(request, db, form, create) is None:
        return _staff_page(request, db, caller, form, 422)
    flash(request, N_("Account created: give the login and password to your colleague"))
    return redirect("/console/staff")
