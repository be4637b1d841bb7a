"""Uploaded files, read with a size limit (OWASP File Upload Cheat Sheet: limit the size; never trust the name)."""

from __future__ import annotations

from fastapi import HTTPException, UploadFile

from oncobasket.core.errors import InputError

_CHUNK = 1 << 16


async def read_upload(file: UploadFile, *, limit: int) -> bytes:
    """The upload's bytes, refused once past ``limit``."""
    parts: list[bytes] = []
    size = 0
    while chunk := await file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise HTTPException(
                status_code=413, detail=f"field 'file': the upload is larger than {limit} bytes; upload one sample"
            )
        parts.append(chunk)
    if size == 0:
        raise InputError("the upload is empty", field="file", fix="choose the sample's CombinedVariantOutput.tsv")
    return b"".join(parts)
