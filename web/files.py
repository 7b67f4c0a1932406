"""Uploads and stored documents as the routes handle them: size checked on what was read, never on what the
browser declared; a stored file served only through the storage root."""

from pathlib import Path

from fastapi import UploadFile
from fastapi.responses import FileResponse

from trace import storage
from trace.errors import InvalidInput, NotFound


def within_limit(data: bytes, max_bytes: int) -> bytes:
    if len(data) > max_bytes:
        raise InvalidInput("The file is larger than {mb} MB", field="file", mb=max_bytes // (1024 * 1024))
    return data


async def read_upload(file: UploadFile, max_bytes: int) -> bytes:
    return within_limit(await file.read(max_bytes + 1), max_bytes)


def certificate_document(root: Path, relative: str | None) -> FileResponse:
    target = storage.open_path(root, relative or "")
    if target is None:
        raise NotFound("This certificate has no document")
    return FileResponse(target)
