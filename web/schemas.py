"""Response models of the JSON API. Input models live with their rules in trace/ and are reused as is."""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from trace.access import Role
from trace.batches import BatchStatus
from trace.certifications import CertKind, CertStatus, ChangeKind
from trace.events import BizStep
from trace.organizations import OrgKind, OrgStatus
from trace.products import OcopGroup


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class OrganizationOut(Out):
    id: int
    kind: OrgKind
    name: str
    tax_code: str | None
    address: str
    commune: str
    province: str
    former_district: str | None
    latitude: float | None
    longitude: float | None
    phone: str | None
    email: str | None
    gs1_company_prefix: str | None
    gln: str | None
    status: OrgStatus
    status_reason: str | None
    verified_at: datetime | None
    registered_by_point_id: int | None
    created_at: datetime


class ImageOut(Out):
    id: int
    url: str
    content_type: str


class ProductOut(Out):
    id: int
    organization_id: int
    internal_code: str
    gtin: str | None
    name_vi: str
    name_en: str | None
    description: str | None
    ocop_group: OcopGroup | None
    brand: str | None
    standards: str | None
    unit: str
    net_quantity: Decimal | None
    net_quantity_unit: str | None
    shelf_life_days: int | None
    images: list[ImageOut]
    created_at: datetime


class CertificationOut(Out):
    id: int
    organization_id: int
    product_id: int | None
    kind: CertKind
    number: str
    issuer: str
    issued_on: date
    valid_until: date | None
    ocop_stars: int | None
    scope: str | None
    has_document: bool
    change_kind: ChangeKind
    supersedes_id: int | None
    superseded_by_id: int | None
    verified_at: datetime | None
    revoked_at: datetime | None
    revoked_reason: str | None
    status: CertStatus
    history: list[int]


class BatchInputOut(Out):
    input_batch_id: int | None
    supplier_name: str | None
    supplier_lot: str | None
    description: str | None
    quantity: Decimal | None
    quantity_unit: str | None


class BatchOut(Out):
    id: int
    product_id: int
    organization_id: int
    lot_code: str
    public_code: str
    public_url: str
    production_date: date
    expiry_date: date | None
    quantity: Decimal | None
    quantity_unit: str | None
    origin_name: str | None
    origin_commune: str | None
    origin_province: str | None
    origin_latitude: float | None
    origin_longitude: float | None
    growing_area_code: str | None
    status: BatchStatus
    published_at: datetime | None
    recall_reason: str | None
    recalled_at: datetime | None
    inputs: list[BatchInputOut]


class EventOut(Out):
    id: int
    batch_id: int
    biz_step: BizStep
    occurred_at: datetime
    tz_offset_minutes: int
    place_name: str | None
    place_commune: str | None
    place_gln: str | None
    description: str | None
    actor: str | None
    corrects_id: int | None
    photos: list[ImageOut]


class UserOut(Out):
    id: int
    login: str
    display_name: str
    role: Role
    organization_id: int | None
    trace_point_id: int | None


class TokenOut(Out):
    id: int
    organization_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class IssuedTokenOut(TokenOut):
    token: str


class TracePointOut(Out):
    id: int
    name: str
    commune: str
    province: str
    serves: list[str]
