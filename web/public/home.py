"""The home page, where a code can be typed by hand; the resolver description file; the benchmark's baseline."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from starlette.exceptions import HTTPException

from trace import gs1, labelruns, lookup
from trace.errors import InvalidInput
from trace.text import nfc
from web import resolver
from web.deps import Db
from web.i18n import N_, translate
from web.public.codes import BAD_SHORT_CODE, base, read_code
from web.public.view import page

router = APIRouter(include_in_schema=False)

RESOLVER_NAME = "Truy xuất nguồn gốc sản phẩm OCOP"
NOT_A_CODE = N_("This is not a code we know. Type the 12-character code under the QR code, the barcode digits, "
                "or the whole link.")  # fmt: skip


@router.api_route("/", methods=["GET", "HEAD"])
def home(request: Request, db: Db, q: Annotated[str | None, Query()] = None) -> Response:
    if q is None:
        return page(request, "public/home.html", typed="", error="", here="/")
    try:
        return RedirectResponse(_address(db, base(request), q), status_code=303)
    except InvalidInput as error:
        message = translate(request.state.lang, error.message, error.params)
        return page(request, "public/home.html", 400, typed=q[:500], error=message, here="/")


def _address(db: Db, root: str, typed: str) -> str:
    """Where a typed code lives: a whole link, bracketed GS1 data, barcode digits, or a 12-character code (a
    batch's public code or a unit's serial)."""
    text = nfc(typed)
    if not text:
        raise InvalidInput("Type the code printed under the QR code", field="q")
    if len(text) > 500:
        raise InvalidInput(NOT_A_CODE, field="q")
    if text.lower().startswith(("http://", "https://")):
        path = urlsplit(text).path
        if path.startswith("/c/"):
            scanned = read_code(root, path.rstrip("/"))
            if scanned is None:
                raise InvalidInput(BAD_SHORT_CODE, field="q")
            return scanned.anchor
        return _canonical(gs1.parse_uri(text), root)
    if text.startswith("("):
        return _canonical(gs1.from_element_string(text), root)
    digits = "".join(text.split())
    if digits.isascii() and digits.isdigit():
        return gs1.DigitalLink(gs1.normalize_gtin(digits)).to_uri(root)
    code = labelruns.parse_short_code(text)
    if code is None:
        raise InvalidInput(NOT_A_CODE, field="q")
    found = lookup.find_short_code(db, code)
    if found is None:
        return f"{root}/c/{code}"  # answers that the code is not registered, and counts the attempt
    ref, serial = found
    return resolver.item_url(root, gtin=ref.gtin, lot=ref.lot, public_code=ref.public_code, serial=serial)


def _canonical(link: gs1.DigitalLink, root: str) -> str:
    """The same item on this resolver (a link may come from another host); data attributes are kept."""
    return gs1.DigitalLink(
        link.gtin, cpv=link.cpv, lot=link.lot, serial=link.serial, tpx=link.tpx, attributes=link.attributes
    ).to_uri(root)


@router.get("/.well-known/gs1resolver")
def description_file(request: Request) -> JSONResponse:
    return JSONResponse(resolver.description_file(base(request), RESOLVER_NAME), headers=resolver.CORS_HEADERS)


@router.get("/perf/bare")
async def bare(request: Request) -> PlainTextResponse:
    """A constant string through the same middleware as the scan page, on the event loop as the scan is served:
    what the benchmark compares the scan with. Off unless TRACE_PERF_BARE_ENDPOINT is set."""
    if not request.app.state.settings.perf_bare_endpoint:
        raise HTTPException(status_code=404)
    return PlainTextResponse("ok")
