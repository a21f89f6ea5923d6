"""File downloads: a stored object streamed with its length, name and hash, the hash checked as it streams."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import StreamingResponse

from service.edge.deps import app_of, where
from service.integrity.faults import record_altered, refuse_if_altered
from service.kit.files import FileRef
from storage import ObjectStore


class AlteredWhileServed(Exception):
    """Raised inside the stream: the connection is dropped before the last chunk, so no client takes the bytes
    for the file."""


def file_response(store: ObjectStore, ref: FileRef, *, request: Request | None = None) -> StreamingResponse:
    """The object as a download. Its SHA-256 is computed as it streams and the last chunk is held back until it
    matches: on a mismatch the stream is aborted (the client sees a short, failed download), and with ``request``
    the object is marked and the event audited; an object marked before is refused at once (409)."""
    on_altered: Callable[[str], None] | None = None
    if request is not None:
        app = app_of(request)
        refuse_if_altered(app, ref.sha256)
        actor = getattr(request.state, "actor", None)
        place, path = where(request), request.url.path

        def on_altered(actual: str) -> None:
            record_altered(app, ref.sha256, actual=actual, actor=actor, where=place, path=path)

    return StreamingResponse(
        _checked(store.iter_chunks(ref.sha256), ref.sha256, on_altered),
        media_type=ref.media_type,
        headers={
            "Content-Length": str(ref.size),
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(ref.filename)}",
            "ETag": f'"{ref.sha256}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _checked(chunks: Iterator[bytes], sha256: str, on_altered: Callable[[str], None] | None) -> Iterator[bytes]:
    digest = hashlib.sha256()
    held: bytes | None = None
    for chunk in chunks:
        digest.update(chunk)
        if held is not None:
            yield held
        held = chunk
    actual = digest.hexdigest()
    if actual != sha256:
        if on_altered is not None:
            on_altered(actual)
        raise AlteredWhileServed(f"stored object {sha256} hashes to {actual}: download aborted")
    if held is not None:
        yield held
