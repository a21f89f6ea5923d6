"""The one error renderer: a ``SarabanError`` becomes problem+json (API) or a Thai page (web); refusals audited."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.edge.deps import SESSION_COOKIE, app_of, record_failure
from service.edge.templates import render_error_page
from service.kit.errors import Forbidden, NotFound, SarabanError, Unauthenticated


def problem(exc: SarabanError, *, instance: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"https://saraban.example/problems/{exc.code}",
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
        "code": exc.code,
        "detail_th": exc.thai,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in exc.extra.items() if k not in body})
    return body


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and request.url.path != "/healthz"


def render_error(request: Request, exc: SarabanError) -> Response:
    app = app_of(request)
    actor = getattr(request.state, "actor", None)
    if isinstance(exc, Forbidden):
        record_failure(app, request, action="permission_denied", actor=actor, reason=exc.detail)
    elif isinstance(exc, NotFound) and actor is not None:
        # a signed-in user asking for what they may not see (or what is not there): probing is worth recording
        record_failure(app, request, action="not_found", actor=actor, link=False, reason=exc.detail)
    if wants_html(request):
        if isinstance(exc, Unauthenticated):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            resp = RedirectResponse(f"/login?next={quote(target, safe='')}&reason={exc.code}", status_code=303)
            resp.delete_cookie(SESSION_COOKIE)
            return resp
        return render_error_page(request, exc)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    return JSONResponse(
        problem(exc, instance=request.url.path),
        status_code=exc.status,
        media_type="application/problem+json",
        headers=headers,
    )


async def saraban_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SarabanError)
    return await run_in_threadpool(render_error, request, exc)


class _Validation(SarabanError):
    status = 422
    code = "invalid_request"
    title = "Invalid request"


class _HttpError(SarabanError):
    pass


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    return await saraban_error_handler(
        request, _Validation("; ".join(problems), thai="ข้อมูลที่ส่งมาไม่ครบหรือไม่ถูกต้อง: " + "; ".join(problems))
    )


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    err = _HttpError(str(exc.detail), thai="ไม่พบหน้าที่ต้องการ" if exc.status_code == 404 else str(exc.detail))
    err.status = exc.status_code  # type: ignore[misc]
    err.code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")  # type: ignore[misc]
    err.title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")  # type: ignore[misc]
    if wants_html(request) and exc.status_code == 404:
        return render_error_page(request, err)
    return JSONResponse(
        problem(err, instance=request.url.path), status_code=exc.status_code, media_type="application/problem+json"
    )
