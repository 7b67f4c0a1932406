"""Scans: each page view is recorded (time, code, language, device class, a salted hash of the IP, never the IP);
a unit code shows its count and first scan and warns of a copied label by a configurable rule; a failure to record
never costs the consumer the page."""

import asyncio
import logging
import re
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import scan_writes_refused
from tests.web.test_public_page import PHONE, new_gtin, showcase, text_of
from trace import scans
from trace.lookup import Key, Missing, Page
from trace.pagecache import PageCache
from trace.scans import CopyRule, DeviceClass, Scan, ScanLog, UnitScans
from web.public import scan
from web.public.view import Fmt


def recorded(db: Session) -> list[Scan]:
    return list(db.scalars(select(Scan).order_by(Scan.id)))


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (PHONE, DeviceClass.MOBILE),
        ("Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36 Zalo/24",
         DeviceClass.MOBILE),
        ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", DeviceClass.TABLET),
        ("Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 Chrome/126.0 Safari/537.36", DeviceClass.TABLET),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
         DeviceClass.DESKTOP),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", DeviceClass.BOT),
        ("facebookexternalhit/1.1", DeviceClass.BOT),
        ("curl/8.5.0", DeviceClass.BOT),
        ("", DeviceClass.BOT),
        (None, DeviceClass.BOT),
    ],
)  # fmt: skip
def test_device_class(user_agent: str | None, expected: DeviceClass) -> None:
    assert scans.device_class(user_agent) is expected


def test_each_page_view_is_recorded_without_the_ip(db: Session, client: TestClient) -> None:
    s = showcase(db)
    client.get(s.unit_path(), headers={"user-agent": PHONE, "accept-language": "zh"})
    client.get(f"/01/{new_gtin()}/10/FAKE", headers={"user-agent": "curl/8"})
    first, fake = recorded(db)
    assert first.batch_id == s.batch.id and first.serial == s.serials[0]
    assert first.code == s.unit_path() and first.lang == "zh" and first.device is DeviceClass.MOBILE
    assert datetime.now(UTC) - first.scanned_at < timedelta(minutes=1)
    assert re.fullmatch(r"[0-9a-f]{32}", first.ip_hash)
    assert first.ip_hash == fake.ip_hash  # the same network gives the same hash ...
    assert "testclient" not in {first.ip_hash, fake.ip_hash}  # ... and never the address itself
    assert fake.batch_id is None and fake.serial is None and fake.code.endswith("/10/FAKE")
    assert fake.device is DeviceClass.BOT


def test_the_ip_hash_is_keyed_by_the_salt() -> None:
    assert scans.ip_hash("203.0.113.9", b"one") != scans.ip_hash("203.0.113.9", b"two")
    assert scans.ip_hash("203.0.113.9", b"one") == scans.ip_hash("203.0.113.9", b"one")
    assert scans.ip_hash("203.0.113.9", b"one") != scans.ip_hash("203.0.113.10", b"one")


def test_linkset_head_and_redirects_are_not_scans(db: Session, client: TestClient) -> None:
    s = showcase(db)
    client.head(s.unit_path())
    client.get(s.unit_path(), headers={"accept": "application/linkset+json"})
    client.get(s.unit_path() + "?linkType=gs1:certificationInfo", follow_redirects=False)
    assert recorded(db) == []


def test_a_unit_code_shows_how_often_and_since_when_it_was_scanned(db: Session, client: TestClient) -> None:
    s = showcase(db)
    first = client.get(s.unit_path(), headers={"user-agent": PHONE})
    assert "Đây là lần đầu tiên mã này được quét." in text_of(first.text)
    client.get(s.unit_path(), headers={"user-agent": "Googlebot/2.1"})  # bots do not count
    third = client.get(s.unit_path(), headers={"user-agent": PHONE, "accept-language": "en"})
    words = text_of(third.text)
    first_scan = Fmt("en").vn(recorded(db)[0].scanned_at)
    assert f"This code has been scanned 2 times. First scan: {first_scan}." in words
    assert "This label may have been copied" not in words
    # The rule is written out in the page's words, with the configured numbers.
    assert "more than 10 times from more than 5 different networks within 30 days, today included" in words
    # Another unit of the same batch has its own count.
    other_unit = client.get(s.unit_path(1), headers={"accept-language": "en", "user-agent": PHONE})
    assert "first time" in text_of(other_unit.text)


def _scan(db: Session, batch_id: int, serial: str, network: str, at: datetime | None = None) -> None:
    scans.record(db, code="x", lang="vi", device=DeviceClass.MOBILE, ip_digest=network, batch_id=batch_id,
                 serial=serial, at=at)  # fmt: skip


def test_a_copied_label_is_flagged_by_the_configured_rule(db: Session, app: FastAPI, client: TestClient) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"copied_label_scans": 4, "copied_label_networks": 2, "copied_label_days": 7}
    )
    s = showcase(db)
    old = datetime.now(UTC) - timedelta(days=20)
    for network in ("a", "b", "c", "d", "e", "f"):  # many scans, but long ago: outside the window
        _scan(db, s.batch.id, s.serials[0], network, at=old)
    for _ in range(4):  # many recent scans, from one network
        _scan(db, s.batch.id, s.serials[0], "a")
    words = text_of(client.get(s.unit_path(), headers={"accept-language": "en", "user-agent": PHONE}).text)
    assert "This label may have been copied" not in words
    assert "This code has been scanned 11 times" in words
    assert "more than 4 times from more than 2 different networks within 7 days, today included" in words

    for network in ("b", "c"):
        _scan(db, s.batch.id, s.serials[0], network)
    response = client.get(s.unit_path(), headers={"accept-language": "en", "user-agent": PHONE})
    words = text_of(response.text)
    assert '<section id="unit" class="warn" role="alert">' in response.text
    assert "This label may have been copied" in words
    assert "In the last 7 days, today included, this code was scanned 8 times from 4 different networks." in words
    # the other units of the batch are not affected
    other = text_of(client.get(s.unit_path(1), headers={"accept-language": "en"}).text)
    assert "This label may have been copied" not in other


def test_a_failed_recording_still_gives_the_page_and_is_logged(
    db: Session, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    s = showcase(db)
    with scan_writes_refused(db.connection()), caplog.at_level(logging.ERROR):
        response = client.get(s.unit_path(), headers={"user-agent": PHONE})
    assert response.status_code == 200
    assert "Hạt dẻ Trùng Khánh" in response.text and "Đây là lần đầu tiên mã này được quét." in response.text
    assert recorded(db) == []
    assert any("could not record a scan" in r.getMessage() and r.exc_info for r in caplog.records)


def test_an_unissued_serial_is_not_registered(db: Session, client: TestClient) -> None:
    s = showcase(db)
    other = showcase(db, lot="HD-2611")
    for path in (f"{s.path}/21/ZZZZZZZZZZZZ", f"{s.path}/21/{other.serials[0]}"):
        response = client.get(path, headers={"accept-language": "en"})
        assert response.status_code == 404
        words = text_of(response.text)
        assert "This unit code is not among the labels issued for Hạt dẻ Trùng Khánh" in words
        assert "The label may be fake." in words and "Harvesting" not in words
    # A unit code without its lot is found through its serial, on the product of that GTIN only.
    without_lot = client.get(f"/01/{s.product.gtin}/21/{s.serials[2]}")
    assert without_lot.status_code == 200
    # Its codes are the unit's, lot included: what its label carries.
    assert f"(01){s.product.gtin}(10){s.batch.lot_code}(21){s.serials[2]}" in text_of(without_lot.text)
    as_printed = client.get(s.unit_path(2))
    assert f"(01){s.product.gtin}(10){s.batch.lot_code}(21){s.serials[2]}" in text_of(as_printed.text)
    assert client.get(f"/01/{other.product.gtin}/21/{s.serials[2]}").status_code == 404
    # The short route takes serials too.
    assert client.get(f"/c/{s.batch.public_code}/{s.serials[1].lower()}").status_code == 200
    assert client.get(f"/c/{other.batch.public_code}/{s.serials[1]}").status_code == 404


def test_a_database_failure_answers_a_page_not_a_stack_trace(
    db: Session, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    s = showcase(db)
    bind = db.connection()

    def refuse(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM batches" in statement:
            raise conn.dialect.loaded_dbapi.OperationalError("database is locked")

    event.listen(bind, "before_cursor_execute", refuse)
    try:
        with caplog.at_level(logging.ERROR):
            page = client.get(s.path, headers={"accept-language": "en"})
            linkset = client.get(s.path, headers={"accept": "application/linkset+json"})
    finally:
        event.remove(bind, "before_cursor_execute", refuse)
    assert page.status_code == 503 and "The service is busy. Please try again in a moment." in page.text
    assert "Traceback" not in page.text and "OperationalError" not in page.text
    assert linkset.status_code == 503 and linkset.json()["error"] == "unavailable"
    assert any("lookup of" in r.getMessage() for r in caplog.records)


def test_scans_arriving_together_are_read_together_each_with_its_own_unit(
    db: Session, app: FastAPI, client: TestClient
) -> None:
    s = showcase(db)
    _scan(db, s.batch.id, s.serials[0], "earlier")
    db.flush()
    batches: list[int] = []
    reads = app.state.scan_reads
    read = reads.call

    def counted(asks: Sequence[Any]) -> Any:
        batches.append(len(asks))
        return read(asks)

    reads.call = counted
    # Written when the test says: the scans of this test are read while others are being answered.
    app.state.scan_log = ScanLog(app.state.sessions, interval=60)
    units = (0, 1, 2, 0, 1)

    async def scan_together() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://trace.example.vn") as phone:
            headers = {"accept-language": "en", "user-agent": PHONE}
            return await asyncio.gather(*(phone.get(s.unit_path(unit), headers=headers) for unit in units))

    pages = asyncio.run(scan_together())
    app.state.scan_log.close()
    assert sum(batches) == len(units) and len(batches) < len(units)
    for unit, page in zip(units, pages, strict=True):
        words = text_of(page.text)
        assert page.status_code == 200 and f"(21){s.serials[unit]}" in words
        # Scans read in the same moment do not see each other: each counts the database's and its own.
        if unit == 0:
            assert "This code has been scanned 2 times" in words
        else:
            assert "This is the first time this code has been scanned." in words
    _earlier, *written = recorded(db)
    assert sorted(scan.serial for scan in written) == sorted(s.serials[unit] for unit in units)


def test_reading_scans_together_gives_each_what_reading_it_alone_gives(
    db: Session, connection: Connection, sessions: sessionmaker[Session]
) -> None:
    """The scans waiting in a process are read in one go (on PostgreSQL one statement for all): each unit's figures
    are those its own statement gives, whatever the others, with several unwritten networks, a bot, a unit never
    scanned, a serial not issued and a page view that does not count."""
    s = showcase(db)
    now = datetime.now(UTC)
    for serial, network, days in ((0, "a", 1), (0, "b", 2), (0, "a", 40), (1, "c", 3)):
        _scan(db, s.batch.id, s.serials[serial], network, at=now - timedelta(days=days))
    db.flush()
    rule = CopyRule(scans=2, networks=1, days=7)
    log = ScanLog(sessions, interval=60)  # unwritten until the test ends
    for serial, network in ((0, "b"), (0, "d"), (1, "e")):
        log.add(scans.scan_row(code="x", lang="vi", device=DeviceClass.MOBILE, ip_digest=network, batch_id=s.batch.id,
                               serial=s.serials[serial], at=now))  # fmt: skip
    state = SimpleNamespace(
        engine=connection.engine, scan_log=log, sessions=sessions, page_cache=PageCache(),
        reads=lambda: nullcontext(connection.connection),
    )  # fmt: skip
    key = Key(gtin=s.product.gtin, lot=s.batch.lot_code)
    asks = [
        scan.Ask(replace(key, serial=s.serials[0]), now, rule, counted=True, network="z"),
        scan.Ask(replace(key, serial=s.serials[1]), now, rule, counted=True, network=None),  # a bot's scan
        scan.Ask(replace(key, serial=s.serials[2]), now, rule, counted=True, network="a"),  # never scanned
        scan.Ask(replace(key, serial="ZZZZZZZZZZZZ"), now, rule, counted=True, network="a"),  # not issued
        scan.Ask(replace(key, serial=s.serials[0]), now, rule, counted=False, network=None),  # a HEAD, say
        scan.Ask(key, now, rule, counted=False, network=None),  # the batch's page
    ]
    together = scan.read(state, asks)
    alone = [scan.read(state, [ask])[0] for ask in asks]
    log.close()
    assert together == alone
    first, bot, never, unissued, head, batch_page = together
    assert isinstance(first, scan.Found) and first.unit == UnitScans(
        total=3 + 2 + 1, first_at=now - timedelta(days=40), recent=2 + 2 + 1, recent_networks=4, looks_copied=True
    )  # a, b in the database; b, d unwritten; z this scan: a, b, d, z
    assert isinstance(bot, scan.Found) and bot.unit == UnitScans(
        total=2, first_at=now - timedelta(days=3), recent=2, recent_networks=2, looks_copied=False
    )
    assert isinstance(never, scan.Found) and never.unit == UnitScans(
        total=1, first_at=now, recent=1, recent_networks=1, looks_copied=False
    )
    assert isinstance(unissued, scan.Found) and isinstance(unissued.found, Missing) and unissued.unit is None
    assert isinstance(head, scan.Found) and head.unit is None and isinstance(head.found, Page)
    assert isinstance(batch_page, scan.Found) and batch_page.found.serial is None  # type: ignore[union-attr]


def test_a_unit_scanned_from_many_networks_at_once_is_counted_right(
    db: Session, connection: Connection, sessions: sessionmaker[Session]
) -> None:
    """A copied label's crowd, or a bot farm: a unit scanned from tens of networks in the moment before its scans are
    written. Each count is right, and on SQLite (a parameter a network) the widths round up to powers of two: a few
    statements compiled, not one for every count of networks."""
    s = showcase(db)
    now = datetime.now(UTC)
    for network in range(5):
        _scan(db, s.batch.id, s.serials[0], f"n{network}", at=now - timedelta(hours=1))
    db.flush()
    rule = CopyRule(scans=10, networks=5, days=30)
    log = ScanLog(sessions, interval=60)  # unwritten until the test ends
    state = SimpleNamespace(
        engine=connection.engine, scan_log=log, sessions=sessions, page_cache=PageCache(),
        reads=lambda: nullcontext(connection.connection),
    )  # fmt: skip
    key = Key(gtin=s.product.gtin, lot=s.batch.lot_code, serial=s.serials[0])
    scan._stamp_and_unit.cache_clear()
    for unwritten in range(1, 38):  # n0 .. n36, then this scan's own from "z"
        log.add(scans.scan_row(code="x", lang="vi", device=DeviceClass.MOBILE, ip_digest=f"n{unwritten - 1}",
                               batch_id=s.batch.id, serial=s.serials[0], at=now))  # fmt: skip
        (found,) = scan.read(state, [scan.Ask(key, now, rule, counted=True, network="z")])
        assert isinstance(found, scan.Found) and found.unit == UnitScans(
            total=5 + unwritten + 1, first_at=now - timedelta(hours=1), recent=5 + unwritten + 1,
            recent_networks=max(5, unwritten) + 1, looks_copied=5 + unwritten + 1 > 10,
        )  # fmt: skip
    log.close()
    if connection.dialect.name == "sqlite":
        assert scan._stamp_and_unit.cache_info().misses == 6  # 2 to 38 networks: 2, 4, 8, 16, 32 and 64


def test_the_scans_own_parts_escape_what_they_show(db: Session, client: TestClient) -> None:
    """A lot is the producer's own text and GS1 lets it hold <, & and " (CSET 82): the codes show it escaped."""
    s = showcase(db, lot='A<B&"C')
    response = client.get(f"/01/{s.product.gtin}/10/{quote(s.batch.lot_code, safe='')}/21/{s.serials[0]}")
    assert response.status_code == 200
    codes = response.text[response.text.index('<section id="codes">') :]
    assert "<dd>A&lt;B&amp;&#34;C</dd>" in codes
    assert "(10)A&lt;B&amp;&#34;C(21)" in codes  # the GS1 element string
    assert "A<B" not in response.text
