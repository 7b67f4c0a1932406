"""Scans: every time a consumer opens a code's public page. Append-only, kept without the raw IP address (a keyed
hash stands in for it, enough to count distinct networks), and cheap: a page view adds its scan to the process's
ScanLog, which writes many in one transaction.

For a unit code (a serial) the page shows how often it was scanned and warns when the pattern suggests a copied
label: a genuine unit is scanned by a few people, a copied label by many, from many networks. That count reads a
tally written with the scans (UnitScanDay): a row for each unit, day and network rather than one a scan."""

import functools
import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    bindparam,
    case,
    column,
    distinct,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql import ColumnElement, FromClause, Insert, Select, Subquery, TableClause

from trace.db import (
    VIETNAM_TIME,
    Base,
    CopyRows,
    DriverStatement,
    UTCDateTime,
    enum_type,
    local_day,
    transaction,
    utcnow,
)

log = logging.getLogger("trace.scans")

MAX_CODE_LENGTH = 200


class DeviceClass(StrEnum):
    MOBILE = "mobile"
    TABLET = "tablet"
    DESKTOP = "desktop"
    BOT = "bot"


class Scan(Base):
    __tablename__ = "scans"
    # By batch, then time: a scan's entry goes at the end of its batch's range (migration 0008 says why).
    __table_args__ = (Index("ix_scans_batch_at", "batch_id", "scanned_at"),)

    # Billions of rows in a national deployment; SQLite only auto-numbers a plain INTEGER primary key.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # None when the code is not registered: scans of fake codes are worth counting too.
    batch_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("batches.id"))
    serial: Mapped[str | None] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(MAX_CODE_LENGTH))
    lang: Mapped[str] = mapped_column(String(5))
    device: Mapped[DeviceClass] = mapped_column(enum_type(DeviceClass, 10))
    ip_hash: Mapped[str] = mapped_column(String(32))


class UnitScanDay(Base):
    """A unit's scans by people on one day (Vietnam's) from one network: what the count on the unit's page reads,
    whatever the number of scans. Written with the scans (write()), so the two always agree."""

    __tablename__ = "unit_scan_days"
    # On SQLite the rows then lie in the primary key's order, which is how a count reads them: one b-tree, not two.
    __table_args__ = {"sqlite_with_rowid": False}

    batch_id: Mapped[int] = mapped_column(Integer, ForeignKey("batches.id"), primary_key=True)
    serial: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    ip_hash: Mapped[str] = mapped_column(String(32), primary_key=True)
    scans: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True, slots=True)
class CopyRule:
    """A unit code looks copied when scanned more than ``scans`` times from more than ``networks`` distinct
    networks (IP hashes) within ``days`` days: today (Vietnam's) and the ``days`` - 1 before it."""

    scans: int
    networks: int
    days: int


@dataclass(frozen=True, slots=True)
class UnitScans:
    total: int
    first_at: datetime | None
    recent: int
    recent_networks: int
    looks_copied: bool


# Substrings of the User-Agent, lower-cased, each class's in one pattern (one search in C, not a loop of "in"s).
# Link previews (Zalo, Facebook) and HTTP libraries count as bots so that they do not inflate a unit's scan count.
_BOT = re.compile(
    "bot|crawl|spider|slurp|preview|facebookexternalhit|headless|curl|wget|python|httpx|go-http-client|java/|okhttp"
    "|axios|node-fetch"
)
_TABLET = re.compile("ipad|tablet|kindle|silk/|playbook")
_MOBILE = re.compile("mobi|iphone|ipod|android|windows phone|opera mini|blackberry")


def device_class(user_agent: str | None) -> DeviceClass:
    """A coarse class from the User-Agent: enough for the authority's figures, cheap on the hot path."""
    ua = (user_agent or "").lower()
    if not ua or _BOT.search(ua):
        return DeviceClass.BOT
    if _TABLET.search(ua) or ("android" in ua and "mobile" not in ua):
        return DeviceClass.TABLET
    if _MOBILE.search(ua):
        return DeviceClass.MOBILE
    return DeviceClass.DESKTOP


NO_NETWORK = ""  # an IP hash is 32 hex digits, never this


def ip_hash(ip: str | None, salt: bytes) -> str:
    """A keyed hash of the address: the same network gives the same value, but without the salt (kept out of the
    database) the address cannot be recovered by hashing all 2^32 IPv4 addresses."""
    keyed = _keyed(salt).copy()  # a copy of the keyed state: cheaper than keying anew
    keyed.update((ip or "").encode())
    return keyed.hexdigest()[:32]


@functools.lru_cache(maxsize=4)
def _keyed(salt: bytes) -> hmac.HMAC:
    return hmac.new(salt, digestmod=hashlib.sha256)


_ROW = ("scanned_at", "batch_id", "serial", "code", "lang", "device", "ip_hash")
_TALLY_ROW = tuple(column.name for column in UnitScanDay.__table__.columns)
_COPY_SCANS = CopyRows(Scan.__table__, _ROW)  # on PostgreSQL


# Rows a statement writes on SQLite: the largest that fit what is left, so that a few statements, each compiled once,
# write any number of rows.
_SQLITE_ROWS = (64, 16, 4, 1)


def _rows(table: TableClause, names: Sequence[str], postgres: bool, count: int) -> Insert:
    """The insert of rows into ``table`` in one statement. On SQLite ``count`` rows (one VALUES list each, the
    parameters of row i named ``{name}_{i}``): the driver lets other threads run at every statement it steps, so a
    statement a row (executemany) had the scan log's thread and the requests' take turns hundreds of times a batch.
    Measured under load (tests/perf/bench_scan.py, alternated rounds): 0.65 ms of the server's CPU a scan against
    0.77. On PostgreSQL (the tally's rows: scans go by COPY, _COPY_SCANS) all the rows, whatever ``count``, a bound
    array a column (unnest): measured on 330 scans when they went so, 16 us of the process's CPU a scan against 23
    for an executemany."""
    if not postgres:
        values = [{name: bindparam(f"{name}_{i}", type_=table.c[name].type) for name in names} for i in range(count)]
        return sqlite.insert(table).values(values)
    # The foreign keys declare their type: one taken from batches.id would still be NULL here.
    types = [table.c[name].type for name in names]
    arrays = func.unnest(*(bindparam(name, type_=ARRAY(type_)) for name, type_ in zip(names, types, strict=True)))
    given = arrays.table_valued(*(column(name, type_) for name, type_ in zip(names, types, strict=True)))
    return postgresql.insert(table).from_select(list(names), select(*given.render_derived().c))


def _add_to_tally(postgres: bool, count: int) -> Insert:
    """The upsert of UnitScanDay rows: their scans added to those a row has."""
    tally = UnitScanDay.__table__
    new = _rows(tally, _TALLY_ROW, postgres, count)
    first_at = case((new.excluded.first_at < tally.c.first_at, new.excluded.first_at), else_=tally.c.first_at)
    return new.on_conflict_do_update(
        index_elements=list(tally.primary_key.columns),
        set_={"scans": tally.c.scans + new.excluded.scans, "first_at": first_at},
    )


@functools.cache
def _writing(kind: str, dialect: str, count: int) -> DriverStatement:
    postgres = dialect == "postgresql"
    if kind == "scans":
        return DriverStatement(_rows(Scan.__table__, _ROW, postgres, count))
    return DriverStatement(_add_to_tally(postgres, count))


def tally(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The UnitScanDay rows that scans (scan_row's) add: those by people of a unit, by unit, day and network; in
    the primary key's order, so that two processes writing at once lock rows in the same order (no deadlock)."""
    counted: dict[tuple[int, str, date, str], list[Any]] = {}
    for row in rows:
        if row["serial"] is None or row["batch_id"] is None or row["device"] == DeviceClass.BOT:
            continue
        at = row["scanned_at"]
        key = (row["batch_id"], row["serial"], local_day(at), row["ip_hash"])
        seen = counted.get(key)
        if seen is None:
            counted[key] = [1, at]
        else:
            seen[0] += 1
            seen[1] = min(seen[1], at)
    return [
        {"batch_id": batch_id, "serial": serial, "day": day, "ip_hash": ip, "scans": scans, "first_at": first_at}
        for (batch_id, serial, day, ip), (scans, first_at) in sorted(counted.items())
    ]


def scan_row(
    *,
    code: str,
    lang: str,
    device: DeviceClass,
    ip_digest: str,
    batch_id: int | None = None,
    serial: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A scan as its table's row; ``batch_id`` and ``serial`` only when the code is registered."""
    return {
        "scanned_at": at or utcnow(),
        "batch_id": batch_id,
        "serial": serial,
        "code": code[:MAX_CODE_LENGTH],
        "lang": lang,
        "device": device,
        "ip_hash": ip_digest,
    }


def write(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Append scans, and add them to their units' tally, in the session's transaction. On PostgreSQL its commit
    does not wait for the WAL to reach the disk: a crash may lose the last fraction of a second of scans, which a
    statistic can bear, while waiting for the disk on every batch of page views is not. The setting is local to
    this transaction."""
    conn = session.connection()
    dialect, driver = conn.dialect, conn.connection.dbapi_connection
    counted = tally(rows)
    if dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        if rows:
            _COPY_SCANS(driver, dialect, rows)
        if counted:
            arrays = {name: [row[name] for row in counted] for name in _TALLY_ROW}
            _writing("tally", dialect.name, 0).many(driver, dialect, [arrays])
        return
    for kind, names, each in (("scans", _ROW, rows), ("tally", _TALLY_ROW, counted)):
        start = 0
        while start < len(each):
            count = next(count for count in _SQLITE_ROWS if count <= len(each) - start)
            chunk = each[start : start + count]
            given = {f"{name}_{i}": row[name] for i, row in enumerate(chunk) for name in names}
            _writing(kind, dialect.name, count).many(driver, dialect, [given])
            start += count


def record(session: Session, **values: Any) -> None:
    """Append one scan (scan_row's arguments) in the session's transaction."""
    write(session, [scan_row(**values)])


class ScanLog:
    """Scans on their way to the database. The public page adds its scan here and answers at once; a thread of
    the process writes what gathered every ``interval`` seconds in one transaction: one commit for many scans
    instead of one a page, and no write lock on the page's path (SQLite has one writer at a time).

    A failure to write is logged and those scans are dropped: the consumer has had the page, and a statistic can
    bear the loss. So can it bear what a crash loses: at most ``interval`` seconds of scans (close() writes the
    rest when the service stops). Until written, a scan is counted from here (unwritten). With ``interval`` 0
    each scan is written as it is added."""

    def __init__(self, sessions: sessionmaker[Session], interval: float = 0.2, limit: int = 100_000) -> None:
        self.sessions = sessions
        self.interval = interval
        self.limit = limit
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        # (time, IP hash) of the scans by people waiting, by serial, and of those being written: what a unit's count
        # adds to the database's.
        self._pending_units: dict[str, list[tuple[datetime, str]]] = {}
        self._writing_units: dict[str, list[tuple[datetime, str]]] = {}
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, row: dict[str, Any]) -> None:
        with self._lock:
            if len(self._pending) >= self.limit:
                log.error("could not record a scan of %s: %d scans already wait for the database", row["code"],
                          len(self._pending))  # fmt: skip
                return
            self._pending.append(row)
            if row["serial"] is not None and row["device"] is not DeviceClass.BOT:
                self._pending_units.setdefault(row["serial"], []).append((row["scanned_at"], row["ip_hash"]))
            if self._thread is None and self.interval > 0:
                self._thread = threading.Thread(target=self._run, name="scan-log", daemon=True)
                self._thread.start()
        if self.interval <= 0:
            self.flush()

    def unwritten(self, serial: str) -> list[tuple[datetime, str]]:
        """(time, IP hash) of the scans by people of this unit (serials are unique) not in the database yet."""
        return self.unwritten_of([serial])[serial]

    def unwritten_of(self, serials: Iterable[str]) -> dict[str, list[tuple[datetime, str]]]:
        """unwritten() of several units."""
        with self._lock:
            return {
                serial: [*self._writing_units.get(serial, ()), *self._pending_units.get(serial, ())]
                for serial in serials
            }

    def flush(self) -> int:
        """Write what gathered, in one transaction; the number of scans written."""
        with self._lock:
            rows, self._pending = self._pending, []
            self._writing_units, self._pending_units = self._pending_units, {}
        if not rows:
            return 0
        try:
            with transaction(self.sessions) as session:
                write(session, rows)
            return len(rows)
        except SQLAlchemyError:
            log.exception("could not record a scan of %s (%d scans lost)", rows[0]["code"], len(rows))
            return 0
        finally:
            with self._lock:
                self._writing_units = {}

    def close(self) -> None:
        """Stop the thread and write what is left."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()

    def _run(self) -> None:
        while not self._closed.wait(self.interval):
            self.flush()


_DAYS = UnitScanDay.__table__.c
# Counting reads at most the latest UNIT_COUNT_LIMIT + 1 days and networks of a unit: a label copied onto thousands
# of packages is flagged long before, and the scan must not slow down with it.
UNIT_COUNT_LIMIT = 1000


def unit_figures(
    batch_id: ColumnElement[Any],
    serial: ColumnElement[Any],
    since: ColumnElement[Any],
    known: Callable[[ColumnElement[Any]], ColumnElement[bool]],
    outer: Sequence[FromClause] = (),
) -> Select[Any]:
    """The figures of one unit's scans by people, in one row, from its tally (UnitScanDay): the days and networks
    read, then the scans' count, first, recent (on days from ``since`` on), recent networks, and how many of those
    ``known`` picks (the networks of the unit's unwritten scans, which the caller counts itself). The unit: ``serial``
    of the batch ``batch_id``. Bound parameters for a statement of one unit (unit_figures_bound), or columns of
    ``outer``, the FROM items of a statement reading several units at once, which then takes this as a LATERAL
    subquery. Reads the tally's primary key, latest day first."""
    latest_days = (
        select(_DAYS.day, _DAYS.ip_hash, _DAYS.scans, _DAYS.first_at)
        .where(_DAYS.batch_id == batch_id, _DAYS.serial == serial)
        .order_by(_DAYS.day.desc())
        .limit(UNIT_COUNT_LIMIT + 1)
    )
    latest = latest_days.correlate(*outer).lateral() if outer else latest_days.subquery()
    recent = latest.c.day >= since
    return select(
        func.count(),
        func.coalesce(func.sum(latest.c.scans), 0),
        func.min(latest.c.first_at),
        func.coalesce(func.sum(case((recent, latest.c.scans))), 0),
        func.count(distinct(case((recent, latest.c.ip_hash)))),
        func.count(distinct(case((and_(recent, known(latest.c.ip_hash)), latest.c.ip_hash)))),
    )


def unit_figures_bound(batch_id: ColumnElement[Any], networks: int) -> Subquery:
    """unit_figures of the unit whose serial is bound as "serial", with UnitCount.params(): "since", and "network_0",
    "network_1"... for ``networks`` networks."""

    def known(ip_hash: ColumnElement[Any]) -> ColumnElement[bool]:
        # One parameter each rather than an expanding IN: the statement's text is then fixed, compiled once per count.
        return or_(false(), *(ip_hash == bindparam(f"network_{i}") for i in range(networks)))

    since = bindparam("since", type_=_DAYS.day.type)
    return unit_figures(batch_id, bindparam("serial"), since, known).subquery()


def _of_unit() -> ColumnElement[bool]:
    return and_(_DAYS.batch_id == bindparam("batch_id"), _DAYS.serial == bindparam("serial"))


# A unit's first scan by people, when its count stopped at the limit: the earliest of its first day.
FIRST_SCAN = DriverStatement(
    select(func.min(_DAYS.first_at)).where(
        _of_unit(), _DAYS.day == select(func.min(_DAYS.day)).where(_of_unit()).scalar_subquery()
    )
)


@dataclass(frozen=True, slots=True)
class UnitCount:
    """Counting a unit's scans at ``now``: the figures in the database (unit_figures) and ``unwritten`` scans,
    (time, IP hash) of those not written yet (ScanLog, and the scan being counted)."""

    rule: CopyRule
    now: datetime
    unwritten: Sequence[tuple[datetime, str]] = ()
    since: date = field(init=False)  # the first day whose scans are recent
    # The recent networks among the unwritten scans, in order: the database is asked which of them it has counted.
    networks: tuple[str, ...] = field(init=False)
    recent: int = field(init=False)  # how many of the unwritten scans are recent

    def __post_init__(self) -> None:
        since = local_day(self.now) - timedelta(days=self.rule.days - 1)
        # A scan is recent from this moment on, in UTC as the scans' times are: no day worked out per scan.
        start = datetime.combine(since, time(), VIETNAM_TIME).astimezone(UTC)
        recent = [ip for at, ip in self.unwritten if at >= start]
        object.__setattr__(self, "since", since)
        object.__setattr__(self, "networks", tuple(sorted(set(recent))))
        object.__setattr__(self, "recent", len(recent))

    def params(self, width: int | None = None) -> dict[str, Any]:
        """unit_figures_bound's parameters but the serial; ``width`` network parameters (at least as many as
        networks), the unused ones bound to what no IP hash is."""
        networks = [*self.networks, *[NO_NETWORK] * ((width or 0) - len(self.networks))]
        return {"since": self.since, **{f"network_{i}": ip for i, ip in enumerate(networks)}}

    def result(self, figures: Sequence[Any], first: Callable[[], datetime | None]) -> UnitScans:
        """Past UNIT_COUNT_LIMIT days and networks ``first`` reads the first scan; ``total`` then counts the scans of
        the latest only."""
        days, total, first_at, recent, networks, known = figures
        if days > UNIT_COUNT_LIMIT:
            first_at = first()
        if self.unwritten:
            first_at = min(at for at in (first_at, *(at for at, _ in self.unwritten)) if at is not None)
            total += len(self.unwritten)
            recent += self.recent
            networks += len(self.networks) - known
        return UnitScans(
            total=total,
            first_at=first_at,
            recent=recent,
            recent_networks=networks,
            looks_copied=recent > self.rule.scans and networks > self.rule.networks,
        )
