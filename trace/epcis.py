"""EPCIS 2.0 / CBV 2.0 exchange: a batch's events as a JSON-LD EPCISDocument, and captured EPCIS documents.

Export. Each BatchEvent becomes an ObjectEvent about the lot, named by its class-level GS1 Digital Link
(``{base}/01/{gtin}/10/{lot}``, or ``{base}/c/{public_code}`` for a product without GTIN: the address printed on the
label). The first step that brings the lot into being (planting, harvesting, processing or commissioning) is
``ADD`` and carries the lot's ILMD; every other step is ``OBSERVE``. CBV business steps are written as CBV words,
our farm steps as URIs under ``{base}/voc/bizstep/`` (the schema allows any URI outside the CBV namespaces). The
inputs (one step back) become a TransformationEvent, a recall an ObjectEvent with disposition ``recalled``.
Event IDs are ``urn:uuid:`` version-5 UUIDs derived from the public base and our record ids: stable across
exports and edits of a draft, unique across installations. (CBV's ``ni:///sha-256`` event hash was considered: the
only Python implementation depends on PyLD and Flask, keeps global state, falls back to fetching JSON-LD contexts
from the internet, and matches none of the eventIDs in GS1's own examples, so it could not be checked here.)

Capture. A document is checked against the official JSON Schema (bundled beside this module as
``epcis_schema.json``; references resolve only inside it, never over the network) and our rules, then stored whole
in one transaction or not at all. Stored whole because an EPCIS document carries more than our timeline can hold
(business transactions, sensor data, vendor extensions); a document captured for a batch is additionally turned
into BatchEvents, so its steps appear on the public page and in our own export, which keeps their eventIDs.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from pydantic import ValidationError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7
from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from trace import audit, batches, events, gs1
from trace.access import Caller, target_org
from trace.batches import Batch, BatchStatus
from trace.certifications import Certification, ChangeKind
from trace.db import VIETNAM_TIME, Base, UTCDateTime, utcnow
from trace.errors import Conflict, InvalidInput, NotFound
from trace.events import CBV_STANDARD_STEPS, BatchEvent, BizStep, EventIn
from trace.organizations import Organization, get_writable, visible_orgs
from trace.products import Product

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
MEDIA_TYPE = "application/ld+json"
SCHEMA_PATH = Path(__file__).with_name("epcis_schema.json")
MAX_EVENTS = 1000
MAX_PROBLEMS = 100
# The lot comes into being at the first of these steps: a crop lot from planting, a processed one from processing.
COMMISSIONING_LIKE = frozenset({BizStep.PLANTING, BizStep.HARVESTING, BizStep.PROCESSING, BizStep.COMMISSIONING})
DISPOSITIONS: dict[BizStep, str] = {
    BizStep.COMMISSIONING: "active",
    BizStep.PLANTING: "in_progress",
    BizStep.GROWING: "in_progress",
    BizStep.FERTILIZING: "in_progress",
    BizStep.HARVESTING: "in_progress",
    BizStep.PROCESSING: "in_progress",
    BizStep.PACKING: "in_progress",
    BizStep.STORING: "sellable_not_accessible",
    BizStep.SHIPPING: "in_transit",
    BizStep.TRANSPORTING: "in_transit",
    BizStep.RECEIVING: "in_progress",
    BizStep.RETAIL_SELLING: "retail_sold",
}
IN_TRANSIT = frozenset({BizStep.SHIPPING, BizStep.TRANSPORTING})
# UN/ECE Recommendation 20 codes for the measured units our producers use; count units (cái, gói, ...) need no
# uom: in EPCIS a quantity without one counts instances.
UOM = {"kg": "KGM", "g": "GRM", "tấn": "TNE", "l": "LTR", "lít": "LTR", "ml": "MLT"}
COUNT_UNITS = frozenset(
    {"cái", "chiếc", "hộp", "gói", "chai", "túi", "lọ", "hũ", "bao", "thùng", "quả", "con", "bó", "cây", "bánh"}
)


def N_(message: str) -> str:
    """Marks a message id for extraction; the web layer translates it."""
    return message


def _vocab(base: str) -> str:
    return f"{base.rstrip('/')}/voc/"


def context(base: str) -> list[Any]:
    """The standard EPCIS context plus our prefix ``ocop:`` for the extension fields (place, actor, ...)."""
    return [EPCIS_CONTEXT, {"ocop": _vocab(base)}]


# --- identifiers --------------------------------------------------------------------------------------------------


def batch_class_uri(base: str, batch: Batch) -> str:
    """The lot as a class-level identifier: the same address web.links.batch_url prints on its label."""
    if batch.product.gtin:
        return gs1.DigitalLink(gtin=batch.product.gtin, lot=batch.lot_code).to_uri(base)
    return f"{base.rstrip('/')}/c/{batch.public_code}"


def gln_uri(base: str, gln: str) -> str:
    return f"{base.rstrip('/')}/414/{gln}"


def certification_url(base: str, cert_id: int) -> str:
    return f"{base.rstrip('/')}/api/v1/public/certifications/{cert_id}"


def _event_id(base: str, kind: str, record_id: int) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{_vocab(base)}event/{kind}/{record_id}"))


def _offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _quantity(epc_class: str, quantity: Decimal | None, unit: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": epc_class}
    unit_key = (unit or "").strip().lower()
    if quantity is not None and unit_key in UOM:
        element.update(quantity=_number(quantity), uom=UOM[unit_key])
    elif quantity is not None and unit_key in COUNT_UNITS:
        element["quantity"] = _number(quantity)
    return element


# --- export -------------------------------------------------------------------------------------------------------


def _document(base: str, event_list: list[dict[str, Any]], now: datetime | None) -> dict[str, Any]:
    return {
        "@context": context(base),
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": (now or utcnow()).astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "epcisBody": {"eventList": event_list},
    }


def batch_document(session: Session, batch: Batch, base: str, now: datetime | None = None) -> dict[str, Any]:
    """The batch's EPCISDocument. Callers check access first (batches.get, or public_batch)."""
    return _document(base, _batch_events(session, batch, base), now)


def product_document(
    session: Session, product: Product, product_batches: list[Batch], base: str, now: datetime | None = None
) -> dict[str, Any]:
    """All the given batches of one product in one document (the caller passes the batches it may see)."""
    event_list = []
    for batch in product_batches:
        if batch.product_id != product.id:
            raise InvalidInput("A batch of another product", field="batch_id")
        event_list.extend(_batch_events(session, batch, base))
    return _document(base, event_list, now)


def public_batch(session: Session, public_code: str) -> Batch:
    """A batch the public may see: published or recalled. A draft answers like a missing code."""
    batch = session.scalar(
        select(Batch).where(
            Batch.public_code == public_code, Batch.status.in_([BatchStatus.PUBLISHED, BatchStatus.RECALLED])
        )
    )
    if batch is None:
        raise NotFound("Batch not found")
    return batch


def _product_certifications(session: Session, product: Product) -> list[Certification]:
    certs = session.scalars(
        select(Certification)
        .where(
            Certification.organization_id == product.organization_id,
            (Certification.product_id == product.id) | Certification.product_id.is_(None),
            Certification.revoked_at.is_(None),
        )
        .order_by(Certification.id)
    )
    # A correction replaces the record it corrects entirely; a renewal only continues it.
    return [c for c in certs if c.superseded_by is None or c.superseded_by.change_kind is not ChangeKind.CORRECTION]


def _covering(certs: list[Certification], day: date) -> list[Certification]:
    return [c for c in certs if c.issued_on <= day and (c.valid_until is None or day <= c.valid_until)]


def _place_id(base: str, org_id: int, event: BatchEvent) -> str | None:
    if event.place_gln:
        return gln_uri(base, event.place_gln)
    if event.place_name or event.place_commune:
        key = f"{event.place_name or ''}|{event.place_commune or ''}".encode()
        return f"{_vocab(base)}loc/{org_id}/{hashlib.sha256(key).hexdigest()[:16]}"
    return None


def _org_location(base: str, org: Organization) -> str:
    return gln_uri(base, org.gln) if org.gln else f"{_vocab(base)}loc/{org.id}"


def _captured_ids(session: Session, event_ids: list[int]) -> dict[int, str]:
    if not event_ids:
        return {}
    rows = session.execute(
        select(CapturedEvent.batch_event_id, CapturedEvent.source_event_id).where(
            CapturedEvent.batch_event_id.in_(event_ids), CapturedEvent.source_event_id.is_not(None)
        )
    )
    return {event_id: source for event_id, source in rows if source}


def _batch_events(session: Session, batch: Batch, base: str) -> list[dict[str, Any]]:
    lot = batch_class_uri(base, batch)
    org = session.get(Organization, batch.organization_id)
    assert org is not None
    certs = _product_certifications(session, batch.product)
    rows = events.list_for_batch(session, batch.id)
    captured = _captured_ids(session, [e.id for e in rows])

    def event_id(e: BatchEvent) -> str:
        return captured.get(e.id) or _event_id(base, "event", e.id)

    by_id = {e.id: e for e in rows}
    correctors = {e.corrects_id: e for e in rows if e.corrects_id is not None}
    first = next((e for e in rows if e.biz_step in COMMISSIONING_LIKE), None)
    out: list[dict[str, Any]] = []
    if batch.inputs:
        out.append(_transformation(session, batch, base, lot, first))
    for e in rows:
        adds = e is first
        item: dict[str, Any] = {
            "type": "ObjectEvent",
            "eventID": event_id(e),
            "eventTime": e.local_time.isoformat(),
            "eventTimeZoneOffset": _offset(e.tz_offset_minutes),
            "action": "ADD" if adds else "OBSERVE",
            "quantityList": [_quantity(lot, batch.quantity, batch.quantity_unit) if adds else {"epcClass": lot}],
            "bizStep": e.biz_step.value if e.biz_step in CBV_STANDARD_STEPS else f"{_vocab(base)}bizstep/{e.biz_step}",
        }
        if e.biz_step in DISPOSITIONS:
            item["disposition"] = DISPOSITIONS[e.biz_step]
        place = _place_id(base, org.id, e)
        if place:
            item["readPoint"] = {"id": place}
        if e.biz_step not in IN_TRANSIT:
            item["bizLocation"] = {"id": _org_location(base, org)}
        covering = _covering(certs, e.local_time.date())
        if covering:
            item["certificationInfo"] = [certification_url(base, c.id) for c in covering]
        if adds:
            item["ilmd"] = {"cbvmda:lotNumber": batch.lot_code}
            if batch.expiry_date:
                item["ilmd"]["cbvmda:itemExpirationDate"] = batch.expiry_date.isoformat()
        for key, value in (
            ("ocop:placeName", e.place_name),
            ("ocop:commune", e.place_commune),
            ("ocop:description", e.description),
            ("ocop:actor", e.actor),
        ):
            if value:
                item[key] = value
        if e.corrects_id in by_id:
            item["ocop:corrects"] = event_id(by_id[e.corrects_id])
        corrector = correctors.get(e.id)
        if corrector is not None:
            item["errorDeclaration"] = {
                "declarationTime": corrector.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "reason": "incorrect_data",
                "correctiveEventIDs": [event_id(corrector)],
            }
        out.append(item)
    if batch.status is BatchStatus.RECALLED and batch.recalled_at is not None:
        out.append(
            {
                "type": "ObjectEvent",
                "eventID": _event_id(base, "recall", batch.id),
                "eventTime": batch.recalled_at.astimezone(VIETNAM_TIME).isoformat(),
                "eventTimeZoneOffset": "+07:00",
                "action": "OBSERVE",
                "quantityList": [{"epcClass": lot}],
                "disposition": "recalled",
                "ocop:recallReason": batch.recall_reason or "",
            }
        )
    return out


def _transformation(session: Session, batch: Batch, base: str, lot: str, first: BatchEvent | None) -> dict[str, Any]:
    """One step back: the inputs (ours by their identifiers, a supplier's lot under our vocabulary) made this lot."""
    inputs = []
    supplied = []
    for item in batch.inputs:
        if item.input_batch is not None:
            epc_class = batch_class_uri(base, item.input_batch)
        else:
            epc_class = f"{_vocab(base)}input/{item.id}"
            described = {"ocop:epcClass": epc_class}
            for key, value in (
                ("ocop:supplier", item.supplier_name),
                ("ocop:supplierLot", item.supplier_lot),
                ("ocop:description", item.description),
            ):
                if value:
                    described[key] = value
            supplied.append(described)
        inputs.append(_quantity(epc_class, item.quantity, item.quantity_unit))
    if first is not None:
        when, offset = first.local_time, first.tz_offset_minutes
    else:
        when, offset = datetime.combine(batch.production_date, time(), VIETNAM_TIME), 7 * 60
    event: dict[str, Any] = {
        "type": "TransformationEvent",
        "eventID": _event_id(base, "transformation", batch.id),
        "eventTime": when.isoformat(),
        "eventTimeZoneOffset": _offset(offset),
        "inputQuantityList": inputs,
        "outputQuantityList": [_quantity(lot, batch.quantity, batch.quantity_unit)],
        "bizStep": "commissioning",
    }
    if supplied:
        event["ocop:suppliedInputs"] = supplied
    return event


# --- validation ---------------------------------------------------------------------------------------------------


def _refuse_remote(uri: str) -> Resource[Any]:
    # The schema refers only to itself; nothing is ever fetched, whatever a document or the schema names.
    raise NoSuchResource(ref=uri)


def _validator() -> Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry(retrieve=_refuse_remote).with_resource(
        schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7)
    )
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


VALIDATOR = _validator()


@dataclass(frozen=True)
class Problem:
    """What is wrong and where: ``path`` is the dotted JSON path (``epcisBody.eventList.0.eventTime``)."""

    path: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class InvalidDocument(InvalidInput):
    """The document breaks the schema or our rules; ``problems`` lists each, nothing was stored."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(N_("The EPCIS document is not valid"), field="document")
        self.problems = problems[:MAX_PROBLEMS]


def _path(parts: Any) -> str:
    return ".".join(str(p) for p in parts) or "document"


def _leaf(error: SchemaError) -> SchemaError:
    while error.context:
        enum = [e for e in error.context if e.validator == "enum"]
        error = enum[0] if enum else best_match(error.context)
    return error


def _schema_problem(error: SchemaError) -> Problem:
    leaf = _leaf(error)
    path = _path(leaf.absolute_path)
    kind = leaf.validator
    if "propertyNames" in leaf.absolute_schema_path:
        return Problem(path, N_("Field not allowed here: {name}"), {"name": str(leaf.instance)})
    if kind == "required":
        missing = [p for p in leaf.validator_value if isinstance(leaf.instance, dict) and p not in leaf.instance]
        return Problem(path, N_("Missing required field {name}"), {"name": ", ".join(missing)})
    if kind == "type":
        return Problem(path, N_("Must be of JSON type {expected}"), {"expected": str(leaf.validator_value)})
    if kind == "enum":
        return Problem(path, N_("Must be one of: {expected}"), {"expected": ", ".join(map(str, leaf.validator_value))})
    if kind == "format":
        return Problem(path, N_("Not a valid {format}"), {"format": str(leaf.validator_value)})
    if kind == "pattern":
        return Problem(path, N_("Does not have the required form {pattern}"), {"pattern": str(leaf.validator_value)})
    if kind == "minItems":
        return Problem(path, N_("Must have at least {min} items"), {"min": leaf.validator_value})
    if kind == "uniqueItems":
        return Problem(path, N_("Items must not repeat"))
    return Problem(path, N_("Does not follow the EPCIS 2.0 schema (rule {rule})"), {"rule": str(kind)})


def schema_problems(document: Any) -> list[Problem]:
    try:
        errors = sorted(VALIDATOR.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
        return [_schema_problem(e) for e in errors[:MAX_PROBLEMS]]
    except RecursionError:
        return [Problem("document", N_("The document is nested too deeply"))]


def _prefixes(ctx: Any) -> dict[str, str]:
    items = ctx if isinstance(ctx, list) else [ctx]
    return {k: v for item in items if isinstance(item, dict) for k, v in item.items() if isinstance(v, str)}


def _known_vocabulary(value: str, prefixes: dict[str, str]) -> bool:
    scheme = value.split(":", 1)[0]
    return value.startswith(("http://", "https://", "urn:")) or scheme in prefixes


def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.upper())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _document_problems(document: Any, now: datetime) -> list[Problem]:
    """The schema, then the rules every captured document follows."""
    problems = schema_problems(document)
    if problems:
        return problems
    if document.get("type") != "EPCISDocument":
        return [Problem("type", N_("Must be one of: {expected}"), {"expected": "EPCISDocument"})]
    ctx = document["@context"]
    if EPCIS_CONTEXT not in (ctx if isinstance(ctx, list) else [ctx]):
        problems.append(Problem("@context", N_("The @context must include {uri}"), {"uri": EPCIS_CONTEXT}))
    event_list = document["epcisBody"]["eventList"]
    if not event_list:
        problems.append(Problem("epcisBody.eventList", N_("The document holds no event")))
    if len(event_list) > MAX_EVENTS:
        problems.append(Problem("epcisBody.eventList", N_("At most {max} events in one document"), {"max": MAX_EVENTS}))
    prefixes = _prefixes(ctx)
    earliest, latest = datetime(1990, 1, 1, tzinfo=UTC), now + timedelta(days=1)
    for index, event in enumerate(event_list[:MAX_EVENTS]):
        where = f"epcisBody.eventList.{index}"
        when = _parse_time(event["eventTime"])
        if when is None or not earliest <= when <= latest:
            problems.append(Problem(f"{where}.eventTime", N_("The time must be between 1990 and now")))
        step = event.get("bizStep")
        if isinstance(step, str) and ":" in step and not _known_vocabulary(step, prefixes):
            problems.append(
                Problem(f"{where}.bizStep", N_("Use a CBV business step or a full URI, not {value}"), {"value": step})
            )
    return problems


# --- which identifiers are a batch's ------------------------------------------------------------------------------

# The lists that say what an event is about, by event type; the others (a parent container, the inputs of a
# transformation) may name anything.
SUBJECTS = {
    "ObjectEvent": ("epcList", "quantityList"),
    "TransactionEvent": ("epcList", "quantityList"),
    "AggregationEvent": ("childEPCs", "childQuantityList"),
    "AssociationEvent": ("childEPCs", "childQuantityList"),
    "TransformationEvent": ("outputEPCList", "outputQuantityList"),
}


def _lgtin(urn: str) -> tuple[str, str] | None:
    """urn:epc:class:lgtin:{company prefix}.{indicator+item reference}.{lot} → (GTIN-14, lot)."""
    body = urn[len("urn:epc:class:lgtin:") :]
    parts = body.split(".", 2)
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts[:2]):
        return None
    prefix, indicator_ref, lot = parts
    digits = indicator_ref[:1] + prefix + indicator_ref[1:]
    if len(digits) != 13:
        return None
    return digits + str(gs1.gtin_check_digit(digits)), unquote(lot)


def is_batch_identifier(uri: str, batch: Batch, base: str) -> bool:
    """A class- or instance-level identifier of this lot: a Digital Link on any resolver host with our GTIN and lot
    (a serial allowed), an lgtin EPC URN, or our short route. An sgtin URN carries no lot, so it cannot be told."""
    gtin = batch.product.gtin
    own = f"{base.rstrip('/')}/c/{batch.public_code}"
    if uri == own or uri.startswith(own + "/"):
        return True
    if not gtin:
        return False
    if uri.startswith("urn:epc:class:lgtin:"):
        return _lgtin(uri) == (gtin, batch.lot_code)
    try:
        link = gs1.parse_uri(uri)
    except InvalidInput:
        return False
    return link.gtin == gtin and link.lot == batch.lot_code and link.cpv is None


def _subject_problems(document: dict[str, Any], batch: Batch, base: str) -> list[Problem]:
    problems = []
    for index, event in enumerate(document["epcisBody"]["eventList"]):
        where = f"epcisBody.eventList.{index}"
        kinds = SUBJECTS.get(event["type"])
        if kinds is None:
            problems.append(Problem(f"{where}.type", N_("A batch takes only the standard EPCIS event types")))
            continue
        epc_key, quantity_key = kinds
        subjects = [(f"{where}.{epc_key}.{i}", v) for i, v in enumerate(event.get(epc_key, []))]
        subjects += [
            (f"{where}.{quantity_key}.{i}.epcClass", q["epcClass"]) for i, q in enumerate(event.get(quantity_key, []))
        ]
        if not subjects:
            problems.append(Problem(where, N_("The event names no identifier of this batch")))
        for path, value in subjects:
            if not is_batch_identifier(value, batch, base):
                problems.append(Problem(path, N_("Not an identifier of this batch: {value}"), {"value": value}))
    return problems


# --- capture ------------------------------------------------------------------------------------------------------


class Capture(Base):
    """A captured EPCISDocument, stored as received."""

    __tablename__ = "epcis_captures"
    __table_args__ = (UniqueConstraint("organization_id", "digest", name="uq_epcis_captures_org_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    event_count: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    captured_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    captured_by_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CapturedEvent(Base):
    """A BatchEvent made from a captured event, with the eventID the sender gave it (kept on export)."""

    __tablename__ = "epcis_captured_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("epcis_captures.id"), index=True)
    # A draft batch's events may be deleted; the link goes with the event.
    batch_event_id: Mapped[int] = mapped_column(ForeignKey("batch_events.id", ondelete="CASCADE"), unique=True)
    source_event_id: Mapped[str | None] = mapped_column(String(300))


def digest(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(session: Session, organization_id: int, doc_digest: str, batch_id: int | None) -> Capture | None:
    found = session.scalar(
        select(Capture).where(Capture.organization_id == organization_id, Capture.digest == doc_digest)
    )
    if found is not None and found.batch_id != batch_id:
        raise Conflict("This document was already captured elsewhere", field="document")
    return found


def _store(
    session: Session, caller: Caller, organization_id: int, batch_id: int | None, document: dict[str, Any], key: str
) -> Capture:
    capture = Capture(
        organization_id=organization_id,
        batch_id=batch_id,
        digest=key,
        event_count=len(document["epcisBody"]["eventList"]),
        document=document,
        captured_by_user_id=caller.user_id,
        captured_by_token_id=caller.token_id,
    )
    session.add(capture)
    session.flush()
    audit.record(
        session,
        caller,
        "epcis.capture",
        "epcis_capture",
        capture.id,
        on_behalf_of=organization_id,
        batch=batch_id,
        events=capture.event_count,
    )
    return capture


def capture(
    session: Session, caller: Caller, document: Any, organization_id: int | None = None, now: datetime | None = None
) -> tuple[Capture, bool]:
    """Store any valid EPCIS document for an organization (the producer's own, or the one an admin or a
    traceability point names). Returns (capture, created); the same document again returns the first capture."""
    org = get_writable(session, caller, target_org(caller, organization_id))
    problems = _document_problems(document, now or utcnow())
    if problems:
        raise InvalidDocument(problems)
    key = digest(document)
    existing = _existing(session, org.id, key, None)
    if existing is not None:
        return existing, False
    return _store(session, caller, org.id, None, document, key), True


def capture_for_batch(
    session: Session, caller: Caller, batch_id: int, document: Any, base: str, now: datetime | None = None
) -> tuple[Capture, bool]:
    """Store a document about one batch and add each of its events to the batch's timeline, all or nothing."""
    batch = batches.get_for_write(session, caller, batch_id)
    if batch.status is BatchStatus.RECALLED:
        raise Conflict("A recalled batch takes no new events")
    problems = _document_problems(document, now or utcnow())
    if not problems:
        problems = _subject_problems(document, batch, base)
    if problems:
        raise InvalidDocument(problems)
    key = digest(document)
    existing = _existing(session, batch.organization_id, key, batch.id)
    if existing is not None:
        return existing, False
    # An event the batch already has (our own export sent back, or one captured before in another document) is
    # not added twice: EPCIS events are identified by their eventID.
    known = {e["eventID"] for e in _batch_events(session, batch, base)}
    event_list = [e for e in document["epcisBody"]["eventList"] if e.get("eventID") not in known]
    ours = _prefixes(document["@context"]).get("ocop") == _vocab(base)
    problems, timeline = [], []
    for index, item in enumerate(document["epcisBody"]["eventList"]):
        if item.get("eventID") in known:
            continue
        try:
            timeline.append(_event_in(item, base, ours))
        except ValidationError as exc:  # a value our timeline cannot hold (e.g. a 300-character place name)
            fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
            problems.append(
                Problem(f"epcisBody.eventList.{index}", N_("Our timeline cannot hold {fields}"), {"fields": fields})
            )
    if problems:
        raise InvalidDocument(problems)
    record = _store(session, caller, batch.organization_id, batch.id, document, key)
    for item, data in zip(event_list, timeline, strict=True):
        event = events.add(session, caller, batch.id, data)
        source = item.get("eventID")
        session.add(
            CapturedEvent(
                capture_id=record.id,
                batch_event_id=event.id,
                source_event_id=source if isinstance(source, str) and len(source) <= 300 else None,
            )
        )
    session.flush()
    return record, True


def _biz_step(value: Any, base: str) -> tuple[BizStep, str | None]:
    """Our step for a captured bizStep; one we do not know becomes "other", keeping its name in the description."""
    if not isinstance(value, str):
        return BizStep.OTHER, None
    known = {s.value for s in BizStep}
    for prefix in (f"{_vocab(base)}bizstep/", "https://ref.gs1.org/cbv/BizStep-", ""):
        if value.startswith(prefix) and value[len(prefix) :] in known:
            return BizStep(value[len(prefix) :]), None
    return BizStep.OTHER, value


def _gln_of(location: Any) -> str | None:
    uri = location.get("id") if isinstance(location, dict) else None
    if not isinstance(uri, str):
        return None
    if uri.startswith("urn:epc:id:sgln:"):
        parts = uri[len("urn:epc:id:sgln:") :].split(".")
        digits = "".join(parts[:2]) if len(parts) == 3 else ""
        if len(digits) == 12 and digits.isascii() and digits.isdigit():
            return digits + str(gs1.gtin_check_digit(digits))
        return None
    marker = "/414/"
    if marker in uri:
        gln = uri.split(marker, 1)[1][:13]
        if gs1.is_gln(gln):
            return gln
    return None


def _event_in(item: dict[str, Any], base: str, ours: bool) -> EventIn:
    step, unknown = _biz_step(item.get("bizStep"), base)
    when = _parse_time(item["eventTime"])
    assert when is not None  # checked by _document_problems
    sign = -1 if item["eventTimeZoneOffset"].startswith("-") else 1
    hours, minutes = item["eventTimeZoneOffset"][1:].split(":")
    local = when.astimezone(timezone(sign * timedelta(hours=int(hours), minutes=int(minutes))))

    def extension(name: str) -> Any:
        value = item.get(f"ocop:{name}") if ours else None
        return value if isinstance(value, str) else None

    return EventIn(
        biz_step=step,
        occurred_at=local,
        place_name=extension("placeName"),
        place_commune=extension("commune"),
        place_gln=_gln_of(item.get("readPoint")) or _gln_of(item.get("bizLocation")),
        description=extension("description") or unknown,
        actor=extension("actor"),
    )


def list_captures(session: Session, caller: Caller, batch_id: int | None = None) -> list[Capture]:
    stmt = (
        select(Capture)
        .join(Organization, Capture.organization_id == Organization.id)
        .where(visible_orgs(caller))
        .order_by(Capture.id.desc())
        .limit(500)
    )
    if batch_id is not None:
        stmt = stmt.where(Capture.batch_id == batch_id)
    return list(session.scalars(stmt))


def get_capture(session: Session, caller: Caller, capture_id: int) -> Capture:
    found = session.scalar(
        select(Capture)
        .join(Organization, Capture.organization_id == Organization.id)
        .where(Capture.id == capture_id, visible_orgs(caller))
    )
    if found is None:
        raise NotFound("EPCIS document not found")
    return found


def batch_event_ids(session: Session, capture_id: int) -> list[int]:
    return list(
        session.scalars(
            select(CapturedEvent.batch_event_id)
            .where(CapturedEvent.capture_id == capture_id)
            .order_by(CapturedEvent.id)
        )
    )


# --- what certificationInfo points at -----------------------------------------------------------------------------


def public_certification(session: Session, cert_id: int) -> Certification:
    """A certificate the public may read: one whose product (or, for a producer-wide one, whose producer) has a
    published or recalled batch, i.e. one the public page already shows."""
    cert = session.get(Certification, cert_id)
    if cert is None:
        raise NotFound("Certification not found")
    shown = select(Batch.id).where(
        Batch.organization_id == cert.organization_id,
        Batch.status.in_([BatchStatus.PUBLISHED, BatchStatus.RECALLED]),
    )
    if cert.product_id is not None:
        shown = shown.where(Batch.product_id == cert.product_id)
    if session.scalar(shown.limit(1)) is None:
        raise NotFound("Certification not found")
    return cert
