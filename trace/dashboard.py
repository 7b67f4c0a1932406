"""The figures the province reports, and the scan counts a producer sees: producer accounts, products, OCOP
products by stars and by commune, scans per day. Each figure is a small table (columns and rows of plain values),
so the same data feeds the page, the SVG chart and the CSV export."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Date, cast, distinct, func, literal_column, or_, select, true
from sqlalchemy.orm import Session

from trace.access import Caller
from trace.audit import AuditEntry
from trace.batches import Batch
from trace.certifications import Certification, CertKind
from trace.db import VIETNAM_TIME, vietnam_today
from trace.errors import Forbidden
from trace.labelruns import LabelSerial, parse_short_code
from trace.organizations import Organization, OrgStatus, visible_orgs
from trace.products import Product
from trace.reports import ProblemReport
from trace.scans import DeviceClass, Scan
from trace.text import fold
from trace.users import User

# Figures are counted by the day as people in the province live it, not by the UTC day.
MAX_DAYS = 366


@dataclass(frozen=True)
class Figure:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[str | int, ...]]

    def series(self) -> list[tuple[str, int]]:
        """A two-column figure as (label, count) pairs, for a chart."""
        return [(str(row[0]), int(row[1])) for row in self.rows]


def _require_oversight(caller: Caller) -> None:
    if not caller.sees_everything:
        raise Forbidden("Only the authority sees the province's figures")


def producer_accounts(session: Session, caller: Caller) -> Figure:
    """Producers by status, and how many of them have at least one account to log in with."""
    _require_oversight(caller)
    with_account = (
        select(func.count(distinct(User.organization_id)))
        .where(User.organization_id == Organization.id, User.is_active.is_(True))
        .correlate(Organization)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Organization.status, func.count(), func.count().filter(with_account > 0)).group_by(Organization.status)
    ).all()
    found = {OrgStatus(status): (count, accounts) for status, count, accounts in rows}
    table = [(s.value, *found.get(s, (0, 0))) for s in OrgStatus]
    total = (sum(r[1] for r in table), sum(r[2] for r in table))
    return Figure("producer_accounts", ("status", "producers", "with_account"), [*table, ("total", *total)])


def products(session: Session, caller: Caller) -> Figure:
    """Products by OCOP group (empty group: not an OCOP product group given)."""
    _require_oversight(caller)
    rows = session.execute(select(Product.ocop_group, func.count()).group_by(Product.ocop_group)).all()
    table = sorted(((g.value if g else "", n) for g, n in rows), key=lambda r: (r[0] == "", r[0]))
    return Figure("products", ("ocop_group", "products"), [*table, ("total", sum(n for _, n in table))])


def _current_ocop(today: date) -> ColumnElement[bool]:
    newer = select(Certification.id).where(Certification.supersedes_id == literal_column("certifications.id"))
    return (
        (Certification.kind == CertKind.OCOP)
        & Certification.revoked_at.is_(None)
        & (Certification.issued_on <= today)
        & (Certification.valid_until.is_(None) | (Certification.valid_until >= today))
        & Certification.product_id.is_not(None)
        & ~newer.exists()
    )


def _stars_per_product(today: date):  # type: ignore[no-untyped-def]
    """One row per product holding a current OCOP certificate, with its highest stars."""
    return (
        select(Certification.product_id, func.max(Certification.ocop_stars).label("stars"))
        .where(_current_ocop(today))
        .group_by(Certification.product_id)
        .subquery()
    )


def ocop_by_stars(session: Session, caller: Caller, today: date | None = None) -> Figure:
    _require_oversight(caller)
    per_product = _stars_per_product(today or vietnam_today())
    found = dict(session.execute(select(per_product.c.stars, func.count()).group_by(per_product.c.stars)).all())
    rows: list[tuple[str | int, ...]] = [(stars, found.get(stars, 0)) for stars in (3, 4, 5)]
    return Figure("ocop_by_stars", ("stars", "products"), [*rows, ("total", sum(found.values()))])


def ocop_by_commune(session: Session, caller: Caller, today: date | None = None) -> Figure:
    _require_oversight(caller)
    per_product = _stars_per_product(today or vietnam_today())
    result = session.execute(
        select(Organization.province, Organization.commune, per_product.c.stars, func.count())
        .select_from(per_product)
        .join(Product, Product.id == per_product.c.product_id)
        .join(Organization, Organization.id == Product.organization_id)
        .group_by(Organization.province, Organization.commune, per_product.c.stars)
    ).all()
    table: dict[tuple[str, str], dict[int, int]] = {}
    for province, commune, stars, count in result:
        table.setdefault((province, commune), {})[stars] = count
    rows: list[tuple[str | int, ...]] = [
        (province, commune, c.get(3, 0), c.get(4, 0), c.get(5, 0), sum(c.values()))
        for (province, commune), c in sorted(table.items())
    ]
    return Figure("ocop_by_commune", ("province", "commune", "stars_3", "stars_4", "stars_5", "total"), rows)


def _local_day(session: Session) -> ColumnElement[object]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(Scan.scanned_at + literal_column("interval '7 hours'"), Date)
    return func.date(Scan.scanned_at, "+7 hours")


def scans_per_day(
    session: Session, caller: Caller, days: int = 30, organization_id: int | None = None, today: date | None = None
) -> Figure:
    """People's scans (bots left out) per local day over the last ``days`` days, every day listed even at zero.
    The authority counts every scan, also of codes that match nothing (possible fakes); others their own codes."""
    days = max(1, min(days, MAX_DAYS))
    today = today or vietnam_today()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time(), VIETNAM_TIME)
    day = _local_day(session)
    stmt = select(day, func.count()).where(Scan.scanned_at >= since, Scan.device != DeviceClass.BOT)
    if organization_id is not None or not caller.sees_everything:
        stmt = stmt.join(Batch, Batch.id == Scan.batch_id).join(Organization, Organization.id == Batch.organization_id)
        stmt = stmt.where(visible_orgs(caller) if not caller.sees_everything else true())
        if organization_id is not None:
            stmt = stmt.where(Batch.organization_id == organization_id)
    counts = {str(d): n for d, n in session.execute(stmt.group_by(day)).all()}
    rows: list[tuple[str | int, ...]] = []
    for i in range(days):
        current = first + timedelta(days=i)
        rows.append((current.isoformat(), counts.get(current.isoformat(), 0)))
    return Figure("scans_per_day", ("day", "scans"), rows)


@dataclass(frozen=True)
class BatchScans:
    batch: Batch
    scans: int
    unit_codes: int
    last_at: datetime | None


def scans_by_batch(session: Session, caller: Caller, organization_id: int, limit: int = 200) -> list[BatchScans]:
    """For a producer: how often each of its batches' codes was scanned by people, newest batches first."""
    counts = (
        select(
            Scan.batch_id,
            func.count().label("scans"),
            func.count(distinct(Scan.serial)).label("units"),
            func.max(Scan.scanned_at).label("last_at"),
        )
        .where(
            Scan.device != DeviceClass.BOT,
            Scan.batch_id.in_(select(Batch.id).where(Batch.organization_id == organization_id)),
        )
        .group_by(Scan.batch_id)
        .subquery()
    )
    stmt = (
        select(Batch, counts.c.scans, counts.c.units, counts.c.last_at)
        .join(Organization, Organization.id == Batch.organization_id)
        .outerjoin(counts, counts.c.batch_id == Batch.id)
        .where(visible_orgs(caller), Batch.organization_id == organization_id)
        .order_by(Batch.id.desc())
        .limit(limit)
    )
    return [BatchScans(b, n or 0, units or 0, last) for b, n, units, last in session.execute(stmt).all()]


def open_reports(session: Session, caller: Caller) -> int:
    """Consumers' reports the caller may read: the number shown beside the menu item."""
    stmt = select(func.count()).select_from(ProblemReport)
    if not caller.sees_everything:
        stmt = stmt.join(Organization, ProblemReport.organization_id == Organization.id).where(visible_orgs(caller))
    return session.scalar(stmt) or 0


def point_history(session: Session, caller: Caller, limit: int = 300) -> list[tuple[AuditEntry, str | None]]:
    """What a traceability point did, newest first, with the producer it acted for."""
    if caller.trace_point_id is None:
        raise Forbidden("Your role does not allow this action")
    stmt = (
        select(AuditEntry, Organization.name)
        .outerjoin(Organization, Organization.id == AuditEntry.on_behalf_of_org_id)
        .where(AuditEntry.trace_point_id == caller.trace_point_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return [(entry, name) for entry, name in session.execute(stmt).all()]


def find_batches(session: Session, caller: Caller, query: str, limit: int = 50) -> list[Batch]:
    """A batch looked up by the code printed on its label (public code or serial), its lot code, or its product's
    name: how the authority finds what to recall when a consumer or an inspector reports it."""
    stmt = select(Batch).join(Organization, Organization.id == Batch.organization_id).where(visible_orgs(caller))
    code = parse_short_code(query)
    conditions = [Batch.lot_code == query.strip(), Product.name_search.contains(fold(query), autoescape=True)]
    if code is not None:
        conditions.append(Batch.public_code == code)
        conditions.append(Batch.id.in_(select(LabelSerial.batch_id).where(LabelSerial.serial == code)))
    stmt = stmt.join(Product, Product.id == Batch.product_id).where(or_(*conditions))
    return list(session.scalars(stmt.order_by(Batch.id.desc()).limit(limit)))
