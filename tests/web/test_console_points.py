"""A traceability point works for the producers of its communes only, registers them with their consent, and
everything it does is recorded as done by the point for that producer."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests import factories
from tests.web.console_support import field_errors, log_in, post, value_of
from trace import organizations
from trace.access import Role
from trace.audit import AuditEntry
from trace.batches import Batch
from trace.labelruns import LabelRun
from trace.organizations import Organization, OrgStatus
from trace.points import TracePoint
from trace.products import Product


@pytest.fixture
def point(db: Session) -> TracePoint:
    return factories.trace_point(db, ("Trùng Khánh", "Đàm Thủy"))


@pytest.fixture
def operator(app: FastAPI, db: Session, point: TracePoint) -> TestClient:
    user = factories.user(db, Role.POINT_OPERATOR, trace_point_id=point.id)
    return log_in(TestClient(app, follow_redirects=False), user.login)


REGISTRATION = {
    "kind": "household_business",
    "name": "Hộ Nông Văn Páo",
    "address": "Xóm Pác Ngà",
    "commune": "Đàm Thủy",
    "province": "Cao Bằng",
    "consent_note": "Phiếu đồng ý số 12, lưu tại điểm",
}


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("consent_note", {"consent_note": ""}),
        ("commune", {"commune": "Hòa An"}),
        ("name", {"name": ""}),
        ("tax_code", {"tax_code": "48-00"}),
    ],
)
def test_registration_on_behalf_refuses_bad_input(
    db: Session, operator: TestClient, field: str, changes: dict[str, str]
) -> None:
    before = db.scalar(select(func.count()).select_from(Organization))
    response = post(operator, "/points/register", {**REGISTRATION, **changes})
    assert response.status_code == 422
    assert field in field_errors(response.text)
    assert value_of(response.text, "address") == "Xóm Pác Ngà"
    assert db.scalar(select(func.count()).select_from(Organization)) == before


def test_operator_works_for_a_producer_on_its_behalf(db: Session, operator: TestClient, point: TracePoint) -> None:
    response = post(operator, "/points/register", REGISTRATION)
    assert response.status_code == 303
    org = db.scalars(select(Organization).where(Organization.name == "Hộ Nông Văn Páo")).one()
    assert org.status is OrgStatus.PENDING and org.registered_by_point_id == point.id
    assert org.consent_note == "Phiếu đồng ý số 12, lưu tại điểm"
    base = response.headers["location"]
    assert base == f"/points/producers/{org.id}"
    assert "Đang làm việc cho Hộ Nông Văn Páo" in operator.get(base).text

    assert post(operator, f"{base}/products/new", {"name_vi": "Thạch đen", "unit": "gói"}).status_code == 303
    product = db.scalars(select(Product).where(Product.organization_id == org.id)).one()
    data = {"product_id": str(product.id), "lot_code": "TD-01", "production_date": "2026-11-02"}
    response = post(operator, f"{base}/batches/new", data)
    assert response.status_code == 303
    batch = db.scalars(select(Batch).where(Batch.organization_id == org.id)).one()

    # The point's producer is verified by the authority before its batch can go public and be printed.
    organizations.set_status(db, factories.ADMIN, org.id, OrgStatus.VERIFIED, None)
    db.flush()
    assert post(operator, f"{base}/batches/{batch.id}/publish").status_code == 303
    run_form = {"layout": "thermal-50x30", "count": "3", "skip": "0", "idempotency_key": "diem-1"}
    response = post(operator, f"{base}/batches/{batch.id}/labels", run_form)
    assert response.status_code == 303, response.text[:400]
    run = db.scalars(select(LabelRun)).one()
    assert run.trace_point_id == point.id and run.organization_id == org.id
    pdf = operator.get(f"{base}/labels/{run.id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    entries = db.scalars(select(AuditEntry).where(AuditEntry.trace_point_id == point.id)).all()
    assert {e.action for e in entries} >= {
        "organization.register", "product.create", "batch.create", "batch.publish", "label_run.create",
        "label_run.print",
    }  # fmt: skip
    assert all(e.on_behalf_of_org_id == org.id for e in entries)
    history = operator.get("/points/history").text
    assert "Hộ Nông Văn Páo" in history and "label_run.print" in history and f"/labels/{run.id}" in history


def test_operator_reaches_no_other_producer(db: Session, operator: TestClient) -> None:
    served = factories.producer(db, "Trùng Khánh")
    factories.product(db, served)
    elsewhere = factories.producer(db, "Hòa An")
    home = operator.get("/points").text
    assert served.org.name in home and elsewhere.org.name not in home
    assert operator.get(f"/points/producers/{elsewhere.org.id}").status_code == 404
    product = factories.product(db, elsewhere)
    assert operator.get(f"/points/producers/{served.org.id}/products/{product.id}").status_code == 404
    data = {"product_id": str(product.id), "lot_code": "X-1", "production_date": "2026-11-02"}
    response = post(operator, f"/points/producers/{served.org.id}/batches/new", data)
    assert response.status_code == 422 and "product_id" in field_errors(response.text)
    assert db.scalar(select(func.count()).select_from(Batch)) == 0
    assert "Hộ Nông" not in operator.get("/points/history").text
