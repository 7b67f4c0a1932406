"""What each stored code (an enum value) is called on the pages, as message ids translated per request."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from trace.access import Role
from trace.batches import BatchStatus
from trace.certifications import CertKind, CertStatus, ChangeKind
from trace.db import VIETNAM_TIME
from trace.events import BizStep
from trace.organizations import OrgKind, OrgStatus
from trace.products import OcopGroup
from trace.reports import ReportKind
from trace.verification import Decision
from web.i18n import N_, gettext

# A list, not a dict: members of different enums with the same value ("other") compare equal.
NAMES: list[tuple[StrEnum, str]] = [
    (OrgKind.COMPANY, N_("Company")),
    (OrgKind.COOPERATIVE, N_("Cooperative (HTX)")),
    (OrgKind.COOPERATIVE_GROUP, N_("Cooperative group (THT)")),
    (OrgKind.HOUSEHOLD, N_("Household business")),
    (OrgStatus.PENDING, N_("Waiting for verification")),
    (OrgStatus.VERIFIED, N_("Verified")),
    (OrgStatus.SUSPENDED, N_("Suspended")),
    (OcopGroup.FOOD, N_("Food")),
    (OcopGroup.DRINKS, N_("Drinks")),
    (OcopGroup.HERBAL, N_("Herbal and medicinal products")),
    (OcopGroup.HANDICRAFTS, N_("Handicrafts")),
    (OcopGroup.ORNAMENTAL, N_("Ornamental plants and animals")),
    (OcopGroup.TOURISM, N_("Community tourism services")),
    (CertKind.OCOP, N_("OCOP")),
    (CertKind.VIETGAP, N_("VietGAP")),
    (CertKind.ORGANIC, N_("Organic (TCVN 11041)")),
    (CertKind.GEOGRAPHICAL_INDICATION, N_("Geographical indication")),
    (CertKind.COLLECTIVE_MARK, N_("Collective mark")),
    (CertKind.CERTIFICATION_MARK, N_("Certification mark")),
    (CertKind.HACCP, N_("HACCP")),
    (CertKind.ISO_22000, N_("ISO 22000")),
    (CertKind.CONFORMITY_DECLARATION, N_("Conformity declaration")),
    (CertKind.IN_HOUSE_STANDARD, N_("In-house standard (TCCS)")),
    (CertKind.GROWING_AREA_CODE, N_("Growing area code")),
    (CertKind.OTHER, N_("Other certificate")),
    (CertStatus.VALID, N_("Valid")),
    (CertStatus.EXPIRING, N_("Expiring soon")),
    (CertStatus.EXPIRED, N_("Expired")),
    (CertStatus.REVOKED, N_("Revoked")),
    (CertStatus.SUPERSEDED, N_("Replaced by a newer record")),
    (ChangeKind.ORIGINAL, N_("First record")),
    (ChangeKind.RENEWAL, N_("Renewal")),
    (ChangeKind.CORRECTION, N_("Correction")),
    (BatchStatus.DRAFT, N_("Draft")),
    (BatchStatus.PUBLISHED, N_("Published")),
    (BatchStatus.RECALLED, N_("Recalled")),
    (BizStep.PLANTING, N_("Planting")),
    (BizStep.GROWING, N_("Growing and care")),
    (BizStep.FERTILIZING, N_("Fertilizing")),
    (BizStep.HARVESTING, N_("Harvesting")),
    (BizStep.PROCESSING, N_("Processing")),
    (BizStep.COMMISSIONING, N_("Finished and labelled")),
    (BizStep.PACKING, N_("Packing")),
    (BizStep.INSPECTING, N_("Inspection")),
    (BizStep.SAMPLING, N_("Sampling")),
    (BizStep.STORING, N_("Storing")),
    (BizStep.SHIPPING, N_("Shipping")),
    (BizStep.RECEIVING, N_("Receiving")),
    (BizStep.TRANSPORTING, N_("Transporting")),
    (BizStep.RETAIL_SELLING, N_("Retail selling")),
    (BizStep.OTHER, N_("Other step")),
    (Role.ADMIN, N_("Administrator")),
    (Role.AUTHORITY, N_("Authority (Department of Science and Technology)")),
    (Role.POINT_OPERATOR, N_("Traceability point operator")),
    (Role.PRODUCER_OWNER, N_("Producer (owner)")),
    (Role.PRODUCER_STAFF, N_("Producer (staff)")),
    (ReportKind.COUNTERFEIT, N_("Looks counterfeit")),
    (ReportKind.QUALITY, N_("Quality problem")),
    (ReportKind.WRONG_INFORMATION, N_("Wrong information")),
    (ReportKind.OTHER, N_("Other problem")),
    (Decision.APPROVED, N_("Approved")),
    (Decision.REJECTED, N_("Rejected")),
    (Decision.RESUBMITTED, N_("Sent again")),
]


def _key(value: StrEnum) -> tuple[type, str]:
    return (type(value), value.value)


_BY_KEY = {_key(member): message for member, message in NAMES}


def helpers(lang: str) -> dict[str, object]:
    """Functions the templates use to show codes, dates and times in the reader's language and time zone."""

    def label(value: StrEnum | None) -> str:
        if value is None:
            return ""
        message = _BY_KEY.get(_key(value))
        return gettext(lang, message) if message else str(value)

    def day(value: date | None) -> str:
        return value.strftime("%d/%m/%Y") if value else ""

    def moment(value: datetime | None) -> str:
        return value.astimezone(VIETNAM_TIME).strftime("%d/%m/%Y %H:%M") if value else ""

    def amount(value: Decimal | None) -> str:
        """A stored quantity as people write it: 200, 1,5 (a decimal comma in Vietnamese), never 2E+2."""
        if value is None:
            return ""
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", ",") if lang == "vi" else text

    return {"label": label, "day": day, "moment": moment, "amount": amount}
