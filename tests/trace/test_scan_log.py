"""The scan log: scans gathered in memory and written by a thread of the process, many in one transaction; counted
from memory until written; a failure or an overflow logged and the scans dropped, never raised. How a unit's
figures in the database and its unwritten scans add up (UnitCount). And read_only: on SQLite a page's reading
session takes no write lock.

Tests 1 and 2 need real commits seen from other connections, so they write to the shared test database: their
rows have no batch, a code of their own, and are deleted afterwards (other tests expect an empty scans table)."""

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Row, delete, event, func, literal, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tests import factories
from tests.conftest import BACKENDS, fresh_engine
from trace import migrate, scans
from trace.db import DriverStatement, make_engine, make_sessionmaker, read_only, transaction, utcnow
from trace.scans import UNIT_COUNT_LIMIT, CopyRule, DeviceClass, Scan, ScanLog, UnitCount, UnitScanDay, UnitScans

SCANS = Scan.__table__
LONG = 3600.0  # an interval the thread never reaches within a test: only flush() and close() write


def _tag() -> str:
    # Fits the serial column (20 characters) with a one-letter prefix; unique across runs sharing a database.
    return uuid.uuid4().hex[:12]


def _row(
    code: str,
    *,
    serial: str | None = None,
    device: DeviceClass = DeviceClass.MOBILE,
    network: str = "net-a",
    at: datetime | None = None,
    batch_id: int | None = None,
) -> dict[str, Any]:
    return scans.scan_row(
        code=code, lang="vi", device=device, ip_digest=network, serial=serial, at=at, batch_id=batch_id
    )


def _committed(engine: Engine, tag: str) -> list[Row[Any]]:
    """Our scans as another connection sees them: only what was committed."""
    with make_sessionmaker(engine)() as session:
        # read_only: on SQLite a plain session would take the write lock and make the log's thread wait.
        conn = read_only(session)
        query = (
            select(SCANS.c.code, SCANS.c.serial, SCANS.c.device, SCANS.c.ip_hash, SCANS.c.scanned_at)
            .where(SCANS.c.code.like(f"{tag}%"))
            .order_by(SCANS.c.code)
        )
        return list(conn.execute(query).all())


@contextmanager
def _deleted_afterwards(engine: Engine, tag: str) -> Iterator[None]:
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(delete(SCANS).where(SCANS.c.code.like(f"{tag}%")))


def _scan_log_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "scan-log"}


def _eventually(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


# --- 1. background writing -------------------------------------------------------------------------------------


def test_the_thread_writes_and_commits_what_was_added_and_stops_on_close(engine: Engine) -> None:
    tag = _tag()
    rows = [_row(f"{tag}-{i}", network=f"net-{i}", device=DeviceClass.DESKTOP) for i in range(5)]
    log = ScanLog(make_sessionmaker(engine), interval=0.05)
    before = _scan_log_threads()
    with _deleted_afterwards(engine, tag):
        try:
            for row in rows:
                log.add(row)
            started = _scan_log_threads() - before
            assert len(started) == 1  # one thread for the log, started by the first scan
            # No flush() and no close() from the test: only the thread can have written them.
            assert _eventually(lambda: len(_committed(engine, tag)) == len(rows))
        finally:
            log.close()
        (thread,) = started
        assert not thread.is_alive()
        written = _committed(engine, tag)
        assert [(r.code, r.serial, r.device, r.ip_hash, r.scanned_at) for r in written] == [
            (row["code"], None, DeviceClass.DESKTOP, row["ip_hash"], row["scanned_at"]) for row in rows
        ]
        assert log.flush() == 0  # nothing was left behind, nothing is written twice
        assert len(_committed(engine, tag)) == len(rows)


# --- 2. unwritten scans, written by close() ----------------------------------------------------------------------


def test_unwritten_scans_are_counted_from_memory_until_close_writes_them_in_one_transaction(engine: Engine) -> None:
    tag = _tag()
    unit, other = f"X{tag}", f"Y{tag}"
    t0 = utcnow() - timedelta(minutes=5)
    person_1 = _row(f"{tag}-1", serial=unit, network="net-1", at=t0)
    bot = _row(f"{tag}-2", serial=unit, network="net-bot", device=DeviceClass.BOT, at=t0 + timedelta(seconds=1))
    other_unit = _row(f"{tag}-3", serial=other, network="net-3", at=t0 + timedelta(seconds=2))
    person_2 = _row(f"{tag}-4", serial=unit, network="net-4", device=DeviceClass.TABLET, at=t0 + timedelta(seconds=3))
    unregistered = _row(f"{tag}-5", network="net-5", at=t0 + timedelta(seconds=4))
    added = [person_1, bot, other_unit, person_2, unregistered]
    log = ScanLog(make_sessionmaker(engine), interval=LONG)
    commits: list[Connection] = []

    def on_commit(conn: Connection) -> None:
        commits.append(conn)

    with _deleted_afterwards(engine, tag):
        try:
            for row in added:
                log.add(row)
            assert log.unwritten(unit) == [(t0, "net-1"), (t0 + timedelta(seconds=3), "net-4")]  # no bot
            assert log.unwritten(other) == [(t0 + timedelta(seconds=2), "net-3")]
            assert log.unwritten(f"Z{tag}") == []
            assert log.unwritten_of([unit, other, f"Z{tag}"]) == {
                unit: log.unwritten(unit),
                other: log.unwritten(other),
                f"Z{tag}": [],
            }  # several units in one pass
            assert _committed(engine, tag) == []
            event.listen(engine, "commit", on_commit)
            try:
                log.close()
            finally:
                event.remove(engine, "commit", on_commit)
        finally:
            log.close()  # a second close writes nothing more; it only makes sure the thread stops on failure
        assert len(commits) == 1  # all of them in one transaction
        written = _committed(engine, tag)
        assert [r.code for r in written] == [row["code"] for row in added]  # bots are written, only not counted
        assert log.unwritten(unit) == [] and log.unwritten(other) == []


# --- 3. interval 0 ----------------------------------------------------------------------------------------------


def test_with_interval_zero_each_scan_is_written_as_it_is_added(
    sessions: sessionmaker[Session], connection: Connection
) -> None:
    log = ScanLog(sessions, interval=0)
    before = _scan_log_threads()
    log.add(_row("now-1", serial="X1", network="net-1"))
    assert connection.execute(select(SCANS.c.code, SCANS.c.ip_hash)).all() == [("now-1", "net-1")]
    assert log.unwritten("X1") == []
    log.add(_row("now-2", serial="X1", network="net-2"))
    assert connection.execute(select(SCANS.c.code).order_by(SCANS.c.id)).scalars().all() == ["now-1", "now-2"]
    assert _scan_log_threads() == before  # no thread for a log that writes at once
    assert log.flush() == 0
    log.close()
    assert connection.execute(select(func.count()).select_from(SCANS)).scalar_one() == 2


# --- 4. a failure to write ----------------------------------------------------------------------------------------


def test_a_failure_to_write_is_logged_not_raised_and_the_scans_are_dropped(
    sessions: sessionmaker[Session], connection: Connection, caplog: pytest.LogCaptureFixture
) -> None:
    with factories.scan_writes_refused(connection), caplog.at_level(logging.ERROR, logger="trace.scans"):
        at_once = ScanLog(sessions, interval=0)
        at_once.add(_row("lost-1", serial="X1"))  # must not raise
        assert at_once.unwritten("X1") == []
        assert at_once.flush() == 0

        gathered = ScanLog(sessions, interval=LONG)
        gathered.add(_row("lost-2", serial="X1"))
        gathered.add(_row("lost-3", serial="X1"))
        assert len(gathered.unwritten("X1")) == 2
        assert gathered.flush() == 0  # none written
        assert gathered.unwritten("X1") == []
        gathered.close()

    failures = [r for r in caplog.records if "could not record a scan" in r.getMessage()]
    assert [r.getMessage() for r in failures] == [
        "could not record a scan of lost-1 (1 scans lost)",
        "could not record a scan of lost-2 (2 scans lost)",
    ]
    for record in failures:
        assert record.levelno == logging.ERROR
        assert record.exc_info is not None and isinstance(record.exc_info[1], DBAPIError)
    assert connection.execute(select(func.count()).select_from(SCANS)).scalar_one() == 0
    # The failed transaction was rolled back cleanly: the same sessions write the next scan.
    ScanLog(sessions, interval=0).add(_row("kept", serial="X1"))
    assert connection.execute(select(SCANS.c.code)).scalars().all() == ["kept"]


# --- 5. the limit -------------------------------------------------------------------------------------------------


def test_beyond_the_limit_a_scan_is_dropped_and_logged(
    sessions: sessionmaker[Session], connection: Connection, caplog: pytest.LogCaptureFixture
) -> None:
    log = ScanLog(sessions, interval=LONG, limit=2)
    try:
        with caplog.at_level(logging.ERROR, logger="trace.scans"):
            log.add(_row("a", serial="X1", network="net-a"))
            log.add(_row("b", serial="X1", network="net-b"))
            log.add(_row("c", serial="X1", network="net-c"))
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
            "could not record a scan of c: 2 scans already wait for the database"
        ]
        assert [network for _, network in log.unwritten("X1")] == ["net-a", "net-b"]
        assert log.flush() == 2
        # The limit is on what waits, not on what the log has ever taken.
        log.add(_row("d", serial="X1", network="net-d"))
        assert [network for _, network in log.unwritten("X1")] == ["net-d"]
    finally:
        log.close()
    assert connection.execute(select(SCANS.c.code).order_by(SCANS.c.id)).scalars().all() == ["a", "b", "d"]


def test_close_writes_what_waits_up_to_the_limit(
    sessions: sessionmaker[Session], connection: Connection, caplog: pytest.LogCaptureFixture
) -> None:
    log = ScanLog(sessions, interval=LONG, limit=2)
    with caplog.at_level(logging.ERROR, logger="trace.scans"):
        for code in ("a", "b", "c"):
            log.add(_row(code))
    log.close()
    assert connection.execute(select(SCANS.c.code).order_by(SCANS.c.id)).scalars().all() == ["a", "b"]
    assert any("could not record a scan of c" in r.getMessage() for r in caplog.records)


# --- 6. the tally written with the scans --------------------------------------------------------------------------


def _tally(db: Session, batch_id: int) -> list[tuple[Any, ...]]:
    days = UnitScanDay.__table__.c
    query = select(days.serial, days.day, days.ip_hash, days.scans, days.first_at).where(days.batch_id == batch_id)
    return [tuple(row) for row in db.execute(query.order_by(days.serial, days.day, days.ip_hash))]


def test_the_tally_counts_each_units_scans_by_people_by_vietnams_day_and_network(db: Session) -> None:
    owner = factories.producer(db)
    batch = factories.batch(db, owner, factories.product(db, owner))
    evening = datetime(2026, 11, 19, 16, 59, tzinfo=UTC)  # 23:59 in Vietnam
    midnight = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)  # 00:00 on the 20th in Vietnam, the 19th in UTC

    def row(serial: str | None, network: str, at: datetime, device: DeviceClass = DeviceClass.MOBILE) -> dict[str, Any]:
        return _row("x", serial=serial, network=network, at=at, device=device, batch_id=batch.id if serial else None)

    scans.write(db, [
        row("S1", "a", evening), row("S1", "a", evening - timedelta(hours=3)), row("S1", "b", evening),
        row("S1", "a", midnight), row("S2", "a", midnight),
        row("S1", "bot", midnight, DeviceClass.BOT),  # bots count nowhere
        row(None, "a", midnight),  # a code that is not registered: no unit
    ])  # fmt: skip
    assert _tally(db, batch.id) == [
        ("S1", date(2026, 11, 19), "a", 2, evening - timedelta(hours=3)),
        ("S1", date(2026, 11, 19), "b", 1, evening),
        ("S1", date(2026, 11, 20), "a", 1, midnight),
        ("S2", date(2026, 11, 20), "a", 1, midnight),
    ]
    # A later write adds to the rows it shares, and an earlier scan written late becomes the first.
    scans.write(db, [row("S1", "a", midnight + timedelta(hours=1)), row("S1", "a", midnight - timedelta(seconds=1))])
    assert _tally(db, batch.id)[0] == ("S1", date(2026, 11, 19), "a", 3, evening - timedelta(hours=3))
    assert _tally(db, batch.id)[2] == ("S1", date(2026, 11, 20), "a", 2, midnight)
    assert db.scalar(select(func.count()).select_from(SCANS)) == 9  # every scan kept as well


def test_a_write_of_any_number_of_scans_keeps_each_once_with_its_values(db: Session) -> None:
    """On SQLite rows go in statements of 64, 16, 4 and 1 rows: 64 + 16 + 3 * 4 + 3 = 95 uses each size."""
    owner = factories.producer(db)
    batch = factories.batch(db, owner, factories.product(db, owner))
    start = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    rows = [
        _row(f"/c/{i}", serial=f"U{i % 40}", network=f"net-{i % 7}", at=start + timedelta(seconds=i), batch_id=batch.id)
        for i in range(95)
    ]
    scans.write(db, rows)
    kept = db.execute(select(SCANS.c.code, SCANS.c.serial, SCANS.c.ip_hash, SCANS.c.scanned_at).order_by(SCANS.c.id))
    assert [tuple(row) for row in kept] == [(r["code"], r["serial"], r["ip_hash"], r["scanned_at"]) for r in rows]
    assert sum(row[3] for row in _tally(db, batch.id)) == 95
    assert len(_tally(db, batch.id)) == len({(r["serial"], r["ip_hash"]) for r in rows})  # all on one day


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_migration_tallies_the_scans_kept_before_it(backend: str, tmp_path: Path) -> None:
    engine = fresh_engine(backend, tmp_path)
    try:
        migrate.downgrade(engine, "0006")
        with transaction(make_sessionmaker(engine)) as session:
            owner = factories.producer(session)
            batch = factories.batch(session, owner, factories.product(session, owner))
            at = datetime(2026, 11, 19, 17, 30, tzinfo=UTC)  # the 20th in Vietnam
            rows = [
                _row("x", serial=serial, network=network, at=at + timedelta(minutes=minutes), device=device,
                     batch_id=batch.id)
                for serial, network, minutes, device in (
                    ("S1", "a", 5, DeviceClass.MOBILE), ("S1", "a", 0, DeviceClass.TABLET),
                    ("S1", "b", -60, DeviceClass.DESKTOP), ("S1", "c", 0, DeviceClass.BOT),
                )
            ]  # fmt: skip
            session.execute(SCANS.insert(), rows)
            batch_id = batch.id
        migrate.upgrade(engine)
        with make_sessionmaker(engine)() as session:
            assert _tally(session, batch_id) == [
                ("S1", date(2026, 11, 19), "b", 1, at - timedelta(minutes=60)),
                ("S1", date(2026, 11, 20), "a", 2, at),
            ]
    finally:
        migrate.downgrade(engine, "base")  # on PostgreSQL the database the other tests share: left empty
        migrate.upgrade(engine)
        engine.dispose()


# --- 7. UnitCount: the database's figures and the unwritten scans ------------------------------------------------

RULE = CopyRule(scans=3, networks=2, days=7)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 19:00 in Vietnam: the window is the 14th to the 20th
WINDOW_START = datetime(2026, 11, 13, 17, 0, tzinfo=UTC)  # 00:00 on the 14th in Vietnam
FIRST_IN_DB = NOW - timedelta(days=40)


def _no_first_read() -> datetime | None:
    pytest.fail("the first scan was read although the figures are whole")


def _figures(total: int, first_at: datetime | None, recent: int, networks: int, known: int) -> tuple[Any, ...]:
    """Figures as the database gives them, of a unit whose tally has ``total`` days and networks or fewer."""
    return (min(total, 1), total, first_at, recent, networks, known)


def test_without_unwritten_scans_the_database_figures_stand() -> None:
    count = UnitCount(RULE, NOW)
    assert count.params() == {"since": date(2026, 11, 14)} and count.networks == ()
    assert count.result(_figures(9, FIRST_IN_DB, 4, 3, 0), _no_first_read) == UnitScans(
        total=9, first_at=FIRST_IN_DB, recent=4, recent_networks=3, looks_copied=True
    )
    assert count.result(_figures(0, None, 0, 0, 0), _no_first_read) == UnitScans(
        total=0, first_at=None, recent=0, recent_networks=0, looks_copied=False
    )


def test_unwritten_scans_add_to_the_database_figures() -> None:
    unwritten = [
        (NOW - timedelta(days=30), "old"),  # counts in the total only
        (WINDOW_START - timedelta(seconds=1), "late"),  # 23:59:59 on the 13th in Vietnam: not recent
        (WINDOW_START, "a"),  # the window's first moment: recent, as in the database's ">="
        (NOW - timedelta(days=1), "c"),
        (NOW, "c"),
        (NOW, "d"),
    ]
    count = UnitCount(RULE, NOW, unwritten)
    assert count.since == date(2026, 11, 14)
    # The database is asked which of the unwritten recent networks it has counted already.
    assert count.networks == ("a", "c", "d")
    assert count.params() == {"since": date(2026, 11, 14), "network_0": "a", "network_1": "c", "network_2": "d"}
    assert count.params(5)["network_4"] == scans.NO_NETWORK
    # The database: 5 scans, 2 recent from networks a and b; of a, c and d it knows a.
    result = count.result(_figures(5, FIRST_IN_DB, 2, 2, 1), _no_first_read)
    assert result == UnitScans(
        total=5 + 6,
        first_at=FIRST_IN_DB,
        recent=2 + 4,
        recent_networks=4,  # a, b, c, d
        looks_copied=True,
    )


def test_the_window_is_today_and_the_days_before_in_vietnam() -> None:
    # One day: only today's scans, from 00:00 in Vietnam (17:00 UTC the day before).
    today = UnitCount(CopyRule(scans=0, networks=0, days=1), NOW, [(WINDOW_START + timedelta(days=6), "a")])
    assert today.since == date(2026, 11, 20) and today.networks == ("a",)
    yesterday = UnitCount(today.rule, NOW, [(WINDOW_START + timedelta(days=6, seconds=-1), "a")])
    assert yesterday.networks == () and yesterday.result(_figures(0, None, 0, 0, 0), _no_first_read).recent == 0


def test_the_first_scan_is_the_earliest_of_database_and_memory() -> None:
    earlier = NOW - timedelta(days=50)
    count = UnitCount(RULE, NOW, [(NOW, "a"), (earlier, "b")])
    assert count.result(_figures(1, FIRST_IN_DB, 0, 0, 0), _no_first_read).first_at == earlier
    later = UnitCount(RULE, NOW, [(NOW, "a")])
    assert later.result(_figures(1, FIRST_IN_DB, 0, 0, 0), _no_first_read).first_at == FIRST_IN_DB
    # A unit never written yet: its first scan is in memory.
    only_memory = later.result(_figures(0, None, 0, 0, 0), _no_first_read)
    assert only_memory == UnitScans(total=1, first_at=NOW, recent=1, recent_networks=1, looks_copied=False)


@pytest.mark.parametrize(
    ("figures", "unwritten", "copied"),
    [
        # 3 recent scans from 3 networks: not "more than 3 scans"
        (_figures(2, FIRST_IN_DB, 2, 2, 0), [(NOW, "c")], False),
        # 4 recent scans, but from 2 networks only: not "more than 2 networks"
        (_figures(3, FIRST_IN_DB, 3, 2, 1), [(NOW, "a")], False),
        # 4 recent scans from 3 networks
        (_figures(3, FIRST_IN_DB, 3, 2, 0), [(NOW, "c")], True),
        # many scans from many networks, but the unwritten one is old and the database's are too
        (_figures(20, FIRST_IN_DB, 0, 0, 0), [(NOW - timedelta(days=8), "z")], False),
    ],
)
def test_looks_copied_follows_the_rule_with_the_unwritten_scans(
    figures: tuple[Any, ...], unwritten: list[tuple[datetime, str]], copied: bool
) -> None:
    assert UnitCount(RULE, NOW, unwritten).result(figures, _no_first_read).looks_copied is copied


def _unit_figures(db: Session, batch_id: int, serial: str, count: UnitCount) -> Sequence[Any]:
    """As the scan reads them: on the driver's connection (DriverStatement)."""
    figures = DriverStatement(select(*scans.unit_figures_bound(literal(batch_id), len(count.networks)).c))
    return figures.one(db.connection().connection, db.get_bind().dialect, {"serial": serial, **count.params()})


def _first_scan(db: Session, batch_id: int, serial: str) -> Callable[[], datetime | None]:
    conn = db.connection()
    return lambda: scans.FIRST_SCAN.one(conn.connection, conn.dialect, {"batch_id": batch_id, "serial": serial})[0]


def test_counting_unwritten_scans_gives_what_counting_them_written_would(db: Session) -> None:
    owner = factories.producer(db)
    batch = factories.batch(db, owner, factories.product(db, owner))
    now = utcnow()

    def scan(serial: str, network: str, at: datetime, device: DeviceClass = DeviceClass.MOBILE) -> None:
        scans.record(db, code="x", lang="vi", device=device, ip_digest=network, batch_id=batch.id, serial=serial,
                     at=at)  # fmt: skip

    scan("S1", "a", now - timedelta(days=20))
    scan("S1", "a", now - timedelta(days=1))
    scan("S1", "a", now - timedelta(days=1, seconds=1))  # one day and network: one row of the tally
    scan("S1", "b", now - timedelta(hours=1))
    scan("S1", "bot", now - timedelta(days=90), DeviceClass.BOT)  # bots count nowhere
    scan("S2", "other", now - timedelta(days=60))  # another unit
    db.flush()
    unwritten = [(now - timedelta(days=30), "d"), (now - timedelta(days=2), "b"), (now, "c")]

    merged = UnitCount(RULE, now, unwritten)
    result = merged.result(_unit_figures(db, batch.id, "S1", merged), _no_first_read)
    assert result == UnitScans(
        total=7, first_at=now - timedelta(days=30), recent=5, recent_networks=3, looks_copied=True
    )

    for at, network in unwritten:
        scan("S1", network, at)
    db.flush()
    written = UnitCount(RULE, now)
    assert written.result(_unit_figures(db, batch.id, "S1", written), _no_first_read) == result


def test_past_the_count_limit_the_latest_days_and_networks_are_counted_and_the_first_scan_read(db: Session) -> None:
    owner = factories.producer(db)
    batch = factories.batch(db, owner, factories.product(db, owner))
    first = NOW - timedelta(days=400)

    def row(network: str, at: datetime, device: DeviceClass = DeviceClass.MOBILE) -> dict[str, Any]:
        return _row("x", serial="S1", network=network, at=at, device=device, batch_id=batch.id)

    # The first day holds two networks, the second scan first; then a network a day, UNIT_COUNT_LIMIT more days.
    earliest = [row("bot", first - timedelta(days=1), DeviceClass.BOT), row("b", first + timedelta(hours=1)),
                row("a", first)]  # fmt: skip
    later = [row(f"n{i}", first + timedelta(days=1 + i)) for i in range(UNIT_COUNT_LIMIT)]
    scans.write(db, [*earliest, *later])
    count = UnitCount(RULE, NOW, [(NOW, "c")])
    figures = _unit_figures(db, batch.id, "S1", count)
    assert figures[:2] == (UNIT_COUNT_LIMIT + 1, UNIT_COUNT_LIMIT + 1)  # one of the first day's rows left out
    result = count.result(figures, _first_scan(db, batch.id, "S1"))
    assert result.first_at == first and result.total == UNIT_COUNT_LIMIT + 2
    # At the limit itself the figures are whole: no second query, the figures' first scan stands.
    whole = (UNIT_COUNT_LIMIT, UNIT_COUNT_LIMIT, NOW - timedelta(days=3), 0, 0, 0)
    assert UnitCount(RULE, NOW).result(whole, _no_first_read).first_at == NOW - timedelta(days=3)


# --- 8. read_only on SQLite ---------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_file_engine(tmp_path: Path) -> Iterator[Engine]:
    # A short busy timeout: a lock wrongly held fails the test in half a second instead of waiting 30.
    engine = make_engine(
        f"sqlite:///{tmp_path / 'read_only.db'}", connect_args={"check_same_thread": False, "timeout": 0.5}
    )
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _write_a_scan(engine: Engine, code: str) -> None:
    with transaction(make_sessionmaker(engine)) as session:
        scans.write(session, [_row(code)])


def _count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(SCANS)).scalar_one()


def test_a_read_only_session_leaves_sqlite_free_to_write(sqlite_file_engine: Engine) -> None:
    sessions = make_sessionmaker(sqlite_file_engine)
    with sessions() as reader:
        conn = read_only(reader)
        assert _count(conn) == 0
        _write_a_scan(sqlite_file_engine, "while-reading")  # would fail with "database is locked"
        # Still one transaction: the reader keeps its snapshot while others see the new row.
        assert _count(conn) == 0
        with sessions() as other:
            assert _count(read_only(other)) == 1


def test_a_plain_session_on_sqlite_holds_the_write_lock(sqlite_file_engine: Engine) -> None:
    sessions = make_sessionmaker(sqlite_file_engine)
    with sessions() as reader:
        read_only(reader)  # a read-only session before: its option must not stay with the pooled connection
    with sessions() as holder:
        assert _count(holder.connection()) == 0
        with pytest.raises(OperationalError, match="database is locked"):
            _write_a_scan(sqlite_file_engine, "while-holding")
    # Once the holder is gone the write goes through.
    _write_a_scan(sqlite_file_engine, "after")
    with sessions() as check:
        assert read_only(check).execute(select(SCANS.c.code)).scalars().all() == ["after"]
