"""Uploaded files (product images, event photos, certificate documents). The type is decided from the bytes,
never from the name or the browser's claim; files get random names in a directory that can later become
S3-compatible object storage behind the same two functions."""

import io
import secrets
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from trace.errors import InvalidInput

IMAGE_TYPES = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}
PDF = ("application/pdf", ".pdf")


def sniff(data: bytes, allow_pdf: bool) -> tuple[str, str]:
    """(content type, extension) of an accepted upload, or InvalidInput."""
    if allow_pdf and data.startswith(b"%PDF-"):
        return PDF
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        fmt = ""
    if fmt not in IMAGE_TYPES:
        if allow_pdf:
            raise InvalidInput("Accepted files: PDF, JPG or PNG", field="file")
        raise InvalidInput("Accepted files: JPG or PNG", field="file")
    return IMAGE_TYPES[fmt]


def save(root: Path, data: bytes, *, max_bytes: int, allow_pdf: bool = False) -> tuple[str, str]:
    """Store an upload; returns (relative path, content type)."""
    if not data:
        raise InvalidInput("The file is empty", field="file")
    if len(data) > max_bytes:
        raise InvalidInput("The file is larger than {mb} MB", field="file", mb=max_bytes // (1024 * 1024))
    content_type, ext = sniff(data, allow_pdf)
    name = secrets.token_urlsafe(18) + ext
    relative = f"{name[:2]}/{name}"
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return relative, content_type


def open_path(root: Path, relative: str) -> Path | None:
    """The stored file for a relative path, refusing anything that escapes the storage root."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()) or not target.is_file():
        return None
    return target
