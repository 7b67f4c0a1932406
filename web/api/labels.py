"""Label runs: allocate and print a batch's labels, list runs, download them again as PDF, ZPL or CSV."""

import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from labels.layouts import LAYOUTS
from trace import labelruns
from trace.access import Caller
from trace.labelruns import LabelRun, LabelRunIn
from web import labels_service
from web.api.common import errors
from web.deps import CurrentCaller, Db, Id
from web.schemas import Out

router = APIRouter(tags=["labels"])

_CHUNK = 64 * 1024


class LabelRunOut(Out):
    id: int
    batch_id: int
    organization_id: int
    idempotency_key: str
    batch_level: bool
    count: int
    layout: str
    skip: int
    created_by_user_id: int | None
    created_by_token_id: int | None
    created_by_role: str
    trace_point_id: int | None
    created_at: datetime
    pdf_url: str
    zpl_url: str | None
    serials_url: str | None


def run_out(run: LabelRun) -> LabelRunOut:
    base = f"/api/v1/label-runs/{run.id}"
    layout = LAYOUTS.get(run.layout)
    return LabelRunOut.model_validate(
        {
            **{f: getattr(run, f) for f in LabelRunOut.model_fields if hasattr(LabelRun, f)},
            "pdf_url": f"{base}/labels.pdf",
            "zpl_url": f"{base}/labels.zpl" if layout is not None and layout.kind == "thermal" else None,
            "serials_url": None if run.batch_level else f"{base}/serials.csv",
        }
    )


def _file(content_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {content_type: {}}, "description": description}}


def _download(
    db: Session, caller: Caller, run: LabelRun, output: labels_service.Output, media_type: str, **options: Any
) -> StreamingResponse:
    """Render into an anonymous temporary file, then stream it: the document is in memory once, inside the
    renderer, and the file disappears when the response is done or the client goes away."""
    spool: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the stream)
    try:
        labels_service.render(db, caller, run, output, spool, **options)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(_CHUNK):
                yield block

    filename = f"label-run-{run.id}.{output}"
    return StreamingResponse(
        chunks(),
        media_type=media_type,
        headers={"Content-Length": str(size), "Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/batches/{batch_id}/label-runs",
    response_model=LabelRunOut,
    status_code=201,
    responses={200: {"model": LabelRunOut, "description": "Replay: this Idempotency-Key already made this run"}}
    | errors(401, 403, 404, 409, 422),
)
def create_label_run(
    batch_id: Id,
    data: LabelRunIn,
    request: Request,
    response: Response,
    caller: CurrentCaller,
    db: Db,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> LabelRunOut:
    """Allocate the labels of a published batch: one unique serial per label, or with `batch_level` the batch's
    own code on every label. Send an `Idempotency-Key` header to retry safely: the same key with the same body
    answers 200 with the run it already made, with a different body 409."""
    key = labelruns.new_idempotency_key() if idempotency_key is None else idempotency_key
    run, created = labels_service.create_run(
        db, caller, batch_id, data, key, request.app.state.settings.public_base_url
    )
    if not created:
        response.status_code = 200
    return run_out(run)


@router.get("/label-runs", response_model=list[LabelRunOut], responses=errors(401, 422))
def list_label_runs(
    caller: CurrentCaller, db: Db, batch_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None
) -> list[LabelRunOut]:
    return [run_out(r) for r in labelruns.list_visible(db, caller, batch_id)]


@router.get("/label-runs/{run_id}", response_model=LabelRunOut, responses=errors(401, 404, 422))
def get_label_run(run_id: Id, caller: CurrentCaller, db: Db) -> LabelRunOut:
    return run_out(labelruns.get(db, caller, run_id))


@router.get(
    "/label-runs/{run_id}/labels.pdf",
    response_class=StreamingResponse,
    responses=_file("application/pdf", "Print-ready vector PDF") | errors(401, 403, 404, 422),
)
def label_run_pdf(
    run_id: Id, caller: CurrentCaller, db: Db, skip: Annotated[int | None, Query(ge=0, le=1000)] = None
) -> StreamingResponse:
    """The run's labels, the same codes in the same order every time. `skip` overrides the run's number of
    positions already used on the first sheet."""
    run = labelruns.get_for_print(db, caller, run_id)
    return _download(db, caller, run, "pdf", "application/pdf", skip=skip)


@router.get(
    "/label-runs/{run_id}/labels.zpl",
    response_class=StreamingResponse,
    responses=_file("application/zpl", "ZPL II for Zebra printers (UTF-8)") | errors(401, 403, 404, 409, 422),
)
def label_run_zpl(
    run_id: Id, caller: CurrentCaller, db: Db, dpi: Annotated[int, Query(description="203 or 300")] = 203
) -> StreamingResponse:
    """The run's labels for a Zebra thermal printer at 203 or 300 dpi; thermal layouts only."""
    run = labelruns.get_for_print(db, caller, run_id)
    return _download(db, caller, run, "zpl", "application/zpl; charset=utf-8", dpi=dpi)


@router.get(
    "/label-runs/{run_id}/serials.csv",
    response_class=StreamingResponse,
    responses=_file("text/csv", "position, serial, short code and Digital Link of every label")
    | errors(401, 403, 404, 409, 422),
)
def label_run_serials(run_id: Id, caller: CurrentCaller, db: Db) -> StreamingResponse:
    """The run's serials for a print shop's variable-data printing."""
    run = labelruns.get_for_print(db, caller, run_id)
    return _download(db, caller, run, "csv", "text/csv; charset=utf-8")
