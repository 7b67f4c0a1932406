"""The scan: a phone opens a GS1 Digital Link (/01/{gtin}[/22/..][/10/{lot}][/21/{serial}]) or the short route of a
product without a GTIN (/c/{public_code}[/{serial}]) and gets the public page, the linkset, or a redirect to one
link type, as the GS1-Conformant Resolver standard asks.

This is the hot path, served on the event loop. A scan reads, on a driver connection in autocommit: the publication
version, the kept page's check (trace.pagecache) and for a unit code its count. The scans waiting in the process are
read together (web.batched): on PostgreSQL in a thread, one statement for all; on SQLite on the event loop, one short
statement each. The scan itself goes to the process's scan log (trace.scans), which writes many at a time. The page's
frame is rendered and compressed once per language and kept with the page; a scan writes only its own two parts
(web/public/scan_parts.py)."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from markupsafe import Markup
from sqlalchemy import Date, String, any_, bindparam, column, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import SQLAlchemyError

from trace import gs1, lookup, pagecache, publication, scans
from trace.db import DriverStatement, read_only, utcnow, vietnam_today
from trace.gs1 import Gs1SyntaxError
from trace.labelruns import LabelSerial
from trace.lookup import Key, Missing, MissingReason, Page
from trace.pagecache import Kept
from trace.scans import CopyRule, DeviceClass, UnitCount, UnitScans
from web import resolver
from web.compression import Deflated, html_response
from web.i18n import N_, translate
from web.public import report, scan_parts
from web.public.codes import BAD_SHORT_CODE, Scanned, base, raw_path, read_digital_link, read_short_code
from web.public.view import ip_digest, page, remember_language, shared
from web.templating import render_text

log = logging.getLogger("web.public")

router = APIRouter(include_in_schema=False)

PAGE = "page"
LINKSET = "linkset"


def _headers(anchor: str | None = None) -> dict[str, str]:
    headers = {**resolver.CORS_HEADERS, "Vary": resolver.VARY}
    if anchor is not None:
        headers["Link"] = resolver.linkset_pointer(anchor)
    return headers


@router.api_route("/01/{path:path}", methods=["GET", "HEAD"])
async def digital_link(request: Request) -> Response:
    query = request.scope.get("query_string", b"").decode("latin-1")
    try:
        scanned, link_type = read_digital_link(base(request), raw_path(request), query)
    except Gs1SyntaxError as error:
        lang = request.state.lang
        return _problem(request, 400, translate(lang, error.message, error.params))
    return await _resolve(request, scanned, link_type)


@router.api_route("/c/{code}", methods=["GET", "HEAD"])
@router.api_route("/c/{code}/{serial}", methods=["GET", "HEAD"])
async def short_code(request: Request, code: str, serial: str | None = None) -> Response:
    scanned = read_short_code(base(request), code, serial)
    if scanned is None:
        return _problem(request, 400, translate(request.state.lang, BAD_SHORT_CODE))
    return await _resolve(request, scanned, request.query_params.get("linkType") or None)


@router.options("/01/{path:path}")
@router.options("/c/{code}")
@router.options("/c/{code}/{serial}")
def preflight() -> Response:
    return Response(status_code=204, headers=resolver.PREFLIGHT_HEADERS)


async def _resolve(request: Request, scanned: Scanned, link_type: str | None) -> Response:
    if link_type in resolver.LINKSET_REQUESTS or (
        link_type is None and resolver.wants_linkset(request.headers.get("accept"))
    ):
        mode = LINKSET
    elif link_type is not None:
        name = resolver.link_type_name(link_type)
        if name is None:
            unknown = N_("This resolver has no links of type {type}")
            message = translate(request.state.lang, unknown, {"type": link_type})
            return _problem(request, 404, message, scanned.anchor)
        mode = name
    else:
        mode = PAGE

    settings = request.app.state.settings
    rule = CopyRule(settings.copied_label_scans, settings.copied_label_networks, settings.copied_label_days)
    try:
        answer = await _look_up(request, scanned, rule, record=mode == PAGE and request.method == "GET")
    except SQLAlchemyError:
        log.exception("lookup of %s failed", scanned.code)
        message = translate(request.state.lang, N_("The service is busy. Please try again in a moment."))
        return _problem(request, 503, message, scanned.anchor)
    found, kept, unit = answer.found, answer.kept, answer.unit

    if isinstance(found, Missing):
        if mode != PAGE:
            message = translate(request.state.lang, N_("This code is not registered"))
            return _problem(request, 404, message, scanned.anchor)
        response = page(
            request, "public/missing.html", 404, _headers(scanned.anchor),
            missing=found, scanned=scanned, base=base(request), item_url=resolver.item_url,
            form=report.blank_form(request, scanned.code),
        )  # fmt: skip
        return report.keep_nonce(request, response)

    if mode == PAGE:
        pieces = _page_pieces(request, found, kept, scanned, unit, rule)
        response = html_response(request, pieces, _headers(scanned.anchor))
        remember_language(request, response)
        return response
    links = resolver.links(found, scanned.anchor, base(request), request.state.lang)
    if mode == LINKSET:
        body = resolver.linkset(scanned.anchor, found.product.name_vi, links)
        headers = {
            **_headers(scanned.anchor),
            "Link": resolver.linkset_pointer(scanned.anchor) + f", <{resolver.LINKSET_CONTEXT}>; "
            'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"',
        }
        return JSONResponse(body, media_type=resolver.LINKSET_TYPE, headers=headers)
    targets = links.get(mode)
    if not targets:
        message = translate(request.state.lang, N_("This item has no link of type {type}"), {"type": link_type})
        return _problem(request, 404, message, scanned.anchor)
    return RedirectResponse(targets[0].href, status_code=307, headers=_headers(scanned.anchor))


# Where the scan's own parts go in a page's kept frame. Every value a template shows is escaped, so these comments
# can come only from page.html itself.
_UNIT_SLOT, _CODES_SLOT, _REPORT_SLOT = Markup("<!--unit-->"), Markup("<!--codes-->"), Markup("<!--report-->")


def _page_pieces(request: Request, found: Page, kept: Kept | None, scanned: Scanned, unit: UnitScans | None,
                 rule: CopyRule) -> list[str | Deflated]:  # fmt: skip
    """The page of what was scanned: the frame that every scan of the kept page shares, rendered and compressed once
    per language and kind (a unit's page or not), around the parts that are this scan's own (its unit's count, its
    codes)."""
    lang = request.state.lang
    is_unit = found.serial is not None
    rendered = kept.rendered if kept is not None else {}
    frame: list[Deflated] | None = rendered.get((lang, is_unit))
    slots = (_UNIT_SLOT, _CODES_SLOT, _REPORT_SLOT) if is_unit else (_CODES_SLOT, _REPORT_SLOT)
    if frame is None:
        html = render_text(
            lang, "public/page.html", page=found, base=base(request), item_url=resolver.item_url,
            rule_note=scan_parts.rule_note(lang, rule), unit_slot=_UNIT_SLOT, codes_slot=_CODES_SLOT,
            report_slot=_REPORT_SLOT, **shared(lang),
        )  # fmt: skip
        texts = [html]
        for slot in slots:
            texts[-1:] = texts[-1].split(slot)
        if len(texts) != len(slots) + 1:
            raise RuntimeError("page.html must hold each slot of the scan's own parts once")
        frame = [Deflated(text) for text in texts]
        rendered[(lang, is_unit)] = frame
    own = [scan_parts.unit_part(lang, rule, unit)] if is_unit else []
    own += [scan_parts.codes_part(lang, found, scanned, _hri(found, scanned)), scan_parts.report_part(scanned)]
    pieces: list[str | Deflated] = [frame[0]]
    for part, rest in zip(own, frame[1:], strict=True):
        pieces += [part, rest]
    return pieces


def _hri(found: Page, scanned: Scanned) -> str | None:
    """The GS1 element string of what was found, as printed under a barcode: (01)...(10)...(21)..."""
    if found.product.gtin is None:
        return None
    lot = found.batch.lot if found.batch is not None else None
    item = scanned.item
    if item is None or (item.gtin, item.cpv, item.lot, item.serial) != (found.product.gtin, None, lot, found.serial):
        item = gs1.DigitalLink(found.product.gtin, lot=lot, serial=found.serial)  # e.g. a unit scanned without its lot
    return item.to_hri()


@dataclass(frozen=True, slots=True)
class Ask:
    """A scan's question to the database: the page of ``key`` at ``now``, and for a page view of a unit code
    (``counted``) its unit's count, with this scan's ``network`` unless the scan is a bot's (None)."""

    key: Key
    now: datetime
    rule: CopyRule
    counted: bool
    network: str | None


@dataclass(frozen=True, slots=True)
class Found:
    found: Page | Missing
    kept: Kept | None
    unit: UnitScans | None


@lru_cache(maxsize=16)
def _stamp_and_unit(networks: int) -> DriverStatement:
    """A page's stamp and a unit's figures in one statement, for a count of unwritten networks (nearly always 1; a
    power of two)."""
    figures = scans.unit_figures_bound(pagecache.serial_batch(bindparam("serial")), networks)
    return DriverStatement(pagecache.stamp(bindparam("serial"), *figures.c))


def _stamps_together() -> DriverStatement:
    """On PostgreSQL, the stamps and figures of all the scans waiting, in one statement of fixed text whatever their
    number: their serials, days from which a scan is recent and unwritten networks (comma-separated) in arrays,
    a row each, numbered from 1 in order. Measured against one statement a scan sent in one pipeline, 16 at a time
    (when the count read the scans themselves): 12 us of the database's CPU and 12 of the driver's a scan instead of
    45 and 50."""
    asks = (
        func.unnest(
            bindparam("serials", type_=ARRAY(String())),
            bindparam("sinces", type_=ARRAY(Date())),
            bindparam("networks", type_=ARRAY(String())),
        )
        .table_valued(
            column("serial", String()),
            column("since", Date()),
            column("networks", String()),
            with_ordinality="n",
        )
        .render_derived()
    )
    issued = LabelSerial.__table__.alias("issued")

    def known(ip_hash: Any) -> Any:
        return ip_hash == any_(func.string_to_array(asks.c.networks, ","))

    figures = scans.unit_figures(issued.c.batch_id, asks.c.serial, asks.c.since, known, (asks, issued)).lateral()
    joined = asks.outerjoin(issued, issued.c.serial == asks.c.serial).join(figures, true())
    return DriverStatement(select(publication.CURRENT, issued.c.batch_id, *figures.c, asks.c.n).select_from(joined))


_STAMPS_TOGETHER = _stamps_together()


def read(state: Any, asks: Sequence[Ask]) -> list[Found | Exception]:
    """The answers to the scans waiting in this process, read on the app's reader (app.state.reads: a driver
    connection in autocommit); a page not kept is read on a session (trace.pagecache). Called by app.state.scan_reads
    (web.batched), in a thread on PostgreSQL."""
    dialect = state.engine.dialect
    day = vietnam_today()
    waiting = state.scan_log.unwritten_of(ask.key.serial for ask in asks if ask.counted and ask.key.serial)
    counts = []
    for ask in asks:
        # A copy each: two scans of one unit in a batch each add only their own network.
        unwritten = list(waiting[ask.key.serial]) if ask.counted and ask.key.serial else []
        if ask.network is not None:
            unwritten.append((ask.now, ask.network))
        counts.append(UnitCount(ask.rule, ask.now, unwritten))

    def read_page(key: Key) -> Page | Missing:
        with state.sessions() as session:
            read_only(session)
            return lookup.find(session, key, day)

    answers: list[Found | Exception] = []
    with state.reads() as conn:
        if dialect.name == "postgresql":
            together = {
                "serials": [ask.key.serial for ask in asks],
                "sinces": [count.since for count in counts],
                "networks": [",".join(count.networks) for count in counts],
            }
            rows = [row[:-1] for row in sorted(_STAMPS_TOGETHER.all(conn, dialect, together), key=lambda row: row[-1])]
        else:
            # The same statement for all: as many network parameters as the most any unit has, rounded up to a
            # power of two, so that a unit scanned from many networks at once (a copied label's crowd, a bot farm)
            # makes a few statements to compile, not one for every count of networks.
            most = max(len(count.networks) for count in counts)
            width = 1 << (most - 1).bit_length() if most else 0
            each = [{"serial": ask.key.serial, **count.params(width)} for ask, count in zip(asks, counts, strict=True)]
            rows = _stamp_and_unit(width).each(conn, dialect, each)
        for ask, count, stamped in zip(asks, counts, rows, strict=True):
            try:
                found, kept = state.page_cache.find(ask.key, day, stamped, read_page)
                unit = None
                if ask.counted and isinstance(found, Page) and found.batch is not None and found.serial is not None:
                    first = {"batch_id": found.batch.id, "serial": found.serial}
                    unit = count.result(stamped[2:], partial(_first_scan, conn, dialect, first))
                answers.append(Found(found, kept, unit))
            except Exception as error:  # this scan's own failure; the others still get their pages
                answers.append(error)
    return answers


def _first_scan(conn: Any, dialect: Any, unit: dict[str, Any]) -> datetime | None:
    first: datetime | None = scans.FIRST_SCAN.one(conn, dialect, unit)[0]
    return first


async def _look_up(request: Request, scanned: Scanned, rule: CopyRule, record: bool) -> Found:
    """The page, read with the other scans waiting in the process (app.state.scan_reads), and (a page view) its
    scan added to the process's scan log; a unit's count includes this scan."""
    state = request.app.state
    device = scans.device_class(request.headers.get("user-agent"))
    network = ip_digest(request) if record else ""
    now = utcnow()
    key = scanned.key
    if key is None:
        answer = Found(Missing(MissingReason.PRODUCT), None, None)
    else:
        counted = record and key.serial is not None
        by_person = network if counted and device is not DeviceClass.BOT else None
        answer = await state.scan_reads(Ask(key, now, rule, counted, by_person))
    if record:
        found = answer.found
        batch = found.batch if isinstance(found, Page) else None
        row = scans.scan_row(
            code=scanned.code, lang=request.state.lang, device=device, ip_digest=network, at=now,
            batch_id=batch.id if batch is not None else None, serial=found.serial if isinstance(found, Page) else None,
        )  # fmt: skip
        state.scan_log.add(row)
    return answer


def _problem(request: Request, status: int, message: str, anchor: str | None = None) -> Response:
    """A 400, 404 or 503 as the client can read it: JSON for a linkset client, else a page saying what happened,
    in the reader's language (never an error with 200, never a blank page)."""
    headers = _headers(anchor)
    if resolver.wants_json(request.headers.get("accept")):
        kind = {400: "invalid_code", 404: "not_found"}.get(status, "unavailable")
        return JSONResponse({"error": kind, "message": message}, status_code=status, headers=headers)
    return page(request, "public/problem.html", status, headers, status=status, message=message)
