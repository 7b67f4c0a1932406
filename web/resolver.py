"""GS1-Conformant Resolver behaviour: the links of an item (RFC 9264 linkset with exactly one gs1:defaultLink),
link-type requests answered by a redirect, content negotiation, CORS, and the resolver description file.

The public page itself is the default link (and gs1:pip); the other link types point into it or, for gs1:epcis,
at the batch's EPCIS 2.0 export."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from trace import gs1
from trace.lookup import Page
from web.i18n import LANGUAGES, N_, translate

GS1_VOC = "https://gs1.org/voc/"
LINKSET_TYPE = "application/linkset+json"
LINKSET_CONTEXT = "https://ref.gs1.org/standards/resolver/linkset-context"
DEFAULT_LINK = "defaultLink"
# What each link type of ours holds, as (link type, title msgid); the page is both defaultLink and pip.
LINK_TYPES = {
    DEFAULT_LINK: N_("Product information page"),
    "pip": N_("Product information page"),
    "certificationInfo": N_("Certificates and their status"),
    "traceability": N_("Production and business stages of the batch"),
    "recallStatus": N_("Recall status"),
    "epcis": N_("EPCIS 2.0 events of the batch"),
}
# Link types that only a batch (or unit) has.
BATCH_LINK_TYPES = frozenset({"traceability", "recallStatus", "epcis"})
LINKSET_REQUESTS = frozenset({"linkset", "all"})  # "all" is the name GS1 Digital Link 1.1 gave it

CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Link, Content-Language"}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Allow": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language",
    "Access-Control-Max-Age": "86400",
}
VARY = "Accept, Accept-Language"


@dataclass(frozen=True, slots=True)
class Link:
    rel: str
    href: str
    title: str
    type: str
    hreflang: tuple[str, ...] = LANGUAGES

    def target(self) -> dict[str, Any]:
        out: dict[str, Any] = {"href": self.href, "title": self.title, "type": self.type}
        if self.hreflang:  # a language-neutral target (a data export) has none rather than an empty list
            out["hreflang"] = list(self.hreflang)
        return out


def link_type_name(requested: str) -> str | None:
    """``gs1:pip``, ``https://gs1.org/voc/pip`` (or http://) → ``pip``; None for a type this resolver does not
    know. Prefixed names are case-sensitive, as in the GS1 Web Vocabulary."""
    for prefix in ("gs1:", GS1_VOC, "http://gs1.org/voc/"):
        if requested.startswith(prefix):
            name = requested[len(prefix) :]
            return name if name in LINK_TYPES else None
    return None


def wants_linkset(accept: str | None) -> bool:
    """Whether the Accept header asks for the linkset rather than the page (a browser always accepts HTML)."""
    if not accept:
        return False
    media = {part.split(";", 1)[0].strip().lower() for part in accept.split(",")}
    return LINKSET_TYPE in media or ("application/json" in media and "text/html" not in media)


def wants_json(accept: str | None) -> bool:
    """Whether an error should be answered as JSON (a client of the linkset) rather than as a page."""
    if not accept:
        return False
    media = {part.split(";", 1)[0].strip().lower() for part in accept.split(",")}
    return bool(media & {LINKSET_TYPE, "application/json"}) and "text/html" not in media


def item_url(base: str, *, gtin: str | None, lot: str | None, public_code: str, serial: str | None = None) -> str:
    """The address a label carries: a GS1 Digital Link when the product has a GTIN, the short route otherwise
    (the same rule as web.links.batch_url, from plain values)."""
    if gtin:
        return gs1.DigitalLink(gtin=gtin, lot=lot, serial=serial).to_uri(base)
    path = f"{base.rstrip('/')}/c/{public_code}"
    return f"{path}/{quote(serial, safe='')}" if serial else path


def epcis_url(base: str, public_code: str) -> str:
    return f"{base.rstrip('/')}/api/v1/public/batches/{public_code}/epcis"


def links(page: Page, anchor: str, base: str, lang: str) -> dict[str, list[Link]]:
    """Every link of the item, by link type; the defaultLink first and alone in its list."""

    def title(name: str) -> str:
        return translate(lang, LINK_TYPES[name])

    html = "text/html"
    out = {
        DEFAULT_LINK: [Link(DEFAULT_LINK, anchor, title(DEFAULT_LINK), html)],
        "pip": [Link("pip", anchor, title("pip"), html)],
    }
    if page.certifications:
        out["certificationInfo"] = [Link("certificationInfo", f"{anchor}#certs", title("certificationInfo"), html)]
        for cert in page.certifications:
            if cert.document_path:
                href = f"{base.rstrip('/')}/media/{cert.document_path}"
                out["certificationInfo"].append(
                    Link("certificationInfo", href, f"{cert.number} ({cert.issuer})", _document_type(href), ())
                )
    if page.batch is not None:
        out["traceability"] = [Link("traceability", f"{anchor}#timeline", title("traceability"), html)]
        out["recallStatus"] = [Link("recallStatus", f"{anchor}#status", title("recallStatus"), html)]
        out["epcis"] = [
            Link("epcis", epcis_url(base, page.batch.public_code), title("epcis"), "application/ld+json", ())
        ]
    return out


def _document_type(href: str) -> str:
    lower = href.lower()
    if lower.endswith(".pdf"):
        return "application/pdf"
    if lower.endswith(".png"):
        return "image/png"
    return "image/jpeg"


def linkset(anchor: str, description: str, by_type: dict[str, list[Link]]) -> dict[str, Any]:
    """RFC 9264 JSON with GS1's link relation URIs, one context object for the item."""
    context: dict[str, Any] = {"anchor": anchor, "description": description}
    for name, items in by_type.items():
        context[GS1_VOC + name] = [item.target() for item in items]
    return {"linkset": [context]}


def linkset_pointer(anchor: str) -> str:
    """The ``Link`` header every resolver answer carries: where the linkset of this item is."""
    separator = "&" if "?" in anchor else "?"
    return f'<{anchor}{separator}linkType=linkset>; rel="linkset"; type="{LINKSET_TYPE}"'


def description_file(root: str, name: str) -> dict[str, Any]:
    """/.well-known/gs1resolver, per the GS1-Conformant Resolver standard's description file schema."""
    return {
        "name": name,
        "resolverRoot": root.rstrip("/"),
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{"namespace": GS1_VOC, "prefix": "gs1:"}],
        "linkTypeDefaultCanBeLinkset": False,
        "linkTypeDefaultCanBeAll": False,
        "jsonLdContextLocation": LINKSET_CONTEXT,
    }
