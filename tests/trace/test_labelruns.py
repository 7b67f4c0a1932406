"""Label runs: serial format, allocation in one transaction, idempotency, scoping; and, against real commits on a
freshly migrated database, concurrent runs and racing retries."""

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests import factories
from tests.conftest import BACKENDS, fresh_engine
from trace import certifications, codes, gs1, labelruns
from trace.access import Caller, Role
from trace.audit import AuditEntry
from trace.batches import recall
from trace.certifications import CertificationIn, CertKind
from trace.db import make_sessionmaker, vietnam_today
from trace.errors import Conflict, Forbidden, InvalidInput, NotFound
from trace.labelruns import LabelRun, LabelRunIn, LabelSerial

BASE = "https://trace.example.vn"
A4 = LabelRunIn(count=30, layout="a4-3x8")


def _count(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


_gtins = itertools.count(1)


def new_gtin() -> str:
    body = f"893601{next(_gtins):06d}"
    return body + str(gs1.gtin_check_digit(body))


def _published(db: Session) -> tuple[factories.Producer, int]:
    owner = factories.producer(db)
    batch = factories.batch(db, owner, factories.product(db, owner, gtin=new_gtin()))
    return owner, batch.id


# --- serials ----------------------------------------------------------------------------------------------------


def test_serials_are_twelve_crockford_characters_valid_in_gs1() -> None:
    serials = labelruns.random_serials(1001)
    assert len(serials) == len(set(serials)) == 1001
    for serial in serials:
        assert len(serial) == 12 and set(serial) <= set(codes.ALPHABET)
        assert gs1.validate_serial(serial) == serial
    # 12 characters of 32 symbols are 60 bits only if every symbol is drawn: all 32 show up in 12,012 draws.
    assert set("".join(serials)) == set(codes.ALPHABET)
    assert not set(codes.ALPHABET) & set("ILOU")


def test_short_codes_are_grouped_for_people_and_read_back_as_typed() -> None:
    assert labelruns.format_short_code("K7QP3MX9TRWZ") == "K7QP-3MX9-TRWZ"
    assert labelruns.parse_short_code(" k7qp-3mx9 trwz ") == "K7QP3MX9TRWZ"
    assert labelruns.parse_short_code("O0IL-1000-0000") == "00111000" + "0000"
    assert labelruns.parse_short_code("K7QP-3MX9-TRW") is None
    assert labelruns.parse_short_code("K7QP-3MX9-TRWU") is None


# --- one run ----------------------------------------------------------------------------------------------------


def test_a_run_allocates_distinct_serials_in_order_and_is_audited(db: Session) -> None:
    owner, batch_id = _published(db)
    run, created = labelruns.create(db, owner.caller, batch_id, A4, "key-1", BASE)
    assert created and (run.count, run.layout, run.skip, run.batch_level) == (30, "a4-3x8", 0, False)
    assert (run.organization_id, run.created_by_user_id, run.created_by_role) == (
        owner.org.id,
        owner.owner.id,
        "producer_owner",
    )
    rows = db.scalars(select(LabelSerial).where(LabelSerial.label_run_id == run.id)).all()
    assert sorted(r.position for r in rows) == list(range(30))
    assert {r.batch_id for r in rows} == {batch_id}
    serials = labelruns.serials(db, run)
    assert len(set(serials)) == 30 and serials == [r.serial for r in sorted(rows, key=lambda r: r.position)]
    assert labelruns.serials(db, run) == serials  # a reprint reads the same codes in the same order
    assert labelruns.find_serial(db, serials[7]).position == 7  # type: ignore[union-attr]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "label_run.create"))
    assert entry is not None and (entry.entity_id, entry.on_behalf_of_org_id) == (run.id, owner.org.id)
    assert entry.details == {"batch_id": batch_id, "count": 30, "layout": "a4-3x8", "skip": 0, "batch_level": False}


def test_a_batch_level_run_allocates_nothing(db: Session) -> None:
    owner, batch_id = _published(db)
    run, _ = labelruns.create(
        db, owner.caller, batch_id, LabelRunIn(count=500, layout="a4-3x8", batch_level=True), "b", BASE
    )
    assert run.batch_level and labelruns.serials(db, run) == []
    assert _count(db, LabelSerial) == 0


def test_only_a_published_batch_gets_labels(db: Session) -> None:
    owner = factories.producer(db)
    product = factories.product(db, owner)
    draft = factories.batch(db, owner, product, publish=False)
    with pytest.raises(Conflict, match="Publish the batch"):
        labelruns.create(db, owner.caller, draft.id, A4, "d", BASE)
    recalled = factories.batch(db, owner, product)
    recall(db, owner.caller, recalled.id, "Nấm mốc")
    with pytest.raises(Conflict, match="recalled"):
        labelruns.create(db, owner.caller, recalled.id, A4, "r", BASE)
    assert _count(db, LabelRun) == 0


@pytest.mark.parametrize("count", [0, -1, 100_001])
def test_the_count_is_bounded(count: int) -> None:
    with pytest.raises(ValidationError) as err:
        LabelRunIn(count=count, layout="a4-3x8")
    assert err.value.errors()[0]["loc"] == ("count",)


@pytest.mark.parametrize("key", ["", "has space", "x" * 101, "khóa"])
def test_an_idempotency_key_must_be_visible_ascii(db: Session, key: str) -> None:
    owner, batch_id = _published(db)
    with pytest.raises(InvalidInput) as err:
        labelruns.create(db, owner.caller, batch_id, A4, key, BASE)
    assert err.value.field == "idempotency_key"


def test_collisions_redraw_only_the_colliding_positions(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    owner, batch_id = _published(db)
    first, _ = labelruns.create(db, owner.caller, batch_id, LabelRunIn(count=1, layout="a4-3x8"), "first", BASE)
    taken = labelruns.serials(db, first)[0]
    draws = [[taken, "NEW1NEW1NEW1", "NEW1NEW1NEW1"], ["NEW2NEW2NEW2", "NEW3NEW3NEW3"]]
    asked: list[int] = []

    def scripted(count: int) -> list[str]:
        asked.append(count)
        return draws.pop(0)

    monkeypatch.setattr(labelruns, "random_serials", scripted)
    run, _ = labelruns.create(db, owner.caller, batch_id, LabelRunIn(count=3, layout="a4-3x8"), "second", BASE)
    # Position 0 hit a stored serial, position 2 the serial just given to position 1 in the same statement.
    assert asked == [3, 2]
    assert labelruns.serials(db, run) == ["NEW2NEW2NEW2", "NEW1NEW1NEW1", "NEW3NEW3NEW3"]


# --- idempotency ------------------------------------------------------------------------------------------------


def test_a_retry_returns_the_same_run_and_allocates_nothing(db: Session) -> None:
    owner, batch_id = _published(db)
    run, created = labelruns.create(db, owner.caller, batch_id, A4, "retry-me", BASE)
    serials, audits = labelruns.serials(db, run), _count(db, AuditEntry)
    again, created_again = labelruns.create(db, owner.caller, batch_id, A4, "retry-me", BASE)
    assert (created, created_again, again.id) == (True, False, run.id)
    assert _count(db, LabelSerial) == 30 and labelruns.serials(db, again) == serials
    assert _count(db, AuditEntry) == audits
    # A retry after the batch was recalled still answers with what was already made.
    recall(db, owner.caller, batch_id, "Sai nhãn")
    assert labelruns.create(db, owner.caller, batch_id, A4, "retry-me", BASE)[0].id == run.id


def test_the_same_key_for_something_else_is_a_conflict(db: Session) -> None:
    owner, batch_id = _published(db)
    run, _ = labelruns.create(db, owner.caller, batch_id, A4, "k", BASE)
    other_batch = factories.batch(db, owner, factories.product(db, owner))
    for batch, data in [
        (batch_id, LabelRunIn(count=31, layout="a4-3x8")),
        (batch_id, LabelRunIn(count=30, layout="a4-4x10")),
        (batch_id, LabelRunIn(count=30, layout="a4-3x8", skip=1)),
        (batch_id, LabelRunIn(count=30, layout="a4-3x8", batch_level=True)),
        (other_batch.id, A4),
    ]:
        with pytest.raises(Conflict) as err:
            labelruns.create(db, owner.caller, batch, data, "k", BASE)
        assert err.value.field == "idempotency_key" and err.value.params == {"run_id": run.id}
    # Keys belong to a producer: another producer's run may use the same one.
    other, other_batch_id = _published(db)
    assert labelruns.create(db, other.caller, other_batch_id, A4, "k", BASE)[1] is True


# --- who may print ----------------------------------------------------------------------------------------------


def test_who_may_print_and_who_may_see(db: Session) -> None:
    owner, batch_id = _published(db)
    stranger = factories.producer(db)
    point = factories.trace_point(db, ("Trùng Khánh",))
    operator = factories.user(db, Role.POINT_OPERATOR, trace_point_id=point.id)
    far_point = factories.trace_point(db, ("Bảo Lạc",))
    far_operator = factories.user(db, Role.POINT_OPERATOR, trace_point_id=far_point.id)
    authority = Caller(role=Role.AUTHORITY, login="so")

    with pytest.raises(NotFound):
        labelruns.create(db, stranger.caller, batch_id, A4, "s", BASE)
    with pytest.raises(NotFound):
        labelruns.create(
            db,
            Caller(role=Role.POINT_OPERATOR, trace_point_id=far_point.id, user_id=far_operator.id),
            batch_id,
            A4,
            "f",
            BASE,
        )
    with pytest.raises(Forbidden):
        labelruns.create(db, authority, batch_id, A4, "a", BASE)

    op_caller = Caller(role=Role.POINT_OPERATOR, trace_point_id=point.id, user_id=operator.id)
    by_point, _ = labelruns.create(db, op_caller, batch_id, A4, "p", BASE)
    assert (by_point.trace_point_id, by_point.created_by_user_id, by_point.organization_id) == (
        point.id,
        operator.id,
        owner.org.id,
    )
    entry = db.scalar(select(AuditEntry).where(AuditEntry.entity == "label_run", AuditEntry.entity_id == by_point.id))
    assert entry is not None and (entry.trace_point_id, entry.on_behalf_of_org_id) == (point.id, owner.org.id)
    by_admin, _ = labelruns.create(db, factories.ADMIN, batch_id, A4, "adm", BASE)

    assert {r.id for r in labelruns.list_visible(db, owner.caller)} == {by_point.id, by_admin.id}
    assert {r.id for r in labelruns.list_visible(db, authority, batch_id=batch_id)} == {by_point.id, by_admin.id}
    assert labelruns.list_visible(db, stranger.caller) == []
    assert labelruns.get(db, authority, by_point.id).id == by_point.id
    with pytest.raises(Forbidden):
        labelruns.get_for_print(db, authority, by_point.id)
    with pytest.raises(NotFound):
        labelruns.get(db, stranger.caller, by_point.id)
    assert labelruns.get_for_print(db, owner.caller, by_point.id).id == by_point.id


def test_labels_show_only_stars_of_a_current_ocop_certificate(db: Session) -> None:
    owner = factories.producer(db)
    product = factories.product(db, owner)
    assert labelruns.ocop_stars(db, product.id) is None

    def ocop(stars: int, issued: date) -> certifications.Certification:
        data = CertificationIn(
            kind=CertKind.OCOP,
            number=f"{stars}/QĐ",
            issuer="UBND",
            issued_on=issued,
            ocop_stars=stars,
            product_id=product.id,
        )
        return certifications.create(db, owner.caller, data)

    today = vietnam_today()
    ocop(5, today - timedelta(days=1200))  # expired after 36 months
    assert labelruns.ocop_stars(db, product.id) is None
    current = ocop(3, today - timedelta(days=30))
    assert labelruns.ocop_stars(db, product.id) == 3
    assert labelruns.ocop_stars(db, product.id, today + timedelta(days=1000)) == 3  # expiring still counts
    certifications.revoke(db, factories.ADMIN, current.id, "Vi phạm")
    assert labelruns.ocop_stars(db, product.id) is None


# --- real transactions ------------------------------------------------------------------------------------------


@dataclass
class Committed:
    engine: Engine
    sessions: sessionmaker[Session]
    caller: Caller
    batch_id: int


@pytest.fixture(params=BACKENDS)
def committed_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated database whose transactions really commit. PostgreSQL shares the test database with
    the session's engine, so the schema is rebuilt empty afterwards, as the rest of the suite expects."""
    engine = fresh_engine(request.param, tmp_path)
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        fresh_engine(request.param, tmp_path).dispose()


@pytest.fixture
def committed(committed_engine: Engine) -> Committed:
    sessions = make_sessionmaker(committed_engine)
    with sessions() as db:
        owner, batch_id = _published(db)
        db.commit()
    return Committed(committed_engine, sessions, owner.caller, batch_id)


def _in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together; re-raise the first failure."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if failures:
        raise failures[0]
    return results


def _create(c: Committed, key: str, data: LabelRunIn = A4) -> tuple[int, bool]:
    with c.sessions() as db:
        run, created = labelruns.create(db, c.caller, c.batch_id, data, key, BASE)
        db.commit()
        return run.id, created


def _all_serials(c: Committed) -> tuple[int, int]:
    with c.sessions() as db:
        return _count(db, LabelSerial), db.scalar(select(func.count(func.distinct(LabelSerial.serial)))) or 0


def test_concurrent_runs_on_one_batch_never_share_a_serial(
    committed: Committed, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, _ = _all_serials(committed)
    # Half of every first draw repeats serials already committed, so each run must redraw while the others write.
    with committed.sessions() as db:
        seed, _ = labelruns.create(
            db, committed.caller, committed.batch_id, LabelRunIn(count=2000, layout="a4-3x8"), "seed", BASE
        )
        db.commit()
        taken = labelruns.serials(db, seed)
    real = labelruns.random_serials
    first_draw = threading.local()

    def colliding(count: int) -> list[str]:
        if getattr(first_draw, "done", False):
            return real(count)
        first_draw.done = True
        return taken[: count // 2] + real(count - count // 2)

    monkeypatch.setattr(labelruns, "random_serials", colliding)
    data = LabelRunIn(count=3000, layout="a4-3x8")
    runs = _in_threads(4, lambda i: _create(committed, f"thread-{i}", data))
    assert len({run_id for run_id, _ in runs}) == 4 and all(created for _, created in runs)
    rows, distinct = _all_serials(committed)
    assert rows == distinct == before + 2000 + 4 * 3000
    with committed.sessions() as db:
        for run_id, _ in runs:
            positions = db.scalars(select(LabelSerial.position).where(LabelSerial.label_run_id == run_id)).all()
            assert sorted(positions) == list(range(3000))


def test_racing_retries_make_one_run(committed: Committed) -> None:
    before, _ = _all_serials(committed)
    runs = _in_threads(6, lambda i: _create(committed, "same-key"))
    assert len({run_id for run_id, _ in runs}) == 1
    assert sorted(created for _, created in runs) == [False] * 5 + [True]
    assert _all_serials(committed)[0] == before + 30


def _waits_on_a_lock(engine: Engine, thread: threading.Thread) -> bool:
    """Whether ``thread``'s transaction comes to wait on another's lock (PostgreSQL). SQLite takes its writer lock
    at BEGIN, so there the thread is simply given a moment to reach it."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.3)
        return thread.is_alive()
    deadline = time.monotonic() + 10
    with engine.connect() as conn:
        while time.monotonic() < deadline and thread.is_alive():
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            ).scalar()
            conn.rollback()  # pg_stat_activity is read once per transaction: the next poll needs a new one
            if waiting:
                return True
            time.sleep(0.02)
    return False


def _second_while_first_is_open(c: Committed, first_step: Callable[[Session], Any], second: Callable[[], Any]) -> Any:
    """Run ``first_step`` in a transaction left open, start ``second`` in a thread, and commit the first only once
    the second waits on it. Returns what ``second`` returned."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = second()
        except BaseException as exc:
            outcome["error"] = exc

    with c.sessions() as first:
        first_step(first)
        thread = threading.Thread(target=target)
        thread.start()
        try:
            waited = _waits_on_a_lock(c.engine, thread)
        finally:
            first.commit()  # release the second whatever happened
        thread.join(timeout=30)
    if "error" in outcome:
        raise outcome["error"]
    assert waited, "the second transaction never waited on the first"
    return outcome["value"]


def test_a_retry_waiting_on_the_first_transaction_answers_with_its_run(committed: Committed) -> None:
    """The retry gets past the lookup before the first run is committed, then meets it on the unique index."""
    before, _ = _all_serials(committed)
    made: list[int] = []

    def first(db: Session) -> None:
        made.append(labelruns.create(db, committed.caller, committed.batch_id, A4, "slow", BASE)[0].id)

    assert _second_while_first_is_open(committed, first, lambda: _create(committed, "slow")) == (made[0], False)
    assert _all_serials(committed)[0] == before + 30


def test_a_serial_held_by_a_run_in_flight_is_redrawn_once_it_commits(
    committed: Committed, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = LabelRunIn(count=1, layout="a4-3x8")
    held: list[str] = []

    def first(db: Session) -> None:
        run, _ = labelruns.create(db, committed.caller, committed.batch_id, one, "held", BASE)
        held.extend(labelruns.serials(db, run))
        real = labelruns.random_serials
        draws = iter([list(held)])
        monkeypatch.setattr(labelruns, "random_serials", lambda count: next(draws, None) or real(count))

    run_id, _ = _second_while_first_is_open(committed, first, lambda: _create(committed, "waits", one))
    with committed.sessions() as db:
        got = labelruns.serials(db, labelruns.get(db, committed.caller, run_id))
    assert len(got) == 1 and got != held
