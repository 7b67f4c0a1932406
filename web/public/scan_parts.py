"""What only one scan shows on a code's page, written into the slots of the page's kept frame (page.html): how
often this unit was scanned, with the copied-label warning, the codes that are the scan's own and the code its
link to report a problem names.

Built here rather than by a template because they are built on every scan: Jinja took 60 us for these two parts on
a quiet machine and about 140 under load, a sixth of a scan's CPU; this writes the same HTML in a fifth of that.
Every value is escaped (markupsafe.escape) as an autoescaping template escapes it, the texts included; the fixed
texts are translated and escaped once per language and copy rule."""

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from markupsafe import escape

from trace.lookup import Page
from trace.scans import CopyRule, UnitScans
from web.i18n import N_, gettext
from web.public.codes import Scanned
from web.public.view import Fmt

_COPIED = N_("This label may have been copied")
_COPIED_FIGURES = N_(
    "In the last %(days)s days, today included, this code was scanned %(scans)s times from %(networks)s different "
    "networks."
)
_COPIED_WHY = N_(
    "Each genuine package has its own code and is scanned by few people. When the same code turns up on many "
    "packages, many buyers scan it from many places: the label was probably copied."
)
_COPIED_CHECK = N_("Check the package and the seller, and report the problem below if in doubt.")
_FIRST_SCAN = N_("This is the first time this code has been scanned.")
_SCANNED = N_("This code has been scanned %(count)s times. First scan: %(when)s.")
_RULE = N_(
    "We warn of a copied label when its code is scanned more than %(scans)s times from more than %(networks)s "
    "different networks within %(days)s days, today included."
)


@dataclass(frozen=True, slots=True)
class _Texts:
    """The fixed texts of one language, escaped."""

    copied: str
    copied_why: str
    copied_check: str
    first_scan: str
    serial: str
    link: str


@lru_cache(maxsize=8)
def _texts(lang: str) -> _Texts:
    def text(message: str) -> str:
        return escape(gettext(lang, message))

    return _Texts(
        copied=text(_COPIED),
        copied_why=text(_COPIED_WHY),
        copied_check=text(_COPIED_CHECK),
        first_scan=text(_FIRST_SCAN),
        serial=text(N_("Serial")),
        link=text(N_("Link")),
    )


@lru_cache(maxsize=64)
def rule_note(lang: str, rule: CopyRule) -> str:
    """The copy rule in the reader's words, escaped: the frame shows it under a unit's count."""
    return escape(gettext(lang, _RULE) % {"scans": rule.scans, "networks": rule.networks, "days": rule.days})


def unit_part(lang: str, rule: CopyRule, unit: UnitScans | None) -> str:
    """For a unit code: the start of its section, with the warning when it looks copied, and its count (None
    when this request counts nothing, as a HEAD). The frame goes on with the rule and the section's end."""
    texts = _texts(lang)
    parts = []
    if unit is not None and unit.looks_copied:
        figures = gettext(lang, _COPIED_FIGURES) % {
            "days": rule.days, "scans": unit.recent, "networks": unit.recent_networks,
        }  # fmt: skip
        parts += [
            '<section id="unit" class="warn" role="alert">\n',
            f"<h2>⚠ {texts.copied}</h2>\n<p>{escape(figures)}</p>\n<p>{texts.copied_why}</p>\n",
            f"<p><strong>{texts.copied_check}</strong></p>\n",
        ]
    else:
        parts.append('<section id="unit">\n')
    if unit is not None:
        if unit.total <= 1:
            parts.append(f"<p>{texts.first_scan}</p>\n")
        else:
            when = Fmt(lang).vn(unit.first_at) if unit.first_at is not None else ""
            scanned = gettext(lang, _SCANNED) % {"count": unit.total, "when": when}
            parts.append(f"<p>{escape(scanned)}</p>\n")
    return "".join(parts)


def _code(term: str, value: str) -> str:
    return f"<dt>{term}</dt><dd>{escape(value)}</dd>"


def codes_part(lang: str, found: Page, scanned: Scanned, hri: str | None) -> str:
    """The codes that are this scan's own, after the product's and the batch's in the frame: the serial, the GS1
    element string and the link."""
    texts = _texts(lang)
    codes = [_code(texts.serial, found.serial)] if found.serial else []
    if hri:
        codes.append(_code("GS1", hri))
    codes.append(_code(texts.link, scanned.anchor))
    return "".join(codes)


def report_part(scanned: Scanned) -> str:
    """What the frame's link to report a problem names: the code as scanned."""
    return escape(quote(scanned.code, safe="/"))
