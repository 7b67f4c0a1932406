"""Reading the codes a consumer brings: a GS1 Digital Link path, the short route of a product without a GTIN, or
the path a page put in its report form."""

from dataclasses import dataclass

from fastapi import Request

from trace import gs1, labelruns
from trace.gs1 import Gs1SyntaxError
from trace.lookup import Key
from web.i18n import N_

BAD_SHORT_CODE = N_("A code has 12 letters and digits, as printed under the QR code")


@dataclass(frozen=True, slots=True)
class Scanned:
    """A code as requested: what to look up (None: nothing of ours can match), its canonical address (the
    linkset's anchor) and that address's path, which is what a scan records; for a Digital Link, the item."""

    key: Key | None
    anchor: str
    code: str
    item: gs1.DigitalLink | None = None


def base(request: Request) -> str:
    return str(request.app.state.settings.public_base_url).rstrip("/")


def raw_path(request: Request) -> str:
    """The path as sent, still percent-encoded, so that %2F stays inside a lot or serial."""
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # parse_path then names the offending character


def read_digital_link(root: str, path: str, query: str = "") -> tuple[Scanned, str | None]:
    """A Digital Link path → what was scanned and the link type asked for; Gs1SyntaxError says what is wrong."""
    link = gs1.parse_path(path, query)
    item = link
    if link.attributes or link.link_type is not None:  # the item is the path's: its GTIN and qualifiers
        item = gs1.DigitalLink(link.gtin, cpv=link.cpv, lot=link.lot, serial=link.serial, tpx=link.tpx)
    anchor = item.to_uri(root)
    # A TPX (235) serialises a GTIN outside our label runs: no item of ours can match it.
    key = None if link.tpx is not None else Key(gtin=link.gtin, lot=link.lot, serial=link.serial)
    return Scanned(key, anchor, anchor[len(root) :], item), link.link_type


def read_short_code(root: str, code: str, serial: str | None = None) -> Scanned | None:
    """A short-route code as printed (any case, hyphens, O for 0 ...) → what was scanned; None if malformed."""
    public_code = labelruns.parse_short_code(code)
    unit = labelruns.parse_short_code(serial) if serial is not None else None
    if public_code is None or (serial is not None and unit is None):
        return None
    path = f"/c/{public_code}" + (f"/{unit}" if unit else "")
    return Scanned(Key(public_code=public_code, serial=unit), root + path, path)


def read_code(root: str, code: str) -> Scanned | None:
    """The path a page put in its report form, read back; None when it is not one of ours."""
    if code.startswith("/01/"):
        try:
            return read_digital_link(root, code)[0]
        except Gs1SyntaxError:
            return None
    if code.startswith("/c/"):
        code_and_serial = code[3:].split("/")
        if 1 <= len(code_and_serial) <= 2:
            return read_short_code(root, *code_and_serial)
    return None
