"""What every public page shares: names of the trade's terms in the reader's language, dates and quantities
written the local way, the language switch's cookie, and the keyed hash that stands in for the reader's IP."""

import hashlib
import hmac
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from trace import scans
from trace.certifications import CertKind, CertStatus, ChangeKind
from trace.db import VIETNAM_TIME
from trace.events import BizStep
from trace.organizations import OrgKind
from trace.products import OcopGroup
from trace.reports import ReportKind
from web.i18n import LANGUAGES, N_
from web.templating import render

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English", "zh": "中文"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

STEPS = {
    BizStep.PLANTING: N_("Planting"),
    BizStep.GROWING: N_("Growing"),
    BizStep.FERTILIZING: N_("Fertilizing"),
    BizStep.HARVESTING: N_("Harvesting"),
    BizStep.PROCESSING: N_("Processing"),
    BizStep.COMMISSIONING: N_("Labelling"),
    BizStep.PACKING: N_("Packing"),
    BizStep.INSPECTING: N_("Inspection"),
    BizStep.SAMPLING: N_("Sampling"),
    BizStep.STORING: N_("Storage"),
    BizStep.SHIPPING: N_("Shipping"),
    BizStep.RECEIVING: N_("Receiving"),
    BizStep.TRANSPORTING: N_("Transport"),
    BizStep.RETAIL_SELLING: N_("Retail sale"),
    BizStep.OTHER: N_("Other stage"),
}
CERT_KINDS = {
    CertKind.OCOP: N_("OCOP"),
    CertKind.VIETGAP: N_("VietGAP"),
    CertKind.ORGANIC: N_("Organic"),
    CertKind.GEOGRAPHICAL_INDICATION: N_("Geographical indication"),
    CertKind.COLLECTIVE_MARK: N_("Collective mark"),
    CertKind.CERTIFICATION_MARK: N_("Certification mark"),
    CertKind.HACCP: N_("HACCP"),
    CertKind.ISO_22000: N_("ISO 22000"),
    CertKind.CONFORMITY_DECLARATION: N_("Declaration of conformity"),
    CertKind.IN_HOUSE_STANDARD: N_("In-house standard (TCCS)"),
    CertKind.GROWING_AREA_CODE: N_("Growing area code"),
    CertKind.OTHER: N_("Other certificate"),
}
CERT_STATUSES = {
    CertStatus.VALID: N_("Valid"),
    CertStatus.EXPIRING: N_("Expiring soon"),
    CertStatus.EXPIRED: N_("Expired"),
    CertStatus.REVOKED: N_("Revoked"),
    CertStatus.SUPERSEDED: N_("Replaced"),
}
CHANGES = {
    ChangeKind.ORIGINAL: N_("First issue"),
    ChangeKind.RENEWAL: N_("Renewal"),
    ChangeKind.CORRECTION: N_("Correction"),
}
ORG_KINDS = {
    OrgKind.COMPANY: N_("Company"),
    OrgKind.COOPERATIVE: N_("Cooperative"),
    OrgKind.COOPERATIVE_GROUP: N_("Cooperative group"),
    OrgKind.HOUSEHOLD: N_("Household business"),
}
OCOP_GROUPS = {
    OcopGroup.FOOD: N_("Food"),
    OcopGroup.DRINKS: N_("Drinks"),
    OcopGroup.HERBAL: N_("Herbal and medicinal products"),
    OcopGroup.HANDICRAFTS: N_("Handicrafts and decorations"),
    OcopGroup.ORNAMENTAL: N_("Flowers, ornamental plants and animals"),
    OcopGroup.TOURISM: N_("Community tourism services"),
}
REPORT_KINDS = {
    ReportKind.COUNTERFEIT: N_("The label or the product looks fake"),
    ReportKind.QUALITY: N_("The product is spoiled or unsafe"),
    ReportKind.WRONG_INFORMATION: N_("The information on this page is wrong"),
    ReportKind.OTHER: N_("Something else"),
}
LABELS = {
    "step": STEPS,
    "cert": CERT_KINDS,
    "status": CERT_STATUSES,
    "change": CHANGES,
    "org": ORG_KINDS,
    "group": OCOP_GROUPS,
    "report": REPORT_KINDS,
}


class Fmt:
    """Dates, times and quantities as the reader writes them; times in the offset they happened in."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def date(self, day: date) -> str:
        if self.lang == "zh":
            return f"{day.year}年{day.month}月{day.day}日"
        if self.lang == "en":
            return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
        return f"{day.day:02d}/{day.month:02d}/{day.year}"

    def moment(self, when: datetime) -> str:
        """A local time (an event's own offset); other than Vietnam's, the offset is written out."""
        offset = when.utcoffset()
        day = self.date(when.date())
        # Vietnamese puts the hour first ("08:00 24/10/2026"), English and Chinese the date.
        hour = f"{when.hour:02d}:{when.minute:02d}"  # not strftime: 4 times the time, on every unit's scan
        text = f"{hour} {day}" if self.lang == "vi" else f"{day} {hour}"
        if offset is not None and offset != timedelta(hours=7):
            minutes = int(offset.total_seconds() // 60)
            text += f" (UTC{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d})"
        return text

    def vn(self, when: datetime) -> str:
        """A moment stored in UTC, shown in Vietnam's time."""
        return self.moment(when.astimezone(VIETNAM_TIME))

    @staticmethod
    def qty(value: Decimal | None) -> str:
        if value is None:
            return ""
        return format(value.normalize(), "f")

    @staticmethod
    def coord(value: float) -> str:
        return f"{value:.5f}"


def page(
    request: Request, template: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """A public page in the reader's language, remembering a choice made with the switch (?lang=xx)."""
    lang = getattr(request.state, "lang", "vi")
    response = render(request, template, status_code=status_code, headers=headers, **shared(lang), **context)
    remember_language(request, response)
    return response


def shared(lang: str) -> dict[str, Any]:
    """What every public template is given besides its own values."""
    return {"fmt": Fmt(lang), "labels": LABELS, "language_names": LANGUAGE_NAMES}


def remember_language(request: Request, response: HTMLResponse) -> None:
    if not request.scope.get("query_string"):
        return  # no ?lang= to remember
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES and request.cookies.get("lang") != chosen:
        response.set_cookie(
            "lang", chosen, max_age=365 * 86400, samesite="lax", httponly=True,
            secure=request.app.state.settings.secure_cookies,
        )  # fmt: skip


def ip_digest(request: Request) -> str:
    """The reader's network as a keyed hash (never the address itself)."""
    state = request.app.state
    salt: bytes | None = getattr(state, "scan_ip_salt", None)
    if salt is None:
        settings = state.settings
        key = (
            settings.scan_salt
            or hmac.new(settings.resolved_secret_key().encode(), b"scan-ip-salt", hashlib.sha256).hexdigest()
        )
        salt = key.encode()
        state.scan_ip_salt = salt
    return scans.ip_hash(request.client.host if request.client else None, salt)
