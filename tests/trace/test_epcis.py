"""EPCIS 2.0 export: every document we build is valid against GS1's official JSON Schema (../shared/gs1/epcis), and
says what a trading partner needs: Digital Link identifiers, CBV steps, offsets, places, certificates, one step back."""

import json
import socket
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7
from sqlalchemy.orm import Session

from tests import factories
from trace import batches, certifications, epcis, events, products
from trace.batches import BatchIn, BatchInputIn
from trace.certifications import CertificationIn, CertKind, ChangeKind, RenewalIn
from trace.events import BizStep, EventIn
from trace.products import ProductIn
from web.links import batch_url

BASE = "https://trace.example.vn"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "gs1" / "epcis"
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def official_validator() -> Draft7Validator:
    """The schema as GS1 publishes it, read from shared/, with references resolved only inside it."""
    if not (SHARED / "EPCIS-JSON-Schema.json").exists():
        pytest.skip(f"GS1's EPCIS schema is not beside the repository ({SHARED})")
    schema = json.loads((SHARED / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))

    def refuse(uri: str) -> Any:
        raise NoSuchResource(ref=uri)

    registry = Registry(retrieve=refuse).with_resource(  # type: ignore[call-arg]
        schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7)
    )
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


def assert_valid(document: dict[str, Any]) -> None:
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in official_validator().iter_errors(document)]
    assert problems == []


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing here may reach the internet: not the schema's references, not the JSON-LD context."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def traced(db: Session) -> dict[str, Any]:
    """A producer with a GTIN product, certificates (valid, revoked, corrected), an input batch of its own and a
    supplier's lot, and a batch with farm and CBV steps, a correction, and a recall."""
    owner = factories.producer(db)
    owner.org.gln = "8936010000018"
    starch = factories.product(db, owner, gtin="8936010000117")
    starch_lot = factories.batch(db, owner, starch)
    product = products.create(
        db,
        owner.caller,
        ProductIn(
            name_vi="Miến dong Phia Đén", gtin="8936010000124", unit="gói", net_quantity="500", net_quantity_unit="g"
        ),
    )
    ocop = certifications.create(
        db,
        owner.caller,
        CertificationIn(
            kind=CertKind.OCOP,
            number="1520/QĐ-UBND",
            issuer="UBND tỉnh",
            issued_on="2026-01-10",
            ocop_stars=4,
            product_id=product.id,
        ),
    )
    wrong = certifications.create(
        db,
        owner.caller,
        CertificationIn(
            kind=CertKind.VIETGAP, number="VG-1", issuer="TT", issued_on="2026-02-01", product_id=product.id
        ),
    )
    fixed = certifications.supersede(
        db,
        owner.caller,
        wrong.id,
        RenewalIn(
            kind=CertKind.VIETGAP,
            number="VG-1A",
            issuer="TT",
            issued_on="2026-02-01",
            product_id=product.id,
            change_kind=ChangeKind.CORRECTION,
        ),
    )
    revoked = certifications.create(
        db,
        owner.caller,
        CertificationIn(kind=CertKind.HACCP, number="H-9", issuer="QT", issued_on="2026-01-01", product_id=product.id),
    )
    certifications.revoke(db, factories.ADMIN, revoked.id, "Sai phạm")
    batch = batches.create(
        db,
        owner.caller,
        BatchIn(
            product_id=product.id,
            lot_code="MD2611A",
            production_date=date(2026, 11, 1),
            expiry_date=date(2027, 11, 1),
            quantity=Decimal("1200"),
            quantity_unit="gói",
            inputs=[
                BatchInputIn(input_batch_id=starch_lot.id, quantity=Decimal("300"), quantity_unit="kg"),
                BatchInputIn(
                    supplier_name="Hộ Nông Văn Ba", supplier_lot="NVB-01", quantity=Decimal("2.5"), quantity_unit="kg"
                ),
            ],
        ),
    )
    planting = events.add(
        db,
        owner.caller,
        batch.id,
        EventIn(
            biz_step=BizStep.PLANTING,
            occurred_at=_at("2025-12-01T07:00:00+07:00"),
            place_name="Ruộng Phia Đén",
            place_commune="Nguyên Bình",
        ),
    )
    harvest = events.add(
        db,
        owner.caller,
        batch.id,
        EventIn(biz_step=BizStep.HARVESTING, occurred_at=_at("2026-10-20T06:30:00+07:00"), place_gln="8936010000025"),
    )
    events.add(
        db,
        owner.caller,
        batch.id,
        EventIn(
            biz_step=BizStep.PACKING,
            occurred_at=_at("2026-11-01T09:00:00+07:00"),
            description="Đóng gói 500 g",
            actor="Tổ đóng gói",
        ),
    )
    shipping = events.add(
        db, owner.caller, batch.id, EventIn(biz_step=BizStep.SHIPPING, occurred_at=_at("2026-11-03T08:00:00+07:00"))
    )
    batches.publish(db, owner.caller, batch.id)
    correction = events.add(
        db,
        owner.caller,
        batch.id,
        EventIn(
            biz_step=BizStep.SHIPPING,
            occurred_at=_at("2026-11-04T08:00:00+07:00"),
            corrects_id=shipping.id,
            description="Ngày gửi hàng đúng là 04/11",
        ),
    )
    batches.recall(db, factories.ADMIN, batch.id, "Bao bì lỗi")
    db.flush()
    return {
        "owner": owner,
        "batch": batch,
        "product": product,
        "starch_lot": starch_lot,
        "ocop": ocop,
        "fixed": fixed,
        "wrong": wrong,
        "revoked": revoked,
        "planting": planting,
        "harvest": harvest,
        "shipping": shipping,
        "correction": correction,
    }


def _object_events(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in document["epcisBody"]["eventList"] if e["type"] == "ObjectEvent"]


def test_the_bundled_schema_is_gs1s(db: Session) -> None:
    if not (SHARED / "EPCIS-JSON-Schema.json").exists():
        pytest.skip(f"GS1's EPCIS schema is not beside the repository ({SHARED})")
    assert json.loads(epcis.SCHEMA_PATH.read_text()) == json.loads((SHARED / "EPCIS-JSON-Schema.json").read_text())


def test_the_validator_checks_formats() -> None:
    # Without rfc3339-validator and rfc3986-validator jsonschema skips "date-time" and "uri" silently.
    assert {"date-time", "uri"} <= set(epcis.VALIDATOR.format_checker.checkers)  # type: ignore[union-attr]
    event = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "epcList": [],
        "eventTime": "yesterday",
        "eventTimeZoneOffset": "+07:00",
    }
    document = {
        "@context": epcis.EPCIS_CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-01-01T00:00:00Z",
        "epcisBody": {"eventList": [event]},
    }
    problems = epcis.schema_problems(document)
    assert [(p.path, p.message) for p in problems] == [("epcisBody.eventList.0.eventTime", "Not a valid {format}")]


def test_a_batch_exports_as_valid_epcis_with_everything_a_partner_needs(db: Session, traced: dict[str, Any]) -> None:
    batch, starch_lot = traced["batch"], traced["starch_lot"]
    document = epcis.batch_document(db, batch, BASE, now=NOW)
    assert_valid(document)
    assert document["@context"][0] == epcis.EPCIS_CONTEXT and document["creationDate"] == "2026-11-20T03:00:00Z"
    lot = batch_url(BASE, batch)
    assert lot == "https://trace.example.vn/01/08936010000124/10/MD2611A"
    event_list = document["epcisBody"]["eventList"]
    assert all("eventTimeZoneOffset" in e and e["eventID"].startswith("urn:uuid:") for e in event_list)

    transformation = event_list[0]
    assert transformation["type"] == "TransformationEvent"
    assert transformation["inputQuantityList"] == [
        {"epcClass": batch_url(BASE, starch_lot), "quantity": 300, "uom": "KGM"},
        {"epcClass": f"{BASE}/voc/input/{batch.inputs[1].id}", "quantity": 2.5, "uom": "KGM"},
    ]
    assert transformation["outputQuantityList"] == [{"epcClass": lot, "quantity": 1200}]
    assert transformation["ocop:suppliedInputs"][0]["ocop:supplier"] == "Hộ Nông Văn Ba"
    assert transformation["eventTime"] == "2025-12-01T07:00:00+07:00"  # the lot began with the planting

    planting, harvest, packing, shipping, correction, recall = _object_events(document)
    assert [e["action"] for e in (planting, harvest, packing, shipping, correction, recall)] == ["ADD"] + [
        "OBSERVE"
    ] * 5
    assert planting["bizStep"] == f"{BASE}/voc/bizstep/planting" and packing["bizStep"] == "packing"
    assert planting["quantityList"] == [{"epcClass": lot, "quantity": 1200}]
    assert planting["ilmd"] == {"cbvmda:lotNumber": "MD2611A", "cbvmda:itemExpirationDate": "2027-11-01"}
    assert planting["eventTime"] == "2025-12-01T07:00:00+07:00" and planting["eventTimeZoneOffset"] == "+07:00"
    assert planting["ocop:placeName"] == "Ruộng Phia Đén" and planting["readPoint"]["id"].startswith(f"{BASE}/voc/loc/")
    assert harvest["readPoint"] == {"id": f"{BASE}/414/8936010000025"}
    assert harvest["bizLocation"] == {"id": f"{BASE}/414/8936010000018"}  # the producer's own GLN
    assert "bizLocation" not in shipping and shipping["disposition"] == "in_transit"
    assert packing["ocop:description"] == "Đóng gói 500 g" and packing["ocop:actor"] == "Tổ đóng gói"
    assert "certificationInfo" not in planting  # before the first certificate was issued
    assert packing["certificationInfo"] == [
        epcis.certification_url(BASE, traced["ocop"].id),
        epcis.certification_url(BASE, traced["fixed"].id),
    ]  # not the revoked one, nor the record the correction replaced
    assert shipping["errorDeclaration"]["reason"] == "incorrect_data"
    assert shipping["errorDeclaration"]["correctiveEventIDs"] == [correction["eventID"]]
    assert correction["ocop:corrects"] == shipping["eventID"]
    assert recall["disposition"] == "recalled" and recall["ocop:recallReason"] == "Bao bì lỗi"

    again = epcis.batch_document(db, batch, BASE, now=NOW)
    assert again == document  # deterministic: the same event IDs every time
    assert (
        epcis.batch_document(db, batch, "https://other.example", now=NOW)["epcisBody"]["eventList"][1]["eventID"]
        != planting["eventID"]
    )


def test_a_product_without_gtin_is_named_by_its_short_route(db: Session) -> None:
    owner = factories.producer(db)
    product = factories.product(db, owner)
    batch = factories.batch(db, owner, product)
    events.add(
        db,
        owner.caller,
        batch.id,
        EventIn(biz_step=BizStep.COMMISSIONING, occurred_at=_at("2026-10-02T10:00:00-05:30")),
    )
    document = epcis.batch_document(db, batch, BASE)
    assert_valid(document)
    (event,) = document["epcisBody"]["eventList"]
    assert event["quantityList"] == [{"epcClass": f"{BASE}/c/{batch.public_code}"}]  # a count unit, no quantity
    assert (event["action"], event["bizStep"], event["disposition"]) == ("ADD", "commissioning", "active")
    assert event["eventTimeZoneOffset"] == "-05:30" and event["eventTime"] == "2026-10-02T10:00:00-05:30"
    assert event["bizLocation"] == {"id": f"{BASE}/voc/loc/{owner.org.id}"}


def test_every_batch_of_a_product_in_one_valid_document(db: Session, traced: dict[str, Any]) -> None:
    owner, product = traced["owner"], traced["product"]
    second = factories.batch(db, owner, product, publish=False)
    events.add(
        db, owner.caller, second.id, EventIn(biz_step=BizStep.HARVESTING, occurred_at=_at("2026-11-10T07:00:00+07:00"))
    )
    found = batches.list_visible(db, owner.caller, product_id=product.id)
    document = epcis.product_document(db, product, found, BASE)
    assert_valid(document)
    classes = {q["epcClass"] for e in _object_events(document) for q in e["quantityList"]}
    assert classes == {batch_url(BASE, traced["batch"]), batch_url(BASE, second)}


def test_an_offset_epcis_cannot_write_is_refused_at_entry(db: Session) -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        EventIn(biz_step=BizStep.PACKING, occurred_at=_at("2026-10-01T08:00:00+20:00"))


@pytest.mark.parametrize(
    ("uri", "ours"),
    [
        ("https://trace.example.vn/01/08936010000124/10/MD2611A", True),
        ("https://id.gs1.org/01/08936010000124/10/MD2611A/21/ABC", True),
        ("urn:epc:class:lgtin:893601.0000012.MD2611A", True),
        ("https://id.gs1.org/01/08936010000124/10/OTHER", False),
        ("https://id.gs1.org/01/08936010000124", False),  # no lot: any lot of the product
        ("urn:epc:id:sgtin:893601.0000012.7", False),  # a serial without lot cannot be placed in a lot
        ("urn:epc:class:lgtin:893601.000001.MD2611A", False),
        ("not a uri", False),
    ],
)
def test_which_identifiers_name_a_batch(db: Session, traced: dict[str, Any], uri: str, ours: bool) -> None:
    assert epcis.is_batch_identifier(uri, traced["batch"], BASE) is ours
