"""The one error renderer: a ``SarabanError`` becomes problem+json (API) or a Thai page (web); refusals audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.edge.deps import SESSION_COOKIE, app_of, record_failure
from service.edge.publicids import PublicJSONResponse as JSONResponse
from service.edge.templates import render_error_page
from service.kit.errors import Forbidden, NotFound, SarabanError, Unauthenticated
from service.kit.fields import thai_reason


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


def _where(error: Mapping[str, Any]) -> str:
    loc = [str(p) for p in error.get("loc", ())]
    return ".".join(loc[1:] if len(loc) > 1 and loc[0] in ("body", "query", "path", "header", "cookie") else loc)


# The web forms' field names as their labels read, for the error page a person sees (the API keeps the names).
FORM_FIELD_TH = {
    "year": "ปี พ.ศ.",
    "username": "ชื่อผู้ใช้",
    "password": "รหัสผ่าน",
    "full_name": "ชื่อ-สกุล",
    "clearance": "ชั้นความลับ",
    "unit": "หน่วยงาน",
    "role": "บทบาท",
    "code": "รหัส",
    "name": "ชื่อ",
    "short_name": "ชื่อย่อ",
    "kind": "ประเภท",
    "letter_code": "รหัสหนังสือ",
    "address": "ที่อยู่",
    "parent": "สังกัด",
    "reason": "เหตุผล",
}


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors]
    labels = FORM_FIELD_TH if wants_html(request) else {}
    thai = [f"{labels.get(_where(e), _where(e)) or 'ข้อมูล'}: {thai_reason(e)}" for e in errors]
    return await saraban_error_handler(
        request, _Validation("; ".join(problems), thai="ข้อมูลที่ส่งมาไม่ถูกต้อง — " + "; ".join(thai))
    )


_HTTP = {
    400: ("bad_request", "Bad request", "คำขอไม่ถูกต้อง"),
    404: ("not_found", "Not found", "ไม่พบหน้าที่ต้องการ"),
    405: ("method_not_allowed", "Method not allowed", "ใช้วิธีส่งคำขอนี้กับที่อยู่นี้ไม่ได้"),
    413: ("too_large", "Too large", "ข้อมูลที่ส่งมาใหญ่เกินกำหนด"),
    415: ("unsupported_media_type", "Unsupported media type", "ชนิดข้อมูลที่ส่งมาไม่รองรับ"),
}


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, title, thai = _HTTP.get(exc.status_code, ("http_error", "HTTP error", "คำขอไม่สำเร็จ"))
    err = _HttpError(str(exc.detail), thai=thai)
    err.status = exc.status_code  # type: ignore[misc]
    err.code = code  # type: ignore[misc]
    err.title = title  # type: ignore[misc]
    if wants_html(request) and exc.status_code == 404:
        return render_error_page(request, err)
    return JSONResponse(
        problem(err, instance=request.url.path),
        status_code=exc.status_code,
        media_type="application/problem+json",
        headers=dict(exc.headers or {}),  # 405 carries Allow
    )


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of the API is answered."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    detail_th: str
    instance: str | None = None


_PROBLEM_SCHEMA = Problem.model_json_schema()
_PROBLEM_SCHEMA.pop("title", None)

#: The problem+json answers any API operation may give, documented on every API router (``service.app``):
#: Schemathesis checks the answers against these.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": why, "content": {"application/problem+json": {"schema": _PROBLEM_SCHEMA}}}
    for status, why in (
        (400, "Bad request"),
        (401, "Not signed in, or the token is no longer valid"),
        (403, "Not allowed"),
        (404, "Not found (or not visible to the caller)"),
        (409, "Conflict with the current state"),
        (410, "Gone"),
        (413, "Too large"),
        (415, "Unsupported or damaged file"),
        (422, "Invalid input (every problem named, in English and Thai)"),
        (503, "Temporarily unavailable"),
    )
}


#: An operation that counts attempts (sign-in: per account and per source, ``service.auth.throttle``) may also answer
#: 429 with ``Retry-After``.
THROTTLED_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many attempts: wait as Retry-After says",
        "content": {"application/problem+json": {"schema": _PROBLEM_SCHEMA}},
    }
}


def file_responses(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an operation that answers 200 with a file (PDF, CSV, tar …) rather than JSON."""
    return {200: {"description": "The file", "content": {m: {} for m in media_types}}}


PDF = file_responses("application/pdf")
