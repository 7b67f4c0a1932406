"""Products: names in Vietnamese and English, OCOP group, GTIN where the producer has one, an internal code
where it has not, and what Circular 02/2024 asks to publish (brand, standards, shelf life, images)."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator
from sqlalchemy import ForeignKey, Integer, Numeric, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from trace import audit, gs1
from trace.access import Caller, target_org
from trace.codes import random_code
from trace.db import Base, UTCDateTime, enum_type, utcnow
from trace.errors import Conflict, InvalidInput, NotFound
from trace.fields import Count, DbId, Input, LongText, OptShortText, Quantity, ShortText, invalid
from trace.organizations import Organization, get_visible, get_writable, visible_orgs
from trace.text import fold, sort_key


class OcopGroup(StrEnum):
    """The six OCOP product groups (Decision 148/QĐ-TTg)."""

    FOOD = "food"
    DRINKS = "drinks"
    HERBAL = "herbal"
    HANDICRAFTS = "handicrafts"
    ORNAMENTAL = "ornamental"
    TOURISM = "community_tourism"


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    internal_code: Mapped[str] = mapped_column(String(12), unique=True)
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    name_search: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    ocop_group: Mapped[OcopGroup | None] = mapped_column(enum_type(OcopGroup, 30))
    brand: Mapped[str | None] = mapped_column(String(200))
    standards: Mapped[str | None] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(30))
    net_quantity: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    net_quantity_unit: Mapped[str | None] = mapped_column(String(10))
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship(lazy="joined")
    images: Mapped[list["ProductImage"]] = relationship(
        cascade="all, delete-orphan", order_by="ProductImage.position", lazy="selectin"
    )


class ProductImage(Base):
    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


NET_UNITS = ("g", "kg", "ml", "l", "cái", "hộp", "gói", "chai", "túi")


class ProductIn(Input):
    name_vi: ShortText
    name_en: OptShortText = None
    description: LongText = None
    ocop_group: OcopGroup | None = None
    gtin: OptShortText = None
    brand: OptShortText = None
    standards: OptShortText = None
    unit: Annotated[ShortText, Field(max_length=30)] = "cái"
    net_quantity: Quantity | None = None
    net_quantity_unit: OptShortText = None
    shelf_life_days: Count | None = None
    organization_id: DbId | None = None

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, v: str | None) -> str | None:
        return gs1.normalize_gtin(v) if v else None

    @field_validator("net_quantity_unit")
    @classmethod
    def _net_unit(cls, v: str | None) -> str | None:
        if v and v not in NET_UNITS:
            raise invalid("net_unit", "Unit must be one of: {expected}", expected=", ".join(NET_UNITS))
        return v or None

    @field_validator("shelf_life_days")
    @classmethod
    def _shelf_life(cls, v: int | None) -> int | None:
        if v is not None and not 1 <= v <= 3650:
            raise invalid("shelf_life", "Shelf life must be 1 to 3650 days")
        return v


def _new_internal_code() -> str:
    # Products without a GTIN still need a stable public identifier: "P" and 55 random bits.
    return "P" + random_code(11)


def _check_gtin_free(session: Session, gtin: str | None, except_id: int | None = None) -> None:
    if gtin is None:
        return
    clash = session.scalar(select(Product.id).where(Product.gtin == gtin))
    if clash is not None and clash != except_id:
        raise Conflict("This GTIN is already registered to another product", field="gtin")


def create(session: Session, caller: Caller, data: ProductIn) -> Product:
    org = get_writable(session, caller, target_org(caller, data.organization_id))
    _check_gtin_free(session, data.gtin)
    values = data.model_dump(exclude={"organization_id"})
    product = Product(
        **values, organization_id=org.id, internal_code=_new_internal_code(), name_search=fold(data.name_vi)
    )
    session.add(product)
    session.flush()
    audit.record(session, caller, "product.create", "product", product.id, on_behalf_of=org.id)
    return product


def get(session: Session, caller: Caller, product_id: int) -> Product:
    product = session.scalar(
        select(Product)
        .join(Organization, Product.organization_id == Organization.id)
        .where(Product.id == product_id, visible_orgs(caller))
    )
    if product is None:
        raise NotFound("Product not found")
    return product


def get_for_write(session: Session, caller: Caller, product_id: int) -> Product:
    product = get(session, caller, product_id)
    get_writable(session, caller, product.organization_id)
    return product


def update(session: Session, caller: Caller, product_id: int, data: ProductIn) -> Product:
    product = get_for_write(session, caller, product_id)
    if data.organization_id not in (None, product.organization_id):
        raise InvalidInput("A product cannot move to another producer", field="organization_id")
    _check_gtin_free(session, data.gtin, except_id=product.id)
    changes = {k: v for k, v in data.model_dump(exclude={"organization_id"}).items() if getattr(product, k) != v}
    for key, value in changes.items():
        setattr(product, key, value)
    product.name_search = fold(product.name_vi)
    audit.record(
        session,
        caller,
        "product.update",
        "product",
        product.id,
        on_behalf_of=product.organization_id,
        changed=sorted(changes),
    )
    return product


def list_visible(
    session: Session, caller: Caller, organization_id: int | None = None, query: str | None = None
) -> list[Product]:
    stmt = select(Product).join(Organization, Product.organization_id == Organization.id).where(visible_orgs(caller))
    if organization_id is not None:
        get_visible(session, caller, organization_id)
        stmt = stmt.where(Product.organization_id == organization_id)
    if query:
        stmt = stmt.where(Product.name_search.contains(fold(query), autoescape=True))
    rows = session.scalars(stmt.order_by(Product.name_search, Product.id).limit(1000))
    return sorted(rows, key=lambda p: sort_key(p.name_vi))


def add_image(session: Session, caller: Caller, product_id: int, path: str, content_type: str) -> ProductImage:
    product = get_for_write(session, caller, product_id)
    image = ProductImage(product_id=product.id, path=path, content_type=content_type, position=len(product.images))
    product.images.append(image)
    session.flush()
    audit.record(session, caller, "product.image_add", "product", product.id, on_behalf_of=product.organization_id)
    return image
