from typing import Annotated

from fastapi import APIRouter, Query

from trace import organizations
from trace.errors import Forbidden
from trace.fields import Input, OptShortText
from trace.organizations import Organization, OrganizationIn, OrganizationUpdate, OrgStatus
from web.api.common import READ, WRITE
from web.deps import CurrentCaller, Db, Id
from web.schemas import OrganizationOut

router = APIRouter(prefix="/organizations", tags=["producers"])


class RegistrationIn(OrganizationIn):
    consent_note: OptShortText = None


class StatusIn(Input):
    reason: OptShortText = None


@router.post("", response_model=OrganizationOut, status_code=201, responses=WRITE)
def register(data: RegistrationIn, caller: CurrentCaller, db: Db) -> Organization:
    """Register a producer: an admin, or a traceability point on the producer's behalf (with its consent)."""
    if caller.is_producer:
        raise Forbidden("Your role does not allow this action")
    return organizations.register(
        db, caller, OrganizationIn(**data.model_dump(exclude={"consent_note"})), consent_note=data.consent_note
    )


@router.get("", response_model=list[OrganizationOut], responses=READ)
def list_organizations(
    caller: CurrentCaller, db: Db, q: Annotated[str | None, Query(max_length=100)] = None
) -> list[Organization]:
    return organizations.list_visible(db, caller, q)


@router.get("/{organization_id}", response_model=OrganizationOut, responses=READ)
def get_organization(organization_id: Id, caller: CurrentCaller, db: Db) -> Organization:
    return organizations.get_visible(db, caller, organization_id)


@router.put("/{organization_id}", response_model=OrganizationOut, responses=WRITE)
def update_organization(organization_id: Id, data: OrganizationUpdate, caller: CurrentCaller, db: Db) -> Organization:
    return organizations.update(db, caller, organization_id, data)


@router.post("/{organization_id}/verify", response_model=OrganizationOut, responses=WRITE)
def verify(organization_id: Id, caller: CurrentCaller, db: Db) -> Organization:
    return organizations.set_status(db, caller, organization_id, OrgStatus.VERIFIED, None)


@router.post("/{organization_id}/suspend", response_model=OrganizationOut, responses=WRITE)
def suspend(organization_id: Id, data: StatusIn, caller: CurrentCaller, db: Db) -> Organization:
    return organizations.set_status(db, caller, organization_id, OrgStatus.SUSPENDED, data.reason)
