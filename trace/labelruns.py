"""Label runs: a producer, or a traceability point on its behalf, prints labels for a published batch.

A serialized run allocates one unit serial (GS1 AI 21) per label, all in the caller's transaction; a batch-level
run prints N copies of the batch's own code and allocates nothing. Every run carries an idempotency key, unique per
producer, so a retried request returns the run it already made instead of allocating again. Serials are stored
with their position, so a reprint gives the same codes in the same order.

Serials are 12 characters of Crockford's base32 (digits and upper-case letters without I, L, O, U): 60 random bits
from ``secrets``, inside GS1 CSET 82, safe in a URI path without percent-encoding, and readable aloud or typed from
a label without confusing 0/O or 1/I/L (``parse_short_code`` folds those back).
"""

import base64
import re
import secrets
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints
from sqlalchemy import BigInteger, ForeignKey, Integer, Select, String, UniqueConstraint, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from trace import audit, batches
from trace.access import Caller, Role
from trace.batches import Batch, BatchStatus
from trace.certifications import Certification, CertKind, CertStatus
from trace.codes import ALPHABET
from trace.db import Base, UTCDateTime, utcnow, vietnam_today
from trace.errors import Conflict, Forbidden, InvalidInput, NotFound
from trace.fields import Count, Input
from trace.organizations import Organization, get_writable, visible_orgs

MAX_LABELS = 100_000
SERIAL_LENGTH = 12
_GROUP = 4
# base64's base32 draws each character from 5 random bits; translating its alphabet gives Crockford's at C speed.
_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET.encode())
_TYPED_FOLDS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,100}")
# A collision of two 60-bit serials is a one-in-10^12 event per label; ten rounds in a row mean a broken generator.
_MAX_ROUNDS = 10


class LabelRun(Base):
    __tablename__ = "label_runs"
    __table_args__ = (UniqueConstraint("organization_id", "idempotency_key", name="uq_label_runs_organization_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    batch_level: Mapped[bool]
    count: Mapped[int] = mapped_column(Integer)
    layout: Mapped[str] = mapped_column(String(40))
    skip: Mapped[int] = mapped_column(Integer)
    # The host printed in the QR codes when the run was made, so that a reprint is the same label.
    link_base: Mapped[str] = mapped_column(String(200))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    created_by_role: Mapped[str] = mapped_column(String(30))
    trace_point_id: Mapped[int | None] = mapped_column(ForeignKey("trace_points.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LabelSerial(Base):
    """One unit's serial. The unique index on ``serial`` is the resolver's lookup (by serial alone, or by serial
    then checking ``batch_id``); (run, position) gives a reprint its order."""

    __tablename__ = "label_serials"
    __table_args__ = (UniqueConstraint("label_run_id", "position", name="uq_label_serials_run_position"),)

    # Billions of units over the years: 64 bits in PostgreSQL; SQLite's rowid alias must be declared INTEGER.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    label_run_id: Mapped[int] = mapped_column(ForeignKey("label_runs.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    serial: Mapped[str] = mapped_column(String(20), unique=True)
    position: Mapped[int] = mapped_column(Integer)


class LabelRunIn(Input):
    count: Annotated[Count, Field(ge=1, le=MAX_LABELS)]
    layout: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    skip: Annotated[Count, Field(ge=0, le=1000)] = 0
    batch_level: bool = False


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def check_idempotency_key(key: str) -> str:
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput(
            "An idempotency key has 1 to 100 characters: letters, digits and punctuation, no spaces",
            field="idempotency_key",
        )
    return key


def random_serials(count: int) -> list[str]:
    """``count`` fresh serials of 60 random bits each (15 random bytes make two serials)."""
    pairs = (count + 1) // 2
    text = base64.b32encode(secrets.token_bytes(15 * pairs)).translate(_TO_CROCKFORD).decode()
    return [text[i : i + SERIAL_LENGTH] for i in range(0, SERIAL_LENGTH * count, SERIAL_LENGTH)]


def format_short_code(code: str) -> str:
    """The code as printed for people: groups of four ("K7QP-3MX9-TRWZ")."""
    return "-".join(code[i : i + _GROUP] for i in range(0, len(code), _GROUP))


def parse_short_code(typed: str) -> str | None:
    """A code as a person typed it (any case, with or without hyphens or spaces, O for 0, I or L for 1) → the
    stored code, or None if it cannot be one. Serials and batch public codes share the alphabet and length."""
    code = typed.strip().upper().translate(_TYPED_FOLDS)
    if len(code) != SERIAL_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def _visible(caller: Caller) -> Select[tuple[LabelRun]]:
    return select(LabelRun).join(Organization, LabelRun.organization_id == Organization.id).where(visible_orgs(caller))


def get(session: Session, caller: Caller, run_id: int) -> LabelRun:
    run = session.scalar(_visible(caller).where(LabelRun.id == run_id))
    if run is None:
        raise NotFound("Label run not found")
    return run


def get_for_print(session: Session, caller: Caller, run_id: int) -> LabelRun:
    """A run whose labels the caller may print again: the producer's own people, its points, admins."""
    run = get(session, caller, run_id)
    _check_may_print(session, caller, run.organization_id)
    return run


def list_visible(
    session: Session, caller: Caller, batch_id: int | None = None, trace_point_id: int | None = None
) -> list[LabelRun]:
    stmt = _visible(caller)
    if batch_id is not None:
        stmt = stmt.where(LabelRun.batch_id == batch_id)
    if trace_point_id is not None:
        stmt = stmt.where(LabelRun.trace_point_id == trace_point_id)
    return list(session.scalars(stmt.order_by(LabelRun.id.desc()).limit(500)))


def _check_may_print(session: Session, caller: Caller, organization_id: int) -> None:
    if caller.role is Role.AUTHORITY:
        raise Forbidden("The authority can see label runs but does not print labels")
    get_writable(session, caller, organization_id)


def _by_key(session: Session, organization_id: int, key: str) -> LabelRun | None:
    return session.scalar(
        select(LabelRun).where(LabelRun.organization_id == organization_id, LabelRun.idempotency_key == key)
    )


def _replay(run: LabelRun, batch_id: int, data: LabelRunIn) -> LabelRun:
    asked = (batch_id, data.count, data.layout, data.skip, data.batch_level)
    if (run.batch_id, run.count, run.layout, run.skip, run.batch_level) != asked:
        raise Conflict(
            "This idempotency key was already used for a different label run (run {run_id})",
            field="idempotency_key",
            run_id=run.id,
        )
    return run


def create(
    session: Session, caller: Caller, batch_id: int, data: LabelRunIn, idempotency_key: str, link_base: str
) -> tuple[LabelRun, bool]:
    """Make a label run, or find the one this idempotency key already made: (run, created).

    The layout's name and ``skip`` are checked by the caller, which knows the layouts; here they are recorded.
    """
    check_idempotency_key(idempotency_key)
    batch = batches.get(session, caller, batch_id)
    _check_may_print(session, caller, batch.organization_id)
    existing = _by_key(session, batch.organization_id, idempotency_key)
    if existing is not None:
        return _replay(existing, batch.id, data), False
    if batch.status is BatchStatus.DRAFT:
        raise Conflict("Publish the batch before printing its labels")
    if batch.status is BatchStatus.RECALLED:
        raise Conflict("This batch has been recalled: no labels can be printed for it")
    run = LabelRun(
        batch_id=batch.id,
        organization_id=batch.organization_id,
        idempotency_key=idempotency_key,
        batch_level=data.batch_level,
        count=data.count,
        layout=data.layout,
        skip=data.skip,
        link_base=link_base,
        created_by_user_id=caller.user_id,
        created_by_token_id=caller.token_id,
        created_by_role=caller.role.value,
        trace_point_id=caller.trace_point_id,
    )
    try:
        # The run goes in before any serial: a racing retry with the same key waits here on the unique index
        # until the first commits, then fails fast and answers with the winner, having allocated nothing.
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        winner = _by_key(session, batch.organization_id, idempotency_key)
        if winner is None:
            raise
        return _replay(winner, batch.id, data), False
    if not data.batch_level:
        _allocate(session, run)
    audit.record(
        session,
        caller,
        "label_run.create",
        "label_run",
        run.id,
        on_behalf_of=run.organization_id,
        batch_id=batch.id,
        count=run.count,
        layout=run.layout,
        skip=run.skip,
        batch_level=run.batch_level,
    )
    return run, True


def _allocate(session: Session, run: LabelRun) -> None:
    """Insert ``run.count`` serials; a serial already taken is skipped by the database (ON CONFLICT DO NOTHING)
    and only those positions are drawn again."""
    missing = list(range(run.count))
    for _ in range(_MAX_ROUNDS):
        placed = _insert_serials(session, run, random_serials(len(missing)), missing)
        missing = [position for position in missing if position not in placed]
        if not missing:
            return
    raise RuntimeError(f"could not draw {len(missing)} unused serials in {_MAX_ROUNDS} rounds")


def _insert_serials(session: Session, run: LabelRun, serials: list[str], positions: list[int]) -> set[int]:
    """Insert what is free and return the positions placed."""
    table = LabelSerial.__table__
    if session.get_bind().dialect.name == "postgresql":
        # One statement over two array parameters: 100,000 rows took 1.8-2.1 s here, multi-row VALUES 5.0-5.5 s.
        rows = (
            func.unnest(literal(serials, postgresql.ARRAY(String)), literal(positions, postgresql.ARRAY(Integer)))
            .table_valued("serial", "position")
            .render_derived()
        )
        source = select(literal(run.id, Integer), literal(run.batch_id, Integer), rows.c.serial, rows.c.position)
        stmt = postgresql.insert(table).from_select(["label_run_id", "batch_id", "serial", "position"], source)
        stmt = stmt.on_conflict_do_nothing(index_elements=[table.c.serial]).returning(table.c.position)
        return set(session.execute(stmt).scalars())
    # SQLite: executemany, which SQLAlchemy batches into multi-row INSERTs ("insertmanyvalues").
    stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=[table.c.serial]).returning(table.c.position)
    params = [
        {"label_run_id": run.id, "batch_id": run.batch_id, "serial": serial, "position": position}
        for serial, position in zip(serials, positions, strict=True)
    ]
    return set(session.execute(stmt, params).scalars())


def serials(session: Session, run: LabelRun) -> list[str]:
    """The run's serials in print order (empty for a batch-level run)."""
    return list(
        session.scalars(
            select(LabelSerial.serial).where(LabelSerial.label_run_id == run.id).order_by(LabelSerial.position)
        )
    )


def record_print(session: Session, caller: Caller, run: LabelRun, output: str) -> None:
    """Every rendering is logged: a run printed again is more labels in circulation."""
    audit.record(
        session, caller, "label_run.print", "label_run", run.id, on_behalf_of=run.organization_id, output=output
    )


def find_serial(session: Session, serial: str) -> LabelSerial | None:
    """The unit a scanned or typed serial belongs to (the resolver checks it against the batch in the link)."""
    return session.scalar(select(LabelSerial).where(LabelSerial.serial == serial))


def ocop_stars(session: Session, product_id: int, today: date | None = None) -> int | None:
    """Stars of the product's current OCOP certificate (valid or expiring), None if it holds none: a label must
    not claim stars whose certificate has expired or been revoked."""
    today = today or vietnam_today()
    certs = session.scalars(
        select(Certification)
        .where(
            Certification.product_id == product_id,
            Certification.kind == CertKind.OCOP,
            Certification.revoked_at.is_(None),
            Certification.issued_on <= today,
        )
        .order_by(Certification.issued_on.desc(), Certification.id.desc())
    )
    for cert in certs:
        if cert.status(today) in (CertStatus.VALID, CertStatus.EXPIRING):
            return cert.ocop_stars
    return None


def batch_of(session: Session, run: LabelRun) -> Batch:
    batch = session.get(Batch, run.batch_id)
    assert batch is not None  # a foreign key
    return batch
