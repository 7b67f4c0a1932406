"""Reading uploads without trusting their declared size."""

from fastapi import UploadFile

from trace.errors import InvalidInput


async def read_upload(file: UploadFile, max_bytes: int) -> bytes:
    data = await file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidInput("The file is larger than {mb} MB", field="file", mb=max_bytes // (1024 * 1024))
    return data
