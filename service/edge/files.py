"""File downloads: a stored object streamed with its length, name and hash."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import StreamingResponse

from service.kit.files import FileRef
from storage import ObjectStore


def file_response(store: ObjectStore, ref: FileRef) -> StreamingResponse:
    return StreamingResponse(
        store.iter_chunks(ref.sha256),
        media_type=ref.media_type,
        headers={
            "Content-Length": str(ref.size),
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(ref.filename)}",
            "ETag": f'"{ref.sha256}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
