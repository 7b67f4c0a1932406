"""The read model of the public page: what a consumer sees after scanning a code, as plain values.

Only published and recalled batches are public: a draft's code answers exactly like a code that was never
registered. Certification statuses are derived here on every call (a revocation shows at once), and the values
returned are detached from the session, so the page can be rendered after the transaction has ended.

This is the scan's hot path: a handful of prebuilt SQL statements reading columns rather than mapped objects (no
lazy loads, nothing rebuilt per request), except for certifications, whose status and history come from
trace.certifications."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Select, String, and_, bindparam, case, cast, func, select
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from trace import certifications
from trace.batches import Batch, BatchInput, BatchStatus
from trace.certifications import Certification, CertKind, CertStatus, ChangeKind
from trace.events import BatchEvent, BizStep, EventPhoto
from trace.labelruns import LabelSerial
from trace.organizations import Organization, OrgKind, OrgStatus
from trace.products import OcopGroup, Product, ProductImage

PUBLIC_STATUSES = (BatchStatus.PUBLISHED, BatchStatus.RECALLED)
MAX_RECALLED_LOTS = 20


@dataclass(frozen=True, slots=True)
class Key:
    """What was scanned: a GTIN with optional lot and serial, or a batch's public code with optional serial."""

    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    public_code: str | None = None


@dataclass(frozen=True, slots=True)
class ProducerView:
    id: int
    name: str
    kind: OrgKind
    address: str
    commune: str
    province: str
    former_district: str | None
    phone: str | None
    gln: str | None
    verified: bool


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    name_vi: str
    name_en: str | None
    description: str | None
    ocop_group: OcopGroup | None
    brand: str | None
    standards: str | None
    net_quantity: Decimal | None
    net_quantity_unit: str | None
    shelf_life_days: int | None
    gtin: str | None
    internal_code: str
    images: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CertView:
    kind: CertKind
    number: str
    issuer: str
    issued_on: date
    valid_until: date | None
    ocop_stars: int | None
    scope: str | None
    status: CertStatus
    change_kind: ChangeKind
    verified: bool
    revoked_at: datetime | None
    revoked_reason: str | None
    document_path: str | None
    history: tuple["CertView", ...] = ()


@dataclass(frozen=True, slots=True)
class BatchRef:
    """Another batch the page links to (one step back)."""

    product_name: str
    lot: str
    gtin: str | None
    public_code: str


@dataclass(frozen=True, slots=True)
class InputView:
    batch: BatchRef | None
    supplier_name: str | None
    supplier_lot: str | None
    description: str | None
    quantity: Decimal | None
    quantity_unit: str | None


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    step: BizStep
    local_time: datetime
    place_name: str | None
    place_commune: str | None
    place_gln: str | None
    description: str | None
    actor: str | None
    corrects: datetime | None
    corrected: bool
    photos: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BatchView:
    id: int
    lot: str
    public_code: str
    status: BatchStatus
    production_date: date
    expiry_date: date | None
    quantity: Decimal | None
    quantity_unit: str | None
    origin_name: str | None
    origin_commune: str | None
    origin_province: str | None
    latitude: float | None
    longitude: float | None
    growing_area_code: str | None
    recall_reason: str | None
    recalled_at: datetime | None

    @property
    def recalled(self) -> bool:
        return self.status is BatchStatus.RECALLED


@dataclass(frozen=True, slots=True)
class RecalledLot:
    lot: str
    reason: str | None
    recalled_at: datetime | None


@dataclass(frozen=True, slots=True)
class Page:
    product: ProductView
    producer: ProducerView
    certifications: tuple[CertView, ...]
    batch: BatchView | None = None
    serial: str | None = None
    events: tuple[EventView, ...] = ()
    inputs: tuple[InputView, ...] = ()
    # For a product-level code (GTIN only): its recalled lots, so a consumer can compare with the package.
    recalled_lots: tuple[RecalledLot, ...] = ()


class MissingReason(StrEnum):
    PRODUCT = "product"
    LOT = "lot"
    SERIAL = "serial"


@dataclass(frozen=True, slots=True)
class Missing:
    """The code is not registered (or not public). For a lot or serial unknown under a real product, the product
    and its producer are named so the consumer can check with them; nothing of any batch is shown."""

    reason: MissingReason
    product_name: str | None = None
    producer_name: str | None = None
    gtin: str | None = None


def find(session: Session, key: Key, today: date) -> Page | Missing:
    if key.public_code is not None or key.lot is not None or (key.gtin is not None and key.serial is not None):
        return _batch_page(session, key, today)
    if key.gtin is not None:
        return _product_page(session, key.gtin, today)
    return Missing(MissingReason.PRODUCT)


_BATCHES, _PRODUCTS, _ORGS = Batch.__table__, Product.__table__, Organization.__table__
_SERIALS, _IMAGES = LabelSerial.__table__, ProductImage.__table__
_EVENTS, _PHOTOS, _INPUTS = BatchEvent.__table__, EventPhoto.__table__, BatchInput.__table__
_PUBLIC = _BATCHES.c.status.in_(PUBLIC_STATUSES)


def find_short_code(session: Session, code: str) -> tuple[BatchRef, str | None] | None:
    """A 12-character code typed by hand: a public batch's public code, or the serial of a unit of one
    (the two share an alphabet and a length). Returns the batch and the serial, if it was one."""
    b, p = _BATCHES.c, _PRODUCTS.c
    joined = select(p.name_vi, b.lot_code, p.gtin, b.public_code).join_from(_BATCHES, _PRODUCTS).where(_PUBLIC)
    row = session.execute(joined.where(b.public_code == code)).first()
    serial = None
    if row is None:
        unit = select(_SERIALS.c.batch_id).where(_SERIALS.c.serial == code).scalar_subquery()
        row = session.execute(joined.where(b.id == unit)).first()
        serial = code
    return None if row is None else (BatchRef(*row), serial)


# The page's first query, its columns named as the views' fields.
_PRODUCT = {name: _PRODUCTS.c[name] for name in (
    "id", "name_vi", "name_en", "description", "ocop_group", "brand", "standards", "net_quantity",
    "net_quantity_unit", "shelf_life_days", "gtin", "internal_code",
)}  # fmt: skip
_PRODUCER = {name: _ORGS.c[name] for name in (
    "id", "name", "kind", "address", "commune", "province", "former_district", "phone", "gln",
)} | {"verified": _ORGS.c.status}  # fmt: skip
_BATCH = {name: _BATCHES.c[column] for name, column in (
    ("id", "id"), ("lot", "lot_code"), ("public_code", "public_code"), ("status", "status"),
    ("production_date", "production_date"), ("expiry_date", "expiry_date"), ("quantity", "quantity"),
    ("quantity_unit", "quantity_unit"), ("origin_name", "origin_name"), ("origin_commune", "origin_commune"),
    ("origin_province", "origin_province"), ("latitude", "origin_latitude"), ("longitude", "origin_longitude"),
    ("growing_area_code", "growing_area_code"), ("recall_reason", "recall_reason"), ("recalled_at", "recalled_at"),
)}  # fmt: skip


# The product's images in the same row: "position:id:path" lines, put in order in Python (an aggregate's order is
# not guaranteed by either database).
_IMAGE_LIST = (
    select(
        func.aggregate_strings(
            cast(_IMAGES.c.position, String) + ":" + cast(_IMAGES.c.id, String) + ":" + _IMAGES.c.path, "\n"
        )
    )
    .where(_IMAGES.c.product_id == _PRODUCTS.c.id)
    .scalar_subquery()
)


def _images(listed: str | None) -> tuple[str, ...]:
    if not listed:
        return ()
    entries = [line.split(":", 2) for line in listed.split("\n")]
    return tuple(path for _, _, path in sorted(entries, key=lambda e: (int(e[0]), int(e[1]))))


def _page_statement(by: str, with_serial: bool) -> Select[Any]:
    """The batch, its product and producer in one row, found by public code, by GTIN and lot, or by GTIN and
    serial; with a serial, the last column says whether a label run issued it for this very batch."""
    b, p = _BATCHES.c, _PRODUCTS.c
    joined = _BATCHES.join(_PRODUCTS, b.product_id == p.id).join(_ORGS, p.organization_id == _ORGS.c.id)
    issued = b.id
    if with_serial:
        joined = joined.outerjoin(_SERIALS, and_(_SERIALS.c.serial == bindparam("serial"), _SERIALS.c.batch_id == b.id))
        issued = _SERIALS.c.id
    columns = (*_BATCH.values(), *_PRODUCT.values(), *_PRODUCER.values(), _IMAGE_LIST, issued)
    stmt = select(*columns).select_from(joined).where(_PUBLIC)
    if by == "public_code":
        return stmt.where(b.public_code == bindparam("public_code"))
    if by == "lot":
        return stmt.where(p.gtin == bindparam("gtin"), b.lot_code == bindparam("lot"))
    # /01/{gtin}/21/{serial} without a lot: serials are unique, so the serial finds its batch.
    unit = select(_SERIALS.c.batch_id).where(_SERIALS.c.serial == bindparam("serial")).scalar_subquery()
    return stmt.where(p.gtin == bindparam("gtin"), b.id == unit)


_PAGE_STATEMENTS = {
    (by, with_serial): _page_statement(by, with_serial)
    for by in ("public_code", "lot", "serial")
    for with_serial in (False, True)
}


def _split(row: Sequence[Any], *groups: dict[str, Any]) -> list[dict[str, Any]]:
    """A row of several groups of columns → one dict per group."""
    out, start = [], 0
    for group in groups:
        out.append(dict(zip(group, row[start : start + len(group)], strict=True)))
        start += len(group)
    return out


def _batch_page(session: Session, key: Key, today: date) -> Page | Missing:
    by = "public_code" if key.public_code is not None else "lot" if key.lot is not None else "serial"
    params = {"public_code": key.public_code, "gtin": key.gtin, "lot": key.lot, "serial": key.serial}
    conn = session.connection()
    row = conn.execute(_PAGE_STATEMENTS[by, key.serial is not None], params).first()
    if row is None:
        if key.gtin is None:
            return Missing(MissingReason.PRODUCT)
        hint = _public_product(conn, key.gtin)
        if hint is None:
            return Missing(MissingReason.PRODUCT)
        reason = MissingReason.LOT if key.lot is not None else MissingReason.SERIAL
        return Missing(reason, *hint, key.gtin)
    batch, product, producer = _split(row, _BATCH, _PRODUCT, _PRODUCER)
    if row[-1] is None:
        return Missing(MissingReason.SERIAL, product["name_vi"], producer["name"], product["gtin"])
    return Page(
        product=ProductView(**product, images=_images(row[-2])),
        producer=_producer_view(producer),
        certifications=_certifications(session, producer["id"], product["id"], today),
        batch=BatchView(**batch),
        serial=key.serial,
        events=_events(conn, batch["id"]),
        inputs=_inputs(conn, batch["id"]),
    )


_HINT = (
    select(_PRODUCTS.c.name_vi, _ORGS.c.name)
    .join_from(_PRODUCTS, _ORGS)
    .where(
        _PRODUCTS.c.gtin == bindparam("gtin"),
        select(_BATCHES.c.id).where(_BATCHES.c.product_id == _PRODUCTS.c.id, _PUBLIC).exists(),
    )
)


def _public_product(conn: Connection, gtin: str) -> tuple[str, str] | None:
    """Name and producer of the product with this GTIN, if it has at least one public batch (a product seen only
    in drafts is not public yet)."""
    row = conn.execute(_HINT, {"gtin": gtin}).first()
    return None if row is None else (row[0], row[1])


_PRODUCT_ROW = (
    select(*_PRODUCT.values(), *_PRODUCER.values(), _IMAGE_LIST)
    .join_from(_PRODUCTS, _ORGS)
    .where(_PRODUCTS.c.gtin == bindparam("gtin"))
)
_LOTS = (
    select(_BATCHES.c.status, _BATCHES.c.lot_code, _BATCHES.c.recall_reason, _BATCHES.c.recalled_at)
    .where(_BATCHES.c.product_id == bindparam("product_id"), _PUBLIC)
    .order_by(
        case((_BATCHES.c.status == BatchStatus.RECALLED, 0), else_=1),
        _BATCHES.c.recalled_at.desc(),
        _BATCHES.c.id.desc(),
    )
    .limit(MAX_RECALLED_LOTS)
)


def _product_page(session: Session, gtin: str, today: date) -> Page | Missing:
    conn = session.connection()
    row = conn.execute(_PRODUCT_ROW, {"gtin": gtin}).first()
    if row is None:
        return Missing(MissingReason.PRODUCT)
    product, producer = _split(row, _PRODUCT, _PRODUCER)
    lots = conn.execute(_LOTS, {"product_id": product["id"]}).all()
    if not lots:
        return Missing(MissingReason.PRODUCT)
    return Page(
        product=ProductView(**product, images=_images(row[-1])),
        producer=_producer_view(producer),
        certifications=_certifications(session, producer["id"], product["id"], today),
        recalled_lots=tuple(
            RecalledLot(lot, reason, at) for status, lot, reason, at in lots if status is BatchStatus.RECALLED
        ),
    )


def _producer_view(producer: dict[str, Any]) -> ProducerView:
    return ProducerView(**{**producer, "verified": producer["verified"] is OrgStatus.VERIFIED})


_KIND_ORDER = {kind: position for position, kind in enumerate(CertKind)}


def _cert_view(cert: Certification, today: date, history: tuple[CertView, ...] = ()) -> CertView:
    return CertView(
        kind=cert.kind,
        number=cert.number,
        issuer=cert.issuer,
        issued_on=cert.issued_on,
        valid_until=cert.valid_until,
        ocop_stars=cert.ocop_stars,
        scope=cert.scope,
        status=cert.status(today),
        change_kind=cert.change_kind,
        verified=cert.verified_at is not None,
        revoked_at=cert.revoked_at,
        revoked_reason=cert.revoked_reason,
        document_path=cert.document_path,
        history=history,
    )


_PRODUCER_CERTIFICATIONS = (
    select(Certification)
    .where(Certification.organization_id == bindparam("organization_id"))
    .options(lazyload(Certification.superseded_by))
    .order_by(Certification.id)
)


def _certifications(session: Session, organization_id: int, product_id: int, today: date) -> tuple[CertView, ...]:
    """The product's certificates and the producer's own (no product), newest record of each chain first, with
    the records it superseded as its history. One query for all of the producer's records: the superseding links
    are filled in from it (instead of a query per level), and history() walks each chain in the identity map."""
    records = session.scalars(_PRODUCER_CERTIFICATIONS, {"organization_id": organization_id}).all()
    successor = {cert.supersedes_id: cert for cert in records if cert.supersedes_id is not None}
    for cert in records:
        set_committed_value(cert, "superseded_by", successor.get(cert.id))
    heads = [c for c in records if c.superseded_by is None and c.product_id in (product_id, None)]
    heads.sort(key=lambda c: (_KIND_ORDER[c.kind], -c.issued_on.toordinal(), -c.id))
    return tuple(
        _cert_view(head, today, tuple(_cert_view(old, today) for old in certifications.history(session, head)[1:]))
        for head in heads
    )


_EVENT_COLUMNS = [_EVENTS.c[name] for name in (
    "id", "biz_step", "occurred_at", "tz_offset_minutes", "place_name", "place_commune", "place_gln", "description",
    "actor", "corrects_id",
)]  # fmt: skip
_EVENT_ROWS = (
    select(*_EVENT_COLUMNS, _PHOTOS.c.path)
    .select_from(_EVENTS.outerjoin(_PHOTOS, _PHOTOS.c.event_id == _EVENTS.c.id))
    .where(_EVENTS.c.batch_id == bindparam("batch_id"))
    .order_by(_EVENTS.c.occurred_at, _EVENTS.c.id, _PHOTOS.c.id)
)


def _events(conn: Connection, batch_id: int) -> tuple[EventView, ...]:
    """The batch's stages in time order with their photos (one query)."""
    events: dict[int, dict[str, Any]] = {}
    for event_id, step, at, offset, place, commune, gln, text, actor, corrects, photo in conn.execute(
        _EVENT_ROWS, {"batch_id": batch_id}
    ):
        event = events.get(event_id)
        if event is None:
            # The event's local time, as BatchEvent.local_time gives it.
            local = at.astimezone(timezone(timedelta(minutes=offset)))
            event = events[event_id] = {
                "id": event_id, "step": step, "local_time": local, "place_name": place, "place_commune": commune,
                "place_gln": gln, "description": text, "actor": actor, "corrects_id": corrects, "photos": [],
            }  # fmt: skip
        if photo is not None:
            event["photos"].append(photo)
    corrected = {e["corrects_id"] for e in events.values() if e["corrects_id"] is not None}
    return tuple(
        EventView(
            **{k: v for k, v in e.items() if k not in ("corrects_id", "photos")},
            corrects=events[e["corrects_id"]]["local_time"] if e["corrects_id"] in events else None,
            corrected=e["id"] in corrected,
            photos=tuple(e["photos"]),
        )
        for e in events.values()
    )


_SOURCE, _SOURCE_PRODUCT = _BATCHES.alias("source"), _PRODUCTS.alias("source_product")
_INPUT_COLUMNS = (
    _INPUTS.c.supplier_name, _INPUTS.c.supplier_lot, _INPUTS.c.description, _INPUTS.c.quantity,
    _INPUTS.c.quantity_unit, _SOURCE.c.status, _SOURCE_PRODUCT.c.name_vi, _SOURCE.c.lot_code, _SOURCE_PRODUCT.c.gtin,
    _SOURCE.c.public_code,
)  # fmt: skip
_INPUT_ROWS = (
    select(*_INPUT_COLUMNS)
    .select_from(
        _INPUTS.outerjoin(_SOURCE, _INPUTS.c.input_batch_id == _SOURCE.c.id).outerjoin(
            _SOURCE_PRODUCT, _SOURCE.c.product_id == _SOURCE_PRODUCT.c.id
        )
    )
    .where(_INPUTS.c.batch_id == bindparam("batch_id"))
    .order_by(_INPUTS.c.id)
)


def _inputs(conn: Connection, batch_id: int) -> tuple[InputView, ...]:
    """One step back: each input batch, linked when the public can open it (one query)."""
    views = []
    for supplier, supplier_lot, description, quantity, unit, status, name, lot, gtin, public_code in conn.execute(
        _INPUT_ROWS, {"batch_id": batch_id}
    ):
        public = status in PUBLIC_STATUSES
        views.append(
            InputView(
                batch=BatchRef(name, lot, gtin, public_code) if public else None,
                supplier_name=supplier,
                supplier_lot=supplier_lot,
                # An input batch the public cannot open (the producer's own draft) is named, not linked.
                description=description or (name if status is not None and not public else None),
                quantity=quantity,
                quantity_unit=unit,
            )
        )
    return tuple(views)
