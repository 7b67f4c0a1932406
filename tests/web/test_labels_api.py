"""Label runs through the API and the command line, end to end: allocate, download the PDF, read every QR code
back from the printed page; idempotent retries, reprints, ZPL and CSV, and who may print."""

import csv
import io
import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from tests import factories
from tests.labels.pdftools import page_text, rasterise
from trace import batches, certifications, gs1, labelruns, users
from trace.access import Role
from trace.audit import AuditEntry
from trace.batches import Batch
from trace.certifications import CertificationIn, CertKind
from trace.db import vietnam_today
from trace.labelruns import LabelRun, LabelRunIn, LabelSerial
from web import labels_service

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://trace.example.vn"  # the test settings' public base
LABEL_PITCH_PX = 37 / 25.4 * 300  # a4-3x8 rows at 300 dpi
_gtins = itertools.count(500)


def new_gtin() -> str:
    body = f"893601{next(_gtins):06d}"
    return body + str(gs1.gtin_check_digit(body))


def _setup(db: Session, gtin: bool = True, publish: bool = True) -> tuple[factories.Producer, Batch]:
    owner = factories.producer(db)
    product = factories.product(db, owner, gtin=new_gtin() if gtin else None)
    certifications.create(
        db,
        owner.caller,
        CertificationIn(
            kind=CertKind.OCOP,
            number="1874/QĐ-UBND",
            issuer="UBND tỉnh Cao Bằng",
            issued_on=vietnam_today(),
            ocop_stars=4,
            product_id=product.id,
        ),
    )
    batch = factories.batch(db, owner, product, publish=publish)
    db.commit()
    return owner, batch


def _post(client: TestClient, batch_id: int, key: str | None = None, **body: Any) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(f"/api/v1/batches/{batch_id}/label-runs", json=body, headers=headers)


def _serials_csv(client: TestClient, run_id: int) -> list[dict[str, str]]:
    r = client.get(f"/api/v1/label-runs/{run_id}/serials.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text
    return list(csv.DictReader(io.StringIO(r.text)))


def _qr_codes_in_reading_order(page: Image.Image) -> list[str]:
    found = zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)
    by_place = sorted(found, key=lambda b: (round(b.position.top_left.y / LABEL_PITCH_PX), b.position.top_left.x))
    return [b.text for b in by_place]


def _audits(db: Session, action: str) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0


def test_every_qr_code_on_the_printed_page_is_an_allocated_digital_link(client: TestClient, db: Session) -> None:
    owner, batch = _setup(db)
    factories.login(client, owner.owner.login)
    r = _post(client, batch.id, "order-2026-11-23-001", count=30, layout="a4-3x8")
    assert r.status_code == 201, r.text
    run = r.json()
    assert (run["count"], run["layout"], run["skip"], run["batch_level"]) == (30, "a4-3x8", 0, False)
    assert (run["idempotency_key"], run["created_by_user_id"], run["organization_id"]) == (
        "order-2026-11-23-001",
        owner.owner.id,
        owner.org.id,
    )
    assert run["zpl_url"] is None and run["serials_url"].endswith("/serials.csv")

    rows = _serials_csv(client, run["id"])
    gtin = batch.product.gtin
    assert [int(row["position"]) for row in rows] == list(range(30))
    assert len({row["serial"] for row in rows}) == 30
    for row in rows:
        assert row["digital_link"] == f"{BASE}/01/{gtin}/10/{batch.lot_code}/21/{row['serial']}"
        assert row["short_code"] == labelruns.format_short_code(row["serial"])
    links = [row["digital_link"] for row in rows]

    pdf = client.get(run["pdf_url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="label-run-{run["id"]}.pdf"'
    assert pdf.content.startswith(b"%PDF")
    # The first sheet holds 24 labels: each QR code is one allocated link, in allocation order, each once.
    assert _qr_codes_in_reading_order(rasterise(pdf.content, dpi=300)) == links[:24]
    text = page_text(pdf.content)
    assert batch.product.name_vi in text and owner.org.name in text and "OCOP ★★★★" in text
    assert rows[0]["short_code"] in text and f"Lô: {batch.lot_code}" in text

    # A reprint is the same codes in the same order.
    again = client.get(run["pdf_url"])
    assert _qr_codes_in_reading_order(rasterise(again.content, dpi=300)) == links[:24]
    assert _serials_csv(client, run["id"]) == rows
    assert _audits(db, "label_run.create") == 1 and _audits(db, "label_run.print") == 4


def test_a_retried_request_returns_the_same_run(client: TestClient, db: Session) -> None:
    owner, batch = _setup(db)
    factories.login(client, owner.owner.login)
    first = _post(client, batch.id, "retry-1", count=10, layout="a4-4x10")
    assert first.status_code == 201, first.text
    again = _post(client, batch.id, "retry-1", count=10, layout="a4-4x10")
    assert again.status_code == 200 and again.json() == first.json()
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(LabelSerial)) == 10

    other = _post(client, batch.id, "retry-1", count=11, layout="a4-4x10")
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "idempotency_key"
    # Without a key every request is a new run, under a key the service made up.
    runs = [_post(client, batch.id, count=1, layout="a4-4x10").json() for _ in range(2)]
    assert runs[0]["id"] != runs[1]["id"] and runs[0]["idempotency_key"] != runs[1]["idempotency_key"]
    for bad in ("has space", "x" * 101):
        r = _post(client, batch.id, bad, count=1, layout="a4-4x10")
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "idempotency_key", r.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"count": 0, "layout": "a4-3x8"}, "count"),
        ({"count": 100_001, "layout": "a4-3x8"}, "count"),
        ({"count": True, "layout": "a4-3x8"}, "count"),  # pydantic alone would print one label
        ({"count": 1, "layout": "a4-3x8", "skip": False}, "skip"),
        ({"count": 1, "layout": "a4-9x9"}, "layout"),
        ({"count": 1, "layout": "a4-3x8", "skip": 24}, "skip"),
        ({"count": 1, "layout": "thermal-50x30", "skip": 1}, "skip"),
        ({"count": 1, "layout": "a4-3x8", "copies": 2}, "copies"),
    ],
)
def test_bad_requests_name_the_field_and_write_nothing(
    client: TestClient, db: Session, body: dict[str, Any], field: str
) -> None:
    owner, batch = _setup(db)
    factories.login(client, owner.owner.login)
    r = _post(client, batch.id, "k", **body)
    assert r.status_code == 422 and field in [e["field"] for e in r.json()["errors"]], r.text
    assert _audits(db, "label_run.create") == 0


def test_only_published_batches_get_labels(client: TestClient, db: Session) -> None:
    owner, draft = _setup(db, publish=False)
    factories.login(client, owner.owner.login)
    english = {"Accept-Language": "en"}
    r = client.post(f"/api/v1/batches/{draft.id}/label-runs", json={"count": 1, "layout": "a4-3x8"}, headers=english)
    assert r.status_code == 409 and "Publish the batch" in r.json()["message"]
    batches.publish(db, owner.caller, draft.id)
    batches.recall(db, owner.caller, draft.id, "Sai nhãn")
    db.commit()
    r = client.post(f"/api/v1/batches/{draft.id}/label-runs", json={"count": 1, "layout": "a4-3x8"}, headers=english)
    assert r.status_code == 409 and "recalled" in r.json()["message"]
    assert _audits(db, "label_run.create") == 0


def test_batch_level_labels_carry_the_batch_code(client: TestClient, db: Session) -> None:
    owner, batch = _setup(db, gtin=False)
    factories.login(client, owner.owner.login)
    run = _post(client, batch.id, count=3, layout="a4-3x8", batch_level=True).json()
    assert run["batch_level"] and run["serials_url"] is None
    assert client.get(f"/api/v1/label-runs/{run['id']}/serials.csv").status_code == 409
    pdf = client.get(run["pdf_url"]).content
    assert _qr_codes_in_reading_order(rasterise(pdf, dpi=300)) == [f"{BASE}/c/{batch.public_code}"] * 3
    assert labelruns.format_short_code(batch.public_code) in page_text(pdf)

    # With a GTIN the batch's Digital Link is GTIN and lot.
    gtin_owner, gtin_batch = _setup(db)
    run_gtin, _ = labelruns.create(
        db, gtin_owner.caller, gtin_batch.id, LabelRunIn(count=2, layout="a4-3x8", batch_level=True), "b", BASE
    )
    labels = list(labels_service.label_contents(db, run_gtin))
    assert len(labels) == 2
    assert labels[0].qr_data == f"{BASE}/01/{gtin_batch.product.gtin}/10/{gtin_batch.lot_code}"
    assert (labels[0].product_name, labels[0].producer_name, labels[0].ocop_stars) == (
        gtin_batch.product.name_vi,
        gtin_owner.org.name,
        4,
    )
    assert (labels[0].production_date, labels[0].expiry_date) == (gtin_batch.production_date, gtin_batch.expiry_date)


def test_zpl_for_thermal_printers(client: TestClient, db: Session) -> None:
    owner, batch = _setup(db)
    factories.login(client, owner.owner.login)
    run = _post(client, batch.id, count=2, layout="thermal-40x30").json()
    assert run["zpl_url"] == f"/api/v1/label-runs/{run['id']}/labels.zpl"
    r = client.get(run["zpl_url"], params={"dpi": 300})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/zpl"), r.text
    rows = _serials_csv(client, run["id"])
    assert r.text.count("^XA") == 2 and all(row["digital_link"] in r.text for row in rows)
    assert client.get(run["zpl_url"], params={"dpi": 250}).status_code == 422
    sheet = _post(client, batch.id, count=2, layout="a4-3x8").json()
    r = client.get(f"/api/v1/label-runs/{sheet['id']}/labels.zpl")
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "layout"
    assert client.get(f"/api/v1/label-runs/{sheet['id']}/labels.pdf", params={"skip": 24}).status_code == 422
    assert client.get(f"/api/v1/label-runs/{sheet['id']}/labels.pdf", params={"skip": 23}).status_code == 200


def test_points_print_for_their_producers_and_the_authority_only_looks(client: TestClient, db: Session) -> None:
    _, batch = _setup(db)
    point = factories.trace_point(db, ("Trùng Khánh",))
    operator = factories.user(db, Role.POINT_OPERATOR, trace_point_id=point.id)
    authority = factories.user(db, Role.AUTHORITY)
    db.commit()

    factories.login(client, operator.login)
    r = _post(client, batch.id, count=2, layout="a4-3x8")
    assert r.status_code == 201, r.text
    run = r.json()
    assert (run["trace_point_id"], run["created_by_user_id"], run["created_by_role"]) == (
        point.id,
        operator.id,
        "point_operator",
    )
    assert client.get(run["pdf_url"]).status_code == 200

    factories.login(client, authority.login)
    assert [r["id"] for r in client.get("/api/v1/label-runs", params={"batch_id": batch.id}).json()] == [run["id"]]
    assert client.get(f"/api/v1/label-runs/{run['id']}").json() == run
    for url in (run["pdf_url"], run["serials_url"]):
        assert client.get(url).status_code == 403
    assert _post(client, batch.id, count=2, layout="a4-3x8").status_code == 403

    stranger = factories.producer(db)
    db.commit()
    factories.login(client, stranger.owner.login)
    assert client.get("/api/v1/label-runs").json() == []
    assert client.get("/api/v1/label-runs", params={"batch_id": batch.id}).json() == []


def test_an_api_token_prints_and_is_recorded(client: TestClient, db: Session) -> None:
    owner, batch = _setup(db)
    token, secret = users.issue_token(db, owner.caller, owner.org.id, "ERP")
    db.commit()
    r = client.post(
        f"/api/v1/batches/{batch.id}/label-runs",
        json={"count": 1, "layout": "thermal-50x30"},
        headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "erp-77"},
    )
    assert r.status_code == 201, r.text
    assert (r.json()["created_by_token_id"], r.json()["created_by_user_id"]) == (token.id, None)


def test_the_command_line_prints_a_run_and_reprints_it(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TRACE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "TRACE_PUBLIC_BASE_URL": BASE,
        "TRACE_STORAGE_DIR": str(tmp_path / "storage"),
    }

    def web(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "web", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )

    assert web("demo").returncode == 0
    engine = create_engine(env["TRACE_DATABASE_URL"])
    with Session(engine) as db:
        batch = db.scalar(select(Batch).where(Batch.lot_code == "MD2611A"))
        assert batch is not None
        batch_id, gtin = batch.id, batch.product.gtin

    out = tmp_path / "nhan.pdf"
    made = web("labels", "--batch", str(batch_id), "--count", "30", "--layout", "a4-3x8", "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == str(out) and "30 serialized labels allocated" in made.stderr
    key = made.stderr.split("idempotency key ")[1].split()[0]
    with Session(engine) as db:
        run = db.scalar(select(LabelRun).where(LabelRun.idempotency_key == key))
        assert run is not None and run.created_by_role == "admin"
        serials = labelruns.serials(db, run)
    links = [f"{BASE}/01/{gtin}/10/MD2611A/21/{serial}" for serial in serials]
    assert _qr_codes_in_reading_order(rasterise(out.read_bytes(), dpi=300)) == links[:24]

    again = tmp_path / "in-lai.pdf"
    reprint = web(
        "labels",
        "--batch",
        str(batch_id),
        "--count",
        "30",
        "--layout",
        "a4-3x8",
        "--out",
        str(again),
        "--idempotency-key",
        key,
        "--user",
        "htx.mien.dong",
    )
    assert reprint.returncode == 0 and "already made" in reprint.stderr, reprint.stderr
    assert _qr_codes_in_reading_order(rasterise(again.read_bytes(), dpi=300)) == links[:24]
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(LabelSerial)) == 30

    refused = web("labels", "--batch", str(batch_id), "--count", "100001", "--layout", "a4-3x8", "--out", str(out))
    assert refused.returncode == 2 and "--count" in refused.stderr
    engine.dispose()


def test_a_custom_sheet_size_prints_and_reprints(client: TestClient, db: Session) -> None:
    owner, batch = _setup(db)
    factories.login(client, owner.owner.login)
    # 2 columns x 5 rows of 90 x 50 mm labels, 10 mm from the left, 15 mm from the top, 5 mm gaps.
    layout = "custom:2x5:90x50:10,15:95,55"
    r = _post(client, batch.id, count=12, layout=layout, skip=3)
    assert r.status_code == 201, r.text
    links = [row["digital_link"] for row in _serials_csv(client, r.json()["id"])]
    pdf = client.get(r.json()["pdf_url"])
    # The first sheet has 10 places, 3 already used: labels 1-7 on it, in order.
    assert _qr_codes_in_reading_order(rasterise(pdf.content, dpi=300)) == links[:7]

    bad = _post(client, batch.id, count=1, layout="custom:3x8:90x37:0,4.5")
    assert bad.status_code == 422
    [error] = bad.json()["errors"]
    assert error["field"] == "layout" and error["message"].startswith("Khổ giấy tự chọn")
