from typing import Annotated

from fastapi import APIRouter, Query, Request, UploadFile

from trace import batches, events, storage
from trace.batches import Batch, BatchIn, BatchStatus, RecallIn
from trace.events import BatchEvent, EventIn
from web.api.common import READ, WRITE
from web.deps import CurrentCaller, Db, Id
from web.files import read_upload
from web.links import batch_url
from web.schemas import BatchOut, EventOut, ImageOut

router = APIRouter(prefix="/batches", tags=["batches"])


def batch_out(request: Request, batch: Batch) -> BatchOut:
    return BatchOut.model_validate(
        {
            **{f: getattr(batch, f) for f in BatchOut.model_fields if f != "public_url"},
            "public_url": batch_url(request.app.state.settings.public_base_url, batch),
        }
    )


def event_out(event: BatchEvent) -> EventOut:
    photos = [ImageOut(id=p.id, url=f"/media/{p.path}", content_type=p.content_type) for p in event.photos]
    return EventOut.model_validate(
        {**{f: getattr(event, f) for f in EventOut.model_fields if f != "photos"}, "photos": photos}
    )


@router.post("", response_model=BatchOut, status_code=201, responses=WRITE)
def create_batch(data: BatchIn, request: Request, caller: CurrentCaller, db: Db) -> BatchOut:
    return batch_out(request, batches.create(db, caller, data))


@router.get("", response_model=list[BatchOut], responses=READ)
def list_batches(
    request: Request,
    caller: CurrentCaller,
    db: Db,
    product_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    status: BatchStatus | None = None,
) -> list[BatchOut]:
    return [batch_out(request, b) for b in batches.list_visible(db, caller, product_id, status)]


@router.get("/{batch_id}", response_model=BatchOut, responses=READ)
def get_batch(batch_id: Id, request: Request, caller: CurrentCaller, db: Db) -> BatchOut:
    return batch_out(request, batches.get(db, caller, batch_id))


@router.put("/{batch_id}", response_model=BatchOut, responses=WRITE)
def update_batch(batch_id: Id, data: BatchIn, request: Request, caller: CurrentCaller, db: Db) -> BatchOut:
    return batch_out(request, batches.update(db, caller, batch_id, data))


@router.post("/{batch_id}/publish", response_model=BatchOut, responses=WRITE)
def publish(batch_id: Id, request: Request, caller: CurrentCaller, db: Db) -> BatchOut:
    return batch_out(request, batches.publish(db, caller, batch_id))


@router.post("/{batch_id}/recall", response_model=BatchOut, responses=WRITE)
def recall(batch_id: Id, data: RecallIn, request: Request, caller: CurrentCaller, db: Db) -> BatchOut:
    return batch_out(request, batches.recall(db, caller, batch_id, data.reason))


@router.get("/{batch_id}/events", response_model=list[EventOut], responses=READ)
def list_events(batch_id: Id, caller: CurrentCaller, db: Db) -> list[EventOut]:
    batches.get(db, caller, batch_id)
    return [event_out(e) for e in events.list_for_batch(db, batch_id)]


@router.post("/{batch_id}/events", response_model=EventOut, status_code=201, responses=WRITE)
def add_event(batch_id: Id, data: EventIn, caller: CurrentCaller, db: Db) -> EventOut:
    return event_out(events.add(db, caller, batch_id, data))


@router.put("/{batch_id}/events/{event_id}", response_model=EventOut, responses=WRITE)
def update_event(batch_id: Id, event_id: Id, data: EventIn, caller: CurrentCaller, db: Db) -> EventOut:
    events.get_in_batch(db, caller, batch_id, event_id)
    return event_out(events.update(db, caller, event_id, data))


@router.delete("/{batch_id}/events/{event_id}", status_code=204, responses=WRITE)
def delete_event(batch_id: Id, event_id: Id, caller: CurrentCaller, db: Db) -> None:
    events.get_in_batch(db, caller, batch_id, event_id)
    events.delete(db, caller, event_id)


@router.post("/{batch_id}/events/{event_id}/photos", response_model=ImageOut, status_code=201, responses=WRITE)
async def add_photo(
    batch_id: Id, event_id: Id, file: UploadFile, request: Request, caller: CurrentCaller, db: Db
) -> ImageOut:
    events.get_in_batch(db, caller, batch_id, event_id)
    settings = request.app.state.settings
    data = await read_upload(file, settings.max_upload_bytes)
    events.check_editable(db, caller, event_id)
    path, content_type = storage.save(settings.storage_dir, data, max_bytes=settings.max_upload_bytes)
    photo = events.add_photo(db, caller, event_id, path, content_type)
    return ImageOut(id=photo.id, url=f"/media/{photo.path}", content_type=photo.content_type)
