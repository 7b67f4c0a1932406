"""Problem reports from consumers: "this label looks fake", "the product was spoiled", "the information is wrong".

Anyone may send one from a public page, without an account, so sending is rate-limited per network (IP hash).
The producer concerned and the authority read them later; a report about an unregistered code concerns no
producer and only the authority sees it."""

from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints
from sqlalchemy import ForeignKey, Index, Select, String, Text, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from trace import audit
from trace.access import Caller
from trace.db import Base, UTCDateTime, enum_type, utcnow
from trace.errors import Conflict, NotFound
from trace.fields import Input
from trace.organizations import Organization, visible_orgs
from trace.text import clean_text

RATE_WINDOW = timedelta(hours=1)


class ReportKind(StrEnum):
    COUNTERFEIT = "counterfeit"
    QUALITY = "quality"
    WRONG_INFORMATION = "wrong_information"
    OTHER = "other"


class ProblemReport(Base):
    __tablename__ = "problem_reports"
    __table_args__ = (
        Index("ix_problem_reports_ip_hash_created_at", "ip_hash", "created_at"),
        Index("uq_problem_reports_form_id", "form_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The code as scanned; batch and producer are filled in when the code is registered.
    code: Mapped[str] = mapped_column(String(200))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    serial: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[ReportKind] = mapped_column(enum_type(ReportKind, 30))
    message: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(5))
    ip_hash: Mapped[str] = mapped_column(String(32))
    # The form it was sent from: a form sent twice (a second tap on a slow connection, the browser sending it again)
    # is one report. None for a report sent otherwise.
    form_id: Mapped[str | None] = mapped_column(String(32))


# The constraints come before the cleaning validator (which still runs first) so that pydantic reports
# string_too_long / string_too_short, which the web layer words as "At most N characters" / "This field is required".
ReportMessage = Annotated[
    str, StringConstraints(min_length=1, max_length=2000), BeforeValidator(partial(clean_text, multiline=True))
]
Contact = Annotated[str, StringConstraints(max_length=200), BeforeValidator(clean_text)]


class ReportIn(Input):
    kind: ReportKind
    message: ReportMessage
    contact: Contact | None = None


def submit(
    session: Session,
    data: ReportIn,
    *,
    code: str,
    lang: str,
    ip_digest: str,
    limit_per_hour: int,
    batch_id: int | None = None,
    organization_id: int | None = None,
    serial: str | None = None,
    form_id: str | None = None,
    now: datetime | None = None,
) -> ProblemReport:
    """Store a consumer's report; Conflict when this network already sent ``limit_per_hour`` in the last hour. The
    report already sent from the form ``form_id``, if any, is that report, not a second."""
    now = now or utcnow()
    sent_before = _sent_from(session, form_id)
    if sent_before is not None:
        return sent_before
    sent = session.scalar(
        select(func.count())
        .select_from(ProblemReport)
        .where(ProblemReport.ip_hash == ip_digest, ProblemReport.created_at >= now - RATE_WINDOW)
    )
    if sent is not None and sent >= limit_per_hour:
        raise Conflict("You have sent several reports in the last hour; please try again later")
    report = ProblemReport(
        **data.model_dump(),
        created_at=now,
        code=code[:200],
        batch_id=batch_id,
        organization_id=organization_id,
        serial=serial,
        lang=lang,
        ip_hash=ip_digest,
        form_id=form_id,
    )
    try:
        with session.begin_nested():  # the same form sent twice at the same moment: the other one is stored
            session.add(report)
            session.flush()
    except IntegrityError:
        sent_before = _sent_from(session, form_id)
        if sent_before is None:
            raise
        return sent_before
    audit.record(session, None, "report.submit", "problem_report", report.id, on_behalf_of=organization_id)
    return report


def _sent_from(session: Session, form_id: str | None) -> ProblemReport | None:
    if form_id is None:
        return None
    return session.scalar(select(ProblemReport).where(ProblemReport.form_id == form_id))


def _visible(caller: Caller) -> Select[tuple[ProblemReport]]:
    stmt = select(ProblemReport)
    if caller.sees_everything:
        return stmt  # the authority also sees reports about unregistered (possibly fake) codes
    return stmt.join(Organization, ProblemReport.organization_id == Organization.id).where(visible_orgs(caller))


def list_visible(
    session: Session, caller: Caller, organization_id: int | None = None, limit: int = 500
) -> list[ProblemReport]:
    """Newest first: a producer its own, a traceability point those of the producers it serves, the authority all."""
    stmt = _visible(caller)
    if organization_id is not None:
        stmt = stmt.where(ProblemReport.organization_id == organization_id)
    return list(session.scalars(stmt.order_by(ProblemReport.id.desc()).limit(limit)))


def get(session: Session, caller: Caller, report_id: int) -> ProblemReport:
    report = session.scalar(_visible(caller).where(ProblemReport.id == report_id))
    if report is None:
        raise NotFound("Report not found")
    return report
