"""Scans: every time a consumer opens a code's public page. Append-only, kept without the raw IP address (a keyed
hash stands in for it, enough to count distinct networks), and cheap: a page view adds its scan to the process's
ScanLog, which writes many in one transaction.

For a unit code (a serial) the page shows how often it was scanned and warns when the pattern suggests a copied
label: a genuine unit is scanned by a few people, a copied label by many, from many networks."""

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    bindparam,
    case,
    distinct,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql import ColumnElement, FromClause, Select, Subquery

from trace.db import Base, DriverStatement, UTCDateTime, enum_type, transaction, utcnow

log = logging.getLogger("trace.scans")

MAX_CODE_LENGTH = 200


class DeviceClass(StrEnum):
    MOBILE = "mobile"
    TABLET = "tablet"
    DESKTOP = "desktop"
    BOT = "bot"


class Scan(Base):
    __tablename__ = "scans"
    __table_args__ = (Index("ix_scans_batch_serial_at", "batch_id", "serial", "scanned_at"),)

    # Billions of rows in a national deployment; SQLite only auto-numbers a plain INTEGER primary key.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # None when the code is not registered: scans of fake codes are worth counting too.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    serial: Mapped[str | None] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(MAX_CODE_LENGTH))
    lang: Mapped[str] = mapped_column(String(5))
    device: Mapped[DeviceClass] = mapped_column(enum_type(DeviceClass, 10))
    ip_hash: Mapped[str] = mapped_column(String(32))


@dataclass(frozen=True, slots=True)
class CopyRule:
    """A unit code looks copied when scanned more than ``scans`` times from more than ``networks`` distinct
    networks (IP hashes) within ``days`` days."""

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


# Substrings of the User-Agent, lower-cased; checked in this order. Link previews (Zalo, Facebook) and HTTP
# libraries count as bots so that they do not inflate a unit's scan count.
_BOT_MARKERS = (
    "bot", "crawl", "spider", "slurp", "preview", "facebookexternalhit", "headless", "curl", "wget", "python",
    "httpx", "go-http-client", "java/", "okhttp", "axios", "node-fetch",
)  # fmt: skip
_TABLET_MARKERS = ("ipad", "tablet", "kindle", "silk/", "playbook")
_MOBILE_MARKERS = ("mobi", "iphone", "ipod", "android", "windows phone", "opera mini", "blackberry")


def device_class(user_agent: str | None) -> DeviceClass:
    """A coarse class from the User-Agent: enough for the authority's figures, cheap on the hot path."""
    ua = (user_agent or "").lower()
    if not ua or any(marker in ua for marker in _BOT_MARKERS):
        return DeviceClass.BOT
    if any(marker in ua for marker in _TABLET_MARKERS) or ("android" in ua and "mobile" not in ua):
        return DeviceClass.TABLET
    if any(marker in ua for marker in _MOBILE_MARKERS):
        return DeviceClass.MOBILE
    return DeviceClass.DESKTOP


NO_NETWORK = ""  # an IP hash is 32 hex digits, never this


def ip_hash(ip: str | None, salt: bytes) -> str:
    """A keyed hash of the address: the same network gives the same value, but without the salt (kept out of the
    database) the address cannot be recovered by hashing all 2^32 IPv4 addresses."""
    return hmac.new(salt, (ip or "").encode(), hashlib.sha256).hexdigest()[:32]


_ROW = ("scanned_at", "batch_id", "serial", "code", "lang", "device", "ip_hash")
_INSERT = DriverStatement(Scan.__table__.insert().inline().values({key: bindparam(key) for key in _ROW}))


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
    """Append scans in the session's transaction. On PostgreSQL its commit does not wait for the WAL to reach the
    disk: a crash may lose the last fraction of a second of scans, which a statistic can bear, while waiting for
    the disk on every batch of page views is not. The setting is local to this transaction."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    _INSERT.many(conn.connection.dbapi_connection, conn.dialect, rows)


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


_SCANS = Scan.__table__.c
# Counting stops at UNIT_COUNT_LIMIT rows: a label copied onto thousands of packages is flagged long before, and
# the scan must not slow down with it.
UNIT_COUNT_LIMIT = 1000


def unit_figures(
    batch_id: ColumnElement[Any],
    serial: ColumnElement[Any],
    since: ColumnElement[Any],
    known: Callable[[ColumnElement[Any]], ColumnElement[bool]],
    outer: Sequence[FromClause] = (),
) -> Select[Any]:
    """The figures of one unit's scans by people, in one row: count, first, recent (since ``since``), recent
    networks, and how many of those ``known`` picks (the networks of the unit's unwritten scans, which the caller
    counts itself). The unit: ``serial`` of the batch ``batch_id``. Bound parameters for a statement of one unit
    (unit_figures_bound), or columns of ``outer``, the FROM items of a statement reading several units at once, which
    then takes this as a LATERAL subquery. Reads the (batch_id, serial, scanned_at) index."""
    latest_scans = (
        select(_SCANS.scanned_at, _SCANS.ip_hash)
        .where(_SCANS.batch_id == batch_id, _SCANS.serial == serial, _SCANS.device != DeviceClass.BOT)
        .order_by(_SCANS.scanned_at.desc())
        .limit(UNIT_COUNT_LIMIT + 1)
    )
    latest = latest_scans.correlate(*outer).lateral() if outer else latest_scans.subquery()
    recent = latest.c.scanned_at >= since
    return select(
        func.count(),
        func.min(latest.c.scanned_at),
        func.count(case((recent, 1))),
        func.count(distinct(case((recent, latest.c.ip_hash)))),
        func.count(distinct(case((and_(recent, known(latest.c.ip_hash)), latest.c.ip_hash)))),
    )


def unit_figures_bound(batch_id: ColumnElement[Any], networks: int) -> Subquery:
    """unit_figures of the unit whose serial is bound as "serial", with UnitCount.params(): "since", and "network_0",
    "network_1"... for ``networks`` networks."""

    def known(ip_hash: ColumnElement[Any]) -> ColumnElement[bool]:
        # One parameter each rather than an expanding IN: the statement's text is then fixed, compiled once per count.
        return or_(false(), *(ip_hash == bindparam(f"network_{i}") for i in range(networks)))

    since = bindparam("since", type_=_SCANS.scanned_at.type)
    return unit_figures(batch_id, bindparam("serial"), since, known).subquery()


# A unit's first scan by people, when its count stopped at the limit.
FIRST_SCAN = DriverStatement(
    select(func.min(_SCANS.scanned_at)).where(
        _SCANS.batch_id == bindparam("batch_id"), _SCANS.serial == bindparam("serial"), _SCANS.device != DeviceClass.BOT
    )
)


@dataclass(frozen=True, slots=True)
class UnitCount:
    """Counting a unit's scans at ``now``: the figures in the database (unit_figures) and ``unwritten`` scans,
    (time, IP hash) of those not written yet (ScanLog, and the scan being counted)."""

    rule: CopyRule
    now: datetime
    unwritten: Sequence[tuple[datetime, str]] = ()
    since: datetime = field(init=False)  # a scan is recent from then on

    def __post_init__(self) -> None:
        object.__setattr__(self, "since", self.now - timedelta(days=self.rule.days))

    def _recent_networks(self) -> set[str]:
        return {ip for at, ip in self.unwritten if at >= self.since}

    def networks(self) -> list[str]:
        """The recent networks among the unwritten scans: the database is asked which of them it has counted."""
        return sorted(self._recent_networks())

    def params(self, width: int | None = None) -> dict[str, Any]:
        """unit_figures_bound's parameters but the serial; ``width`` network parameters (at least as many as
        networks()), the unused ones bound to what no IP hash is."""
        networks = self.networks()
        networks += [NO_NETWORK] * ((width or 0) - len(networks))
        return {"since": self.since, **{f"network_{i}": ip for i, ip in enumerate(networks)}}

    def result(self, figures: Sequence[Any], first: Callable[[], datetime | None]) -> UnitScans:
        """``total`` stops at UNIT_COUNT_LIMIT + 1 (shown as "more than"); past it ``first`` reads the first scan."""
        total, first_at, recent, networks, known = figures
        if total > UNIT_COUNT_LIMIT:
            first_at = first()
        if self.unwritten:
            first_at = min(at for at in (first_at, *(at for at, _ in self.unwritten)) if at is not None)
            total += len(self.unwritten)
            recent += sum(1 for at, _ in self.unwritten if at >= self.since)
            networks += len(self._recent_networks()) - known
        return UnitScans(
            total=total,
            first_at=first_at,
            recent=recent,
            recent_networks=networks,
            looks_copied=recent > self.rule.scans and networks > self.rule.networks,
        )
