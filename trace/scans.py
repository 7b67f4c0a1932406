"""Scans: every time a consumer opens a code's public page. Append-only, kept without the raw IP address (a keyed
hash stands in for it, enough to count distinct networks), and cheap: one insert on the hot path.

For a unit code (a serial) the page shows how often it was scanned and warns when the pattern suggests a copied
label: a genuine unit is scanned by a few people, a copied label by many, from many networks."""

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, bindparam, case, distinct, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from trace.db import Base, UTCDateTime, enum_type, utcnow

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


def ip_hash(ip: str | None, salt: bytes) -> str:
    """A keyed hash of the address: the same network gives the same value, but without the salt (kept out of the
    database) the address cannot be recovered by hashing all 2^32 IPv4 addresses."""
    return hmac.new(salt, (ip or "").encode(), hashlib.sha256).hexdigest()[:32]


_INSERT = Scan.__table__.insert()


def record(
    session: Session,
    *,
    code: str,
    lang: str,
    device: DeviceClass,
    ip_digest: str,
    batch_id: int | None = None,
    serial: str | None = None,
    at: datetime | None = None,
) -> bool:
    """Append a scan, in the scan's own transaction. A failure is logged and the transaction rolled back, never
    raised: the consumer must still get the page. Callers read everything they show before calling this (a
    rollback expires loaded records).

    On PostgreSQL the transaction's commit does not wait for the WAL to reach the disk: a crash may lose the last
    fraction of a second of scans, which is acceptable for a statistic, while waiting for the disk on every page
    view is not. The setting is local to this transaction."""
    values = {
        "scanned_at": at or utcnow(),
        "batch_id": batch_id,
        "serial": serial,
        "code": code[:MAX_CODE_LENGTH],
        "lang": lang,
        "device": device,
        "ip_hash": ip_digest,
    }
    try:
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        conn.execute(_INSERT, values)
        return True
    except SQLAlchemyError:
        log.exception("could not record a scan of %s", code)
        session.rollback()
        return False


_SCANS = Scan.__table__.c
_OF_UNIT = (
    _SCANS.batch_id == bindparam("batch_id"),
    _SCANS.serial == bindparam("serial"),
    _SCANS.device != DeviceClass.BOT,
)
# Counting stops at UNIT_COUNT_LIMIT rows: a label copied onto thousands of packages is flagged long before, and
# the scan must not slow down with it.
UNIT_COUNT_LIMIT = 1000
_LATEST = (
    select(_SCANS.scanned_at, _SCANS.ip_hash)
    .where(*_OF_UNIT)
    .order_by(_SCANS.scanned_at.desc())
    .limit(UNIT_COUNT_LIMIT + 1)
    .subquery()
)
_UNIT_STATS = select(
    func.count(),
    func.min(_LATEST.c.scanned_at),
    func.count(case((_LATEST.c.scanned_at >= bindparam("since"), 1))),
    func.count(distinct(case((_LATEST.c.scanned_at >= bindparam("since"), _LATEST.c.ip_hash)))),
)
_FIRST = select(_SCANS.scanned_at).where(*_OF_UNIT).order_by(_SCANS.scanned_at).limit(1)


def unit_scans(session: Session, batch_id: int, serial: str, rule: CopyRule, now: datetime | None = None) -> UnitScans:
    """How often this unit code was scanned by people (bots left out), and whether that looks like a copied label.
    ``total`` stops at UNIT_COUNT_LIMIT + 1 (shown as "more than"); reads the (batch_id, serial, scanned_at) index."""
    since = (now or utcnow()) - timedelta(days=rule.days)
    conn = session.connection()
    params = {"batch_id": batch_id, "serial": serial, "since": since}
    total, first_at, recent, networks = conn.execute(_UNIT_STATS, params).one()
    if total > UNIT_COUNT_LIMIT:
        first_at = conn.execute(_FIRST, params).scalar()
    return UnitScans(
        total=total,
        first_at=first_at,
        recent=recent,
        recent_networks=networks,
        looks_copied=recent > rule.scans and networks > rule.networks,
    )
