"""Building test data through the domain rules, the same way real input arrives."""

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from trace import batches, organizations, points, products, users
from trace.access import Caller, Role
from trace.batches import Batch, BatchIn
from trace.organizations import Organization, OrganizationIn, OrgKind, OrgStatus
from trace.points import CommuneIn, TracePointIn
from trace.products import Product, ProductIn

PASSWORD = "correct horse battery"
ADMIN = Caller(role=Role.ADMIN, login="test-admin")
_seq = itertools.count(1)


@dataclass
class Producer:
    org: Organization
    owner: users.User
    caller: Caller


def producer(db: Session, commune: str = "Trùng Khánh", verified: bool = True) -> Producer:
    n = next(_seq)
    org = organizations.register(
        db,
        ADMIN,
        OrganizationIn(
            kind=OrgKind.COOPERATIVE,
            name=f"HTX Thử nghiệm {n}",
            address=f"Xóm {n}",
            commune=commune,
            province="Cao Bằng",
            tax_code=f"{4800000000 + n}",
        ),
    )
    if verified:
        organizations.set_status(db, ADMIN, org.id, OrgStatus.VERIFIED, None)
    owner = users.create_user(
        db,
        None,
        users.UserIn(
            login=f"owner{n}",
            display_name=f"Chủ {n}",
            password=PASSWORD,
            role=Role.PRODUCER_OWNER,
            organization_id=org.id,
        ),
    )
    db.flush()
    return Producer(org, owner, users.caller_for(owner))


def user(db: Session, role: Role, **kw: int) -> users.User:
    n = next(_seq)
    return users.create_user(
        db,
        None,
        users.UserIn(
            login=f"{role.value.replace('_', '.')}{n}", display_name=f"U{n}", password=PASSWORD, role=role, **kw
        ),
    )


def trace_point(db: Session, communes: tuple[str, ...] = ("Trùng Khánh",)) -> points.TracePoint:
    return points.create_trace_point(
        db,
        TracePointIn(
            name=f"Điểm {next(_seq)}",
            commune=communes[0],
            province="Cao Bằng",
            serves=[CommuneIn(commune=c, province="Cao Bằng") for c in communes],
        ),
    )


def product(db: Session, owner: Producer, gtin: str | None = None) -> Product:
    return products.create(db, owner.caller, ProductIn(name_vi=f"Miến dong {next(_seq)}", gtin=gtin, unit="gói"))


def batch(db: Session, owner: Producer, prod: Product, publish: bool = True) -> Batch:
    b = batches.create(
        db,
        owner.caller,
        BatchIn(
            product_id=prod.id,
            lot_code=f"L{next(_seq)}",
            production_date=date(2026, 10, 1),
            expiry_date=date(2027, 10, 1),
        ),
    )
    if publish:
        batches.publish(db, owner.caller, b.id)
    return b


def login(client: TestClient, login_name: str) -> TestClient:
    response = client.post("/api/v1/auth/login", json={"login": login_name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


@contextmanager
def scan_writes_refused(conn: Connection) -> Iterator[None]:
    """The database refuses every new scan, as a full disk would: a trigger, inside the test's transaction."""
    if conn.dialect.name == "postgresql":
        create = [
            "CREATE FUNCTION refuse_scan() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
            "CREATE TRIGGER refuse_scan BEFORE INSERT ON scans FOR EACH ROW EXECUTE FUNCTION refuse_scan()",
        ]
        drop = ["DROP TRIGGER refuse_scan ON scans", "DROP FUNCTION refuse_scan()"]
    else:
        create = ["CREATE TRIGGER refuse_scan BEFORE INSERT ON scans BEGIN SELECT RAISE(ABORT, 'disk full'); END"]
        drop = ["DROP TRIGGER refuse_scan"]
    for statement in create:
        conn.exec_driver_sql(statement)
    try:
        yield
    finally:
        for statement in drop:
            conn.exec_driver_sql(statement)
