"""A ceiling on every request body that is not an upload, applied as the bytes arrive (chunked or not).

Forms and JSON are parsed by Starlette and FastAPI, which hold a whole urlencoded form or JSON document in memory
(and up to 1000 multipart fields of 1 MB each): here a declared ``Content-Length`` above the ceiling is refused
before anything is read (413 problem+json, a Thai page for the web), and a body streamed without one is cut off
when it passes the ceiling. Uploads (multipart posts to the routes that read them with
``service.kit.uploads.read_upload``) have their own limits, applied while they stream.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.kit.errors import TooLarge
from service.kit.fields import JSON_MAX_BYTES

FORM_LIMIT = JSON_MAX_BYTES
"""A form without files (urlencoded, or multipart to a route that takes no upload)."""
BODY_LIMIT = JSON_MAX_BYTES
"""Any other body (JSON): the one limit the JSON checks (``edge.limits``, ``kit.fields.load_json``) apply too."""
IMPORT_LIMIT = 16 * 1024 * 1024
"""A file imported whole (a register's CSV, the procedures' TOML: routes ending in ``/import``)."""
UPLOAD_ROUTES = re.compile(
    r"^/api/v1/registries/[^/]+/receive$|^/api/v1/outgoing/[^/]+/files$|^/registers/|^/outgoing(/|$)|^/deliveries/"
)
_THAI = "ข้อมูลที่ส่งมามีขนาดใหญ่เกินไป"


def limit_for(path: str, content_type: str) -> int | None:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data" and UPLOAD_ROUTES.match(path):
        return None  # read_upload's own limits (files, fields) apply as it streams
    if path.endswith("/import"):
        return IMPORT_LIMIT
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return FORM_LIMIT
    return BODY_LIMIT


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        limit = limit_for(scope["path"], headers.get("content-type", ""))
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, counted, send)


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"the request body is larger than {limit} bytes", thai=_THAI)


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    exc = _too_large(limit)
    path: str = scope["path"]
    body: Any
    if path.startswith("/api/"):
        body = json.dumps(
            {
                "type": f"https://saraban.example/problems/{exc.code}",
                "title": exc.title,
                "status": exc.status,
                "detail": exc.detail,
                "code": exc.code,
                "detail_th": exc.thai,
                "instance": path,
            },
            ensure_ascii=False,
        ).encode()
        ctype = b"application/problem+json"
    else:
        body = f'<!doctype html><html lang="th"><meta charset="utf-8"><title>{_THAI}</title><p>{_THAI}</p>'.encode()
        ctype = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": exc.status,
            "headers": [
                (b"content-type", ctype),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
