"""The authority's verification work: queues of producers and certificates waiting, and its decisions.

A decision is a row of its own (never an overwrite), so a producer sees why it was rejected, can fix its record
and ask again, and the history of who decided what stays. Approval itself still goes through the concept's own
rule (organizations.set_status, certifications.verify), which keeps one source of truth for "verified"."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Select, String, exists, or_, select
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from trace import audit, certifications, organizations
from trace.access import Caller
from trace.certifications import Certification
from trace.db import Base, UTCDateTime, enum_type, utcnow
from trace.errors import Conflict, Forbidden
from trace.fields import Input, ShortText
from trace.organizations import Organization, OrgStatus


class Subject(StrEnum):
    ORGANIZATION = "organization"
    CERTIFICATION = "certification"


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    RESUBMITTED = "resubmitted"


class Review(Base):
    __tablename__ = "verification_reviews"
    __table_args__ = (Index("ix_verification_reviews_subject", "subject", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[Subject] = mapped_column(enum_type(Subject, 20))
    subject_id: Mapped[int]
    decision: Mapped[Decision] = mapped_column(enum_type(Decision, 20))
    reason: Mapped[str | None] = mapped_column(String(500))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RejectionIn(Input):
    reason: ShortText


def _require_oversight(caller: Caller) -> None:
    if not caller.sees_everything:
        raise Forbidden("Only the authority can verify")


def _latest_decision(subject: Subject, subject_id: object) -> object:
    return (
        select(Review.decision)
        .where(Review.subject == subject, Review.subject_id == subject_id)
        .order_by(Review.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def latest(session: Session, subject: Subject, subject_id: int) -> Review | None:
    return session.scalar(
        select(Review).where(Review.subject == subject, Review.subject_id == subject_id).order_by(Review.id.desc())
    )


def reviews(session: Session, subject: Subject, subject_id: int) -> list[Review]:
    return list(
        session.scalars(
            select(Review).where(Review.subject == subject, Review.subject_id == subject_id).order_by(Review.id)
        )
    )


def is_rejected(session: Session, subject: Subject, subject_id: int) -> bool:
    review = latest(session, subject, subject_id)
    return review is not None and review.decision is Decision.REJECTED


def producer_queue_query() -> Select[tuple[Organization]]:
    latest_decision = _latest_decision(Subject.ORGANIZATION, Organization.id)
    return (
        select(Organization)
        .where(Organization.status == OrgStatus.PENDING)
        .where(or_(latest_decision.is_(None), latest_decision != Decision.REJECTED))  # type: ignore[attr-defined]
        .order_by(Organization.created_at, Organization.id)
    )


def producer_queue(session: Session, caller: Caller) -> list[Organization]:
    _require_oversight(caller)
    return list(session.scalars(producer_queue_query().limit(500)))


def certificate_queue_query() -> Select[tuple[Certification]]:
    newer = aliased(Certification)
    latest_decision = _latest_decision(Subject.CERTIFICATION, Certification.id)
    return (
        select(Certification)
        .join(Organization, Certification.organization_id == Organization.id)
        .where(
            Certification.verified_at.is_(None),
            Certification.revoked_at.is_(None),
            Organization.status != OrgStatus.SUSPENDED,
            ~exists().where(newer.supersedes_id == Certification.id),
            or_(latest_decision.is_(None), latest_decision != Decision.REJECTED),  # type: ignore[attr-defined]
        )
        .order_by(Certification.created_at, Certification.id)
    )


def certificate_queue(session: Session, caller: Caller) -> list[Certification]:
    _require_oversight(caller)
    return list(session.scalars(certificate_queue_query().limit(500)))


def _decide(
    session: Session, caller: Caller, subject: Subject, subject_id: int, decision: Decision, reason: str | None
) -> Review:
    review = Review(subject=subject, subject_id=subject_id, decision=decision, reason=reason, user_id=caller.user_id)
    session.add(review)
    session.flush()
    return review


def approve_producer(session: Session, caller: Caller, organization_id: int) -> Organization:
    _require_oversight(caller)
    org = organizations.get_visible(session, caller, organization_id)
    if org.status is not OrgStatus.PENDING:
        raise Conflict("Only a producer waiting for verification can be approved")
    org = organizations.set_status(session, caller, organization_id, OrgStatus.VERIFIED, None)
    _decide(session, caller, Subject.ORGANIZATION, org.id, Decision.APPROVED, None)
    return org


def reject_producer(session: Session, caller: Caller, organization_id: int, reason: str) -> Organization:
    """The producer stays pending with the reason shown to it; it corrects its details and asks again."""
    _require_oversight(caller)
    org = organizations.get_visible(session, caller, organization_id)
    if org.status is not OrgStatus.PENDING:
        raise Conflict("Only a producer waiting for verification can be rejected")
    _decide(session, caller, Subject.ORGANIZATION, org.id, Decision.REJECTED, reason)
    audit.record(session, caller, "organization.reject", "organization", org.id, on_behalf_of=org.id, reason=reason)
    return org


def approve_certificate(session: Session, caller: Caller, cert_id: int) -> Certification:
    _require_oversight(caller)
    cert = certifications.get(session, caller, cert_id)
    if cert.revoked_at is not None:
        raise Conflict("This certificate is already revoked")
    cert = certifications.verify(session, caller, cert_id)
    _decide(session, caller, Subject.CERTIFICATION, cert.id, Decision.APPROVED, None)
    return cert


def reject_certificate(session: Session, caller: Caller, cert_id: int, reason: str) -> Certification:
    """Refusing to verify is not revoking: the certificate was never confirmed. The producer corrects it
    (a correction is a new record) or attaches a better document and asks again."""
    _require_oversight(caller)
    cert = certifications.get(session, caller, cert_id)
    if cert.verified_at is not None or cert.revoked_at is not None:
        raise Conflict("Only a certificate waiting for verification can be rejected")
    _decide(session, caller, Subject.CERTIFICATION, cert.id, Decision.REJECTED, reason)
    audit.record(
        session,
        caller,
        "certification.reject",
        "certification",
        cert.id,
        on_behalf_of=cert.organization_id,
        reason=reason,
    )
    return cert


def resubmit_producer(session: Session, caller: Caller, organization_id: int) -> Organization:
    org = organizations.get_writable(session, caller, organization_id)
    if not is_rejected(session, Subject.ORGANIZATION, org.id):
        raise Conflict("Only a rejected request can be sent again")
    _decide(session, caller, Subject.ORGANIZATION, org.id, Decision.RESUBMITTED, None)
    audit.record(session, caller, "organization.resubmit", "organization", org.id, on_behalf_of=org.id)
    return org


def resubmit_certificate(session: Session, caller: Caller, cert_id: int) -> Certification:
    cert = certifications.get_for_write(session, caller, cert_id)
    if not is_rejected(session, Subject.CERTIFICATION, cert.id):
        raise Conflict("Only a rejected request can be sent again")
    _decide(session, caller, Subject.CERTIFICATION, cert.id, Decision.RESUBMITTED, None)
    audit.record(session, caller, "certification.resubmit", "certification", cert.id, on_behalf_of=cert.organization_id)
    return cert
