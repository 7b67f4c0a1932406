"""Producers (tổ chức, HTX, tổ hợp tác, hộ kinh doanh): registration, verification and who may see whom."""

import re
from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import ColumnElement, Float, ForeignKey, String, and_, exists, false, select, true
from sqlalchemy.orm import Mapped, Session, mapped_column

from trace import audit
from trace.access import Caller, Role
from trace.db import Base, UTCDateTime, enum_type, utcnow
from trace.errors import Conflict, Forbidden, InvalidInput, NotFound
from trace.fields import Code, Gln, Input, Latitude, Longitude, OptShortText, ShortText, invalid
from trace.points import TracePointCommune
from trace.text import fold, sort_key


class OrgKind(StrEnum):
    COMPANY = "company"
    COOPERATIVE = "cooperative"
    COOPERATIVE_GROUP = "cooperative_group"
    HOUSEHOLD = "household_business"


class OrgStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    SUSPENDED = "suspended"


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(enum_type(OrgKind, 30))
    name: Mapped[str] = mapped_column(String(200))
    name_search: Mapped[str] = mapped_column(String(200), index=True)
    tax_code: Mapped[str | None] = mapped_column(String(14), unique=True)
    address: Mapped[str] = mapped_column(String(300))
    commune: Mapped[str] = mapped_column(String(200), index=True)
    province: Mapped[str] = mapped_column(String(200))
    former_district: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))
    gs1_company_prefix: Mapped[str | None] = mapped_column(String(12))
    gln: Mapped[str | None] = mapped_column(String(13))
    status: Mapped[OrgStatus] = mapped_column(enum_type(OrgStatus, 20), default=OrgStatus.PENDING)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_by_point_id: Mapped[int | None] = mapped_column(ForeignKey("trace_points.id"))
    consent_note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


_TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$|^\d{12}$")
_PHONE = re.compile(r"^\+?[0-9 .-]{8,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class OrganizationIn(Input):
    kind: OrgKind
    name: ShortText
    tax_code: Code = None
    address: ShortText
    commune: ShortText
    province: ShortText
    former_district: OptShortText = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    phone: Code = None
    email: OptShortText = None
    gs1_company_prefix: Code = None
    gln: Gln = None

    @field_validator("tax_code")
    @classmethod
    def _tax_code(cls, v: str | None) -> str | None:
        # MST: 10 digits (enterprise), 10+3 (branch) or a 12-digit personal ID used by household businesses.
        if v and not (v.isascii() and _TAX_CODE.match(v)):
            raise invalid("tax_code", "Tax code must have 10 digits, 10-3 digits for a branch, or 12 digits")
        return v or None

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v and not (v.isascii() and _PHONE.match(v)):
            raise invalid("phone", "Phone number is not valid")
        return v or None

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v and not _EMAIL.match(v):
            raise invalid("email", "Email address is not valid")
        return v.lower() if v else None

    @field_validator("gs1_company_prefix")
    @classmethod
    def _prefix(cls, v: str | None) -> str | None:
        if v and not (v.isascii() and v.isdigit() and 6 <= len(v) <= 12):
            raise invalid("gs1_prefix", "A GS1 company prefix has 6 to 12 digits")
        return v or None


class OrganizationUpdate(OrganizationIn):
    pass


def visible_orgs(caller: Caller) -> ColumnElement[bool]:
    """SQL condition on Organization: the producers this caller may read. Every query on producer data
    goes through it, so a producer never sees another's records and a point sees only its communes."""
    if caller.sees_everything:
        return true()
    if caller.is_producer and caller.organization_id is not None:
        return Organization.id == caller.organization_id
    if caller.role is Role.POINT_OPERATOR and caller.trace_point_id is not None:
        return exists().where(
            and_(
                TracePointCommune.trace_point_id == caller.trace_point_id,
                TracePointCommune.commune == Organization.commune,
                TracePointCommune.province == Organization.province,
            )
        )
    return false()


def get_visible(session: Session, caller: Caller, organization_id: int) -> Organization:
    org = session.scalar(select(Organization).where(Organization.id == organization_id, visible_orgs(caller)))
    if org is None:
        raise NotFound("Producer not found", field="organization_id")
    return org


def get_writable(session: Session, caller: Caller, organization_id: int) -> Organization:
    """Producers write their own records, traceability points those of producers they serve, admins any.
    The authority reads everything but acts only through its own operations (verify, revoke, recall)."""
    org = get_visible(session, caller, organization_id)
    if caller.role is Role.AUTHORITY:
        raise Forbidden("The authority cannot edit a producer's records")
    if org.status is OrgStatus.SUSPENDED and caller.role is not Role.ADMIN:
        raise Forbidden("This producer is suspended")
    return org


def list_visible(session: Session, caller: Caller, query: str | None = None) -> list[Organization]:
    stmt = select(Organization).where(visible_orgs(caller))
    if query:
        stmt = stmt.where(Organization.name_search.contains(fold(query), autoescape=True))
    rows = session.scalars(stmt.order_by(Organization.name_search, Organization.id).limit(500))
    return sorted(rows, key=lambda o: sort_key(o.name))


def _check_unique_tax_code(session: Session, tax_code: str | None, except_id: int | None = None) -> None:
    if tax_code is None:
        return
    clash = session.scalar(select(Organization.id).where(Organization.tax_code == tax_code))
    if clash is not None and clash != except_id:
        raise Conflict("A producer with this tax code is already registered", field="tax_code")


def register(
    session: Session, caller: Caller | None, data: OrganizationIn, consent_note: str | None = None
) -> Organization:
    """A new producer starts pending; only the authority verifies it. A traceability point registering on a
    producer's behalf must record the producer's consent, and may only do so in the communes it serves."""
    _check_unique_tax_code(session, data.tax_code)
    point_id = None
    if caller is not None and caller.role is Role.POINT_OPERATOR:
        if not consent_note:
            raise InvalidInput("Record how the producer gave consent", field="consent_note")
        served = session.scalar(
            select(TracePointCommune.id).where(
                TracePointCommune.trace_point_id == caller.trace_point_id,
                TracePointCommune.commune == data.commune,
                TracePointCommune.province == data.province,
            )
        )
        if served is None:
            raise InvalidInput("This traceability point does not serve that commune", field="commune")
        point_id = caller.trace_point_id
    org = Organization(
        **data.model_dump(),
        name_search=fold(data.name),
        status=OrgStatus.PENDING,
        registered_by_point_id=point_id,
        consent_note=consent_note,
    )
    session.add(org)
    session.flush()
    audit.record(session, caller, "organization.register", "organization", org.id, on_behalf_of=org.id)
    return org


def update(session: Session, caller: Caller, organization_id: int, data: OrganizationUpdate) -> Organization:
    org = get_writable(session, caller, organization_id)
    _check_unique_tax_code(session, data.tax_code, except_id=org.id)
    changes = {k: v for k, v in data.model_dump().items() if getattr(org, k) != v}
    for key, value in changes.items():
        setattr(org, key, value)
    org.name_search = fold(org.name)
    audit.record(
        session, caller, "organization.update", "organization", org.id, on_behalf_of=org.id, changed=sorted(changes)
    )
    return org


def set_status(
    session: Session, caller: Caller, organization_id: int, status: OrgStatus, reason: str | None
) -> Organization:
    """The authority verifies, suspends or reinstates a producer."""
    if not caller.sees_everything:
        raise Forbidden("Only the authority can change a producer's status")
    org = get_visible(session, caller, organization_id)
    if status is OrgStatus.SUSPENDED and not reason:
        raise InvalidInput("Give a reason", field="reason")
    org.status = status
    org.status_reason = reason
    if status is OrgStatus.VERIFIED:
        org.verified_at = utcnow()
    audit.record(
        session, caller, f"organization.{status.value}", "organization", org.id, on_behalf_of=org.id, reason=reason
    )
    return org
