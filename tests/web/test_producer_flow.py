"""The whole producer flow through the JSON API, as an integrator or a producer's own system would use it."""

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests import factories
from trace.audit import AuditEntry


def test_producer_registers_everything_and_publishes(client: TestClient, db: Session) -> None:
    owner = factories.producer(db)
    db.commit()
    factories.login(client, owner.owner.login)
    assert client.get("/api/v1/auth/me").json()["login"] == owner.owner.login

    r = client.post(
        "/api/v1/products",
        json={
            "name_vi": "Mie\u0302\u0301n dong Phia Đén",  # decomposed (NFD) as some phone keyboards send it
            "name_en": "Arrowroot vermicelli",
            "gtin": "8936010000124",
            "ocop_group": "food",
            "unit": "gói",
            "net_quantity": "500",
            "net_quantity_unit": "g",
            "shelf_life_days": 365,
            "standards": "TCCS 01:2023",
        },
    )
    assert r.status_code == 201, r.text
    product = r.json()
    assert product["name_vi"] == "Miến dong Phia Đén"
    assert product["gtin"] == "08936010000124"
    assert product["organization_id"] == owner.org.id

    r = client.post(
        "/api/v1/certifications",
        json={
            "kind": "ocop",
            "number": "1520/QĐ-UBND",
            "issuer": "UBND tỉnh Cao Bằng",
            "issued_on": "2026-01-10",
            "ocop_stars": 4,
            "product_id": product["id"],
        },
    )
    assert r.status_code == 201, r.text
    cert = r.json()
    assert cert["valid_until"] == "2029-01-10"  # OCOP: 36 months from the decision
    assert cert["status"] == "valid"

    r = client.post(
        f"/api/v1/certifications/{cert['id']}/supersede",
        json={
            "kind": "ocop",
            "number": "2011/QĐ-UBND",
            "issuer": "UBND tỉnh Cao Bằng",
            "issued_on": "2026-06-01",
            "ocop_stars": 5,
            "product_id": product["id"],
            "change_kind": "correction",
        },
    )
    assert r.status_code == 201, r.text
    renewed = r.json()
    assert renewed["history"] == [cert["id"]]
    old = client.get(f"/api/v1/certifications/{cert['id']}").json()
    assert old["status"] == "superseded" and old["superseded_by_id"] == renewed["id"]

    r = client.post(
        "/api/v1/batches",
        json={
            "product_id": product["id"],
            "lot_code": "MD2611A",
            "production_date": "2026-11-01",
            "expiry_date": "2027-11-01",
            "quantity": "1200",
            "quantity_unit": "gói",
            "origin_commune": "Nguyên Bình",
            "origin_latitude": 22.63,
            "origin_longitude": 105.88,
            "inputs": [
                {
                    "supplier_name": "Tổ dong riềng Phia Đén",
                    "supplier_lot": "CD-11",
                    "quantity": "2800",
                    "quantity_unit": "kg",
                }
            ],
        },
    )
    assert r.status_code == 201, r.text
    batch = r.json()
    assert batch["status"] == "draft"
    assert batch["public_url"] == "https://trace.example.vn/01/08936010000124/10/MD2611A"

    r = client.post(
        f"/api/v1/batches/{batch['id']}/events",
        json={
            "biz_step": "processing",
            "occurred_at": "2026-11-01T08:00:00+07:00",
            "place_name": "Xưởng miến",
            "description": "Tráng và phơi miến",
        },
    )
    assert r.status_code == 201, r.text
    event = r.json()
    assert event["tz_offset_minutes"] == 420
    r = client.put(
        f"/api/v1/batches/{batch['id']}/events/{event['id']}",
        json={"biz_step": "processing", "occurred_at": "2026-11-01T09:00:00+07:00", "place_name": "Xưởng miến"},
    )
    assert r.status_code == 200, r.text

    r = client.post(f"/api/v1/batches/{batch['id']}/publish")
    assert r.status_code == 200 and r.json()["status"] == "published"

    # Published: the batch and its events are frozen; a correction is a new event pointing at the old one.
    assert (
        client.put(
            f"/api/v1/batches/{batch['id']}/events/{event['id']}",
            json={"biz_step": "packing", "occurred_at": "2026-11-01T09:00:00+07:00"},
        ).status_code
        == 409
    )
    assert client.delete(f"/api/v1/batches/{batch['id']}/events/{event['id']}").status_code == 409
    r = client.post(
        f"/api/v1/batches/{batch['id']}/events",
        json={
            "biz_step": "processing",
            "occurred_at": "2026-11-01T10:00:00+07:00",
            "corrects_id": event["id"],
            "description": "Giờ đúng là 10:00",
        },
    )
    assert r.status_code == 201 and r.json()["corrects_id"] == event["id"]
    assert len(client.get(f"/api/v1/batches/{batch['id']}/events").json()) == 2

    # An API token acts for the organization; revoked, it stops working.
    r = client.post("/api/v1/tokens", json={"name": "ERP của HTX"})
    assert r.status_code == 201, r.text
    token = r.json()
    bearer = TestClient(client.app)
    bearer.headers["Authorization"] = f"Bearer {token['token']}"
    assert [b["lot_code"] for b in bearer.get("/api/v1/batches").json()] == ["MD2611A"]
    assert client.delete(f"/api/v1/tokens/{token['id']}").json()["revoked_at"] is not None
    assert bearer.get("/api/v1/batches").status_code == 401

    # Every change is in the audit log, attributed to the owner.
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.actor_user_id == owner.owner.id)))
    assert {
        "product.create",
        "certification.create",
        "certification.correction",
        "batch.create",
        "event.add",
        "batch.publish",
        "token.issue",
        "token.revoke",
    } <= actions


def test_an_unverified_producer_cannot_publish(client: TestClient, db: Session) -> None:
    owner = factories.producer(db, verified=False)
    prod = factories.product(db, owner)
    b = factories.batch(db, owner, prod, publish=False)
    db.commit()
    factories.login(client, owner.owner.login)
    r = client.post(f"/api/v1/batches/{b.id}/publish")
    assert r.status_code == 403
    assert "xác minh" in r.json()["message"]


def test_login_locks_after_five_failures(client: TestClient, db: Session) -> None:
    owner = factories.producer(db)
    db.commit()
    for _ in range(5):
        r = client.post("/api/v1/auth/login", json={"login": owner.owner.login, "password": "wrong password"})
        assert r.status_code == 401
    r = client.post("/api/v1/auth/login", json={"login": owner.owner.login, "password": factories.PASSWORD})
    assert r.status_code == 401
    assert "phút" in r.json()["message"]


def test_password_reset_by_authority_ends_old_sessions(client: TestClient, db: Session) -> None:
    from trace.access import Role

    owner = factories.producer(db)
    authority = factories.user(db, Role.AUTHORITY)
    db.commit()
    factories.login(client, owner.owner.login)
    other = TestClient(client.app)
    factories.login(other, authority.login)
    assert (
        other.post(
            f"/api/v1/auth/users/{owner.owner.id}/password", json={"password": "a brand new passphrase"}
        ).status_code
        == 204
    )
    assert client.get("/api/v1/auth/me").status_code == 401
    r = client.post("/api/v1/auth/login", json={"login": owner.owner.login, "password": "a brand new passphrase"})
    assert r.status_code == 200


def test_every_change_is_audited_once(client: TestClient, db: Session) -> None:
    owner = factories.producer(db)
    db.commit()
    factories.login(client, owner.owner.login)
    before = db.scalar(select(func.count()).select_from(AuditEntry))
    client.post("/api/v1/products", json={"name_vi": "Trà giảo cổ lam", "unit": "hộp"})
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == before + 1


def test_search_ignores_diacritics_and_lists_sort_the_vietnamese_way(client: TestClient, db: Session) -> None:
    owner = factories.producer(db)
    db.commit()
    factories.login(client, owner.owner.login)
    for name in ("Đậu phụ", "Miến dong Phia Đén", "Dẻ rang", "Ăn liền", "An toàn"):
        assert client.post("/api/v1/products", json={"name_vi": name, "unit": "gói"}).status_code == 201
    found = client.get("/api/v1/products", params={"q": "mien DONG"}).json()
    assert [p["name_vi"] for p in found] == ["Miến dong Phia Đén"]
    assert [p["name_vi"] for p in client.get("/api/v1/products").json()] == [
        "An toàn",
        "Ăn liền",
        "Dẻ rang",
        "Đậu phụ",
        "Miến dong Phia Đén",
    ]
    assert client.get("/api/v1/products", params={"q": "100%_"}).json() == []


def test_openapi_docs_load_nothing_from_outside(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text and "https://" not in page.text.replace("https://fastapi", "")
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert "/api/v1/batches/{batch_id}/publish" in client.get("/openapi.json").json()["paths"]


def test_admin_opens_a_traceability_point(client: TestClient, db: Session) -> None:
    from trace.access import Role

    admin = factories.user(db, Role.ADMIN)
    owner = factories.producer(db)
    db.commit()
    factories.login(client, owner.owner.login)
    body = {
        "name": "Điểm truy xuất xã Hạ Lang",
        "commune": "Hạ Lang",
        "province": "Cao Bằng",
        "serves": [{"commune": "Quang Long", "province": "Cao Bằng"}],
    }
    assert client.post("/api/v1/trace-points", json=body).status_code == 403
    assert client.get("/api/v1/trace-points").json() == []
    factories.login(client, admin.login)
    r = client.post("/api/v1/trace-points", json=body)
    assert r.status_code == 201, r.text
    assert sorted(r.json()["serves"]) == ["Hạ Lang", "Quang Long"]
    operator = factories.user(db, Role.POINT_OPERATOR, trace_point_id=r.json()["id"])
    db.commit()
    factories.login(client, operator.login)
    assert [p["id"] for p in client.get("/api/v1/trace-points").json()] == [r.json()["id"]]
