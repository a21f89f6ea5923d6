"""Bodies and query strings bounded before FastAPI or pydantic parses them (README "Input limits").

One ASGI middleware for the whole app, before any route or dependency (after the right, ``edge.gate``):
- the query string, and a body that is JSON or an urlencoded form (read whole, at most ``JSON_MAX_BYTES``), may
  hold no NUL or other control character in any value (tab and line breaks allowed);
- a JSON body's depth and number sizes are bounded (``service.kit.fields.check_json_shape``);
- a multipart form's text fields (routes that do not stream uploads themselves) are counted, bounded and checked
  for control characters as they arrive (``kit.uploads.FormScanner``; the upload routes do the same as they read);
and are handed on unchanged. A refusal is a problem+json 422 (413 when too large) with a Thai ``detail_th``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from python_multipart.multipart import parse_options_header
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.edge.bodylimit import UPLOAD_ROUTES
from service.edge.templates import render_error_page
from service.kit.errors import InvalidInput, SarabanError, TooLarge
from service.kit.fields import JSON_MAX_BYTES, InputError, check_form_text, check_json_shape, check_json_text
from service.kit.uploads import FormScanner


def _body_kind(scope: Scope) -> tuple[str, bytes]:
    """What the body is to be checked as, and a multipart body's boundary."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind, params = parse_options_header(value)
            kind = kind.lower()
            if kind == b"application/json" or kind.endswith(b"+json"):
                return "json", b""
            if kind == b"application/x-www-form-urlencoded":
                return "form", b""
            if kind == b"multipart/form-data" and not UPLOAD_ROUTES.match(str(scope.get("path", ""))):
                # the upload routes stream their own parts (``kit.uploads.read_upload``, the same limits)
                return "multipart", params.get(b"boundary", b"")
            return "", b""
    return "", b""


def _refusal(scope: Scope, status: int, code: str, detail: str, thai: str) -> Response:
    path = str(scope.get("path", ""))
    if not path.startswith("/api/") and path != "/healthz":  # a page: the one Thai error page
        err = TooLarge(detail, thai=thai) if status == 413 else InvalidInput(detail, thai=thai)
        return render_error_page(Request(scope), err)
    body: dict[str, Any] = {
        "type": f"https://saraban.example/problems/{code}",
        "title": "Invalid request" if status == 422 else "Request too large",
        "status": status,
        "detail": detail,
        "code": code,
        "detail_th": thai,
        "instance": scope.get("path", ""),
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


class JsonLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_form_text(scope.get("query_string", b""))
        except InputError as exc:
            await _refusal(scope, 422, "invalid_request", f"query: {exc}", exc.thai)(scope, receive, send)
            return
        kind, boundary = _body_kind(scope)
        if not kind:
            await self.app(scope, receive, send)
            return
        if kind == "multipart" and not boundary:
            await _refusal(scope, 422, "invalid_request", "multipart/form-data without a boundary", "รูปแบบคำขอไม่ถูกต้อง")(
                scope, receive, send
            )
            return
        scanner = FormScanner(boundary) if kind == "multipart" else None
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            try:
                message = await receive()
            except TooLarge as exc:  # BodyLimit (outside this) cut a streamed body off
                await _refusal(scope, 413, exc.code, exc.detail, exc.thai)(scope, receive, send)
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if scanner is not None:  # fields counted and checked as they arrive; the body bounded by BodyLimit
                try:
                    scanner.write(chunk)
                    if not message.get("more_body", False):
                        scanner.finish()
                except SarabanError as exc:
                    await _refusal(scope, exc.status, exc.code, exc.detail, exc.thai)(scope, receive, send)
                    return
            elif size > JSON_MAX_BYTES:
                await _refusal(
                    scope,
                    413,
                    "too_large",
                    f"a JSON or form body is at most {JSON_MAX_BYTES} bytes",
                    "ข้อมูลที่ส่งมาใหญ่เกินกำหนด (ไม่เกิน 1 MiB; แฟ้มส่งแบบ multipart)",
                )(scope, receive, send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        try:
            if kind == "json":
                check_json_shape(body)
                check_json_text(body)
            elif kind == "form":
                check_form_text(body)
        except InputError as exc:
            await _refusal(scope, 422, "invalid_request", str(exc), exc.thai)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def install_input_limits(app: FastAPI) -> None:
    app.add_middleware(JsonLimits)
