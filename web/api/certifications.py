from typing import Annotated

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from trace import certifications, storage
from trace.certifications import Certification, CertificationIn, RenewalIn, RevocationIn
from web.api.common import READ, WRITE
from web.deps import CurrentCaller, Db, Id
from web.files import certificate_document, read_upload
from web.schemas import CertificationOut

router = APIRouter(prefix="/certifications", tags=["certifications"])


def certification_out(db: Session, cert: Certification) -> CertificationOut:
    return CertificationOut.model_validate(
        {
            **{c: getattr(cert, c) for c in CertificationOut.model_fields if hasattr(Certification, c)},
            "has_document": cert.document_path is not None,
            "superseded_by_id": cert.superseded_by.id if cert.superseded_by else None,
            "status": certifications.status_of(cert),
            "history": [c.id for c in certifications.history(db, cert)[1:]],
        }
    )


@router.post("", response_model=CertificationOut, status_code=201, responses=WRITE)
def create_certification(data: CertificationIn, caller: CurrentCaller, db: Db) -> CertificationOut:
    return certification_out(db, certifications.create(db, caller, data))


@router.get("", response_model=list[CertificationOut], responses=READ)
def list_certifications(
    caller: CurrentCaller, db: Db, product_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None
) -> list[CertificationOut]:
    return [certification_out(db, c) for c in certifications.list_visible(db, caller, product_id)]


@router.get("/{cert_id}", response_model=CertificationOut, responses=READ)
def get_certification(cert_id: Id, caller: CurrentCaller, db: Db) -> CertificationOut:
    return certification_out(db, certifications.get(db, caller, cert_id))


@router.post("/{cert_id}/supersede", response_model=CertificationOut, status_code=201, responses=WRITE)
def supersede(cert_id: Id, data: RenewalIn, caller: CurrentCaller, db: Db) -> CertificationOut:
    """Renew or correct a certificate: a new record replaces it, the old one stays in the history."""
    return certification_out(db, certifications.supersede(db, caller, cert_id, data))


@router.post("/{cert_id}/revoke", response_model=CertificationOut, responses=WRITE)
def revoke(cert_id: Id, data: RevocationIn, caller: CurrentCaller, db: Db) -> CertificationOut:
    return certification_out(db, certifications.revoke(db, caller, cert_id, data.reason))


@router.post("/{cert_id}/verify", response_model=CertificationOut, responses=WRITE)
def verify(cert_id: Id, caller: CurrentCaller, db: Db) -> CertificationOut:
    return certification_out(db, certifications.verify(db, caller, cert_id))


@router.post("/{cert_id}/document", response_model=CertificationOut, responses=WRITE)
async def attach_document(
    cert_id: Id, file: UploadFile, request: Request, caller: CurrentCaller, db: Db
) -> CertificationOut:
    certifications.get_for_write(db, caller, cert_id)
    settings = request.app.state.settings
    data = await read_upload(file, settings.max_upload_bytes)
    path, _ = storage.save(settings.storage_dir, data, max_bytes=settings.max_upload_bytes, allow_pdf=True)
    return certification_out(db, certifications.attach_document(db, caller, cert_id, path))


@router.get("/{cert_id}/document", response_class=FileResponse, responses=READ)
def get_document(cert_id: Id, request: Request, caller: CurrentCaller, db: Db) -> FileResponse:
    cert = certifications.get(db, caller, cert_id)
    return certificate_document(request.app.state.settings.storage_dir, cert.document_path)
