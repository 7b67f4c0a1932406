"""Batch events: the production and business stages of Circular 02/2024, each a CBV business step with its
time, UTC offset and place. Once the batch is published its events are immutable: a correction is a new
event pointing at the one it corrects."""

from datetime import datetime, timedelta, timezone
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from trace import audit, batches
from trace.access import Caller
from trace.batches import Batch, BatchStatus
from trace.db import Base, UTCDateTime, enum_type, utcnow
from trace.errors import Conflict, InvalidInput, NotFound
from trace.fields import DbId, Gln, Input, LongText, Moment, OptShortText


class BizStep(StrEnum):
    """CBV 2.0 business steps, plus the farm stages our producers record. EPCIS export writes the CBV ones
    as bare words and the farm ones as URIs under our own vocabulary (CBV allows extension URIs)."""

    PLANTING = "planting"
    GROWING = "growing"
    FERTILIZING = "fertilizing"
    HARVESTING = "harvesting"
    PROCESSING = "processing"
    COMMISSIONING = "commissioning"
    PACKING = "packing"
    INSPECTING = "inspecting"
    SAMPLING = "sampling"
    STORING = "storing"
    SHIPPING = "shipping"
    RECEIVING = "receiving"
    TRANSPORTING = "transporting"
    RETAIL_SELLING = "retail_selling"
    OTHER = "other"


CBV_STANDARD_STEPS = frozenset(
    {
        "commissioning",
        "packing",
        "inspecting",
        "sampling",
        "storing",
        "shipping",
        "receiving",
        "transporting",
        "retail_selling",
        "other",
    }
)


class BatchEvent(Base):
    __tablename__ = "batch_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    biz_step: Mapped[BizStep] = mapped_column(enum_type(BizStep, 30))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # EPCIS requires the offset of the local time the event happened in; Vietnam is +07:00.
    tz_offset_minutes: Mapped[int] = mapped_column(Integer)
    place_name: Mapped[str | None] = mapped_column(String(200))
    place_commune: Mapped[str | None] = mapped_column(String(200))
    place_gln: Mapped[str | None] = mapped_column(String(13))
    description: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("batch_events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    photos: Mapped[list["EventPhoto"]] = relationship(
        cascade="all, delete-orphan", order_by="EventPhoto.id", lazy="selectin"
    )

    @property
    def local_time(self) -> datetime:
        return self.occurred_at.astimezone(timezone(timedelta(minutes=self.tz_offset_minutes)))


class EventPhoto(Base):
    __tablename__ = "event_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("batch_events.id"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(40))


class EventIn(Input):
    biz_step: BizStep
    occurred_at: Moment
    place_name: OptShortText = None
    place_commune: OptShortText = None
    place_gln: Gln = None
    description: LongText = None
    actor: OptShortText = None
    corrects_id: DbId | None = None

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None or v.utcoffset() is None:
            raise InvalidInput("Give the time with its UTC offset, e.g. 2026-10-01T08:00:00+07:00")
        if abs(v.utcoffset()) > timedelta(hours=14) or v.utcoffset() % timedelta(minutes=1):  # type: ignore[operator]
            raise InvalidInput("The UTC offset must be whole minutes between -14:00 and +14:00")
        if not datetime(1990, 1, 1, tzinfo=v.tzinfo) <= v <= utcnow() + timedelta(days=1):
            raise InvalidInput("The time must be between 1990 and now")
        return v


def add(session: Session, caller: Caller, batch_id: int, data: EventIn) -> BatchEvent:
    batch = batches.get_for_write(session, caller, batch_id)
    if batch.status is BatchStatus.RECALLED:
        raise Conflict("A recalled batch takes no new events")
    if data.corrects_id is not None:
        corrected = session.scalar(
            select(BatchEvent).where(BatchEvent.id == data.corrects_id, BatchEvent.batch_id == batch.id)
        )
        if corrected is None:
            raise NotFound("The event to correct is not in this batch", field="corrects_id")
    offset = data.occurred_at.utcoffset()
    assert offset is not None
    event = BatchEvent(**data.model_dump(), batch_id=batch.id, tz_offset_minutes=int(offset.total_seconds() // 60))
    session.add(event)
    session.flush()
    audit.record(
        session,
        caller,
        "event.add",
        "batch_event",
        event.id,
        on_behalf_of=batch.organization_id,
        batch=batch.id,
        step=event.biz_step,
    )
    return event


def check_editable(session: Session, caller: Caller, event_id: int) -> tuple[BatchEvent, Batch]:
    event = session.get(BatchEvent, event_id)
    if event is None:
        raise NotFound("Event not found")
    batch = batches.get_for_write(session, caller, event.batch_id)
    if batch.status is not BatchStatus.DRAFT:
        raise Conflict("Events of a published batch cannot be changed; add a correcting event instead")
    return event, batch


def update(session: Session, caller: Caller, event_id: int, data: EventIn) -> BatchEvent:
    event, batch = check_editable(session, caller, event_id)
    others = select(BatchEvent.id).where(BatchEvent.batch_id == batch.id, BatchEvent.id != event.id)
    if data.corrects_id is not None and session.scalar(others.where(BatchEvent.id == data.corrects_id)) is None:
        raise NotFound("The event to correct is not in this batch", field="corrects_id")
    offset = data.occurred_at.utcoffset()
    assert offset is not None
    for key, value in data.model_dump().items():
        setattr(event, key, value)
    event.tz_offset_minutes = int(offset.total_seconds() // 60)
    audit.record(session, caller, "event.update", "batch_event", event.id, on_behalf_of=batch.organization_id)
    return event


def delete(session: Session, caller: Caller, event_id: int) -> None:
    event, batch = check_editable(session, caller, event_id)
    session.delete(event)
    audit.record(session, caller, "event.delete", "batch_event", event_id, on_behalf_of=batch.organization_id)


def list_for_batch(session: Session, batch_id: int) -> list[BatchEvent]:
    """Callers must have checked access to the batch first (batches.get)."""
    return list(
        session.scalars(
            select(BatchEvent).where(BatchEvent.batch_id == batch_id).order_by(BatchEvent.occurred_at, BatchEvent.id)
        )
    )


def get_in_batch(session: Session, caller: Caller, batch_id: int, event_id: int) -> BatchEvent:
    batches.get(session, caller, batch_id)
    event = session.scalar(select(BatchEvent).where(BatchEvent.id == event_id, BatchEvent.batch_id == batch_id))
    if event is None:
        raise NotFound("Event not found")
    return event


def add_photo(session: Session, caller: Caller, event_id: int, path: str, content_type: str) -> EventPhoto:
    event, batch = check_editable(session, caller, event_id)
    photo = EventPhoto(event_id=event.id, path=path, content_type=content_type)
    event.photos.append(photo)
    session.flush()
    audit.record(session, caller, "event.photo", "batch_event", event.id, on_behalf_of=batch.organization_id)
    return photo
