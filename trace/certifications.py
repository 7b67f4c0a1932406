"""Certifications: OCOP stars, VietGAP, organic, geographical indications, marks, HACCP, ISO 22000, conformity
declarations, in-house standards, growing-area codes.

Status is derived from the dates and from revocation, never typed in. A renewal or correction creates a new
record that supersedes the old one; nothing is deleted, so the public page can show the whole history."""

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from dateutil.relativedelta import relativedelta
from pydantic import Field, model_validator
from sqlalchemy import ForeignKey, Integer, Select, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from trace import audit
from trace.access import Caller, target_org
from trace.db import Base, UTCDateTime, enum_type, utcnow, vietnam_today
from trace.errors import Conflict, Forbidden, InvalidInput, NotFound
from trace.fields import Count, Day, DbId, Input, LongText, ShortText
from trace.organizations import Organization, get_writable, visible_orgs

EXPIRING_WITHIN = timedelta(days=90)


class CertKind(StrEnum):
    OCOP = "ocop"
    VIETGAP = "vietgap"
    ORGANIC = "organic"
    GEOGRAPHICAL_INDICATION = "geographical_indication"
    COLLECTIVE_MARK = "collective_mark"
    CERTIFICATION_MARK = "certification_mark"
    HACCP = "haccp"
    ISO_22000 = "iso_22000"
    CONFORMITY_DECLARATION = "conformity_declaration"
    IN_HOUSE_STANDARD = "in_house_standard"
    GROWING_AREA_CODE = "growing_area_code"
    OTHER = "other"


# Default validity when the certificate does not print an end date. None: no expiry (e.g. geographical
# indications are protected indefinitely).
DEFAULT_VALIDITY: dict[CertKind, relativedelta | None] = {
    CertKind.OCOP: relativedelta(months=36),
    CertKind.VIETGAP: relativedelta(months=24),
    CertKind.COLLECTIVE_MARK: relativedelta(years=10),
    CertKind.CERTIFICATION_MARK: relativedelta(years=10),
    CertKind.GEOGRAPHICAL_INDICATION: None,
}
MAX_VALIDITY: dict[CertKind, relativedelta] = {
    CertKind.OCOP: relativedelta(months=36),
    CertKind.VIETGAP: relativedelta(months=24),
}


class CertStatus(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class ChangeKind(StrEnum):
    ORIGINAL = "original"
    RENEWAL = "renewal"
    CORRECTION = "correction"


class Certification(Base):
    __tablename__ = "certifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    kind: Mapped[CertKind] = mapped_column(enum_type(CertKind, 30))
    number: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date]
    valid_until: Mapped[date | None]
    ocop_stars: Mapped[int | None] = mapped_column(Integer)
    scope: Mapped[str | None] = mapped_column(Text)
    document_path: Mapped[str | None] = mapped_column(String(300))
    change_kind: Mapped[ChangeKind] = mapped_column(enum_type(ChangeKind, 20), default=ChangeKind.ORIGINAL)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("certifications.id"), unique=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    superseded_by: Mapped["Certification | None"] = relationship(
        foreign_keys=[supersedes_id],
        remote_side=[supersedes_id],
        viewonly=True,
        lazy="selectin",
        primaryjoin="Certification.id == remote(Certification.supersedes_id)",
    )

    def status(self, today: date) -> CertStatus:
        if self.revoked_at is not None:
            return CertStatus.REVOKED
        if self.superseded_by is not None:
            return CertStatus.SUPERSEDED
        if self.valid_until is not None and self.valid_until < today:
            return CertStatus.EXPIRED
        if self.valid_until is not None and self.valid_until - today <= EXPIRING_WITHIN:
            return CertStatus.EXPIRING
        return CertStatus.VALID


def status_of(cert: Certification, today: date | None = None) -> CertStatus:
    return cert.status(today or vietnam_today())


class CertificationIn(Input):
    kind: CertKind
    number: Annotated[ShortText, Field(max_length=100)]
    issuer: ShortText
    issued_on: Day
    valid_until: Day | None = None
    ocop_stars: Count | None = None
    scope: LongText = None
    product_id: DbId | None = None
    organization_id: DbId | None = None

    @model_validator(mode="after")
    def _rules(self) -> "CertificationIn":
        if self.kind is CertKind.OCOP:
            if self.ocop_stars not in (3, 4, 5):
                raise InvalidInput("OCOP stars must be 3, 4 or 5", field="ocop_stars")
            if self.product_id is None:
                raise InvalidInput("An OCOP certificate belongs to a product: give product_id", field="product_id")
        elif self.ocop_stars is not None:
            raise InvalidInput("Stars apply only to OCOP certificates", field="ocop_stars")
        if self.valid_until is None:
            default = DEFAULT_VALIDITY.get(self.kind)
            if default is not None:
                self.valid_until = self.issued_on + default
        if self.valid_until is not None and self.valid_until <= self.issued_on:
            raise InvalidInput("The end of validity must be after the issue date", field="valid_until")
        limit = MAX_VALIDITY.get(self.kind)
        if limit is not None and self.valid_until is not None and self.valid_until > self.issued_on + limit:
            raise InvalidInput(
                "This kind of certificate is valid for at most {months} months",
                field="valid_until",
                months=limit.months + 12 * limit.years,
            )
        return self


class RenewalIn(CertificationIn):
    change_kind: ChangeKind = ChangeKind.RENEWAL


class RevocationIn(Input):
    reason: ShortText


def _visible_query(caller: Caller) -> Select[tuple[Certification]]:
    return (
        select(Certification)
        .join(Organization, Certification.organization_id == Organization.id)
        .where(visible_orgs(caller))
    )


def get(session: Session, caller: Caller, cert_id: int) -> Certification:
    cert = session.scalar(_visible_query(caller).where(Certification.id == cert_id))
    if cert is None:
        raise NotFound("Certification not found")
    return cert


def get_for_write(session: Session, caller: Caller, cert_id: int) -> Certification:
    cert = get(session, caller, cert_id)
    get_writable(session, caller, cert.organization_id)
    return cert


def list_visible(
    session: Session, caller: Caller, product_id: int | None = None, organization_id: int | None = None
) -> list[Certification]:
    stmt = _visible_query(caller)
    if product_id is not None:
        stmt = stmt.where(Certification.product_id == product_id)
    if organization_id is not None:
        stmt = stmt.where(Certification.organization_id == organization_id)
    return list(session.scalars(stmt.order_by(Certification.organization_id, Certification.id).limit(1000)))


def _check_product(session: Session, organization_id: int, product_id: int | None) -> None:
    from trace.products import Product

    if product_id is None:
        return
    owner = session.scalar(select(Product.organization_id).where(Product.id == product_id))
    if owner != organization_id:
        raise NotFound("Product not found", field="product_id")


def create(session: Session, caller: Caller, data: CertificationIn) -> Certification:
    org = get_writable(session, caller, target_org(caller, data.organization_id))
    _check_product(session, org.id, data.product_id)
    cert = Certification(**data.model_dump(exclude={"organization_id"}), organization_id=org.id)
    session.add(cert)
    session.flush()
    audit.record(
        session,
        caller,
        "certification.create",
        "certification",
        cert.id,
        on_behalf_of=org.id,
        kind=cert.kind,
        number=cert.number,
    )
    return cert


def supersede(session: Session, caller: Caller, cert_id: int, data: RenewalIn) -> Certification:
    """Renew or correct: the old record stays, linked from the new one."""
    old = get_for_write(session, caller, cert_id)
    if old.superseded_by is not None:
        raise Conflict(
            "This certificate was already renewed or corrected; change the newest record", field="supersedes_id"
        )
    if old.revoked_at is not None and data.change_kind is ChangeKind.CORRECTION:
        raise Conflict("A revoked certificate cannot be corrected")
    if data.kind is not old.kind:
        raise InvalidInput("A renewal keeps the kind of certificate", field="kind")
    _check_product(session, old.organization_id, data.product_id)
    new = Certification(
        **data.model_dump(exclude={"organization_id"}), organization_id=old.organization_id, supersedes_id=old.id
    )
    session.add(new)
    session.flush()
    session.expire(old, ["superseded_by"])
    audit.record(
        session,
        caller,
        f"certification.{data.change_kind.value}",
        "certification",
        new.id,
        on_behalf_of=old.organization_id,
        supersedes=old.id,
    )
    return new


def history(session: Session, cert: Certification) -> list[Certification]:
    """The chain of records this one supersedes, newest first."""
    chain = [cert]
    while chain[-1].supersedes_id is not None:
        previous = session.get(Certification, chain[-1].supersedes_id)
        if previous is None:
            break
        chain.append(previous)
    return chain


def revoke(session: Session, caller: Caller, cert_id: int, reason: str) -> Certification:
    """Only the authority revokes; the public page reads the status on every request, so it shows at once."""
    if not caller.sees_everything:
        raise Forbidden("Only the authority can revoke a certificate")
    cert = get(session, caller, cert_id)
    if cert.revoked_at is not None:
        raise Conflict("This certificate is already revoked")
    cert.revoked_at = utcnow()
    cert.revoked_reason = reason
    audit.record(
        session,
        caller,
        "certification.revoke",
        "certification",
        cert.id,
        on_behalf_of=cert.organization_id,
        reason=reason,
    )
    return cert


def verify(session: Session, caller: Caller, cert_id: int) -> Certification:
    if not caller.sees_everything:
        raise Forbidden("Only the authority can verify a certificate")
    cert = get(session, caller, cert_id)
    cert.verified_at = utcnow()
    audit.record(session, caller, "certification.verify", "certification", cert.id, on_behalf_of=cert.organization_id)
    return cert


def attach_document(session: Session, caller: Caller, cert_id: int, path: str) -> Certification:
    cert = get_for_write(session, caller, cert_id)
    cert.document_path = path
    audit.record(session, caller, "certification.document", "certification", cert.id, on_behalf_of=cert.organization_id)
    return cert
