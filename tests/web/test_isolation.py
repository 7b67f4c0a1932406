"""Cross-organization isolation: another producer's records answer exactly as records that do not exist, on
every API route that takes an id, and nothing changes. The route list comes from the application itself, so a
new route without a case here fails the test."""

import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests import factories
from trace import certifications, epcis, events, labelruns, users
from trace.access import Role
from trace.audit import AuditEntry
from trace.certifications import CertificationIn, CertKind
from trace.events import BizStep, EventIn

MISSING = 2_000_000_000


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="PNG")
    return buf.getvalue()


ORG = {"kind": "cooperative", "name": "HTX Lạ", "address": "Xóm 1", "commune": "Trùng Khánh", "province": "Cao Bằng"}
RENEWAL = {"kind": "vietgap", "number": "V-2", "issuer": "Trung tâm", "issued_on": "2026-01-01"}
EVENT = {"biz_step": "packing", "occurred_at": "2026-11-01T08:00:00+07:00"}
EPCIS_EVENT = {"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2026-11-01T08:00:00+07:00"}
CAPTURE = {  # an EPCIS document about A's batch ({batch_uri}: its public address)
    "@context": [epcis.EPCIS_CONTEXT],
    "type": "EPCISDocument",
    "schemaVersion": "2.0",
    "creationDate": "2026-11-02T00:00:00Z",
    "epcisBody": {
        "eventList": [{**EPCIS_EVENT, "eventTimeZoneOffset": "+07:00", "quantityList": [{"epcClass": "{batch_uri}"}]}]
    },
}

# (method, path template) → request body (json) or files, for every API route that takes an id.
CASES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/organizations/{organization_id}"): {},
    ("PUT", "/api/v1/organizations/{organization_id}"): {"json": ORG},
    ("POST", "/api/v1/organizations/{organization_id}/verify"): {},
    ("POST", "/api/v1/organizations/{organization_id}/suspend"): {"json": {"reason": "x"}},
    ("GET", "/api/v1/products/{product_id}"): {},
    ("PUT", "/api/v1/products/{product_id}"): {"json": {"name_vi": "Đổi tên", "unit": "gói"}},
    ("POST", "/api/v1/products/{product_id}/images"): {"files": {"file": ("a.png", _png(), "image/png")}},
    ("GET", "/api/v1/certifications/{cert_id}"): {},
    ("POST", "/api/v1/certifications/{cert_id}/supersede"): {"json": RENEWAL},
    ("POST", "/api/v1/certifications/{cert_id}/revoke"): {"json": {"reason": "x"}},
    ("POST", "/api/v1/certifications/{cert_id}/verify"): {},
    ("POST", "/api/v1/certifications/{cert_id}/document"): {"files": {"file": ("a.png", _png(), "image/png")}},
    ("GET", "/api/v1/certifications/{cert_id}/document"): {},
    ("GET", "/api/v1/batches/{batch_id}"): {},
    ("PUT", "/api/v1/batches/{batch_id}"): {
        "json": {"product_id": "{product_id}", "lot_code": "X1", "production_date": "2026-10-01"}
    },
    ("POST", "/api/v1/batches/{batch_id}/publish"): {},
    ("POST", "/api/v1/batches/{batch_id}/recall"): {"json": {"reason": "x"}},
    ("GET", "/api/v1/batches/{batch_id}/events"): {},
    ("POST", "/api/v1/batches/{batch_id}/events"): {"json": EVENT},
    ("PUT", "/api/v1/batches/{batch_id}/events/{event_id}"): {"json": EVENT},
    ("DELETE", "/api/v1/batches/{batch_id}/events/{event_id}"): {},
    ("POST", "/api/v1/batches/{batch_id}/events/{event_id}/photos"): {
        "files": {"file": ("a.png", _png(), "image/png")}
    },
    ("POST", "/api/v1/batches/{batch_id}/label-runs"): {"json": {"count": 2, "layout": "a4-3x8"}},
    ("GET", "/api/v1/label-runs/{run_id}"): {},
    ("GET", "/api/v1/label-runs/{run_id}/labels.pdf"): {},
    ("GET", "/api/v1/label-runs/{run_id}/labels.zpl"): {},
    ("GET", "/api/v1/label-runs/{run_id}/serials.csv"): {},
    ("POST", "/api/v1/tokens/{token_id}/rotate"): {},
    ("DELETE", "/api/v1/tokens/{token_id}"): {},
    ("POST", "/api/v1/auth/users/{user_id}/password"): {"json": {"password": "another long password"}},
    ("GET", "/api/v1/batches/{batch_id}/epcis"): {},
    ("POST", "/api/v1/batches/{batch_id}/epcis"): {"json": CAPTURE},
    ("GET", "/api/v1/products/{product_id}/epcis"): {},
    ("GET", "/api/v1/epcis/captures/{capture_id}"): {},
    # Public by design (the same answer for anyone): tests/web/test_exchange_api.py checks them instead.
    ("GET", "/api/v1/public/batches/{public_code}/epcis"): {},
    ("GET", "/api/v1/public/certifications/{cert_id}"): {},
}


def api_routes_with_ids(client: TestClient) -> set[tuple[str, str]]:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return {
        (method.upper(), path)
        for path, ops in paths.items()
        if path.startswith("/api/v1") and "{" in path
        for method in ops
    }


def test_every_route_with_an_id_has_a_case(client: TestClient) -> None:
    assert api_routes_with_ids(client) == set(CASES)


@pytest.fixture
def world(db: Session) -> dict[str, Any]:
    """Producer A with one of everything (a draft batch so that every write would succeed for A), and B."""
    a = factories.producer(db)
    b = factories.producer(db)
    product = factories.product(db, a)
    cert = certifications.create(
        db,
        a.caller,
        CertificationIn(
            kind=CertKind.VIETGAP, number="V-1", issuer="TT", issued_on="2026-01-01", product_id=product.id
        ),
    )
    batch = factories.batch(db, a, product, publish=False)
    event = events.add(
        db, a.caller, batch.id, EventIn(biz_step=BizStep.HARVESTING, occurred_at="2026-10-01T07:00:00+07:00")
    )
    token, _ = users.issue_token(db, a.caller, a.org.id, "ERP")
    printed = factories.batch(db, a, product)
    labels = labelruns.LabelRunIn(count=2, layout="thermal-50x30")
    run, _ = labelruns.create(db, a.caller, printed.id, labels, "k", "https://trace.example.vn")
    capture, _ = epcis.capture(db, a.caller, _fill(CAPTURE, {"batch_uri": "https://id.gs1.org/01/08936010000124/10/L"}))
    db.commit()
    ids = {
        "organization_id": a.org.id,
        "product_id": product.id,
        "cert_id": cert.id,
        "batch_id": batch.id,
        "event_id": event.id,
        "token_id": token.id,
        "run_id": run.id,
        "user_id": a.owner.id,
        "capture_id": capture.id,
        "public_code": batch.public_code,
        "batch_uri": f"https://trace.example.vn/c/{batch.public_code}",
    }
    return {"a": a, "b": b, "ids": ids}


def _fill(template: Any, ids: dict[str, int]) -> Any:
    if isinstance(template, str) and re.fullmatch(r"\{\w+\}", template):
        return ids[template[1:-1]]
    if isinstance(template, dict):
        return {k: _fill(v, ids) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, ids) for v in template]
    return template


def _call(client: TestClient, method: str, path: str, case: dict[str, Any], ids: dict[str, int]) -> Any:
    url = path.format(**ids)
    kwargs = {"json": _fill(case["json"], ids)} if "json" in case else {}
    if "files" in case:
        kwargs["files"] = case["files"]
    return client.request(method, url, **kwargs)


def _snapshot(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditEntry)) or 0


@pytest.mark.parametrize(("method", "path"), sorted(c for c in CASES if "/public/" not in c[1]), ids=lambda v: v)
def test_another_producer_sees_nothing_and_changes_nothing(
    client: TestClient, db: Session, world: dict[str, Any], method: str, path: str
) -> None:
    factories.login(client, world["b"].owner.login)
    before = _snapshot(db)
    theirs = _call(client, method, path, CASES[(method, path)], world["ids"])
    missing = _call(client, method, path, CASES[(method, path)], dict.fromkeys(world["ids"], MISSING))
    assert theirs.status_code in (403, 404), theirs.text
    # No oracle: another producer's record answers exactly like one that does not exist.
    assert (theirs.status_code, theirs.json()) == (missing.status_code, missing.json())
    assert _snapshot(db) == before


@pytest.mark.parametrize(
    "path",
    ["/api/v1/organizations", "/api/v1/products", "/api/v1/certifications", "/api/v1/batches", "/api/v1/label-runs"],
)
def test_lists_hold_only_the_callers_records(client: TestClient, world: dict[str, Any], path: str) -> None:
    factories.login(client, world["b"].owner.login)
    rows = client.get(path).json()
    assert all(r.get("organization_id", r.get("id")) == world["b"].org.id for r in rows)
    assert client.get("/api/v1/products", params={"organization_id": world["a"].org.id}).status_code == 404


def test_a_point_reaches_only_the_communes_it_serves(client: TestClient, db: Session) -> None:
    near = factories.producer(db, commune="Trùng Khánh")
    far = factories.producer(db, commune="Bảo Lạc")
    point = factories.trace_point(db, ("Trùng Khánh",))
    operator = factories.user(db, Role.POINT_OPERATOR, trace_point_id=point.id)
    db.commit()
    factories.login(client, operator.login)
    r = client.post("/api/v1/products", json={"name_vi": "Hạt dẻ", "unit": "kg", "organization_id": near.org.id})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/products", json={"name_vi": "Mật ong", "unit": "chai", "organization_id": far.org.id})
    assert r.status_code == 404
    assert {o["id"] for o in client.get("/api/v1/organizations").json()} == {near.org.id}
    # Registering a producer on its behalf needs its consent and a commune the point serves.
    r = client.post("/api/v1/organizations", json={**ORG, "name": "Hộ Nông Văn A"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "consent_note"
    r = client.post("/api/v1/organizations", json={**ORG, "commune": "Bảo Lạc", "consent_note": "Ký giấy"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "commune"
    r = client.post("/api/v1/organizations", json={**ORG, "consent_note": "Đồng ý bằng văn bản ngày 20/11"})
    assert r.status_code == 201 and r.json()["registered_by_point_id"] == point.id
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "product.create").order_by(AuditEntry.id.desc()))
    assert entry is not None and entry.trace_point_id == point.id and entry.on_behalf_of_org_id == near.org.id


def test_the_authority_reads_all_but_edits_nothing(client: TestClient, db: Session, world: dict[str, Any]) -> None:
    authority = factories.user(db, Role.AUTHORITY)
    db.commit()
    factories.login(client, authority.login)
    ids = world["ids"]
    assert client.get(f"/api/v1/products/{ids['product_id']}").status_code == 200
    r = client.put(f"/api/v1/products/{ids['product_id']}", json={"name_vi": "Đổi", "unit": "gói"})
    assert r.status_code == 403
    assert (
        client.post(f"/api/v1/certifications/{ids['cert_id']}/revoke", json={"reason": "Hết hiệu lực thực tế"}).json()[
            "status"
        ]
        == "revoked"
    )


def test_anonymous_reaches_no_api_route(client: TestClient, world: dict[str, Any]) -> None:
    for method, path in sorted(c for c in CASES if not c[1].startswith("/api/v1/public/")):
        r = _call(client, method, path, CASES[(method, path)], world["ids"])
        assert r.status_code == 401, (method, path, r.status_code)
