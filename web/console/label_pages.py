"""Workspace pages for labels: make a label run for a published batch, download its print-ready PDF again at any
time, and see what was printed (by whom: the producer's people or a traceability point)."""

import io
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from labels.layouts import LAYOUTS
from trace import labelruns
from trace.errors import InvalidInput, NotFound
from trace.labelruns import LabelRun, LabelRunIn
from web import forms, labels_service
from web.console.base import Posted, flash, page, redirect, submit
from web.console.workspace import Workspace, settings_of
from web.deps import Db, Id
from web.forms import Form
from web.i18n import N_

RUN_FIELDS = ("layout", "count", "skip", "batch_level", "idempotency_key")
# A run is drawn while the browser waits; bigger runs go through the API or the command line.
MAX_CONSOLE_LABELS = 5000
_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def runs_of(db: Session, ws: Workspace, batch_id: int | None = None) -> list[LabelRun]:
    return [r for r in labelruns.list_visible(db, ws.caller, batch_id) if r.organization_id == ws.org.id]


def register(router: APIRouter, WS: Any) -> None:
    def _run_form(
        request: Request, db: Session, ws: Workspace, batch_id: int, form: Form, status: int = 200
    ) -> HTMLResponse:
        batch = ws.batch(db, batch_id)
        return page(
            request,
            "console/label_form.html",
            status_code=status,
            ws=ws,
            batch=batch,
            form=form,
            layouts=list(LAYOUTS.values()),
            runs=runs_of(db, ws, batch.id),
            max_labels=MAX_CONSOLE_LABELS,
        )

    @router.get("/batches/{batch_id}/labels")
    def new_run(batch_id: Id, request: Request, db: Db, ws: WS) -> HTMLResponse:
        # The key makes pressing "Create" twice (or a reload) give the same run, not twice the labels.
        values = {"layout": "a4-3x8", "count": "24", "skip": "0", "idempotency_key": labelruns.new_idempotency_key()}
        return _run_form(request, db, ws, batch_id, Form(values))

    @router.post("/batches/{batch_id}/labels")
    def create_run(batch_id: Id, request: Request, db: Db, ws: WS, posted: Posted) -> Response:
        batch = ws.batch(db, batch_id)
        form = Form(forms.typed(posted, RUN_FIELDS))
        key = form.values.pop("idempotency_key", "") or labelruns.new_idempotency_key()

        def create() -> LabelRun:
            values = dict(form.values)
            values["batch_level"] = "true" if values.get("batch_level") else "false"
            data = forms.validate(request, LabelRunIn, values)
            if data.count > MAX_CONSOLE_LABELS:
                raise InvalidInput("At most {max} labels in one run here", field="count", max=MAX_CONSOLE_LABELS)
            run, _ = labels_service.create_run(db, ws.caller, batch.id, data, key, settings_of(request).public_base_url)
            return run

        run = submit(request, db, form, create)
        if run is None:
            form.values["idempotency_key"] = key
            return _run_form(request, db, ws, batch_id, form, 422)
        flash(request, N_("Labels ready: download the PDF and print it at actual size (100%)"))
        return redirect(f"{ws.base}/labels/{run.id}")

    @router.get("/labels")
    def run_list(request: Request, db: Db, ws: WS) -> HTMLResponse:
        return page(request, "console/label_runs.html", ws=ws, runs=runs_of(db, ws))

    def _run(db: Session, ws: Workspace, run_id: int) -> LabelRun:
        run = labelruns.get(db, ws.caller, run_id)
        if run.organization_id != ws.org.id:
            raise NotFound("Label run not found")
        return run

    @router.get("/labels/{run_id}")
    def run_detail(run_id: Id, request: Request, db: Db, ws: WS) -> HTMLResponse:
        run = _run(db, ws, run_id)
        return page(
            request,
            "console/label_run.html",
            ws=ws,
            run=run,
            batch=labelruns.batch_of(db, run),
            layout=LAYOUTS.get(run.layout),
        )

    @router.get("/labels/{run_id}/pdf")
    def run_pdf(run_id: Id, request: Request, db: Db, ws: WS) -> Response:
        run = labelruns.get_for_print(db, ws.caller, _run(db, ws, run_id).id)
        out = io.BytesIO()
        labels_service.render(db, ws.caller, run, "pdf", out)
        batch = labelruns.batch_of(db, run)
        name = f"nhan-{_SAFE.sub('_', batch.lot_code)}-{run.id}.pdf"
        return Response(
            out.getvalue(),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
