"""A producer's workspace: the pages where its products, certificates, batches and labels are kept.

The same pages serve the producer's own people under /console and a traceability point's operator under
/points/producers/{id} (acting on the producer's behalf, within the communes the point serves). A Workspace
knows whose records these are and checks that every id in a URL belongs to them: anything else is a 404."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from trace import batches, certifications, organizations, points, products, storage, verification
from trace.access import Caller
from trace.batches import Batch
from trace.certifications import Certification
from trace.errors import InvalidInput, NotFound
from trace.organizations import Organization
from trace.points import TracePoint
from trace.products import Product
from web import forms
from web.console.base import ConsoleRoute, OperatorCaller, ProducerCaller
from web.deps import Db, Id
from web.forms import Form
from web.settings import Settings


@dataclass
class Workspace:
    caller: Caller
    org: Organization
    base: str
    point: TracePoint | None = None

    @property
    def on_behalf(self) -> bool:
        return self.point is not None

    def product(self, db: Session, product_id: int) -> Product:
        product = products.get(db, self.caller, product_id)
        if product.organization_id != self.org.id:
            raise NotFound("Product not found")
        return product

    def batch(self, db: Session, batch_id: int) -> Batch:
        batch = batches.get(db, self.caller, batch_id)
        if batch.organization_id != self.org.id:
            raise NotFound("Batch not found")
        return batch

    def certification(self, db: Session, cert_id: int) -> Certification:
        cert = certifications.get(db, self.caller, cert_id)
        if cert.organization_id != self.org.id:
            raise NotFound("Certification not found")
        return cert

    def products(self, db: Session) -> list[Product]:
        return products.list_visible(db, self.caller, self.org.id)

    def rejection(self, db: Session) -> verification.Review | None:
        review = verification.latest(db, verification.Subject.ORGANIZATION, self.org.id)
        return review if review is not None and review.decision is verification.Decision.REJECTED else None


def producer_workspace(caller: ProducerCaller, db: Db) -> Workspace:
    assert caller.organization_id is not None  # every producer account belongs to an organization
    return Workspace(caller, organizations.get_visible(db, caller, caller.organization_id), "/console")


def point_workspace(org_id: Id, caller: OperatorCaller, db: Db) -> Workspace:
    org = organizations.get_visible(db, caller, org_id)
    point = points.get_trace_point(db, caller.trace_point_id) if caller.trace_point_id else None
    return Workspace(caller, org, f"/points/producers/{org.id}", point)


def workspace_router(prefix: str, resolver: Callable[..., Workspace]) -> APIRouter:
    """The workspace's pages mounted under a prefix, each resolving its Workspace with ``resolver``."""
    # The page modules import Workspace from here: imported at call time, not at module load, to avoid a cycle.
    from web.console import batch_pages, label_pages, record_pages, scan_pages

    router = APIRouter(prefix=prefix, route_class=ConsoleRoute, include_in_schema=False)
    ws_type = Annotated[Workspace, Depends(resolver)]
    record_pages.register(router, ws_type)
    batch_pages.register(router, ws_type)
    label_pages.register(router, ws_type)
    scan_pages.register(router, ws_type)
    return router


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def form_values(obj: object, names: tuple[str, ...]) -> dict[str, str]:
    """A record shown in its edit form, as the strings the form would send."""
    out = {}
    for name in names:
        value = getattr(obj, name, None)
        out[name] = "" if value is None else str(value.value if hasattr(value, "value") else value)
    return out


def save_upload(request: Request, upload: object, *, allow_pdf: bool, required: bool) -> tuple[str, str] | None:
    settings = settings_of(request)
    data = forms.read_upload(upload, settings.max_upload_bytes, required=required)
    if data is None:
        return None
    return storage.save(settings.storage_dir, data, max_bytes=settings.max_upload_bytes, allow_pdf=allow_pdf)


def check_upload(request: Request, upload: object, *, allow_pdf: bool) -> None:
    """Refuse a bad file before anything is written, so its error shows with the other fields' errors."""
    data = forms.read_upload(upload, settings_of(request).max_upload_bytes, required=False)
    if data is not None:
        storage.sniff(data, allow_pdf)


def check_upload_into(request: Request, form: Form, upload: object, allow_pdf: bool) -> None:
    try:
        check_upload(request, upload, allow_pdf=allow_pdf)
    except InvalidInput as exc:
        form.errors.update(forms.errors_of(request, exc))
