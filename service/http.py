"""What API and web share: the error renderer, signing in, and resolving the acting user."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from service import audit
from service.access import Actor
from service.auth import (
    BEARER_CACHE,
    LiveToken,
    LoginPolicy,
    authenticate,
    issue_token,
    load_actor,
    resolve_token,
    touch_session,
)
from service.context import Saraban
from service.errors import Forbidden, NotFound, SarabanError, Unauthenticated

log = logging.getLogger(__name__)
SESSION_COOKIE = "saraban_session"


def app_of(request: Request) -> Saraban:
    saraban: Saraban = request.app.state.saraban
    return saraban


def where(request: Request) -> audit.Where:
    return audit.Where(ip=request.client.host if request.client else "")


def record_failure(
    app: Saraban, request: Request, *, action: str, actor: Actor | None = None, actor_name: str = "", **detail: Any
) -> None:
    """Audit a refusal in its own transaction: the request's own work was rolled back.

    The letter or registry named in the path is recorded as the event's object, so the audit trail's own
    access rule (``service.api.audit_events``) keeps refusals about secret matters from uncleared readers.
    """
    params = request.path_params
    letter_id = params.get("letter_id")
    obj_type, obj_id = "", ""
    for key, kind in (("registry_id", "registry"), ("attachment_id", "attachment"), ("letter_id", "letter")):
        if key in params:
            obj_type, obj_id = kind, str(params[key])
    try:
        with app.tx() as uow:
            if obj_type == "attachment" and str(obj_id).isdigit():
                from service.models import Attachment

                att = uow.session.get(Attachment, int(obj_id))
                letter_id = att.letter_id if att else None
            audit.record(
                uow.session,
                at=app.clock(),
                action=action,
                actor=actor,
                actor_name=actor_name,
                where=where(request),
                object_type=obj_type,
                object_id=obj_id,
                letter_id=int(letter_id) if letter_id is not None and str(letter_id).isdigit() else None,
                path=request.url.path,
                method=request.method,
                **detail,
            )
    except Exception:
        log.exception("could not audit %s", action)


def sign_in(app: Saraban, request: Request, *, username: str, password: str, kind: str) -> tuple[str, Actor, str]:
    """Check the password, audit the outcome, and issue a token (``api``) or a session (``session``).

    A failure still commits: the failure counter (lock-out) and the audit event must survive the refusal.
    """
    s = app.settings
    now = app.clock()
    policy = LoginPolicy(max_failures=s.login_max_failures, lock_minutes=s.login_lock_minutes)
    error: Unauthenticated | None = None
    with app.tx() as uow:
        try:
            user = authenticate(uow.session, username=username, password=password, now=now, policy=policy)
        except Unauthenticated as exc:
            audit.record(
                uow.session,
                at=now,
                action="sign_in_failed",
                actor_name=username[:64],
                where=where(request),
                reason=exc.code,
                channel=kind,
            )
            error = exc
        else:
            ttl = timedelta(minutes=s.token_ttl_minutes)
            secret, token = issue_token(uow.session, user=user, kind=kind, now=now, ttl=ttl)
            actor = load_actor(uow.session, user)
            audit.record(uow.session, at=now, action="sign_in", actor=actor, where=where(request), channel=kind)
            csrf = token.csrf_token
    if error is not None:
        raise error
    return secret, actor, csrf


def resolve(app: Saraban, request: Request, *, secret: str, kind: str) -> LiveToken:
    """The live token behind a bearer token or a session cookie; sessions also slide their idle timer."""
    now = app.clock()
    idle = timedelta(minutes=app.settings.session_idle_minutes) if kind == "session" else None
    try:
        with app.tx(readonly=kind == "api") as uow:  # bearer checks write nothing; sessions slide their timer
            token = resolve_token(uow.session, secret=secret, kind=kind, now=now, idle=idle)
            if kind == "session" and (now - token.last_seen_at).total_seconds() > 30:
                touch_session(uow.session, token_id=token.id, now=now)
            return token
    except Unauthenticated as exc:
        record_failure(app, request, action="auth_refused", reason=exc.detail, channel=kind)
        raise


async def bearer_actor(request: Request) -> Actor:
    """FastAPI dependency for every /api/v1 route but sign-in.

    A token checked within the last second in this process is taken from ``BEARER_CACHE`` without a thread hop
    or a transaction (see ``service.auth.TokenCache`` for what that means for revocation).
    """
    app = app_of(request)
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        await run_in_threadpool(
            record_failure, app, request, action="auth_refused", reason="missing bearer token", channel="api"
        )
        raise Unauthenticated("a bearer token is required", thai="กรุณาลงชื่อเข้าใช้")
    token = BEARER_CACHE.get(secret, now=app.clock())
    if token is None:
        token = await run_in_threadpool(lambda: resolve(app, request, secret=secret, kind="api"))
        BEARER_CACHE.put(secret, token)
    request.state.actor = token.actor
    return token.actor


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
        record_failure(app, request, action="not_found", actor=actor, reason=exc.detail)
    if wants_html(request):
        if isinstance(exc, Unauthenticated):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            resp = RedirectResponse(f"/login?next={quote(target, safe='')}&reason={exc.code}", status_code=303)
            resp.delete_cookie(SESSION_COOKIE)
            return resp
        from service.web import render_error_page

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
        from service.web import render_error_page

        return render_error_page(request, err)
    return JSONResponse(
        problem(err, instance=request.url.path), status_code=exc.status_code, media_type="application/problem+json"
    )
