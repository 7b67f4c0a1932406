"""GS1 identifiers: GTIN check digits, CSET 82 lot and serial codes, GS1 Digital Link URIs for GTINs.

biip supplies the GS1 Application Identifier table, the check-digit arithmetic, AI value formats and dates.
The Digital Link URI syntax is written here by hand because biip 5.2's own Digital Link code disagrees with GS1's
syntax engine vectors (shared/gs1/dl-vectors.json) on 11 of the 62 GTIN parse vectors and 4 of the 14 GTIN generate
vectors: it pads 8/12/13-digit GTINs to 14 in the path, lets the last of repeated query parameters win, accepts in
the query a lot that belongs in the path, ignores unknown numeric parameters and empty values, does not check the
domain, puts (235) beside (22)/(10)/(21) and (8200) in the query, and sorts the query when generating.
"""

import functools
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Self
from urllib.parse import quote, unquote, unquote_plus

from biip import ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_element_strings import GS1ElementString
from biip.gtin import Gtin

from trace.errors import N_, InvalidInput

CANONICAL_STEM = "https://id.gs1.org"
VIETNAM_PREFIX = "893"

CSET_82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")
"""GS1 General Specifications figure 7.11-1: every character an AI value may hold (lots, serials, ...)."""

# The GS1 Barcode Syntax Dictionary marks these AIs "dlpkey"; biip only keeps a private copy.
_DL_PRIMARY_KEYS = frozenset(
    [
        "00",
        "01",
        "253",
        "255",
        "401",
        "402",
        "414",
        "415",
        "417",
        "8003",
        "8004",
        "8006",
        "8010",
        "8013",
        "8017",
        "8018",
    ]
)
# AIs the Syntax Dictionary does not flag "?" (permitted as a Digital Link data attribute); biip has no such flag.
_NOT_DATA_ATTRIBUTES = frozenset(
    ["03", "21", "22", "235", "254", "7040", "7041", "8011", "8014", "8019", "8020", "8200"]
)
_GTIN_QUALIFIERS = ("22", "10", "21")
_TPX = "235"  # the other qualifier of a GTIN: alone, never with 22, 10 or 21
_DATE_AIS = frozenset({"11", "12", "13", "15", "16", "17"})
# GS1's syntax engine refuses a URI with any character outside these, and these in its domain.
_URI_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%")
_BAD_DOMAIN_CHARACTERS = frozenset("_~?#@!$&'()*+,;=%")
_BASE = re.compile(r"https?://[^/?#]+(/[^?#]*)?")
# A "(" inside a value is written "\(" in the bracketed syntax, as GS1's syntax engine reads it.
_BRACKETED_AI = re.compile(r"(?<!\\)\(([0-9]{2,4})\)")


class Gs1SyntaxError(InvalidInput):
    """A Digital Link or element string breaks GS1 syntax; a resolver answers 400 with the message."""


def _show(char: str) -> str:
    """Write a character so that a space or a control character is visible in a message."""
    return char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"


# --- GTIN -------------------------------------------------------------------------------------------------------


def _first_outside(text: str, allowed: frozenset[str]) -> str | None:
    """The first character of ``text`` not in ``allowed``; the usual answer, none, found in one pass in C."""
    if allowed.issuperset(text):
        return None
    return next(char for char in text if char not in allowed)


_DIGITS = frozenset(string.digits)  # not str.isdigit(): it accepts "٣" and "³"


def _require_digits(value: str) -> None:
    if not value:
        raise InvalidInput("GTIN is empty", field="gtin")
    if (char := _first_outside(value, _DIGITS)) is not None:
        raise InvalidInput("GTIN cannot contain {char}: use the digits 0-9", field="gtin", char=_show(char))


def gtin_check_digit(data_digits: str) -> int:
    """The GS1 check digit for ``data_digits`` (a GTIN without its last digit): weights 3,1,3,... from the right."""
    _require_digits(data_digits)
    return gs1_standard_check_digit(data_digits)


def is_gln(value: str) -> bool:
    """A Global Location Number: 13 digits, the last its check digit."""
    return len(value) == 13 and value.isascii() and value.isdigit() and gtin_check_digit(value[:-1]) == int(value[-1])


@functools.lru_cache(maxsize=4096)  # a resolver sees the same few GTINs all day; a wrong one raises, uncached
def _require_check_digit(gtin: str) -> None:
    expected = gtin_check_digit(gtin[:-1])
    if int(gtin[-1]) != expected:
        raise InvalidInput("GTIN check digit is wrong: expected {expected}", field="gtin", expected=expected)


def normalize_gtin(value: str) -> str:
    """A GTIN-8, -12, -13 or -14 as typed (spaces allowed) → the 14-digit GTIN, or InvalidInput."""
    digits = "".join(value.split())
    _require_digits(digits)
    if len(digits) not in (8, 12, 13, 14):
        raise InvalidInput("GTIN must have 8, 12, 13 or 14 digits, not {length}", field="gtin", length=len(digits))
    _require_check_digit(digits)
    return digits.zfill(14)


def is_vietnamese_prefix(gtin: str) -> bool:
    """Whether GS1 Vietnam (prefix 893) allocated this GTIN; biip finds the prefix of GTIN-8s too."""
    prefix = Gtin.parse(normalize_gtin(gtin)).prefix
    return prefix is not None and prefix.value == VIETNAM_PREFIX


# --- CSET 82 values ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cset82Rule:
    ai: str
    field: str
    max_length: int
    empty: str
    too_long: str
    bad_char: str

    def check(self, value: str) -> str:
        if not value:
            raise InvalidInput(self.empty, field=self.field, ai=self.ai)
        if (char := _first_outside(value, CSET_82)) is not None:
            raise InvalidInput(self.bad_char, field=self.field, ai=self.ai, char=_show(char))
        if len(value) > self.max_length:
            raise InvalidInput(self.too_long, field=self.field, ai=self.ai, max=self.max_length)
        return value


_LOT = _Cset82Rule(
    "10",
    "lot_code",
    20,
    N_("Lot code is empty"),
    N_("Lot code is too long: at most {max} characters"),
    N_("Lot code cannot contain {char}: use unaccented letters, digits and !\"%&'()*+,-./:;<=>?_"),
)
_SERIAL = _Cset82Rule(
    "21",
    "serial",
    20,
    N_("Serial is empty"),
    N_("Serial is too long: at most {max} characters"),
    N_("Serial cannot contain {char}: use unaccented letters, digits and !\"%&'()*+,-./:;<=>?_"),
)
_CPV = _Cset82Rule(
    "22",
    "cpv",
    20,
    N_("({ai}) has no value"),
    N_("({ai}) is too long: at most {max} characters"),
    N_("({ai}) cannot contain {char}"),
)
_TPX_RULE = _Cset82Rule(
    _TPX,
    "tpx",
    28,
    N_("({ai}) has no value"),
    N_("({ai}) is too long: at most {max} characters"),
    N_("({ai}) cannot contain {char}"),
)


def validate_lot(value: str) -> str:
    """Return the lot code (AI 10) if GS1 allows it: 1-20 characters of CSET 82; else InvalidInput naming the char."""
    return _LOT.check(value)


def validate_serial(value: str) -> str:
    """Return the serial (AI 21) if GS1 allows it: 1-20 characters of CSET 82; else InvalidInput naming the char."""
    return _SERIAL.check(value)


# --- Application Identifiers ------------------------------------------------------------------------------------


@functools.cache
def _lookup_ai(code: str) -> GS1ApplicationIdentifier | None:
    try:
        found = GS1ApplicationIdentifier.extract(code)
    except ParseError:
        return None
    # extract() matches a prefix: "999" would give AI 99.
    return found if found.ai == code else None


def _looks_like_ai(code: str) -> bool:
    return 2 <= len(code) <= 4 and code.isascii() and code.isdigit()


def _application_identifier(code: str) -> GS1ApplicationIdentifier | None:
    """The AI for exactly ``code``; only strings shaped like an AI reach the cache, so it stays small."""
    return _lookup_ai(code) if _looks_like_ai(code) else None


def _check_attribute_value(ai: str, value: str) -> None:
    if not value:
        raise InvalidInput("({ai}) has no value", field="attributes", ai=ai)
    # biip's patterns use \d, which matches "٣": keep to CSET 82, which holds every AI character set.
    if (char := _first_outside(value, CSET_82)) is not None:
        raise InvalidInput("({ai}) cannot contain {char}", field="attributes", ai=ai, char=_show(char))
    try:
        GS1ElementString.parse(ai + value)
    except ParseError:
        if ai in _DATE_AIS:
            raise InvalidInput(
                "({ai}) is not a valid date (YYMMDD): {value}", field="attributes", ai=ai, value=value
            ) from None
        raise InvalidInput("({ai}) has an invalid value: {value}", field="attributes", ai=ai, value=value) from None


def _to_gs1_date(value: date, field: str) -> str:
    text = value.strftime("%y%m%d")
    # GS1 reads YY within 49 years back and 50 ahead of today; a date outside would come back in another century.
    if GS1ElementString.parse("17" + text).date != value:
        raise InvalidInput("{date} is too far from today for a GS1 date", field=field, date=value.isoformat())
    return text


# --- Digital Link -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigitalLink:
    """A GS1 Digital Link for a trade item: the GTIN and its qualifiers (the path) and data attributes (the query).

    ``attributes`` keeps raw AI values in URI order, (17) expiry and (11) production date included: GS1's vectors
    check that order, and a date such as 17=261100 (day 00: end of month) has no ``datetime.date``. ``build()``
    takes dates; ``expiry`` and ``production_date`` read them back. Every instance is valid GS1.
    """

    gtin: str
    cpv: str | None = None
    lot: str | None = None
    serial: str | None = None
    tpx: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    link_type: str | None = None

    def __post_init__(self) -> None:
        if len(self.gtin) != 14:
            raise InvalidInput(
                "A Digital Link writes the GTIN with 14 digits, not {length}", field="gtin", length=len(self.gtin)
            )
        _require_digits(self.gtin)
        _require_check_digit(self.gtin)
        for rule, value in ((_CPV, self.cpv), (_LOT, self.lot), (_SERIAL, self.serial), (_TPX_RULE, self.tpx)):
            if value is not None:
                rule.check(value)
        if self.tpx is not None and (self.cpv, self.lot, self.serial) != (None, None, None):
            raise InvalidInput("(235) cannot be combined with (22), (10) or (21)", field="tpx")
        seen = {ai for ai, _ in self._path()}
        for ai, value in self.attributes:
            if ai in seen:
                raise InvalidInput("({ai}) appears twice", field="attributes", ai=ai)
            seen.add(ai)
            if _application_identifier(ai) is None:
                raise InvalidInput("Unknown AI ({ai})", field="attributes", ai=ai)
            if ai in _NOT_DATA_ATTRIBUTES:
                raise InvalidInput("({ai}) cannot be a Digital Link data attribute", field="attributes", ai=ai)
            if ai in _GTIN_QUALIFIERS and self.tpx is None:
                raise InvalidInput("({ai}) belongs in the path, not the query", field="attributes", ai=ai)
            _check_attribute_value(ai, value)

    @classmethod
    def build(
        cls,
        gtin: str,
        *,
        cpv: str | None = None,
        lot: str | None = None,
        serial: str | None = None,
        expiry: date | None = None,
        production_date: date | None = None,
    ) -> Self:
        """The link a label carries; ``gtin`` may be a GTIN-8/12/13/14."""
        attributes = []
        if expiry is not None:
            attributes.append(("17", _to_gs1_date(expiry, "expiry")))
        if production_date is not None:
            attributes.append(("11", _to_gs1_date(production_date, "production_date")))
        return cls(normalize_gtin(gtin), cpv=cpv, lot=lot, serial=serial, attributes=tuple(attributes))

    @property
    def expiry(self) -> date | None:
        """AI (17); day 00 reads as the month's last day (biip applies GS1's rule and century window)."""
        return self._date("17")

    @property
    def production_date(self) -> date | None:
        """AI (11), read like ``expiry``."""
        return self._date("11")

    def _date(self, ai: str) -> date | None:
        value = dict(self.attributes).get(ai)
        return None if value is None else GS1ElementString.parse(ai + value).date

    def _path(self) -> list[tuple[str, str]]:
        qualifiers = (("22", self.cpv), ("10", self.lot), ("21", self.serial), (_TPX, self.tpx))
        return [("01", self.gtin), *((ai, value) for ai, value in qualifiers if value is not None)]

    def element_strings(self) -> list[tuple[str, str]]:
        """(AI, value) pairs in the order GS1's syntax engine gives them: path first, then the query's order."""
        return [*self._path(), *self.attributes]

    def to_uri(self, base: str = CANONICAL_STEM) -> str:
        """``{base}/01/{gtin}[/22/..][/10/..][/21/..]?{attributes}``; ``base``: domain and optional path prefix."""
        stem = base.rstrip("/")
        if not _BASE.fullmatch(stem):
            raise InvalidInput("The link base must be an http:// or https:// address without ? or #", field="base")
        # quote() leaves only RFC 3986's unreserved characters as they are: "+" becomes %2B, "/" %2F.
        path = "".join(f"/{ai}/{quote(value, safe='')}" for ai, value in self._path())
        query = [f"{ai}={quote(value, safe='')}" for ai, value in self.attributes]
        if self.link_type is not None:
            query.append(f"linkType={quote(self.link_type, safe='')}")
        return stem + path + ("?" + "&".join(query) if query else "")

    def to_hri(self) -> str:
        """The bracketed form printed under a GS1-128 barcode: ``(01)08934588012341(10)L01(17)261231``."""
        return "".join(f"({ai}){value}" for ai, value in self.element_strings())

    def to_element_string(self, fnc1: str = "^") -> str:
        """The unbracketed element string a GS1-128 encodes: FNC1 first, then after each variable-length AI but
        the last. ``^`` stands for FNC1 as in GS1's syntax engine; a scanner sends ``]C1`` for the first and GS
        (``\\x1d``) for the others."""
        elements = self.element_strings()
        parts = [fnc1]
        for position, (ai, value) in enumerate(elements, start=1):
            parts.append(ai + value)
            spec = _application_identifier(ai)
            assert spec is not None  # __post_init__ refused unknown AIs
            if spec.separator_required and position < len(elements):
                parts.append(fnc1)
        return "".join(parts)


# --- Parsing ----------------------------------------------------------------------------------------------------


_NO_KEY = N_("No GS1 key found: the path should be /01/ and a 14-digit GTIN, then /22/, /10/ or /21/ and a value")


def _require_uri_characters(text: str) -> None:
    if (char := _first_outside(text, _URI_CHARACTERS)) is not None:
        raise Gs1SyntaxError(
            "The link cannot contain {char}; it must be percent-encoded", field="uri", char=_show(char)
        )


def _find_primary_key(segments: list[str]) -> int:
    """Index of the key AI: walk ``/AI/value`` pairs back from the end while they are AIs, up to the first key
    (GS1's engine does the same, so a path prefix may itself look like AIs)."""
    index = len(segments) - 2
    while index >= 1:
        code = segments[index]
        if _application_identifier(code) is None:
            if _looks_like_ai(code):
                raise Gs1SyntaxError("Unknown AI ({ai})", field="uri", ai=code)
            break
        if code in _DL_PRIMARY_KEYS:
            return index
        index -= 2
    raise Gs1SyntaxError(_NO_KEY, field="uri")


def _path_qualifiers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for ai, value in pairs:
        if ai not in (*_GTIN_QUALIFIERS, _TPX):
            raise Gs1SyntaxError(
                "({ai}) is not a qualifier of a GTIN: use (22), (10), (21) or (235)", field="uri", ai=ai
            )
        if ai in found:
            raise Gs1SyntaxError("({ai}) appears twice", field="uri", ai=ai)
        if found and _TPX in (ai, *found):
            raise Gs1SyntaxError("(235) cannot be combined with (22), (10) or (21)", field="uri")
        if found and _GTIN_QUALIFIERS.index(ai) < _GTIN_QUALIFIERS.index(next(reversed(found))):
            raise Gs1SyntaxError("Qualifier ({ai}) is out of order: the path order is 22, 10, 21", field="uri", ai=ai)
        found[ai] = value
    return found


def _parsed_link(
    gtin: str, qualifiers: dict[str, str], attributes: list[tuple[str, str]], link_type: str | None
) -> DigitalLink:
    """The link, its value errors reported as syntax errors (a resolver answers 400 to all of them)."""
    try:
        return DigitalLink(
            gtin,
            cpv=qualifiers.get("22"),
            lot=qualifiers.get("10"),
            serial=qualifiers.get("21"),
            tpx=qualifiers.get(_TPX),
            attributes=tuple(attributes),
            link_type=link_type,
        )
    except InvalidInput as error:
        raise Gs1SyntaxError(error.message, field=error.field, **error.params) from error


def _query_parameters(query: str | Mapping[str, str]) -> list[tuple[str, str]]:
    if isinstance(query, Mapping):
        return list(query.items())
    _require_uri_characters(query)
    parameters = []
    for parameter in query.split("&"):
        key, equals, value = parameter.partition("=")
        if equals:  # a parameter without "=" carries no data and is skipped, as by GS1's engine
            parameters.append((key, unquote_plus(value)))
    return parameters


def parse_path(path: str, query: str | Mapping[str, str] = "") -> DigitalLink:
    """Read a resolver request: ``path`` raw (still percent-encoded, so %2F stays inside a value), optionally after
    a path prefix, one trailing slash tolerated; ``query`` the raw query string, or a mapping of decoded values
    (which cannot show a repeated parameter). In Starlette: ``scope["raw_path"]`` and ``scope["query_string"]``.
    Only GTIN (01) links; Gs1SyntaxError says what is wrong."""
    _require_uri_characters(path)
    if not path.startswith("/"):
        raise Gs1SyntaxError(_NO_KEY, field="uri")
    if path.endswith("/"):
        path = path[:-1]  # tolerated when resolving, never generated (DESIGN.md)
    segments = path.split("/")
    key_index = _find_primary_key(segments)
    if segments[key_index] != "01":
        raise Gs1SyntaxError("Only GTIN (01) links are supported, not ({ai})", field="uri", ai=segments[key_index])
    pairs = []
    for index in range(key_index, len(segments), 2):
        ai, raw = segments[index], segments[index + 1]
        if not raw:
            raise Gs1SyntaxError("({ai}) has no value", field="uri", ai=ai)
        pairs.append((ai, unquote(raw)))  # "+" is itself in a path
    qualifiers = _path_qualifiers(pairs[1:])

    attributes = []
    link_type = None
    for key, value in _query_parameters(query):
        if key == "linkType":
            link_type = link_type or value or None
        elif key.isascii() and key.isdigit():
            if _application_identifier(key) is None:
                raise Gs1SyntaxError("Unknown AI ({ai})", field="uri", ai=key)
            if not value:
                raise Gs1SyntaxError("({ai}) has no value", field="uri", ai=key)
            attributes.append((key, value))
        # The standard has resolvers ignore other non-numeric parameters.

    return _parsed_link(pairs[0][1], qualifiers, attributes, link_type)


def parse_uri(uri: str) -> DigitalLink:
    """Read a whole Digital Link URI (a scanned QR code, a pasted link): scheme and domain, then ``parse_path``."""
    _require_uri_characters(uri)
    scheme = next((s for s in ("https://", "HTTPS://", "http://", "HTTP://") if uri.startswith(s)), None)
    if scheme is None:
        raise Gs1SyntaxError("A Digital Link starts with https:// or http://", field="uri")
    rest = uri[len(scheme) :]
    slash = rest.find("/")
    if slash < 1:
        raise Gs1SyntaxError("The link has no domain or no path", field="uri")
    for char in rest[:slash]:
        if char in _BAD_DOMAIN_CHARACTERS:
            raise Gs1SyntaxError("The domain cannot contain {char}", field="uri", char=char)
    path, _, query = rest[slash:].partition("#")[0].partition("?")
    return parse_path(path, query)


def from_element_string(text: str) -> DigitalLink:
    """Read bracketed AI data, ``(01)08934588012341(10)L01(17)261231``, in any order, for a Digital Link.

    Written here because biip's ``parse_hri`` deletes spaces inside values and skips text it cannot match.
    Like GS1's engine: identical repeats count once, the first GS1 key decides the link (it must be a GTIN),
    (22)/(10)/(21) or (235) go to the path and the rest to the query in the order given."""
    parts = _BRACKETED_AI.split(text)
    if len(parts) < 3 or parts[0]:
        raise Gs1SyntaxError("Write AI data as (AI)value(AI)value", field="element_string")
    elements: dict[str, str] = {}
    key = None
    for ai, raw in zip(parts[1::2], parts[2::2], strict=True):
        value = raw.replace("\\(", "(")
        if _application_identifier(ai) is None:
            raise Gs1SyntaxError("Unknown AI ({ai})", field="element_string", ai=ai)
        if not value:
            raise Gs1SyntaxError("({ai}) has no value", field="element_string", ai=ai)
        if elements.setdefault(ai, value) != value:
            raise Gs1SyntaxError("({ai}) appears twice with different values", field="element_string", ai=ai)
        if key is None and ai in _DL_PRIMARY_KEYS:
            key = ai
    if key is None:
        raise Gs1SyntaxError("A Digital Link needs a GS1 key such as a GTIN (01)", field="element_string")
    if key != "01":
        raise Gs1SyntaxError("Only GTIN (01) links are supported, not ({ai})", field="element_string", ai=key)
    gtin = elements.pop("01")
    qualifiers = {ai: elements.pop(ai) for ai in (*_GTIN_QUALIFIERS, _TPX) if ai in elements}
    return _parsed_link(gtin, qualifiers, list(elements.items()), None)
