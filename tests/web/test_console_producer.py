"""A producer's console: every form refuses bad input beside the field, in Vietnamese, keeps what was typed and
writes nothing; the happy paths go from a product to a published batch with its labels' PDF."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests import factories
from tests.web.console_support import field_errors, log_in, png, png_file, post, value_of
from trace import certifications, labelruns, products, reports, scans
from trace.audit import AuditEntry
from trace.batches import Batch, BatchStatus
from trace.certifications import Certification, CertificationIn, CertKind
from trace.events import BatchEvent
from trace.labelruns import LabelRun
from trace.products import Product
from trace.reports import ReportIn, ReportKind
from trace.scans import DeviceClass

TABLES = (Product, Certification, Batch, BatchEvent, LabelRun, AuditEntry)


def counts(db: Session) -> dict[str, int]:
    db.flush()
    db.expire_all()
    return {t.__name__: db.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


@pytest.fixture
def owner(db: Session) -> factories.Producer:
    return factories.producer(db)


@pytest.fixture
def browser(app: FastAPI, owner: factories.Producer) -> TestClient:
    return log_in(TestClient(app, follow_redirects=False), owner.owner.login)


def assert_refused(
    db: Session, browser: TestClient, path: str, data: dict[str, str], field: str, files: Any = None
) -> str:
    """The form comes back with a message beside ``field`` in Vietnamese (not the English text), what was typed,
    and nothing written."""
    before = counts(db)
    response = post(browser, path, data, files=files)
    assert response.status_code == 422, response.text[:500]
    errors = field_errors(response.text)
    assert field in errors, (field, errors)
    english = field_errors(post(browser, f"{path}?lang=en", data, files=files).text)
    browser.get("/console?lang=vi")  # the language link's cookie: back to Vietnamese
    assert errors[field] != english.get(field), f"not translated: {errors[field]}"
    for name, value in data.items():
        if name not in ("password", "password_again", "kind", "batch_level", "layout") and len(value) < 100:
            shown = value_of(response.text, name)
            assert shown is None or shown == value.strip(), (name, shown)
    assert counts(db) == before
    return response.text


PRODUCT = {"name_vi": "Miến dong Phia Đén", "unit": "gói", "net_quantity": "500", "net_quantity_unit": "g"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name_vi", ""),
        ("name_vi", "x" * 201),
        ("gtin", "8930000000001"),
        ("gtin", "12ab"),
        ("net_quantity", "năm trăm"),
        ("net_quantity", "-1"),
        ("net_quantity_unit", "tấn"),
        ("shelf_life_days", "0"),
        ("shelf_life_days", "ba"),
        ("ocop_group", "cakes"),
        ("name_en", "\x00"),
    ],
)
def test_product_form_refuses_bad_input(db: Session, browser: TestClient, field: str, value: str) -> None:
    html = assert_refused(db, browser, "/console/products/new", {**PRODUCT, field: value}, field)
    assert value_of(html, "name_vi") == (PRODUCT["name_vi"] if field != "name_vi" else value.strip() or "")


def test_product_photo_must_be_an_image(db: Session, browser: TestClient) -> None:
    fake = {"file": ("anh.png", b"<script>alert(1)</script>", "image/png")}
    assert_refused(db, browser, "/console/products/new", PRODUCT, "file", files=fake)


def test_product_with_photo_then_edited(db: Session, browser: TestClient, owner: factories.Producer) -> None:
    response = post(browser, "/console/products/new", PRODUCT, files=png_file())
    assert response.status_code == 303
    product = products.list_visible(db, owner.caller)[0]
    assert response.headers["location"] == f"/console/products/{product.id}"
    assert len(product.images) == 1
    page = browser.get(f"/console/products/{product.id}")
    assert "Miến dong Phia Đén" in page.text and f"/media/{product.images[0].path}" in page.text
    assert "Đã lưu sản phẩm" in page.text  # the flash message, once
    assert "Đã lưu sản phẩm" not in browser.get(f"/console/products/{product.id}").text
    response = post(browser, f"/console/products/{product.id}/edit", {**PRODUCT, "name_vi": "Miến dong đặc biệt"})
    assert response.status_code == 303
    db.expire_all()
    assert products.get(db, owner.caller, product.id).name_vi == "Miến dong đặc biệt"
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "product.update")).one()
    assert entry.actor_user_id == owner.owner.id and entry.trace_point_id is None


CERT = {"kind": "vietgap", "number": "VG-2026-01", "issuer": "Trung tâm Khảo nghiệm", "issued_on": "2026-01-10"}


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("kind", {**CERT, "kind": ""}),
        ("kind", {**CERT, "kind": "diploma"}),
        ("number", {**CERT, "number": ""}),
        ("issuer", {**CERT, "issuer": "  "}),
        ("issued_on", {**CERT, "issued_on": "31/02/2026"}),  # no such day
        ("valid_until", {**CERT, "valid_until": "2025-12-31"}),
        ("valid_until", {**CERT, "valid_until": "2029-01-10"}),  # VietGAP: 24 months at most
        ("ocop_stars", {**CERT, "kind": "ocop", "ocop_stars": "6"}),
        ("ocop_stars", {**CERT, "ocop_stars": "4"}),
        ("product_id", {**CERT, "product_id": "999999"}),
    ],
)
def test_certificate_form_refuses_bad_input(db: Session, browser: TestClient, field: str, data: dict[str, str]) -> None:
    assert_refused(db, browser, "/console/certifications/new", data, field)


def test_certificate_document_is_checked_by_content(db: Session, browser: TestClient) -> None:
    fake = {"file": ("giay.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")}
    assert_refused(db, browser, "/console/certifications/new", CERT, "file", files=fake)
    too_big = {"file": ("giay.pdf", b"%PDF-1.4" + b"0" * (6 * 1024 * 1024), "application/pdf")}
    assert_refused(db, browser, "/console/certifications/new", CERT, "file", files=too_big)


def test_certificate_with_document_renewed(db: Session, browser: TestClient, owner: factories.Producer) -> None:
    pdf = {"file": ("giay.pdf", b"%PDF-1.4\n%test\n", "application/pdf")}
    response = post(browser, "/console/certifications/new", CERT, files=pdf)
    assert response.status_code == 303, response.text[:300]
    cert = certifications.list_visible(db, owner.caller)[0]
    document = browser.get(f"/console/certifications/{cert.id}/document")
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    assert "Đang chờ cơ quan quản lý xác minh" in browser.get(f"/console/certifications/{cert.id}").text
    renewal = {**CERT, "number": "VG-2028-01", "issued_on": "2028-01-10", "change_kind": "renewal"}
    response = post(browser, f"/console/certifications/{cert.id}/renew", renewal)
    assert response.status_code == 303
    db.expire_all()
    old = certifications.get(db, owner.caller, cert.id)
    assert old.superseded_by is not None and old.superseded_by.number == "VG-2028-01"


@pytest.fixture
def product(db: Session, owner: factories.Producer) -> Product:
    return factories.product(db, owner)


def batch_form(product: Product, **changes: str) -> dict[str, str]:
    return {"product_id": str(product.id), "lot_code": "MD2611-01", "production_date": "2026-11-01", **changes}


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("product_id", {"product_id": ""}),
        ("lot_code", {"lot_code": ""}),
        ("lot_code", {"lot_code": "lô một"}),
        ("lot_code", {"lot_code": "L" * 21}),
        ("production_date", {"production_date": "31/11/2026"}),  # no such day
        ("expiry_date", {"expiry_date": "2026-10-01"}),
        ("quantity", {"quantity": "nhiều"}),
        ("origin_latitude", {"origin_latitude": "95", "origin_longitude": "106"}),
        ("origin_longitude", {"origin_latitude": "22.8"}),
        ("inputs.0.quantity", {"inputs.0.description": "củ dong", "inputs.0.quantity": "x"}),
        ("inputs.0", {"inputs.0.quantity": "5"}),
    ],
)
def test_batch_form_refuses_bad_input(
    db: Session, browser: TestClient, product: Product, field: str, changes: dict[str, str]
) -> None:
    assert_refused(db, browser, "/console/batches/new", batch_form(product, **changes), field)


def test_batch_of_another_producers_product_is_refused(db: Session, browser: TestClient, product: Product) -> None:
    stranger = factories.producer(db, "Hòa An")
    theirs = factories.product(db, stranger)
    assert_refused(db, browser, "/console/batches/new", batch_form(theirs), "product_id")


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("biz_step", {"biz_step": "", "occurred_at": "2026-11-01T08:00"}),
        ("biz_step", {"biz_step": "dancing", "occurred_at": "2026-11-01T08:00"}),
        ("occurred_at", {"biz_step": "packing", "occurred_at": ""}),
        ("occurred_at", {"biz_step": "packing", "occurred_at": "sáng nay"}),
        ("occurred_at", {"biz_step": "packing", "occurred_at": "2099-01-01T08:00"}),
        ("place_name", {"biz_step": "packing", "occurred_at": "2026-11-01T08:00", "place_name": "x" * 201}),
    ],
)
def test_event_form_refuses_bad_input(
    db: Session, browser: TestClient, owner: factories.Producer, product: Product, field: str, data: dict[str, str]
) -> None:
    batch = factories.batch(db, owner, product, publish=False)
    assert_refused(db, browser, f"/console/batches/{batch.id}/events/new", data, field)


def test_numbers_typed_the_vietnamese_way_are_read_as_meant(
    db: Session, browser: TestClient, owner: factories.Producer, product: Product
) -> None:
    """A decimal comma and dots between thousands, as a Vietnamese keyboard and habit write them (a dot alone stays
    a decimal point, as in coordinates copied from a map), and the day first in a date, as a phone's browser without
    a date picker lets it be typed."""
    typed = {"quantity": "1.200,5", "quantity_unit": "kg", "origin_latitude": "22,63", "origin_longitude": "105.89"}
    typed |= {"production_date": "1/10/2026", "expiry_date": "01.10.2027"}
    rows = {"inputs.0.description": "Củ dong", "inputs.0.quantity": "1,5"}
    response = post(browser, "/console/batches/new", batch_form(product, **typed, **rows))
    assert response.status_code == 303, response.text[:500]
    db.expire_all()
    batch = db.scalars(select(Batch).where(Batch.product_id == product.id)).one()
    assert batch.quantity == Decimal("1200.5") and batch.origin_latitude == 22.63 and batch.origin_longitude == 105.89
    assert [each.quantity for each in batch.inputs] == [Decimal("1.5")]
    assert (batch.production_date, batch.expiry_date) == (date(2026, 10, 1), date(2027, 10, 1))


def test_from_batch_to_label_pdf(db: Session, browser: TestClient, owner: factories.Producer, product: Product) -> None:
    rows = {"inputs.0.description": "Củ dong riềng", "inputs.0.supplier_name": "Phia Đén", "inputs.0.quantity": "80"}
    response = post(browser, "/console/batches/new", batch_form(product, quantity="200", quantity_unit="gói", **rows))
    assert response.status_code == 303, response.text[:500]
    batch_url = response.headers["location"]
    step = {"biz_step": "harvesting", "occurred_at": "2026-10-20T07:30", "tz_offset": "+07:00", "place_name": "Nà Mạ"}
    assert post(browser, f"{batch_url}/events/new", step, files=png_file()).status_code == 303
    db.expire_all()
    event = db.scalars(select(BatchEvent)).one()
    assert event.tz_offset_minutes == 420 and event.occurred_at == datetime.fromisoformat("2026-10-20T00:30+00:00")
    assert len(event.photos) == 1
    page = browser.get(batch_url).text
    assert "Thu hoạch" in page and "Củ dong riềng" in page and "20/10/2026 07:30" in page

    assert post(browser, f"{batch_url}/publish").status_code == 303
    batch = db.scalars(select(Batch)).one()
    db.refresh(batch)
    assert batch.status is BatchStatus.PUBLISHED
    assert f"https://trace.example.vn/c/{batch.public_code}" in browser.get(batch_url).text

    form = browser.get(f"{batch_url}/labels").text
    key = value_of(form, "idempotency_key")
    assert key
    run_form = {"layout": "a4-3x8", "count": "5", "skip": "0", "idempotency_key": key}
    first = post(browser, f"{batch_url}/labels", run_form)
    again = post(browser, f"{batch_url}/labels", run_form)  # pressed twice: the same run, not ten labels
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    run = db.scalars(select(LabelRun)).one()
    assert labelruns.serials(db, run).__len__() == 5
    pdf = browser.get(f"/console/labels/{run.id}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    assert db.scalar(select(func.count()).where(AuditEntry.action == "label_run.print")) == 1


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("count", {"count": "0"}),
        ("count", {"count": "nhiều"}),
        ("count", {"count": "5001"}),
        ("layout", {"layout": "a3-giant"}),
        ("skip", {"skip": "24"}),
    ],
)
def test_label_form_refuses_bad_input(
    db: Session, browser: TestClient, owner: factories.Producer, product: Product, field: str, changes: dict[str, str]
) -> None:
    batch = factories.batch(db, owner, product)
    data = {"layout": "a4-3x8", "count": "10", "skip": "0", "idempotency_key": "k1", **changes}
    assert_refused(db, browser, f"/console/batches/{batch.id}/labels", data, field)


def test_publishing_waits_for_verification(db: Session, app: FastAPI) -> None:
    pending = factories.producer(db, verified=False)
    client = log_in(TestClient(app, follow_redirects=False), pending.owner.login)
    batch = factories.batch(db, pending, factories.product(db, pending), publish=False)
    assert "Cơ sở đang chờ cơ quan quản lý xác minh" in client.get("/console").text
    response = post(client, f"/console/batches/{batch.id}/publish")
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert 'class="flash error"' in page
    db.refresh(batch)
    assert batch.status is BatchStatus.DRAFT


def test_recall_needs_a_reason_then_shows_at_once(
    db: Session, app: FastAPI, browser: TestClient, owner: factories.Producer, product: Product
) -> None:
    batch = factories.batch(db, owner, product)
    assert_refused(db, browser, f"/console/batches/{batch.id}/recall", {"reason": " "}, "reason")
    assert post(browser, f"/console/batches/{batch.id}/recall", {"reason": "Bao bì bị ẩm"}).status_code == 303
    public = TestClient(app).get(f"/c/{batch.public_code}")
    assert public.status_code == 200 and "Bao bì bị ẩm" in public.text


def test_scans_and_reports_of_own_codes(
    db: Session, browser: TestClient, owner: factories.Producer, product: Product
) -> None:
    batch = factories.batch(db, owner, product)
    now = datetime.now().astimezone()
    for hours in (1, 2, 30):
        scans.record(
            db, code=batch.public_code, lang="vi", device=DeviceClass.MOBILE, ip_digest="n1", batch_id=batch.id,
            at=now - timedelta(hours=hours),
        )  # fmt: skip
    scans.record(db, code=batch.public_code, lang="vi", device=DeviceClass.BOT, ip_digest="b", batch_id=batch.id)
    stranger = factories.producer(db, "Hòa An")
    their_batch = factories.batch(db, stranger, factories.product(db, stranger))
    scans.record(db, code="x", lang="vi", device=DeviceClass.MOBILE, ip_digest="n2", batch_id=their_batch.id)
    reports.submit(
        db, ReportIn(kind=ReportKind.QUALITY, message="Miến bị vỡ nhiều"), code=batch.public_code, lang="vi",
        ip_digest="n1", limit_per_hour=5, batch_id=batch.id, organization_id=owner.org.id,
    )  # fmt: skip
    reports.submit(
        db, ReportIn(kind=ReportKind.COUNTERFEIT, message="Hàng của người khác"), code="x", lang="vi",
        ip_digest="n2", limit_per_hour=5, batch_id=their_batch.id, organization_id=stranger.org.id,
    )  # fmt: skip
    page = browser.get("/console/scans").text
    assert "Miến bị vỡ nhiều" in page and "Hàng của người khác" not in page
    assert "Lượt quét mỗi ngày, 30 ngày qua: 3" in page  # people only, own codes only
    assert page.count("<rect") == 30


def test_owner_adds_staff(db: Session, browser: TestClient, owner: factories.Producer) -> None:
    bad = {"display_name": "Lan", "login": "Lan Nguyễn", "password": "mat-khau-dai-du"}
    assert_refused(db, browser, "/console/staff", bad, "login")
    assert_refused(db, browser, "/console/staff", {**bad, "login": "lan.nguyen", "password": "ngan"}, "password")
    assert post(browser, "/console/staff", {**bad, "login": "lan.nguyen"}).status_code == 303
    assert "lan.nguyen" in browser.get("/console/staff").text


def test_certificate_of_product_appears_on_product_page(
    db: Session, browser: TestClient, owner: factories.Producer, product: Product
) -> None:
    certifications.create(
        db,
        owner.caller,
        CertificationIn(
            kind=CertKind.OCOP, number="1234/QĐ-UBND", issuer="UBND tỉnh", issued_on=date(2026, 1, 1), ocop_stars=4,
            product_id=product.id,
        ),
    )  # fmt: skip
    page = browser.get(f"/console/products/{product.id}").text
    assert "1234/QĐ-UBND" in page and "Còn hiệu lực" in page


def test_png_helper_makes_a_png() -> None:
    assert png().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "path",
    [
        "/console/products/new",
        "/console/certifications/new",
        "/console/batches/new",
        "/console/profile",
        "/console/staff",
    ],
)
def test_control_characters_never_break_a_form(db: Session, browser: TestClient, product: Product, path: str) -> None:
    names = set(field_errors(post(browser, path, {}).text)) | {"name_vi", "number", "lot_code", "name", "login"}
    before = counts(db)
    response = post(browser, path, dict.fromkeys(names, "Mi\x00ến\x07"))
    assert response.status_code == 422
    assert counts(db) == before
    assert browser.get("/console/products", params={"q": "mi\x00ến"}).status_code == 200
