"""Batches (lô): a product's production lot with its origin, its input batches (one step back) and its life cycle
draft → published → recalled. Once published, a batch's identity is fixed: labels and QR codes point at it."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field, field_validator, model_validator
from sqlalchemy import Float, ForeignKey, Numeric, Select, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from trace import audit, gs1
from trace.access import Caller
from trace.codes import random_code
from trace.db import Base, UTCDateTime, enum_type, utcnow
from trace.errors import Conflict, Forbidden, InvalidInput, NotFound
from trace.fields import Code, Day, DbId, Input, Latitude, Longitude, OptShortText, Quantity, ShortText
from trace.organizations import Organization, OrgStatus, get_writable, visible_orgs
from trace.products import Product


class BatchStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RECALLED = "recalled"


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("product_id", "lot_code", name="uq_batches_product_lot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    lot_code: Mapped[str] = mapped_column(String(20))
    # For products without a GTIN the batch is reached by this code (/c/{code}); 60 random bits.
    public_code: Mapped[str] = mapped_column(String(16), unique=True)
    production_date: Mapped[date]
    expiry_date: Mapped[date | None]
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    quantity_unit: Mapped[str | None] = mapped_column(String(20))
    origin_name: Mapped[str | None] = mapped_column(String(200))
    origin_commune: Mapped[str | None] = mapped_column(String(200))
    origin_province: Mapped[str | None] = mapped_column(String(200))
    origin_latitude: Mapped[float | None] = mapped_column(Float)
    origin_longitude: Mapped[float | None] = mapped_column(Float)
    growing_area_code: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[BatchStatus] = mapped_column(enum_type(BatchStatus, 20), default=BatchStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recall_reason: Mapped[str | None] = mapped_column(String(500))
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship(lazy="joined")
    inputs: Mapped[list["BatchInput"]] = relationship(
        cascade="all, delete-orphan", foreign_keys="BatchInput.batch_id", order_by="BatchInput.id", lazy="selectin"
    )


class BatchInput(Base):
    """One step back: a batch this one was made from, ours (input_batch_id) or a supplier's (described)."""

    __tablename__ = "batch_inputs"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    input_batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    supplier_name: Mapped[str | None] = mapped_column(String(200))
    supplier_lot: Mapped[str | None] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    quantity_unit: Mapped[str | None] = mapped_column(String(20))

    input_batch: Mapped["Batch | None"] = relationship(foreign_keys=[input_batch_id], lazy="joined")


class BatchInputIn(Input):
    input_batch_id: DbId | None = None
    supplier_name: OptShortText = None
    supplier_lot: Code = None
    description: OptShortText = None
    quantity: Quantity | None = None
    quantity_unit: Code = Field(None, max_length=20)

    @model_validator(mode="after")
    def _something(self) -> "BatchInputIn":
        if self.input_batch_id is None and not (self.supplier_name or self.description):
            raise InvalidInput("Give an input batch, or the supplier's name or a description", field="input_batch_id")
        return self


class BatchIn(Input):
    product_id: DbId
    lot_code: ShortText
    production_date: Day
    expiry_date: Day | None = None
    quantity: Quantity | None = None
    quantity_unit: Code = Field(None, max_length=20)
    origin_name: OptShortText = None
    origin_commune: OptShortText = None
    origin_province: OptShortText = None
    origin_latitude: Latitude | None = None
    origin_longitude: Longitude | None = None
    growing_area_code: Code = None
    inputs: list[BatchInputIn] = []

    @field_validator("lot_code")
    @classmethod
    def _lot(cls, v: str) -> str:
        return gs1.validate_lot(v)

    @field_validator("inputs")
    @classmethod
    def _bounded(cls, v: list[BatchInputIn]) -> list[BatchInputIn]:
        if len(v) > 50:
            raise InvalidInput("At most 50 inputs", field="inputs")
        return v

    @model_validator(mode="after")
    def _dates(self) -> "BatchIn":
        if self.expiry_date is not None and self.expiry_date <= self.production_date:
            raise InvalidInput("The expiry date must be after the production date", field="expiry_date")
        if (self.origin_latitude is None) != (self.origin_longitude is None):
            missing = "origin_longitude" if self.origin_longitude is None else "origin_latitude"
            raise InvalidInput("Give both latitude and longitude, or neither", field=missing)
        return self


class RecallIn(Input):
    reason: ShortText


def _new_public_code() -> str:
    return random_code(12)


def _visible(caller: Caller) -> Select[tuple[Batch]]:
    return select(Batch).join(Organization, Batch.organization_id == Organization.id).where(visible_orgs(caller))


def get(session: Session, caller: Caller, batch_id: int) -> Batch:
    batch = session.scalar(_visible(caller).where(Batch.id == batch_id))
    if batch is None:
        raise NotFound("Batch not found")
    return batch


def get_for_write(session: Session, caller: Caller, batch_id: int) -> Batch:
    batch = get(session, caller, batch_id)
    get_writable(session, caller, batch.organization_id)
    return batch


def list_visible(
    session: Session,
    caller: Caller,
    product_id: int | None = None,
    status: BatchStatus | None = None,
    organization_id: int | None = None,
) -> list[Batch]:
    stmt = _visible(caller)
    if organization_id is not None:
        stmt = stmt.where(Batch.organization_id == organization_id)
    if product_id is not None:
        stmt = stmt.where(Batch.product_id == product_id)
    if status is not None:
        stmt = stmt.where(Batch.status == status)
    return list(session.scalars(stmt.order_by(Batch.production_date.desc(), Batch.id.desc()).limit(1000)))


def _build_inputs(session: Session, caller: Caller, data: BatchIn, self_id: int | None) -> list[BatchInput]:
    inputs = []
    for item in data.inputs:
        if item.input_batch_id is not None:
            # One step back may point at another producer's batch, but only one the public can already see
            # (published) or one of the caller's own.
            source = session.get(Batch, item.input_batch_id)
            own = source is not None and session.scalar(
                select(Organization.id).where(Organization.id == source.organization_id, visible_orgs(caller))
            )
            if source is None or source.id == self_id or not (own or source.status is not BatchStatus.DRAFT):
                raise NotFound("Input batch not found", field="inputs")
        inputs.append(BatchInput(**item.model_dump()))
    return inputs


def create(session: Session, caller: Caller, data: BatchIn) -> Batch:
    from trace import products

    product = products.get_for_write(session, caller, data.product_id)
    _check_lot_free(session, product.id, data.lot_code)
    batch = Batch(
        **data.model_dump(exclude={"inputs"}),
        organization_id=product.organization_id,
        public_code=_new_public_code(),
        status=BatchStatus.DRAFT,
    )
    batch.inputs = _build_inputs(session, caller, data, None)
    session.add(batch)
    session.flush()
    audit.record(
        session, caller, "batch.create", "batch", batch.id, on_behalf_of=batch.organization_id, lot=batch.lot_code
    )
    return batch


def _check_lot_free(session: Session, product_id: int, lot_code: str, except_id: int | None = None) -> None:
    clash = session.scalar(select(Batch.id).where(Batch.product_id == product_id, Batch.lot_code == lot_code))
    if clash is not None and clash != except_id:
        raise Conflict("This product already has a batch with this lot code", field="lot_code")


def update(session: Session, caller: Caller, batch_id: int, data: BatchIn) -> Batch:
    batch = get_for_write(session, caller, batch_id)
    if batch.status is not BatchStatus.DRAFT:
        raise Conflict("A published batch cannot be changed; add a correcting event instead")
    if data.product_id != batch.product_id:
        raise InvalidInput("A batch cannot move to another product", field="product_id")
    _check_lot_free(session, batch.product_id, data.lot_code, except_id=batch.id)
    for key, value in data.model_dump(exclude={"inputs"}).items():
        setattr(batch, key, value)
    batch.inputs = _build_inputs(session, caller, data, batch.id)
    audit.record(session, caller, "batch.update", "batch", batch.id, on_behalf_of=batch.organization_id)
    return batch


def publish(session: Session, caller: Caller, batch_id: int) -> Batch:
    batch = get_for_write(session, caller, batch_id)
    if batch.status is not BatchStatus.DRAFT:
        raise Conflict("Only a draft batch can be published")
    org = session.get(Organization, batch.organization_id)
    if org is None or org.status is not OrgStatus.VERIFIED:
        raise Forbidden("The producer must be verified by the authority before publishing")
    batch.status = BatchStatus.PUBLISHED
    batch.published_at = utcnow()
    audit.record(session, caller, "batch.publish", "batch", batch.id, on_behalf_of=batch.organization_id)
    return batch


def recall(session: Session, caller: Caller, batch_id: int, reason: str) -> Batch:
    """The authority, or the producer itself, recalls a published batch; the public page shows it at once."""
    batch = get(session, caller, batch_id)
    if not caller.sees_everything:
        get_writable(session, caller, batch.organization_id)
    if batch.status is not BatchStatus.PUBLISHED:
        raise Conflict("Only a published batch can be recalled")
    batch.status = BatchStatus.RECALLED
    batch.recall_reason = reason
    batch.recalled_at = utcnow()
    audit.record(session, caller, "batch.recall", "batch", batch.id, on_behalf_of=batch.organization_id, reason=reason)
    return batch
