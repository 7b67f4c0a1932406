"""Workspace pages for production: batches, their events (with photos), publishing and recalling."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from trace import batches, events
from trace.batches import Batch, BatchIn, BatchStatus, RecallIn
from trace.db import VIETNAM_TIME, vietnam_today
from trace.errors import NotFound
from trace.events import BizStep, EventIn
from web import forms
from web.console import label_pages
from web.console.base import Posted, act, flash, page, redirect, submit
from web.console.workspace import Workspace, check_upload_into, form_values, save_upload, settings_of
from web.deps import Db, Id
from web.forms import OFFSETS, Form
from web.i18n import N_
from web.links import batch_url

INPUT_ROWS = 3
INPUT_FIELDS = ("input_batch_id", "supplier_name", "supplier_lot", "description", "quantity", "quantity_unit")
BATCH_FIELDS = (
    "product_id", "lot_code", "production_date", "expiry_date", "quantity", "quantity_unit", "origin_name",
    "origin_commune", "origin_province", "origin_latitude", "origin_longitude", "growing_area_code",
    *(f"inputs.{i}.{name}" for i in range(INPUT_ROWS) for name in INPUT_FIELDS),
)  # fmt: skip
EVENT_FIELDS = (
    "biz_step", "occurred_at", "tz_offset", "place_name", "place_commune", "place_gln", "description", "actor",
    "corrects_id",
)  # fmt: skip


def _batch_form_values(batch: Batch) -> dict[str, str]:
    values = form_values(batch, BATCH_FIELDS[:12])
    for i, item in enumerate(batch.inputs[:INPUT_ROWS]):
        for name, value in form_values(item, INPUT_FIELDS).items():
            values[f"inputs.{i}.{name}"] = value
    return values


def register(router: APIRouter, WS: Any) -> None:
    @router.get("/batches")
    def batch_list(request: Request, db: Db, ws: WS) -> HTMLResponse:
        items = batches.list_visible(db, ws.caller, organization_id=ws.org.id)
        return page(request, "console/batches.html", ws=ws, items=items)

    def _batch_form(
        request: Request, db: Session, ws: Workspace, form: Form, batch: Batch | None = None, status: int = 200
    ) -> HTMLResponse:
        own = [b for b in batches.list_visible(db, ws.caller, organization_id=ws.org.id) if b != batch]
        return page(
            request,
            "console/batch_form.html",
            status_code=status,
            ws=ws,
            form=form,
            batch=batch,
            products=ws.products(db),
            sources=own,
            rows=range(INPUT_ROWS),
        )

    @router.get("/batches/new")
    def new_batch(request: Request, db: Db, ws: WS) -> HTMLResponse:
        values = {
            "product_id": request.query_params.get("product_id", ""),
            "production_date": vietnam_today().isoformat(),
            "origin_commune": ws.org.commune,
            "origin_province": ws.org.province,
        }
        return _batch_form(request, db, ws, Form(values))

    @router.post("/batches/new")
    def create_batch(request: Request, db: Db, ws: WS, posted: Posted) -> Response:
        form = Form(forms.typed(posted, BATCH_FIELDS))

        def create() -> Batch:
            data = forms.validate(request, BatchIn, form.values)
            try:
                ws.product(db, data.product_id)
            except NotFound:
                raise NotFound("Product not found", field="product_id") from None
            return batches.create(db, ws.caller, data)

        batch = submit(request, db, form, create)
        if batch is None:
            return _batch_form(request, db, ws, form, status=422)
        flash(request, N_("Batch saved as a draft"))
        return redirect(f"{ws.base}/batches/{batch.id}")

    def _batch_page(
        request: Request,
        db: Session,
        ws: Workspace,
        batch: Batch,
        recall: Form | None = None,
        photo: tuple[int, Form] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        timeline = events.list_for_batch(db, batch.id)
        return page(
            request,
            "console/batch.html",
            status_code=status,
            ws=ws,
            batch=batch,
            timeline=timeline,
            public_url=batch_url(settings_of(request).public_base_url, batch),
            recall=recall or Form(),
            photo=photo or (0, Form()),
            runs=label_pages.runs_of(db, ws, batch.id),
        )

    @router.get("/batches/{batch_id}")
    def batch_detail(batch_id: Id, request: Request, db: Db, ws: WS) -> HTMLResponse:
        return _batch_page(request, db, ws, ws.batch(db, batch_id))

    @router.get("/batches/{batch_id}/edit")
    def edit_batch(batch_id: Id, request: Request, db: Db, ws: WS) -> HTMLResponse:
        batch = ws.batch(db, batch_id)
        return _batch_form(request, db, ws, Form(_batch_form_values(batch)), batch)

    @router.post("/batches/{batch_id}/edit")
    def update_batch(batch_id: Id, request: Request, db: Db, ws: WS, posted: Posted) -> Response:
        batch = ws.batch(db, batch_id)
        form = Form(forms.typed(posted, BATCH_FIELDS))

        def save() -> Batch:
            return batches.update(db, ws.caller, batch.id, forms.validate(request, BatchIn, form.values))

        if submit(request, db, form, save) is None:
            return _batch_form(request, db, ws, form, ws.batch(db, batch_id), 422)
        flash(request, N_("Batch saved"))
        return redirect(f"{ws.base}/batches/{batch_id}")

    @router.post("/batches/{batch_id}/publish")
    def publish_batch(batch_id: Id, request: Request, db: Db, ws: WS) -> RedirectResponse:
        batch = ws.batch(db, batch_id)
        act(request, db, lambda: batches.publish(db, ws.caller, batch.id), N_("Batch published: its code now works"))
        return redirect(f"{ws.base}/batches/{batch_id}")

    @router.post("/batches/{batch_id}/recall")
    def recall_batch(batch_id: Id, request: Request, db: Db, ws: WS, posted: Posted) -> Response:
        batch = ws.batch(db, batch_id)
        form = Form(forms.typed(posted, ("reason",)))

        def recall() -> Batch:
            return batches.recall(db, ws.caller, batch.id, forms.validate(request, RecallIn, form.values).reason)

        if submit(request, db, form, recall) is None:
            return _batch_page(request, db, ws, ws.batch(db, batch_id), recall=form, status=422)
        flash(request, N_("Batch recalled: the public page shows the recall"))
        return redirect(f"{ws.base}/batches/{batch_id}")

    # --- events -----------------------------------------------------------------------------------------------------

    def _event_form(
        request: Request, db: Session, ws: Workspace, batch: Batch, form: Form, status: int = 200
    ) -> HTMLResponse:
        return page(
            request,
            "console/event_form.html",
            status_code=status,
            ws=ws,
            batch=batch,
            form=form,
            steps=list(BizStep),
            offsets=OFFSETS,
            earlier=events.list_for_batch(db, batch.id),
        )

    @router.get("/batches/{batch_id}/events/new")
    def new_event(batch_id: Id, request: Request, db: Db, ws: WS) -> HTMLResponse:
        batch = ws.batch(db, batch_id)
        now = datetime.now(VIETNAM_TIME).strftime("%Y-%m-%dT%H:%M")
        return _event_form(request, db, ws, batch, Form({"occurred_at": now, "tz_offset": "+07:00"}))

    @router.post("/batches/{batch_id}/events/new")
    def create_event(batch_id: Id, request: Request, db: Db, ws: WS, posted: Posted) -> Response:
        batch = ws.batch(db, batch_id)
        form = Form(forms.typed(posted, EVENT_FIELDS))
        upload = posted.get("file")

        def create() -> events.BatchEvent:
            if batch.status is BatchStatus.DRAFT:
                check_upload_into(request, form, upload, allow_pdf=False)
            data = forms.validate(request, EventIn, forms.with_offset(form.values, "occurred_at"))
            if form.errors:
                raise forms.Invalid(form.errors)
            event = events.add(db, ws.caller, batch.id, data)
            if batch.status is BatchStatus.DRAFT:
                saved = save_upload(request, upload, allow_pdf=False, required=False)
                if saved is not None:
                    events.add_photo(db, ws.caller, event.id, *saved)
            return event

        if submit(request, db, form, create) is None:
            return _event_form(request, db, ws, ws.batch(db, batch_id), form, 422)
        flash(request, N_("Step added"))
        return redirect(f"{ws.base}/batches/{batch_id}")

    @router.post("/batches/{batch_id}/events/{event_id}/photos")
    def add_event_photo(batch_id: Id, event_id: Id, request: Request, db: Db, ws: WS, posted: Posted) -> Response:
        batch = ws.batch(db, batch_id)
        event = events.get_in_batch(db, ws.caller, batch.id, event_id)
        form = Form()

        def add() -> object:
            events.check_editable(db, ws.caller, event.id)
            saved = save_upload(request, posted.get("file"), allow_pdf=False, required=True)
            assert saved is not None
            return events.add_photo(db, ws.caller, event.id, *saved)

        if submit(request, db, form, add) is None:
            return _batch_page(request, db, ws, ws.batch(db, batch_id), photo=(event_id, form), status=422)
        flash(request, N_("Photo added"))
        return redirect(f"{ws.base}/batches/{batch_id}")

    @router.post("/batches/{batch_id}/events/{event_id}/delete")
    def delete_event(batch_id: Id, event_id: Id, request: Request, db: Db, ws: WS) -> RedirectResponse:
        batch = ws.batch(db, batch_id)
        event = events.get_in_batch(db, ws.caller, batch.id, event_id)
        act(request, db, lambda: events.delete(db, ws.caller, event.id), N_("Step deleted"))
        return redirect(f"{ws.base}/batches/{batch_id}")
