"""Exchange: EPCIS 2.0 export and capture, bulk import from spreadsheets, the national-portal export."""

import json
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from trace import batches, certifications, epcis, imports, portal, products
from trace.access import Caller
from trace.epcis import Capture
from trace.errors import InvalidInput
from trace.fields import MAX_DB_INT
from web.api.common import READ, WRITE, ErrorOut, FieldError, errors
from web.deps import CurrentCaller, Db, Id
from web.errors import error_body, request_lang, validation_messages
from web.files import read_upload
from web.i18n import translate

router = APIRouter(tags=["exchange"])

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
PublicCode = Annotated[str, Path(pattern="^[0-9A-Z]{1,16}$")]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]


class LdJsonResponse(JSONResponse):
    media_type = epcis.MEDIA_TYPE


class CaptureOut(BaseModel):
    id: int
    organization_id: int
    batch_id: int | None
    event_count: int
    digest: str
    created_at: datetime
    batch_event_ids: list[int]


class ImportErrorItem(FieldError):
    row: int | None = None
    column: str | None = None


class ImportErrorOut(ErrorOut):
    errors: list[ImportErrorItem]  # type: ignore[assignment]


class ImportOut(BaseModel):
    dry_run: bool
    products: int
    batches: int
    product_ids: list[int]
    batch_ids: list[int]


class PublicCertificationOut(BaseModel):
    id: int
    kind: str
    number: str
    issuer: str
    issued_on: date
    valid_until: date | None
    ocop_stars: int | None
    scope: str | None
    status: str
    revoked_reason: str | None


def _base(request: Request) -> str:
    return str(request.app.state.settings.public_base_url)


def _invalid_document(request: Request, db: Session, exc: epcis.InvalidDocument) -> JSONResponse:
    db.rollback()  # a document is stored whole or not at all
    lang = request_lang(request)
    items = [{"field": p.path, "message": translate(lang, p.message, p.params)} for p in exc.problems]
    return JSONResponse(error_body(lang, "invalid_input", translate(lang, exc.message), items), status_code=422)


def _invalid_file(request: Request, db: Session, exc: imports.InvalidFile) -> JSONResponse:
    db.rollback()
    lang = request_lang(request)
    items = []
    for p in exc.problems:
        if p.pydantic_error is not None:
            message = validation_messages([p.pydantic_error], lang)[0]["message"]
        else:
            message = translate(lang, p.message, p.params)
        items.append({"row": p.row, "column": p.column, "field": p.column, "message": message})
    return JSONResponse(error_body(lang, "invalid_input", translate(lang, exc.message), items), status_code=422)


async def _document(request: Request) -> Any:
    """The JSON body, read with a size limit before any parsing (FastAPI would read it whole)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_DOCUMENT_BYTES:
            raise InvalidInput(
                "The document is larger than {mb} MB", field="document", mb=MAX_DOCUMENT_BYTES // (1024 * 1024)
            )
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, RecursionError) as exc:
        raise InvalidInput("The request body is not valid JSON", field="document") from exc


Document = Annotated[Any, Depends(_document)]


async def _upload(file: UploadFile) -> bytes:
    # Read here, asynchronously, so that the route itself runs in the thread pool: an import of thousands of rows
    # must not hold the event loop.
    return await read_upload(file, imports.MAX_BYTES)


Upload = Annotated[bytes, Depends(_upload)]
EPCIS_BODY = {
    "requestBody": {
        "required": True,
        "description": "An EPCIS 2.0 EPCISDocument in JSON-LD",
        "content": {
            epcis.MEDIA_TYPE: {"schema": {"type": "object"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}
# Documented by hand: with response_class=LdJsonResponse FastAPI would document the JSON errors as JSON-LD too.
EPCIS_DOC = {
    200: {"description": "An EPCIS 2.0 EPCISDocument", "content": {epcis.MEDIA_TYPE: {"schema": {"type": "object"}}}}
}
CAPTURED = {200: {"model": CaptureOut, "description": "The same document was captured before: that capture"}}


def _capture_out(db: Session, capture: Capture) -> CaptureOut:
    return CaptureOut(
        id=capture.id,
        organization_id=capture.organization_id,
        batch_id=capture.batch_id,
        event_count=capture.event_count,
        digest=capture.digest,
        created_at=capture.created_at,
        batch_event_ids=epcis.batch_event_ids(db, capture.id),
    )


def _captured(db: Session, capture: Capture, created: bool) -> JSONResponse:
    body = _capture_out(db, capture).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if created else 200)


# --- EPCIS export -------------------------------------------------------------------------------------------------


@router.get("/batches/{batch_id}/epcis", response_class=Response, responses={**READ, **EPCIS_DOC})
def batch_epcis(batch_id: Id, request: Request, caller: CurrentCaller, db: Db) -> LdJsonResponse:
    """The batch's events as an EPCIS 2.0 document: ObjectEvents, the inputs as a TransformationEvent, a recall."""
    return LdJsonResponse(epcis.batch_document(db, batches.get(db, caller, batch_id), _base(request)))


@router.get("/products/{product_id}/epcis", response_class=Response, responses={**READ, **EPCIS_DOC})
def product_epcis(product_id: Id, request: Request, caller: CurrentCaller, db: Db) -> LdJsonResponse:
    """Every batch of the product the caller may see, in one EPCIS 2.0 document."""
    product = products.get(db, caller, product_id)
    found = batches.list_visible(db, caller, product_id=product.id)
    return LdJsonResponse(epcis.product_document(db, product, found, _base(request)))


@router.get("/public/batches/{public_code}/epcis", response_class=Response, responses={**errors(404, 422), **EPCIS_DOC})
def public_batch_epcis(public_code: PublicCode, request: Request, db: Db) -> LdJsonResponse:
    """A published or recalled batch's EPCIS document, for anyone (the resolver's gs1:epcis link)."""
    document = epcis.batch_document(db, epcis.public_batch(db, public_code), _base(request))
    return LdJsonResponse(
        document, headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"}
    )


@router.get("/public/certifications/{cert_id}", response_model=PublicCertificationOut, responses=errors(404, 422))
def public_certification(cert_id: Id, db: Db) -> PublicCertificationOut:
    """A certificate as the public page shows it: what an EPCIS event's certificationInfo points at."""
    cert = epcis.public_certification(db, cert_id)
    return PublicCertificationOut(
        id=cert.id,
        kind=cert.kind.value,
        number=cert.number,
        issuer=cert.issuer,
        issued_on=cert.issued_on,
        valid_until=cert.valid_until,
        ocop_stars=cert.ocop_stars,
        scope=cert.scope,
        status=certifications.status_of(cert).value,
        revoked_reason=cert.revoked_reason,
    )


# --- EPCIS capture ------------------------------------------------------------------------------------------------


@router.post(
    "/batches/{batch_id}/epcis",
    response_model=CaptureOut,
    status_code=201,
    responses={**WRITE, **CAPTURED},
    openapi_extra=EPCIS_BODY,
)
def capture_for_batch(
    batch_id: Id, request: Request, caller: CurrentCaller, db: Db, document: Document
) -> JSONResponse:
    """Capture an EPCIS document about this batch: every event must name this batch's lot (its Digital Link on any
    resolver host, its lgtin URN, or our short route). Stored whole, and each event added to the batch's timeline;
    or, if anything is wrong, a 422 listing every problem with its JSON path, and nothing stored."""
    try:
        capture, created = epcis.capture_for_batch(db, caller, batch_id, document, _base(request))
    except epcis.InvalidDocument as exc:
        return _invalid_document(request, db, exc)
    return _captured(db, capture, created)


@router.post(
    "/epcis/captures",
    response_model=CaptureOut,
    status_code=201,
    responses={**WRITE, **CAPTURED},
    openapi_extra=EPCIS_BODY,
)
def capture(
    request: Request, caller: CurrentCaller, db: Db, document: Document, organization_id: OptionalId = None
) -> JSONResponse:
    """Capture any valid EPCIS document for the producer (admins and traceability points name it): kept as received,
    e.g. a supplier's or a buyer's events that concern no batch of ours."""
    try:
        found, created = epcis.capture(db, caller, document, organization_id)
    except epcis.InvalidDocument as exc:
        return _invalid_document(request, db, exc)
    return _captured(db, found, created)


@router.get("/epcis/captures", response_model=list[CaptureOut], responses=READ)
def list_captures(caller: CurrentCaller, db: Db, batch_id: OptionalId = None) -> list[CaptureOut]:
    return [_capture_out(db, c) for c in epcis.list_captures(db, caller, batch_id)]


@router.get("/epcis/captures/{capture_id}", response_class=Response, responses={**READ, **EPCIS_DOC})
def get_captured_document(capture_id: Id, caller: CurrentCaller, db: Db) -> LdJsonResponse:
    """The captured document exactly as it was received."""
    return LdJsonResponse(epcis.get_capture(db, caller, capture_id).document)


# --- bulk import --------------------------------------------------------------------------------------------------


@router.get(
    "/imports/template.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The import template (CSV UTF-8)"}},
)
def import_template_csv() -> Response:
    return Response(
        imports.template_csv(),
        media_type=imports.CSV_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="mau-nhap-lieu.csv"'},
    )


@router.get(
    "/imports/template.xlsx",
    response_class=Response,
    responses={200: {"content": {imports.XLSX_MEDIA_TYPE: {}}, "description": "The import template with its guide"}},
)
def import_template_xlsx() -> Response:
    return Response(
        imports.template_xlsx(),
        media_type=imports.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="mau-nhap-lieu.xlsx"'},
    )


@router.post(
    "/imports",
    response_model=ImportOut,
    status_code=201,
    responses={**WRITE, 422: {"model": ImportErrorOut, "description": "Every problem, by row and column"}},
)
def import_file(
    request: Request,
    caller: CurrentCaller,
    db: Db,
    data: Upload,
    organization_id: OptionalId = None,
    dry_run: bool = False,
) -> Response:
    """Import products and batches from a CSV or XLSX file made from the template (at most 10 MB and 20,000
    rows): all rows or none. With ``dry_run`` the file is only checked."""
    try:
        result = imports.run(db, caller, data, organization_id, dry_run=dry_run)
    except imports.InvalidFile as exc:
        return _invalid_file(request, db, exc)
    out = ImportOut(
        dry_run=result.dry_run,
        products=len(result.product_ids),
        batches=len(result.batch_ids),
        product_ids=result.product_ids,
        batch_ids=result.batch_ids,
    )
    return JSONResponse(out.model_dump(), status_code=200 if dry_run else 201)


# --- national portal ----------------------------------------------------------------------------------------------

AFTER = Annotated[int, Query(ge=0, le=MAX_DB_INT, description="Continue after this product id (see the Link header)")]
LIMIT = Annotated[int, Query(ge=1, le=portal.MAX_PAGE)]


def _portal(request: Request, caller: Caller, db: Session, sink: portal.PortalSink, after: int, limit: int) -> Response:
    found = portal.records(db, caller, _base(request), after_id=after, limit=limit)
    headers = {}
    if len(found) == limit:
        headers["Link"] = f'<{request.url.include_query_params(after=found[-1].id)}>; rel="next"'
    return Response(sink.write(found), media_type=sink.media_type, headers=headers)


@router.get(
    "/exports/portal.json",
    response_class=Response,
    responses={**READ, 200: {"content": {"application/json": {}}, "description": "Products for the national portal"}},
)
def portal_json(request: Request, caller: CurrentCaller, db: Db, after: AFTER = 0, limit: LIMIT = 10_000) -> Response:
    """Products with the fields the national traceability portal asks for: the authority and admins get every
    verified producer's, a producer its own. Pages of ``limit``; a ``Link: rel="next"`` header while more remain."""
    return _portal(request, caller, db, portal.JsonFile(), after, limit)


@router.get(
    "/exports/portal.csv",
    response_class=Response,
    responses={**READ, 200: {"content": {"text/csv": {}}, "description": "Products for the national portal"}},
)
def portal_csv(request: Request, caller: CurrentCaller, db: Db, after: AFTER = 0, limit: LIMIT = 10_000) -> Response:
    """The same records as portal.json, as CSV (UTF-8 with BOM, for Excel)."""
    return _portal(request, caller, db, portal.CsvFile(), after, limit)
