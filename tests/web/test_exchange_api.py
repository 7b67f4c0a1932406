"""Exchange through the API as integrators use it: EPCIS export and capture, the national-portal export, API tokens,
rate limits, and an OpenAPI document that names every error an operation can answer."""

import codecs
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests import factories
from tests.trace.test_epcis import SHARED, assert_valid
from trace import batches, epcis, events
from trace.access import Role
from trace.audit import AuditEntry
from trace.events import BatchEvent, BizStep, EventIn
from web.links import batch_url
from web.ratelimit import Limit, RateLimiter

BASE = "https://trace.example.vn"
EXAMPLES = sorted((SHARED / "examples").glob("*.jsonld")) if (SHARED / "examples").is_dir() else []
LD_JSON = "application/ld+json"


def document(*event_list: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": [epcis.EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-05T02:00:00Z",
        "epcisBody": {"eventList": list(event_list)},
    }


def object_event(epc_class: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2026-11-05T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "quantityList": [{"epcClass": epc_class}],
        **fields,
    }


def _count(db: Session, model: Any) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def world(db: Session, client: TestClient) -> dict[str, Any]:
    owner = factories.producer(db)
    product = factories.product(db, owner, gtin="8936010000124")
    batch = factories.batch(db, owner, product)
    events.add(
        db, owner.caller, batch.id, EventIn(biz_step=BizStep.HARVESTING, occurred_at="2026-10-01T06:00:00+07:00")
    )
    db.commit()
    factories.login(client, owner.owner.login)
    return {"owner": owner, "product": product, "batch": batch}


# --- export -------------------------------------------------------------------------------------------------------


def test_batch_and_product_documents(client: TestClient, world: dict[str, Any]) -> None:
    r = client.get(f"/api/v1/batches/{world['batch'].id}/epcis")
    assert r.status_code == 200 and r.headers["content-type"].startswith(LD_JSON)
    assert_valid(r.json())
    assert r.json()["epcisBody"]["eventList"][0]["quantityList"][0]["epcClass"] == batch_url(BASE, world["batch"])
    r = client.get(f"/api/v1/products/{world['product'].id}/epcis")
    assert r.status_code == 200
    assert_valid(r.json())


def test_the_public_reads_published_and_recalled_batches_only(
    client: TestClient, db: Session, world: dict[str, Any]
) -> None:
    owner, product = world["owner"], world["product"]
    draft = factories.batch(db, owner, product, publish=False)
    cert = client.post(
        "/api/v1/certifications",
        json={"kind": "vietgap", "number": "VG-7", "issuer": "TT", "issued_on": "2026-01-01", "product_id": product.id},
    ).json()
    db.commit()
    anonymous = TestClient(client.app)
    assert anonymous.get(f"/api/v1/public/batches/{draft.public_code}/epcis").status_code == 404
    r = anonymous.get(f"/api/v1/public/batches/{world['batch'].public_code}/epcis")
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    assert_valid(r.json())
    packing = r.json()["epcisBody"]["eventList"][0]
    assert packing["certificationInfo"] == [f"{BASE}/api/v1/public/certifications/{cert['id']}"]
    r = anonymous.get(f"/api/v1/public/certifications/{cert['id']}")
    assert r.status_code == 200 and r.json()["number"] == "VG-7" and r.json()["status"] == "valid"

    batches.recall(db, factories.ADMIN, world["batch"].id, "Nhiễm mốc")
    db.commit()
    recalled = anonymous.get(f"/api/v1/public/batches/{world['batch'].public_code}/epcis").json()
    assert recalled["epcisBody"]["eventList"][-1]["disposition"] == "recalled"
    assert anonymous.get("/api/v1/public/batches/ZZZZZZZZZZZZ/epcis").status_code == 404


def test_public_routes_answer_everyone_alike(client: TestClient, db: Session, world: dict[str, Any]) -> None:
    """The public routes are outside the isolation test (tests/web/test_isolation.py): what they show, they show to
    anyone; a producer sees no more of another's there than an anonymous phone does."""
    cert = client.post(
        "/api/v1/certifications",
        json={
            "kind": "haccp",
            "number": "H-1",
            "issuer": "QT",
            "issued_on": "2026-01-01",
            "product_id": world["product"].id,
        },
    ).json()
    draft = factories.batch(db, world["owner"], world["product"], publish=False)
    other = factories.producer(db)
    db.commit()
    paths = [
        f"/api/v1/public/batches/{world['batch'].public_code}/epcis",
        f"/api/v1/public/batches/{draft.public_code}/epcis",
        f"/api/v1/public/certifications/{cert['id']}",
        "/api/v1/public/certifications/2000000000",
    ]

    def seen(reader: TestClient) -> list[tuple[int, Any]]:
        answers = [reader.get(p) for p in paths]
        return [(r.status_code, {k: v for k, v in r.json().items() if k != "creationDate"}) for r in answers]

    owner_view = seen(client)
    factories.login(client, other.owner.login)
    assert seen(client) == owner_view
    assert seen(TestClient(client.app)) == owner_view
    assert [code for code, _ in owner_view] == [200, 404, 200, 404]


# --- capture for a batch ------------------------------------------------------------------------------------------


def test_capture_for_a_batch_adds_its_events_all_at_once(
    client: TestClient, db: Session, world: dict[str, Any]
) -> None:
    batch = world["batch"]
    payload = document(
        object_event(
            "https://id.gs1.org/01/08936010000124/10/" + batch.lot_code,
            eventID="urn:uuid:6f0e0f5e-1111-4a4a-9c9c-000000000001",
            bizStep="receiving",
            readPoint={"id": "urn:epc:id:sgln:893601.000002.0"},
        ),
        object_event(
            f"urn:epc:class:lgtin:893601.0000012.{batch.lot_code}",
            eventTime="2026-11-06T01:00:00Z",
            eventTimeZoneOffset="+07:00",
            bizStep="loading",
        ),
    )
    before = _count(db, BatchEvent)
    r = client.post(f"/api/v1/batches/{batch.id}/epcis", json=payload, headers={"content-type": LD_JSON})
    assert r.status_code == 201, r.text
    capture = r.json()
    assert capture["event_count"] == 2 and capture["batch_id"] == batch.id and len(capture["batch_event_ids"]) == 2
    assert _count(db, BatchEvent) == before + 2
    timeline = client.get(f"/api/v1/batches/{batch.id}/events").json()
    received = next(e for e in timeline if e["id"] == capture["batch_event_ids"][0])
    assert (received["biz_step"], received["place_gln"], received["tz_offset_minutes"]) == (
        "receiving",
        "8936010000025",
        420,
    )
    loading = next(e for e in timeline if e["id"] == capture["batch_event_ids"][1])
    assert (loading["biz_step"], loading["description"]) == ("other", "loading")  # a CBV step we do not model
    assert loading["occurred_at"].startswith("2026-11-06T08:00:00+07:00") or loading["occurred_at"].startswith(
        "2026-11-06T01:00:00"
    )

    again = client.post(f"/api/v1/batches/{batch.id}/epcis", json=payload)
    assert (again.status_code, again.json()["id"]) == (200, capture["id"])  # a retry stores nothing twice
    assert _count(db, BatchEvent) == before + 2

    exported = client.get(f"/api/v1/batches/{batch.id}/epcis").json()
    assert_valid(exported)
    ids = [e["eventID"] for e in exported["epcisBody"]["eventList"]]
    assert "urn:uuid:6f0e0f5e-1111-4a4a-9c9c-000000000001" in ids  # the sender's eventID is kept
    stored = client.get(f"/api/v1/epcis/captures/{capture['id']}")
    assert stored.status_code == 200 and stored.json() == payload
    assert [c["id"] for c in client.get("/api/v1/epcis/captures", params={"batch_id": batch.id}).json()] == [
        capture["id"]
    ]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "epcis.capture"))
    assert entry is not None and entry.entity_id == capture["id"]


def test_our_own_export_is_accepted_back_without_doubling_events(client: TestClient, world: dict[str, Any]) -> None:
    url = f"/api/v1/batches/{world['batch'].id}/epcis"
    exported = client.get(url).json()
    before = client.get(f"/api/v1/batches/{world['batch'].id}/events").json()
    r = client.post(url, json=exported)
    assert r.status_code == 201, r.text
    assert r.json()["batch_event_ids"] == []  # every eventID is already the batch's
    assert client.get(f"/api/v1/batches/{world['batch'].id}/events").json() == before


def test_a_schema_breaking_document_gets_every_problem_in_vietnamese(
    client: TestClient, db: Session, world: dict[str, Any]
) -> None:
    lot = batch_url(BASE, world["batch"])
    bad = document(
        {k: v for k, v in object_event(lot).items() if k != "eventTimeZoneOffset"},
        object_event(lot, bizStep="harvest", action="MOVE"),
    )
    before = (_count(db, BatchEvent), _count(db, epcis.Capture))
    r = client.post(f"/api/v1/batches/{world['batch'].id}/epcis", json=bad)
    assert r.status_code == 422
    problems = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert problems["epcisBody.eventList.0"] == "Thiếu trường bắt buộc eventTimeZoneOffset"
    assert problems["epcisBody.eventList.1.action"].startswith("Phải là một trong: OBSERVE, ADD, DELETE")
    assert problems["epcisBody.eventList.1.bizStep"].startswith("Phải là một trong: accepting")
    assert (_count(db, BatchEvent), _count(db, epcis.Capture)) == before
    english = client.post(f"/api/v1/batches/{world['batch'].id}/epcis", json=bad, headers={"Accept-Language": "en"})
    assert "Missing required field eventTimeZoneOffset" in [e["message"] for e in english.json()["errors"]]


def test_a_document_about_something_else_is_refused_whole(
    client: TestClient, db: Session, world: dict[str, Any]
) -> None:
    lot = batch_url(BASE, world["batch"])
    other = "https://id.gs1.org/01/08936010000124/10/OTHER"
    wrong = document(
        object_event(lot),
        object_event(other, eventTime="1980-01-01T00:00:00+07:00"),
        object_event(lot, bizStep="acme:step"),
    )
    before = _count(db, BatchEvent)
    r = client.post(f"/api/v1/batches/{world['batch'].id}/epcis", json=wrong, headers={"Accept-Language": "en"})
    assert r.status_code == 422
    assert {(e["field"], e["message"]) for e in r.json()["errors"]} == {
        ("epcisBody.eventList.1.eventTime", "The time must be between 1990 and now"),
        ("epcisBody.eventList.2.bizStep", "Use a CBV business step or a full URI, not acme:step"),
    }
    r = client.post(f"/api/v1/batches/{world['batch'].id}/epcis", json=document(object_event(lot), object_event(other)))
    assert [(e["field"], e["message"]) for e in r.json()["errors"]] == [
        ("epcisBody.eventList.1.quantityList.0.epcClass", f"Không phải mã của lô này: {other}")
    ]
    assert _count(db, BatchEvent) == before


def test_our_extension_fields_come_back_or_the_whole_document_is_refused(
    client: TestClient, db: Session, world: dict[str, Any]
) -> None:
    lot = batch_url(BASE, world["batch"])
    ours = {**document(), "@context": epcis.context(BASE)}
    placed = object_event(lot, bizStep=f"{BASE}/voc/bizstep/harvesting", **{"ocop:placeName": "Nương Phia Đén"})
    too_long = object_event(lot, **{"ocop:description": "x" * 6000})
    before = _count(db, BatchEvent)
    r = client.post(
        f"/api/v1/batches/{world['batch'].id}/epcis", json={**ours, "epcisBody": {"eventList": [placed, too_long]}}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "epcisBody.eventList.1"
    assert _count(db, BatchEvent) == before
    r = client.post(f"/api/v1/batches/{world['batch'].id}/epcis", json={**ours, "epcisBody": {"eventList": [placed]}})
    assert r.status_code == 201
    timeline = client.get(f"/api/v1/batches/{world['batch'].id}/events").json()
    added = next(e for e in timeline if e["id"] == r.json()["batch_event_ids"][0])
    assert (added["biz_step"], added["place_name"]) == ("harvesting", "Nương Phia Đén")


def test_capture_refuses_what_is_not_a_document(client: TestClient, world: dict[str, Any]) -> None:
    url = f"/api/v1/batches/{world['batch'].id}/epcis"
    r = client.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "document"
    r = client.post(url, content=b"[" * 100_000 + b"]" * 100_000, headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = client.post(url, content=b'"' + b"x" * (5 * 1024 * 1024) + b'"', headers={"content-type": "application/json"})
    assert r.status_code == 422 and "MB" in r.json()["message"]
    r = client.post(url, json=[1, 2])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "document"


def test_a_recalled_batch_takes_no_capture(client: TestClient, db: Session, world: dict[str, Any]) -> None:
    batches.recall(db, factories.ADMIN, world["batch"].id, "Lỗi")
    db.commit()
    r = client.post(
        f"/api/v1/batches/{world['batch'].id}/epcis", json=document(object_event(batch_url(BASE, world["batch"])))
    )
    assert r.status_code == 409


# --- capture for an organization: GS1's examples ------------------------------------------------------------------


@pytest.mark.skipif(not EXAMPLES, reason=f"GS1's EPCIS examples are not beside the repository ({SHARED / 'examples'})")
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_gs1s_examples_are_captured_for_the_organization(
    client: TestClient, db: Session, world: dict[str, Any], path: Path
) -> None:
    example = json.loads(path.read_text(encoding="utf-8"))
    r = client.post("/api/v1/epcis/captures", json=example)
    assert r.status_code == 201, r.text
    assert r.json()["batch_id"] is None and r.json()["event_count"] == len(example["epcisBody"]["eventList"])
    assert client.get(f"/api/v1/epcis/captures/{r.json()['id']}").json() == example
    # They name other companies' goods: the capture bound to our batch refuses them, saying which identifier.
    r = client.post(f"/api/v1/batches/{world['batch'].id}/epcis", json=example)
    assert r.status_code == 422
    assert all(".eventList." in e["field"] for e in r.json()["errors"])


def test_organization_capture_is_for_writers_of_that_organization(client: TestClient, db: Session) -> None:
    authority = factories.user(db, Role.AUTHORITY)
    admin = factories.user(db, Role.ADMIN)
    producer = factories.producer(db)
    db.commit()
    payload = document(object_event("https://id.gs1.org/01/08936010000124/10/X"))
    factories.login(client, authority.login)
    assert (
        client.post("/api/v1/epcis/captures", json=payload, params={"organization_id": producer.org.id}).status_code
        == 403
    )
    factories.login(client, admin.login)
    assert client.post("/api/v1/epcis/captures", json=payload).status_code == 422  # which producer?
    r = client.post("/api/v1/epcis/captures", json=payload, params={"organization_id": producer.org.id})
    assert r.status_code == 201 and r.json()["organization_id"] == producer.org.id


# --- national portal ----------------------------------------------------------------------------------------------


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buf, format="PNG")
    return buf.getvalue()


def test_portal_export_scoped_with_absolute_image_urls(client: TestClient, db: Session, world: dict[str, Any]) -> None:
    product = world["product"]
    r = client.put(
        f"/api/v1/products/{product.id}",
        json={
            "name_vi": product.name_vi,
            "gtin": product.gtin,
            "unit": "gói",
            "net_quantity": "500",
            "net_quantity_unit": "g",
        },
    )
    assert r.status_code == 200, r.text
    image = client.post(f"/api/v1/products/{product.id}/images", files={"file": ("a.png", _png(), "image/png")}).json()
    pending = factories.producer(db, verified=False)
    factories.product(db, pending, gtin="8936010000117")
    other = factories.producer(db)
    factories.product(db, other)
    db.commit()

    mine = client.get("/api/v1/exports/portal.json").json()
    assert [p["id"] for p in mine["products"]] == [product.id] and mine["count"] == 1
    record = mine["products"][0]
    assert record["gtin"] == "08936010000124" and record["image_url"] == BASE + image["url"]
    assert (record["net_quantity"], record["net_quantity_unit"]) == ("500", "g")
    assert record["producer_tax_code"] == world["owner"].org.tax_code

    authority = factories.user(db, Role.AUTHORITY)
    db.commit()
    factories.login(client, authority.login)
    seen = {p["producer_name"] for p in client.get("/api/v1/exports/portal.json").json()["products"]}
    assert world["owner"].org.name in seen and other.org.name in seen and pending.org.name not in seen

    r = client.get("/api/v1/exports/portal.csv")
    assert r.status_code == 200 and r.content.startswith(codecs.BOM_UTF8)
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0].keys() >= {
        "gtin",
        "name",
        "image_url",
        "net_quantity",
        "net_quantity_unit",
        "producer_tax_code",
        "producer_gln",
    }
    first = client.get("/api/v1/exports/portal.json", params={"limit": 1})
    assert first.json()["count"] == 1 and 'rel="next"' in first.headers["link"]


# --- API tokens ---------------------------------------------------------------------------------------------------


def test_tokens_listed_by_prefix_rotated_and_revoked(client: TestClient, db: Session) -> None:
    owner = factories.producer(db)
    db.commit()
    factories.login(client, owner.owner.login)
    issued = client.post("/api/v1/tokens", json={"name": "ERP"})
    assert issued.status_code == 201
    secret = issued.json()["token"]
    assert secret.startswith("ocop_") and secret.startswith(issued.json()["prefix"])
    listing = client.get("/api/v1/tokens")
    assert (
        [t["name"] for t in listing.json()] == ["ERP"]
        and secret not in listing.text
        and "token" not in listing.json()[0]
    )

    machine = TestClient(client.app)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert machine.get("/api/v1/products", headers=bearer).status_code == 200
    assert machine.get("/api/v1/tokens", headers=bearer).status_code == 403  # a token cannot manage tokens
    rotated = client.post(f"/api/v1/tokens/{issued.json()['id']}/rotate").json()
    assert machine.get("/api/v1/products", headers=bearer).status_code == 401
    new = {"Authorization": f"Bearer {rotated['token']}"}
    assert machine.get("/api/v1/products", headers=new).status_code == 200
    assert client.delete(f"/api/v1/tokens/{rotated['id']}").json()["revoked_at"] is not None
    assert machine.get("/api/v1/products", headers=new).status_code == 401
    assert machine.get("/api/v1/products", headers={"Authorization": "Bearer ocop_forged"}).status_code == 401


def test_an_admin_cannot_issue_a_token_for_no_producer(client: TestClient, db: Session) -> None:
    admin = factories.user(db, Role.ADMIN)
    db.commit()
    factories.login(client, admin.login)
    assert client.post("/api/v1/tokens", json={"name": "x", "organization_id": 2_000_000_000}).status_code == 404


# --- rate limits --------------------------------------------------------------------------------------------------


def test_public_routes_are_limited_per_network(client: TestClient, world: dict[str, Any]) -> None:
    client.app.state.rate_limiter = RateLimiter(per_network=Limit(2, 60))  # type: ignore[attr-defined]
    url = f"/api/v1/public/batches/{world['batch'].public_code}/epcis"
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    r = client.get(url)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json()["message"].startswith("Quá nhiều yêu cầu")
    assert client.get(url, headers={"Accept-Language": "en"}).json()["message"].startswith("Too many requests")
    assert client.get(f"/api/v1/batches/{world['batch'].id}").status_code == 200  # a logged-in page is not limited


def test_token_callers_are_limited_per_token(client: TestClient, db: Session) -> None:
    owner = factories.producer(db)
    db.commit()
    factories.login(client, owner.owner.login)
    first = client.post("/api/v1/tokens", json={"name": "A"}).json()["token"]
    second = client.post("/api/v1/tokens", json={"name": "B"}).json()["token"]
    client.app.state.rate_limiter = RateLimiter(per_token=Limit(3, 60))  # type: ignore[attr-defined]
    machine = TestClient(client.app)
    codes = [
        machine.get("/api/v1/products", headers={"Authorization": f"Bearer {first}"}).status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    assert machine.get("/api/v1/products", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_the_bucket_refills_with_time() -> None:
    now = [0.0]
    from web.ratelimit import Buckets

    bucket = Buckets(Limit(2, 10), max_keys=2, clock=lambda: now[0])
    assert [bucket.take("a"), bucket.take("a")] == [0, 0]
    assert bucket.take("a") == pytest.approx(5.0)
    now[0] = 5.0
    assert bucket.take("a") == 0
    bucket.take("b")
    bucket.take("c")
    assert len(bucket._state) == 2  # the oldest key was forgotten


# --- the OpenAPI document -----------------------------------------------------------------------------------------


def test_every_operation_documents_its_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    public = ("/api/v1/public/", "/api/v1/imports/template", "/api/v1/auth/login", "/api/v1/auth/logout")
    missing = []
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in operations.items():
            codes = set(operation["responses"])
            wanted = {"429"}
            if operation.get("parameters") or operation.get("requestBody"):
                wanted.add("422")
            if not path.startswith(public):
                wanted.add("401")
            if not wanted <= codes:
                missing.append((method, path, sorted(wanted - codes)))
    assert missing == []


# --- what the fuzzer found (tests/web/test_openapi_fuzz.py), kept as plain regressions ------------------------------


def test_a_nul_in_a_login_or_a_search_is_no_server_error(client: TestClient, world: dict[str, Any]) -> None:
    # PostgreSQL refuses NUL in a text parameter: it used to answer 500 there.
    anonymous = TestClient(client.app)
    assert anonymous.post("/api/v1/auth/login", json={"login": "a\x00b", "password": "x"}).status_code == 401
    assert client.get("/api/v1/organizations", params={"q": "\x00"}).status_code == 200
    found = client.get("/api/v1/products", params={"q": "mi\x00en"}).json()  # the NUL is ignored
    assert [p["id"] for p in found] == [world["product"].id]


def test_an_event_cannot_be_edited_to_correct_a_missing_one(client: TestClient, db: Session) -> None:
    owner = factories.producer(db)
    draft = factories.batch(db, owner, factories.product(db, owner), publish=False)
    event = events.add(
        db, owner.caller, draft.id, EventIn(biz_step=BizStep.PACKING, occurred_at="2026-10-01T08:00:00+07:00")
    )
    db.commit()
    factories.login(client, owner.owner.login)
    body = {"biz_step": "packing", "occurred_at": "2026-10-01T08:00:00+07:00"}
    for corrects in (2_147_483_646, event.id):  # a missing event, or itself: it used to be a 500 (foreign key)
        r = client.put(f"/api/v1/batches/{draft.id}/events/{event.id}", json={**body, "corrects_id": corrects})
        assert r.status_code == 404 and r.json()["errors"][0]["field"] == "corrects_id"


def test_an_unreadable_body_is_a_documented_400(client: TestClient, world: dict[str, Any]) -> None:
    r = client.post("/api/v1/products", content=b"\xff\xfe{", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert "400" in client.get("/openapi.json").json()["paths"]["/api/v1/products"]["post"]["responses"]
