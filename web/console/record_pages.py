"""Workspace pages for the producer's own records: its details, products and certificates."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from trace import batches, certifications, organizations, products, verification
from trace.batches import BatchStatus
from trace.certifications import CertificationIn, CertKind, RenewalIn
from trace.db import vietnam_today
from trace.organizations import OrganizationUpdate, OrgKind
from trace.products import NET_UNITS, OcopGroup, ProductIn
from web import forms
from web.console.base import Posted, act, flash, page, redirect, search_words, submit
from web.console.workspace import Workspace, check_upload_into, form_values, save_upload, settings_of
from web.deps import Db, Id
from web.files import certificate_document
from web.forms import Form
from web.i18n import N_

PRODUCT_FIELDS = (
    "name_vi", "name_en", "description", "ocop_group", "gtin", "brand", "standards", "unit", "net_quantity",
    "net_quantity_unit", "shelf_life_days",
)  # fmt: skip
CERT_FIELDS = ("kind", "number", "issuer", "issued_on", "valid_until", "ocop_stars", "scope", "product_id")
ORG_FIELDS = (
    "kind", "name", "tax_code", "address", "commune", "province", "former_district", "latitude", "longitude",
    "phone", "email", "gs1_company_prefix", "gln",
)  # fmt: skip


def register(router: APIRouter, WS: Any) -> None:
    # --- home and the producer's own details -------------------------------------------------------------------

    @router.get("")
    def home(request: Request, db: Db, ws: WS) -> HTMLResponse:
        items = ws.products(db)
        all_batches = batches.list_visible(db, ws.caller, organization_id=ws.org.id)
        certs = certifications.list_visible(db, ws.caller, organization_id=ws.org.id)
        return page(
            request,
            "console/home.html",
            ws=ws,
            rejection=ws.rejection(db),
            product_count=len(items),
            batch_counts={s.value: sum(1 for b in all_batches if b.status is s) for s in BatchStatus},
            cert_count=len(certs),
            recent=all_batches[:5],
        )

    def _profile_page(request: Request, db: Session, ws: Workspace, form: Form, status: int = 200) -> HTMLResponse:
        return page(
            request,
            "console/profile.html",
            status_code=status,
            ws=ws,
            form=form,
            kinds=list(OrgKind),
            rejection=ws.rejection(db),
        )

    @router.get("/profile")
    def profile(request: Request, db: Db, ws: WS) -> HTMLResponse:
        return _profile_page(request, db, ws, Form(form_values(ws.org, ORG_FIELDS)))

    @router.post("/profile")
    def save_profile(request: Request, db: Db, ws: WS, posted: Posted) -> Response:
        form = Form(forms.typed(posted, ORG_FIELDS))

        def save() -> object:
            data = forms.validate(request, OrganizationUpdate, form.values)
            return organizations.update(db, ws.caller, ws.org.id, data)

        if submit(request, db, form, save) is None:
            return _profile_page(request, db, ws, form, 422)
        flash(request, N_("Saved"))
        return redirect(ws.base)

    @router.post("/profile/resubmit")
    def resubmit_profile(request: Request, db: Db, ws: WS) -> RedirectResponse:
        act(
            request,
            db,
            lambda: verification.resubmit_producer(db, ws.caller, ws.org.id),
            N_("Sent again to the authority for verification"),
        )
        return redirect(ws.base)

    # --- products -------------------------------------------------------------------------------------------------

    @router.get("/products")
    def product_list(request: Request, db: Db, ws: WS) -> HTMLResponse:
        query = search_words(request)
        items = products.list_visible(db, ws.caller, ws.org.id, query or None)
        return page(request, "console/products.html", ws=ws, items=items, q=query)

    def _product_form(
        request: Request, ws: Workspace, form: Form, product: products.Product | None = None, status: int = 200
    ) -> HTMLResponse:
        return page(
            request,
            "console/product_form.html",
            status_code=status,
            ws=ws,
            form=form,
            product=product,
            groups=list(OcopGroup),
            net_units=NET_UNITS,
        )

    @router.get("/products/new")
    def new_product(request: Request, ws: WS) -> HTMLResponse:
        return _product_form(request, ws, Form({"unit": "gói"}))

    @router.post("/products/new")
    def create_product(request: Request, db: Db, ws: WS, posted: Posted) -> Response:
        form = Form(forms.typed(posted, PRODUCT_FIELDS))
        upload = posted.get("file")

        def create() -> products.Product:
            check_upload_into(request, form, upload, allow_pdf=False)
            data = forms.validate(request, ProductIn, form.values, organization_id=ws.org.id)
            if form.errors:
                raise forms.Invalid(form.errors)
            product = products.create(db, ws.caller, data)
            saved = save_upload(request, upload, allow_pdf=False, required=False)
            if saved is not None:
                products.add_image(db, ws.caller, product.id, *saved)
            return product

        product = submit(request, db, form, create)
        if product is None:
            return _product_form(request, ws, form, status=422)
        flash(request, N_("Product saved"))
        return redirect(f"{ws.base}/products/{product.id}")

    def _product_page(
        request: Request, db: Session, ws: Workspace, product: products.Product, upload: Form, status: int = 200
    ) -> HTMLResponse:
        certs = certifications.list_visible(db, ws.caller, product.id)
        return page(
            request,
            "console/product.html",
            status_code=status,
            ws=ws,
            product=product,
            certs=certs,
            batches=batches.list_visible(db, ws.caller, product.id),
            upload=upload,
            today=vietnam_today(),
        )

    @router.get("/products/{product_id}")
    def product_detail(product_id: Id, request: Request, db: Db, ws: WS) -> HTMLResponse:
        return _product_page(request, db, ws, ws.product(db, product_id), Form())

    @router.get("/products/{product_id}/edit")
    def edit_product(product_id: Id, request: Request, db: Db, ws: WS) -> HTMLResponse:
        product = ws.product(db, product_id)
        return _product_form(request, ws, Form(form_values(product, PRODUCT_FIELDS)), product)

    @router.post("/products/{product_id}/edit")
    def update_product(product_id: Id, request: Request, db: Db, ws: WS, posted: Posted) -> Response:
        product = ws.product(db, product_id)
        form = Form(forms.typed(posted, PRODUCT_FIELDS))

        def save() -> products.Product:
            data = forms.validate(request, ProductIn, form.values, organization_id=ws.org.id)
            return products.update(db, ws.caller, product.id, data)

        if submit(request, db, form, save) is None:
            return _product_form(request, ws, form, ws.product(db, product_id), 422)
        flash(request, N_("Product saved"))
        return redirect(f"{ws.base}/products/{product_id}")

    @router.post("/products/{product_id}/images")
    def add_product_image(product_id: Id, request: Request, db: Db, ws: WS, posted: Posted) -> Response:
        product = ws.product(db, product_id)
        form = Form()

        def add() -> object:
            products.get_for_write(db, ws.caller, product.id)
            saved = save_upload(request, posted.get("file"), allow_pdf=False, required=True)
            assert saved is not None
            return products.add_image(db, ws.caller, product.id, *saved)

        if submit(request, db, form, add) is None:
            return _product_page(request, db, ws, ws.product(db, product_id), form, 422)
        flash(request, N_("Photo added"))
        return redirect(f"{ws.base}/products/{product_id}")

    # --- certifications ---------------------------------------------------------------------------------------------

    @router.get("/certifications")
    def cert_list(request: Request, db: Db, ws: WS) -> HTMLResponse:
        certs = certifications.list_visible(db, ws.caller, organization_id=ws.org.id)
        names = {p.id: p.name_vi for p in ws.products(db)}
        return page(request, "console/certifications.html", ws=ws, certs=certs, names=names, today=vietnam_today())

    def _cert_form(
        request: Request,
        db: Session,
        ws: Workspace,
        form: Form,
        renewing: certifications.Certification | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        return page(
            request,
            "console/cert_form.html",
            status_code=status,
            ws=ws,
            form=form,
            renewing=renewing,
            kinds=list(CertKind),
            products=ws.products(db),
        )

    @router.get("/certifications/new")
    def new_cert(request: Request, db: Db, ws: WS) -> HTMLResponse:
        return _cert_form(request, db, ws, Form({"product_id": request.query_params.get("product_id", "")}))

    def _create_cert(
        request: Request, db: Session, ws: Workspace, posted: Any, form: Form, renewing: int | None
    ) -> certifications.Certification | None:
        upload = posted.get("file")

        def create() -> certifications.Certification:
            check_upload_into(request, form, upload, allow_pdf=True)
            if renewing is None:
                data = forms.validate(request, CertificationIn, form.values, organization_id=ws.org.id)
            else:
                data = forms.validate(request, RenewalIn, form.values, organization_id=ws.org.id)
            if form.errors:
                raise forms.Invalid(form.errors)
            if renewing is None:
                cert = certifications.create(db, ws.caller, data)
            else:
                cert = certifications.supersede(db, ws.caller, renewing, data)  # type: ignore[arg-type]
            saved = save_upload(request, upload, allow_pdf=True, required=False)
            if saved is not None:
                cert = certifications.attach_document(db, ws.caller, cert.id, saved[0])
            return cert

        return submit(request, db, form, create)

    @router.post("/certifications/new")
    def create_cert(request: Request, db: Db, ws: WS, posted: Posted) -> Response:
        form = Form(forms.typed(posted, CERT_FIELDS))
        cert = _create_cert(request, db, ws, posted, form, None)
        if cert is None:
            return _cert_form(request, db, ws, form, status=422)
        flash(request, N_("Certificate saved; it waits for the authority's verification"))
        return redirect(f"{ws.base}/certifications/{cert.id}")

    def _cert_page(
        request: Request,
        db: Session,
        ws: Workspace,
        cert: certifications.Certification,
        upload: Form,
        status: int = 200,
    ) -> HTMLResponse:
        product = products.get(db, ws.caller, cert.product_id) if cert.product_id else None
        return page(
            request,
            "console/certification.html",
            status_code=status,
            ws=ws,
            cert=cert,
            product=product,
            history=certifications.history(db, cert),
            reviews=verification.reviews(db, verification.Subject.CERTIFICATION, cert.id),
            rejected=verification.is_rejected(db, verification.Subject.CERTIFICATION, cert.id),
            upload=upload,
            today=vietnam_today(),
        )

    @router.get("/certifications/{cert_id}")
    def cert_detail(cert_id: Id, request: Request, db: Db, ws: WS) -> HTMLResponse:
        return _cert_page(request, db, ws, ws.certification(db, cert_id), Form())

    @router.get("/certifications/{cert_id}/document")
    def cert_document(cert_id: Id, request: Request, db: Db, ws: WS) -> FileResponse:
        cert = ws.certification(db, cert_id)
        return certificate_document(settings_of(request).storage_dir, cert.document_path)

    @router.post("/certifications/{cert_id}/document")
    def attach_cert_document(cert_id: Id, request: Request, db: Db, ws: WS, posted: Posted) -> Response:
        cert = ws.certification(db, cert_id)
        form = Form()

        def attach() -> object:
            certifications.get_for_write(db, ws.caller, cert.id)
            saved = save_upload(request, posted.get("file"), allow_pdf=True, required=True)
            assert saved is not None
            return certifications.attach_document(db, ws.caller, cert.id, saved[0])

        if submit(request, db, form, attach) is None:
            return _cert_page(request, db, ws, ws.certification(db, cert_id), form, 422)
        flash(request, N_("Document attached"))
        return redirect(f"{ws.base}/certifications/{cert_id}")

    @router.get("/certifications/{cert_id}/renew")
    def renew_cert(cert_id: Id, request: Request, db: Db, ws: WS) -> HTMLResponse:
        cert = ws.certification(db, cert_id)
        values = form_values(cert, CERT_FIELDS) | {"change_kind": "renewal"}
        return _cert_form(request, db, ws, Form(values), cert)

    @router.post("/certifications/{cert_id}/renew")
    def save_renewal(cert_id: Id, request: Request, db: Db, ws: WS, posted: Posted) -> Response:
        old = ws.certification(db, cert_id)
        form = Form(forms.typed(posted, (*CERT_FIELDS, "change_kind")))
        cert = _create_cert(request, db, ws, posted, form, old.id)
        if cert is None:
            return _cert_form(request, db, ws, form, ws.certification(db, cert_id), 422)
        flash(request, N_("Certificate saved; it waits for the authority's verification"))
        return redirect(f"{ws.base}/certifications/{cert.id}")

    @router.post("/certifications/{cert_id}/resubmit")
    def resubmit_cert(cert_id: Id, request: Request, db: Db, ws: WS) -> RedirectResponse:
        cert = ws.certification(db, cert_id)
        act(
            request,
            db,
            lambda: verification.resubmit_certificate(db, ws.caller, cert.id),
            N_("Sent again to the authority for verification"),
        )
        return redirect(f"{ws.base}/certifications/{cert_id}")
