"""DriverStatement: the scan's statement run on the driver's own connection gives what SQLAlchemy's execution gives,
values converted both ways (dates on SQLite are text underneath, enums are strings); a driver error comes out as
SQLAlchemy's, and driver_connection replaces a connection that failed."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, bindparam, func, literal, literal_column, select, text
from sqlalchemy.exc import DBAPIError, NoResultFound
from sqlalchemy.orm import Session

from tests import factories
from trace import scans
from trace.db import DriverStatement, driver_connection, make_engine, utcnow
from trace.scans import DeviceClass, Scan

SCANS = Scan.__table__.c


def test_a_statement_on_the_driver_reads_what_sqlalchemy_reads(db: Session) -> None:
    owner = factories.producer(db)
    batch = factories.batch(db, owner, factories.product(db, owner))
    now = utcnow()
    for days, device in ((3, DeviceClass.MOBILE), (2, DeviceClass.BOT), (1, DeviceClass.TABLET)):
        scans.record(db, code="x", lang="vi", device=device, ip_digest=f"n{days}", batch_id=batch.id, serial="S1",
                     at=now - timedelta(days=days))  # fmt: skip
    db.flush()
    statement = select(
        func.count(),
        func.min(SCANS.scanned_at),
        func.max(SCANS.scanned_at),
        func.max(SCANS.device),
        select(SCANS.serial).where(SCANS.serial == "no such serial").scalar_subquery(),
    ).where(
        SCANS.batch_id == bindparam("batch_id"),
        SCANS.device != DeviceClass.BOT,  # an enum bound by its type
        SCANS.scanned_at >= bindparam("since", type_=SCANS.scanned_at.type),  # a date, text on SQLite
    )
    params = {"batch_id": batch.id, "since": now - timedelta(days=5)}
    conn = db.connection()
    expected = tuple(conn.execute(statement, params).one())
    row = DriverStatement(statement).one(conn.connection, conn.dialect, params)
    assert row == expected
    assert row[:2] == (2, now - timedelta(days=3)) and row[1].tzinfo is not None and row[4] is None
    # The statement is compiled once per dialect and its values bound anew each time.
    driven = DriverStatement(statement)
    later = {"batch_id": batch.id, "since": now - timedelta(hours=36)}
    assert driven.one(conn.connection, conn.dialect, params)[0] == 2
    assert driven.one(conn.connection, conn.dialect, later)[0] == 1
    # Several at once (on PostgreSQL in one pipeline): each its own row, in order.
    never = {"batch_id": batch.id + 1, "since": now - timedelta(days=5)}
    assert driven.each(conn.connection, conn.dialect, [later, params, never, later]) == [
        driven.one(conn.connection, conn.dialect, each) for each in (later, params, never, later)
    ]
    assert [row[0] for row in driven.each(conn.connection, conn.dialect, [later, params, never])] == [1, 2, 0]


def test_no_row_is_sqlalchemys_no_result(engine: Engine) -> None:
    reader = make_engine(engine.url, autocommit=True)
    some = DriverStatement(select(literal(1)).where(bindparam("n") > 0))
    try:
        with driver_connection(reader) as conn, pytest.raises(NoResultFound):
            some.one(conn, reader.dialect, {"n": 0})
        with driver_connection(reader) as conn, pytest.raises(NoResultFound):
            some.each(conn, reader.dialect, [{"n": 1}, {"n": 0}, {"n": 1}])
    finally:
        reader.dispose()


def test_a_driver_error_is_sqlalchemys_and_the_failed_connection_is_replaced(engine: Engine) -> None:
    reader = make_engine(engine.url, autocommit=True)
    try:
        with driver_connection(reader) as conn:
            first = conn.dbapi_connection
        with driver_connection(reader) as conn:
            assert conn.dbapi_connection is first  # pooled
        missing = DriverStatement(select(literal_column("x")).select_from(text("no_such_table")))
        with pytest.raises(DBAPIError, match="no_such_table"), driver_connection(reader) as conn:
            missing.one(conn, reader.dialect, {})
        with driver_connection(reader) as conn:
            assert conn.dbapi_connection is not first
            assert DriverStatement(select(literal(1))).one(conn, reader.dialect, {}) == (1,)
    finally:
        reader.dispose()
