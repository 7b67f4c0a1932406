"""Bad input on every field: a 422 naming the field, in Vietnamese by default (English when asked), and nothing
written. Each case is (endpoint, field, bad value); the rest of the body is valid, so the field is the cause."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests import factories
from trace.audit import AuditEntry
from trace.batches import Batch
from trace.certifications import Certification
from trace.events import BatchEvent
from trace.organizations import Organization
from trace.products import Product

BIG = 2**63

PRODUCT = {
    "name_vi": "Miến dong",
    "unit": "gói",
    "gtin": "8936010000124",
    "net_quantity": "500",
    "net_quantity_unit": "g",
    "shelf_life_days": 365,
}
BATCH = {
    "product_id": "{product}",
    "lot_code": "L1",
    "production_date": "2026-10-01",
    "expiry_date": "2027-10-01",
    "origin_latitude": 22.6,
    "origin_longitude": 106.2,
}
CERT = {
    "kind": "ocop",
    "number": "1/QĐ",
    "issuer": "UBND tỉnh",
    "issued_on": "2026-01-01",
    "ocop_stars": 3,
    "product_id": "{product}",
}
EVENT = {"biz_step": "harvesting", "occurred_at": "2026-10-01T07:00:00+07:00", "place_name": "Nương"}
ORG = {
    "kind": "cooperative",
    "name": "HTX A",
    "address": "Xóm 1",
    "commune": "Trùng Khánh",
    "province": "Cao Bằng",
    "tax_code": "4800123456",
    "email": "htx@example.vn",
    "phone": "0206 3850100",
    "gln": "8936010000018",
    "latitude": 22.8,
    "longitude": 106.5,
}

TOO_LONG = "ẫ" * 201
CASES: list[tuple[str, str, dict[str, Any], str, Any]] = [
    # (name, url, valid body, field, bad value)
    *[
        ("product", "/api/v1/products", PRODUCT, f, v)
        for f, v in [
            ("name_vi", ""),
            ("name_vi", TOO_LONG),
            ("name_vi", "Miến\x00dong"),
            ("name_vi", None),
            ("name_vi", 42),
            ("name_en", TOO_LONG),
            ("description", "x" * 5001),
            ("ocop_group", "fruit"),
            ("gtin", "8936010000125"),
            ("gtin", "89360100001"),
            ("gtin", "٨٩٣٦٠١٠٠٠٠١٢٤"),
            ("gtin", "8936O10000124"),
            ("brand", TOO_LONG),
            ("standards", TOO_LONG),
            ("unit", ""),
            ("unit", TOO_LONG),
            ("unit", "u" * 31),  # its column's length + 1: PostgreSQL refused it with a 500
            ("net_quantity", "-1"),
            ("net_quantity", "abc"),
            ("net_quantity", "1e20"),
            ("net_quantity", "1.23456"),
            ("net_quantity_unit", "tấn"),
            ("shelf_life_days", 0),
            ("shelf_life_days", 99999),
            ("shelf_life_days", BIG),
            ("shelf_life_days", "một năm"),
            # JSON's true, false and numbers where pydantic alone would find a value nobody gave (1, 0, 1970)
            ("shelf_life_days", True),
            ("net_quantity", True),
            ("organization_id", True),
            ("organization_id", 0),
            ("organization_id", BIG),
            ("surprise", "field"),
        ]
    ],
    *[
        ("batch", "/api/v1/batches", BATCH, f, v)
        for f, v in [
            ("product_id", 0),
            ("product_id", BIG),
            ("product_id", None),
            ("lot_code", ""),
            ("lot_code", "Lô 1"),
            ("lot_code", "A" * 21),
            ("lot_code", "L\x001"),
            ("production_date", "2026-13-01"),
            ("production_date", "hôm qua"),
            ("production_date", "0001-01-01"),
            ("production_date", 0),
            ("production_date", 20261001),
            ("product_id", True),
            ("quantity", True),
            ("origin_latitude", False),
            ("expiry_date", "2026-09-30"),
            ("quantity", "-5"),
            ("quantity", "many"),
            ("quantity_unit", "k" * 51),
            ("quantity_unit", "k" * 21),
            ("origin_name", TOO_LONG),
            ("origin_latitude", 91),
            ("origin_longitude", 181),
            ("origin_longitude", None),
            ("growing_area_code", "c" * 51),
            ("inputs", "none"),
            ("inputs", [{}]),
            ("inputs", [{"description": "Củ dong"}] * 51),
            ("inputs", [{"input_batch_id": BIG}]),
        ]
    ],
    *[
        ("certification", "/api/v1/certifications", CERT, f, v)
        for f, v in [
            ("kind", "michelin"),
            ("number", ""),
            ("number", "n" * 101),
            ("issuer", TOO_LONG),
            ("issued_on", "ngày mai"),
            ("valid_until", "2025-12-31"),
            ("valid_until", "2030-01-01"),
            ("ocop_stars", 6),
            ("ocop_stars", 2),
            ("ocop_stars", "ba"),
            ("issued_on", 1767225600),
            ("valid_until", 0.0),
            ("product_id", None),
            ("product_id", BIG),
            ("scope", "s" * 5001),
        ]
    ],
    *[
        ("event", "/api/v1/batches/{batch}/events", EVENT, f, v)
        for f, v in [
            ("biz_step", "dancing"),
            ("occurred_at", "2026-10-01T07:00:00"),
            ("occurred_at", "2100-01-01T00:00:00Z"),
            ("occurred_at", "sáng nay"),
            ("occurred_at", 1790000000),
            ("corrects_id", True),
            ("place_name", TOO_LONG),
            ("place_gln", "g" * 51),
            ("place_gln", "1" * 14),
            ("place_gln", "8936010000019"),
            ("description", "d" * 5001),
            ("corrects_id", 0),
            ("corrects_id", BIG),
        ]
    ],
    *[
        ("organization", "/api/v1/organizations/{org}", ORG, f, v)
        for f, v in [
            ("kind", "bank"),
            ("name", ""),
            ("tax_code", "123"),
            ("tax_code", "480012345٦"),
            ("phone", "gọi tôi"),
            ("email", "no-at-sign"),
            ("gln", "8936010000019"),
            ("gs1_company_prefix", "12"),
            ("latitude", 100),
            ("longitude", -181),
            ("longitude", False),
            ("address", TOO_LONG),
            ("commune", None),
        ]
    ],
]


def _counts(db: Session) -> tuple[int, ...]:
    db.expire_all()
    return tuple(
        db.scalar(select(func.count()).select_from(m)) or 0
        for m in (AuditEntry, Organization, Product, Batch, Certification, BatchEvent)
    )


@pytest.fixture
def owner(db: Session, client: TestClient) -> dict[str, Any]:
    p = factories.producer(db)
    prod = factories.product(db, p)
    batch = factories.batch(db, p, prod, publish=False)
    db.commit()
    factories.login(client, p.owner.login)
    return {"product": prod.id, "batch": batch.id, "org": p.org.id}


def _fill(body: dict[str, Any], ids: dict[str, int]) -> dict[str, Any]:
    return {k: ids[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v for k, v in body.items()}


@pytest.mark.parametrize(
    ("name", "url", "body", "field", "bad"), CASES, ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(CASES)]
)
def test_bad_field_is_named_in_vietnamese_and_nothing_changes(
    client: TestClient,
    db: Session,
    owner: dict[str, int],
    name: str,
    url: str,
    body: dict[str, Any],
    field: str,
    bad: Any,
) -> None:
    method = "PUT" if name == "organization" else "POST"
    url = url.format(**owner)
    payload = {**_fill(body, owner), field: bad}
    before = _counts(db)
    r = client.request(method, url, json=payload)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert any(e["field"] == field or e["field"].startswith(f"{field}.") for e in errors), errors
    assert r.json()["message"] == "Vui lòng sửa các trường dưới đây"
    assert _counts(db) == before
    # The valid body itself is accepted, so the bad field was the only cause.
    if method == "POST":
        good = dict(_fill(body, owner), **({"lot_code": "OK1"} if name == "batch" else {}))
        assert client.request(method, url, json=good).status_code == 201


def test_english_when_asked(client: TestClient, owner: dict[str, int]) -> None:
    r = client.post("/api/v1/products", json={**PRODUCT, "gtin": "8936010000125"}, headers={"Accept-Language": "en"})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "gtin", "message": "GTIN check digit is wrong: expected 4"}]
    r = client.post("/api/v1/products", json={**PRODUCT, "gtin": "8936010000125"})
    assert r.json()["errors"] == [{"field": "gtin", "message": "Số kiểm tra của GTIN sai: đúng ra phải là 4"}]


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b'"x"', b"\xff\xfe"])
def test_malformed_bodies_are_4xx(client: TestClient, owner: dict[str, int], raw: bytes) -> None:
    r = client.post("/api/v1/products", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["errors"]


def test_a_form_body_that_cannot_be_read_is_a_400_in_vietnamese(client: TestClient) -> None:
    r = client.post("/login", content=b"\xff\xfe\x00", headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code == 400 and r.json()["message"] == "Không xử lý được yêu cầu này"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/products/0", "/api/v1/products/99999999999999999999", "/api/v1/batches/abc", "/api/v1/batches/-1/events"],
)
def test_bad_ids_in_paths(client: TestClient, owner: dict[str, int], path: str) -> None:
    assert client.get(path).status_code in (404, 422)


def test_duplicates_are_conflicts_naming_the_field(client: TestClient, owner: dict[str, int]) -> None:
    assert client.post("/api/v1/products", json=PRODUCT).status_code == 201
    r = client.post("/api/v1/products", json={**PRODUCT, "name_vi": "Khác"})
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "gtin"
    batch = _fill(BATCH, owner)
    assert client.post("/api/v1/batches", json=batch).status_code == 201
    r = client.post("/api/v1/batches", json=batch)
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "lot_code"


def test_uploads_are_checked_by_content(client: TestClient, owner: dict[str, int]) -> None:
    url = f"/api/v1/products/{owner['product']}/images"
    r = client.post(url, files={"file": ("anh.png", b"%PDF-1.4 not an image", "image/png")})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"
    r = client.post(url, files={"file": ("anh.png", b"", "image/png")})
    assert r.status_code == 422
    r = client.post(url, files={"file": ("big.png", b"\x89PNG" + b"0" * (6 * 1024 * 1024), "image/png")})
    assert r.status_code == 422 and "MB" in r.json()["message"]


def test_length_messages_say_characters(client: TestClient, owner: dict[str, int]) -> None:
    r = client.post("/api/v1/products", json={**PRODUCT, "name_vi": TOO_LONG})
    assert r.json()["errors"] == [{"field": "name_vi", "message": "Tối đa 200 ký tự"}]
    r = client.post("/api/v1/products", json={**PRODUCT, "name_vi": "  "})
    assert r.json()["errors"] == [{"field": "name_vi", "message": "Trường này là bắt buộc"}]


def test_lot_characters_are_explained(client: TestClient, owner: dict[str, int]) -> None:
    r = client.post("/api/v1/batches", json={**_fill(BATCH, owner), "lot_code": "Lô 1"})
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert error["field"] == "lot_code" and error["message"].startswith("Mã lô không được chứa ô")
