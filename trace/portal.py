"""The national traceability portal: products and their producers with the fields the portal asks for (GTIN, name,
public image URL, net quantity and unit, producer tax code or GLN).

The portal publishes no machine interface yet, so today a sink renders the records as a file (JSON or CSV) that is
uploaded by hand. A live connection is one more sink: a class with ``media_type`` and ``write(records) -> bytes``
that sends the records and returns the portal's receipt; nothing else here changes.
"""

import codecs
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from trace.access import Caller
from trace.db import utcnow
from trace.organizations import Organization, OrgStatus, visible_orgs
from trace.products import Product

MAX_PAGE = 50_000


@dataclass(frozen=True)
class PortalRecord:
    id: int
    gtin: str | None
    internal_code: str
    name: str
    name_en: str | None
    image_url: str | None
    net_quantity: Decimal | None
    net_quantity_unit: str | None
    unit: str
    producer_name: str
    producer_tax_code: str | None
    producer_gln: str | None


FIELDS = [f.name for f in fields(PortalRecord)]


def records(
    session: Session, caller: Caller, base: str, after_id: int = 0, limit: int = MAX_PAGE
) -> list[PortalRecord]:
    """A page of products in id order. The authority, admins and traceability points get the products of verified
    producers they may see; a producer gets its own, verified or not (it checks what it would send)."""
    stmt = (
        select(Product)
        .join(Organization, Product.organization_id == Organization.id)
        .where(visible_orgs(caller), Product.id > after_id)
        .order_by(Product.id)
        .limit(min(limit, MAX_PAGE))
    )
    if not caller.is_producer:
        stmt = stmt.where(Organization.status == OrgStatus.VERIFIED)
    stem = base.rstrip("/")
    return [
        PortalRecord(
            id=p.id,
            gtin=p.gtin,
            internal_code=p.internal_code,
            name=p.name_vi,
            name_en=p.name_en,
            image_url=f"{stem}/media/{p.images[0].path}" if p.images else None,
            net_quantity=p.net_quantity,
            net_quantity_unit=p.net_quantity_unit,
            unit=p.unit,
            producer_name=p.organization.name,
            producer_tax_code=p.organization.tax_code,
            producer_gln=p.organization.gln,
        )
        for p in session.scalars(stmt)
    ]


class PortalSink(Protocol):
    media_type: str

    def write(self, records: Sequence[PortalRecord]) -> bytes: ...


def _plain(value: object) -> object:
    # 500.000 → "500", 0.250 → "0.25": exact decimals as text, never a float.
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


class JsonFile:
    media_type = "application/json"

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now

    def write(self, records: Sequence[PortalRecord]) -> bytes:
        body = {
            "generated_at": (self.now or utcnow()).isoformat(),
            "count": len(records),
            "products": [{k: _plain(v) for k, v in asdict(r).items()} for r in records],
        }
        return json.dumps(body, ensure_ascii=False).encode("utf-8")


class CsvFile:
    media_type = "text/csv; charset=utf-8"

    def write(self, records: Sequence[PortalRecord]) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\r\n")
        writer.writeheader()
        for record in records:
            writer.writerow({k: "" if v is None else _plain(v) for k, v in asdict(record).items()})
        # A BOM so that Excel, which the portal's staff open it with, reads the Vietnamese names as UTF-8.
        return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
