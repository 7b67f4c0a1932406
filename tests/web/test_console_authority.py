"""The authority's pages: verification queues with approve / reject-with-reason, the producer's answer to a
rejection, revocation, recall (the public page changes at once), suspension, and the province's figures."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories
from tests.web.console_support import field_errors, log_in, post
from trace import certifications, products, scans
from trace.access import Role
from trace.certifications import CertificationIn, CertKind
from trace.db import VIETNAM_TIME, vietnam_today
from trace.organizations import OrgStatus
from trace.products import OcopGroup, ProductIn
from trace.scans import DeviceClass


@pytest.fixture
def authority(app: FastAPI, db: Session) -> TestClient:
    return log_in(TestClient(app, follow_redirects=False), factories.user(db, Role.AUTHORITY).login)


def test_producer_rejected_with_a_reason_corrects_and_is_verified(
    db: Session, app: FastAPI, authority: TestClient
) -> None:
    pending = factories.producer(db, verified=False)
    assert pending.org.name in authority.get("/authority").text
    response = post(authority, f"/authority/producers/{pending.org.id}/reject", {"reason": ""})
    assert response.status_code == 422 and "reason" in field_errors(response.text)
    reason = "Thiếu mã số thuế đúng"
    assert post(authority, f"/authority/producers/{pending.org.id}/reject", {"reason": reason}).status_code == 303
    assert pending.org.name not in authority.get("/authority/producers").text  # out of the queue

    producer = log_in(TestClient(app, follow_redirects=False), pending.owner.login)
    assert reason in producer.get("/console").text
    assert post(producer, "/console/profile/resubmit").status_code == 303
    assert pending.org.name in authority.get("/authority/producers").text  # back in the queue

    assert post(authority, f"/authority/producers/{pending.org.id}/approve").status_code == 303
    db.refresh(pending.org)
    assert pending.org.status is OrgStatus.VERIFIED
    page = authority.get(f"/authority/producers/{pending.org.id}").text
    assert "Bị từ chối" in page and "Đã gửi lại" in page and "Đã duyệt" in page


def test_certificate_queue_reject_resubmit_verify_revoke(db: Session, app: FastAPI, authority: TestClient) -> None:
    owner = factories.producer(db)
    product = factories.product(db, owner)
    cert = certifications.create(
        db,
        owner.caller,
        CertificationIn(
            kind=CertKind.OCOP, number="312/QĐ-UBND", issuer="UBND tỉnh Cao Bằng", issued_on=date(2026, 3, 1),
            ocop_stars=4, product_id=product.id,
        ),
    )  # fmt: skip
    assert "312/QĐ-UBND" in authority.get("/authority/certifications").text
    assert post(authority, f"/authority/certifications/{cert.id}/reject", {"reason": "Ảnh mờ"}).status_code == 303
    assert "312/QĐ-UBND" not in authority.get("/authority/certifications").text
    producer = log_in(TestClient(app, follow_redirects=False), owner.owner.login)
    assert "Ảnh mờ" in producer.get(f"/console/certifications/{cert.id}").text
    assert post(producer, f"/console/certifications/{cert.id}/resubmit").status_code == 303
    assert "312/QĐ-UBND" in authority.get("/authority/certifications").text
    assert post(authority, f"/authority/certifications/{cert.id}/approve").status_code == 303
    db.refresh(cert)
    assert cert.verified_at is not None

    response = post(authority, f"/authority/certifications/{cert.id}/revoke", {"reason": " "})
    assert response.status_code == 422 and "reason" in field_errors(response.text)
    reason = "Sản phẩm không đạt khi đánh giá lại"
    assert post(authority, f"/authority/certifications/{cert.id}/revoke", {"reason": reason}).status_code == 303
    db.refresh(cert)
    assert cert.revoked_at is not None and cert.revoked_reason == reason


def test_recall_shows_on_the_public_page_at_once(db: Session, app: FastAPI, authority: TestClient) -> None:
    owner = factories.producer(db)
    batch = factories.batch(db, owner, factories.product(db, owner))
    db.flush()
    found = authority.get(f"/authority/batches?q={batch.public_code.lower()}").text
    assert f"/authority/batches/{batch.id}" in found
    reason = "Phát hiện nấm mốc"
    assert post(authority, f"/authority/batches/{batch.id}/recall", {"reason": reason}).status_code == 303
    public = TestClient(app).get(f"/c/{batch.public_code}")
    assert public.status_code == 200 and reason in public.text


def test_suspended_producer_can_no_longer_change_its_records(db: Session, app: FastAPI, authority: TestClient) -> None:
    owner = factories.producer(db)
    response = post(authority, f"/authority/producers/{owner.org.id}/suspend", {"reason": ""})
    assert response.status_code == 422 and "reason" in field_errors(response.text)
    assert post(authority, f"/authority/producers/{owner.org.id}/suspend", {"reason": "Vi phạm"}).status_code == 303
    producer = log_in(TestClient(app, follow_redirects=False), owner.owner.login)
    assert "Vi phạm" in producer.get("/console").text
    response = post(producer, "/console/products/new", {"name_vi": "Miến", "unit": "gói"})
    assert response.status_code == 403
    assert post(authority, f"/authority/producers/{owner.org.id}/reinstate").status_code == 303
    assert post(producer, "/console/products/new", {"name_vi": "Miến", "unit": "gói"}).status_code == 303


def _ocop(db: Session, owner: factories.Producer, stars: int, issued: date, group: OcopGroup) -> None:
    product = products.create(db, owner.caller, ProductIn(name_vi=f"Sản phẩm {stars}", ocop_group=group))
    certifications.create(
        db,
        owner.caller,
        CertificationIn(
            kind=CertKind.OCOP, number=f"{stars}/QĐ", issuer="UBND", issued_on=issued, ocop_stars=stars,
            product_id=product.id,
        ),
    )  # fmt: skip


def test_figures_and_their_csv(db: Session, authority: TestClient) -> None:
    today = vietnam_today()
    trung_khanh = factories.producer(db, "Trùng Khánh")
    hoa_an = factories.producer(db, "Hòa An")
    factories.producer(db, "Hòa An", verified=False)
    _ocop(db, trung_khanh, 4, today - timedelta(days=30), OcopGroup.FOOD)
    _ocop(db, trung_khanh, 3, today - timedelta(days=30), OcopGroup.DRINKS)
    _ocop(db, hoa_an, 3, today - timedelta(days=30), OcopGroup.FOOD)
    _ocop(db, hoa_an, 5, today - timedelta(days=4 * 365), OcopGroup.FOOD)  # expired: not counted
    batch = factories.batch(db, hoa_an, factories.product(db, hoa_an))
    now = datetime.now(VIETNAM_TIME)
    for days in (0, 0, 1, 40):
        scans.record(
            db, code="c", lang="vi", device=DeviceClass.MOBILE, ip_digest="n", batch_id=batch.id,
            at=now - timedelta(days=days),
        )  # fmt: skip
    scans.record(db, code="gia-mao", lang="vi", device=DeviceClass.MOBILE, ip_digest="n")  # an unknown code
    db.flush()

    page = authority.get("/authority/dashboard")
    assert page.status_code == 200 and "<svg" in page.text and page.text.count("<rect") == 30
    stars = list(csv.reader(io.StringIO(authority.get("/authority/dashboard/ocop_by_stars.csv").text.lstrip("\ufeff"))))
    assert stars == [["stars", "products"], ["3", "2"], ["4", "1"], ["5", "0"], ["total", "3"]]
    by_commune = authority.get("/authority/dashboard/ocop_by_commune.csv").text.lstrip("\ufeff").splitlines()
    assert by_commune[1:] == ["Cao Bằng,Hòa An,1,0,0,1", "Cao Bằng,Trùng Khánh,1,1,0,2"]
    accounts = authority.get("/authority/dashboard/producer_accounts.csv").text.lstrip("\ufeff").splitlines()
    assert accounts[1:] == ["pending,1,1", "verified,2,2", "suspended,0,0", "total,3,3"]
    per_day = authority.get("/authority/dashboard/scans_per_day.csv").text.lstrip("\ufeff").splitlines()
    assert len(per_day) == 31
    assert per_day[-1] == f"{now.date().isoformat()},3" and per_day[-2].endswith(",1")
    response = authority.get("/authority/dashboard/products.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.lstrip("\ufeff").splitlines()[-1] == "total,5"


def test_search_boxes_take_any_text(authority: TestClient) -> None:
    for path in ("/authority/producers", "/authority/batches", "/authority/users"):
        for words in ("mi\x00ến", "100%_", "'; DROP TABLE batches; --", "x" * 500):
            assert authority.get(path, params={"q": words}).status_code == 200, (path, words)
