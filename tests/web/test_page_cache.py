"""Kept public pages: a page read once serves the next scans, and any change to what a page shows (in any table,
by any code or process) shows on the very next scan, because the publication version moves with it."""

from contextlib import nullcontext
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session

from tests import factories
from tests.web.test_public_page import PHONE, showcase, text_of
from trace import batches, certifications, labelruns, lookup, pagecache, publication, scans
from trace.db import DriverStatement, vietnam_today
from trace.labelruns import LabelRunIn
from trace.lookup import Key, Missing, Page
from trace.pagecache import PageCache
from trace.scans import DeviceClass
from web.app import create_app


def version(db: Session) -> int:
    return publication.current(db.connection())


STAMP = DriverStatement(pagecache.stamp(bindparam("serial")))


def find(cache: PageCache, db: Session, key: Key, today: date, reads: list[Key] | None = None) -> tuple[Any, Any]:
    """As the scan finds a page: the stamp on the driver's connection, a page not kept read from the session."""
    conn = db.connection()
    stamped = STAMP.one(conn.connection, conn.dialect, {"serial": key.serial})

    def read(shared: Key) -> Page | Missing:
        if reads is not None:
            reads.append(shared)
        return lookup.find(db, shared, today)

    return cache.find(key, today, stamped, read)


@pytest.mark.parametrize("table", publication.PUBLIC_TABLES)
def test_a_change_to_any_public_table_moves_the_version(db: Session, table: str) -> None:
    before = version(db)
    showcase(db)  # inserts into every public table
    assert version(db) > before
    before = version(db)
    db.execute(text(f"UPDATE {table} SET id = id WHERE id = (SELECT max(id) FROM {table})"))
    assert version(db) > before
    if table in ("product_images", "event_photos", "batch_inputs"):  # rows nothing else refers to
        before = version(db)
        db.execute(text(f"DELETE FROM {table} WHERE id = (SELECT max(id) FROM {table})"))
        assert version(db) > before
    # and each verb has its trigger, whatever rows a test can make
    if db.get_bind().dialect.name == "postgresql":
        verbs = db.scalars(
            text("SELECT event_manipulation FROM information_schema.triggers WHERE event_object_table = :t "
                 "AND trigger_name = :t || '_publication'"), {"t": table},
        ).all()  # fmt: skip
    else:
        verbs = [name.rsplit("_", 1)[1].upper() for name in db.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t "
                 "AND name LIKE '%publication%'"),
            {"t": table},
        )]  # fmt: skip
    assert sorted(verbs) == ["DELETE", "INSERT", "UPDATE"]


def test_scans_label_runs_and_reports_leave_the_version_alone(db: Session) -> None:
    s = showcase(db)
    before = version(db)
    scans.record(db, code=s.unit_path(), lang="vi", device=DeviceClass.MOBILE, ip_digest="n", batch_id=s.batch.id,
                 serial=s.serials[0])  # fmt: skip
    labelruns.create(db, s.owner.caller, s.batch.id, LabelRunIn(count=5, layout="a4"), "more", "https://x.vn")
    db.flush()
    assert version(db) == before


def test_a_kept_page_is_the_page_the_database_gives(db: Session) -> None:
    s = showcase(db)
    gtin, lot, today = s.product.gtin, s.batch.lot_code, vietnam_today()
    cache = PageCache()
    keys = [
        Key(gtin=gtin, lot=lot),
        Key(gtin=gtin, lot=lot, serial=s.serials[0]),
        Key(gtin=gtin, lot=lot, serial=s.serials[1]),  # another unit of the same kept page
        Key(gtin=gtin, serial=s.serials[2]),  # a unit without its lot
        Key(public_code=s.batch.public_code, serial=s.serials[0]),
        Key(gtin=gtin),  # the product's page
        Key(gtin=gtin, lot=lot, serial="ZZZZZZZZZZZZ"),  # not issued
        Key(gtin=gtin, lot="NO-SUCH-LOT", serial=s.serials[0]),
    ]
    for _ in range(2):  # read, then kept
        for key in keys:
            assert find(cache, db, key, today)[0] == lookup.find(db, key, today), key


def test_units_of_a_batch_share_one_read_of_the_page(db: Session) -> None:
    s = showcase(db)
    cache, today = PageCache(), vietnam_today()
    reads: list[Key] = []
    batch = Key(gtin=s.product.gtin, lot=s.batch.lot_code)
    first, kept = find(cache, db, replace(batch, serial=s.serials[0]), today, reads)
    assert reads == [batch]  # the batch's page, without the serial
    second, kept_again = find(cache, db, replace(batch, serial=s.serials[1]), today, reads)
    assert len(reads) == 1  # the second unit is served from the kept page
    assert isinstance(first, Page) and isinstance(second, Page) and kept is kept_again
    assert (first.serial, second.serial) == (s.serials[0], s.serials[1])


def test_a_cache_keeps_at_most_its_size(db: Session) -> None:
    s = showcase(db)
    other = showcase(db, lot="HD-2611")
    cache, today = PageCache(size=1), vietnam_today()
    _, first = find(cache, db, Key(gtin=s.product.gtin, lot=s.batch.lot_code), today)
    find(cache, db, Key(gtin=other.product.gtin, lot=other.batch.lot_code), today)
    _, again = find(cache, db, Key(gtin=s.product.gtin, lot=s.batch.lot_code), today)
    assert first is not None and again is not None and again is not first  # read anew: it had been let go


def test_every_process_shows_a_change_on_its_next_scan(
    db: Session, client: TestClient, app: Any, sessions: Any, connection: Connection
) -> None:
    """Two processes of the service (two apps, each with its own kept pages) over one database."""
    s = showcase(db)
    other_app = create_app(app.state.settings, app.state.engine)
    other_app.state.sessions = sessions
    other_app.state.reads = lambda: nullcontext(connection.connection)
    other_app.state.scan_log = scans.ScanLog(sessions, interval=0)
    with TestClient(other_app) as other:
        for c in (client, other):
            words = text_of(c.get(s.unit_path(), headers={"user-agent": PHONE}).text)
            assert "VietGAP-TT-24-09-0311" in words and "Lô hàng này đã bị thu hồi" not in words

        certifications.revoke(db, factories.ADMIN, s.vietgap.id, "Vi phạm quy trình")
        batches.recall(db, factories.ADMIN, s.batch.id, "Phát hiện nấm mốc")
        s.product.name_vi = "Hạt dẻ Trùng Khánh loại 1"  # even a change made outside trace.products
        db.flush()
        for c in (client, other):
            html = c.get(s.unit_path(1), headers={"user-agent": PHONE}).text
            assert html.count('class="cert s-revoked">\n<h3>VietGAP') == 2 and "Vi phạm quy trình" in html
            assert "Lô hàng này đã bị thu hồi" in text_of(html) and "Phát hiện nấm mốc" in html
            assert "<h1>Hạt dẻ Trùng Khánh loại 1</h1>" in html


def test_a_kept_page_is_read_again_on_a_new_day(db: Session) -> None:
    """Certificate statuses depend on the date (expiring, expired): a page is kept for one day."""
    s = showcase(db)
    cache = PageCache()
    key = Key(gtin=s.product.gtin, lot=s.batch.lot_code)
    _, today = find(cache, db, key, date(2026, 11, 23))
    _, tomorrow = find(cache, db, key, date(2026, 11, 24))
    assert today is not None and tomorrow is not None and today is not tomorrow
