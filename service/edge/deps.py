"""FastAPI dependencies: the context, the acting user (bearer token or session cookie), CSRF, refusals audited."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from service import audit
from service.access.rule import Actor
from service.auth.core import BEARER_CACHE, LiveToken
from service.auth.signin import resolve
from service.context import Saraban
from service.edge.security import client_ip, parse_proxies
from service.kit.errors import Forbidden, Unauthenticated
from service.kit.fields import DB_INT_MAX
from service.models import Attachment

log = logging.getLogger(__name__)
SESSION_COOKIE = "saraban_session"


def app_of(request: Request) -> Saraban:
    saraban: Saraban = request.app.state.saraban
    return saraban


def where(request: Request) -> audit.Where:
    """Where a request came from: the peer, or what a configured proxy (``SARABAN_TRUSTED_PROXIES``) says."""
    peer = request.client.host if request.client else ""
    proxies = parse_proxies(app_of(request).settings.trusted_proxies)
    return audit.Where(ip=client_ip(peer, request.headers.getlist("x-forwarded-for"), proxies))


def _db_id(raw: object) -> int | None:
    """A path's id as the database can hold it, or None (a refused huge id is still audited, without it)."""
    text = str(raw) if raw is not None else ""
    return int(text) if text.isdigit() and len(text) <= 10 and int(text) <= DB_INT_MAX else None


def _internal(app: Saraban, public: object, kind: str) -> str:
    """A letter's or attachment's public id from a path, as its internal key ("" when it names nothing)."""
    text = str(public)
    codec = app.public_ids.letters if kind == "letter_id" else app.public_ids.attachments
    internal = codec.decode(int(text)) if text.isdigit() and text.isascii() and len(text) <= 16 else None
    return "" if internal is None else str(internal)


def record_failure(
    app: Saraban,
    request: Request,
    *,
    action: str,
    actor: Actor | None = None,
    actor_name: str = "",
    link: bool = True,
    **detail: Any,
) -> None:
    """Audit a refusal in its own transaction: the request's own work was rolled back.

    The letter or registry named in the path is recorded as the event's object, so the audit trail's own
    access rule (``service.audit.queries``) keeps refusals about secret matters from uncleared readers.
    ``link=False`` (a ``not_found``): the path's ids are not linked (the path itself is kept), so the event reads
    the same to every auditor whether the id is a secret letter or none at all; so are a letter's and an
    attachment's ids in a refusal of the write gate, which looked at neither (``service.edge.gate``).
    """
    params = dict(request.path_params) if link else {}
    if getattr(request.state, "refused_at_gate", False):
        params = {k: v for k, v in params.items() if k not in ("letter_id", "attachment_id")}
    for key in ("letter_id", "attachment_id"):  # the path names them by public id; the trail keeps the keys
        if key in params:
            params[key] = _internal(app, params[key], key)
    letter_id = params.get("letter_id")
    obj_type, obj_id = "", ""
    for key, kind in (("registry_id", "registry"), ("attachment_id", "attachment"), ("letter_id", "letter")):
        if key in params:
            obj_type, obj_id = kind, str(params[key])
    try:
        with app.tx() as uow:
            if obj_type == "attachment" and _db_id(obj_id) is not None:
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
                letter_id=_db_id(letter_id),
                path=request.url.path,
                method=request.method,
                **detail,
            )
    except Exception:
        log.exception("could not audit %s", action)


def resolve_or_audit(app: Saraban, request: Request, *, secret: str, kind: str) -> LiveToken:
    """The live token behind a secret; a refusal is audited."""
    try:
        return resolve(app, secret=secret, kind=kind)
    except Unauthenticated as exc:
        record_failure(app, request, action="auth_refused", reason=exc.detail, channel=kind)
        raise


class SignedIn:
    """Who the write gate (``service.edge.gate``) signed in for this request, kept in ``request.state`` so that the
    route's own dependency does not sign the same caller in again (a second token lookup, for a page a second
    session read); ``check`` is the right the gate asked, with the path's ``params``, which a route may take as
    asked (``gate.require_receipt``)."""

    __slots__ = ("actor", "check", "page", "params")

    def __init__(self, actor: Actor, page: Page | None, check: object, params: Mapping[str, str]) -> None:
        self.actor, self.page, self.check, self.params = actor, page, check, params


def signed_in_at_gate(request: Request) -> SignedIn | None:
    """What the gate established for this request (None: the gate did not sign anyone in, as for a GET)."""
    state = request.scope.get("state")
    found = state.get(GATE_STATE) if state is not None else None
    return found if isinstance(found, SignedIn) else None


GATE_STATE = "signed_in_at_gate"


async def bearer_actor(request: Request) -> Actor:
    """FastAPI dependency for every /api/v1 route but sign-in.

    The caller the write gate signed in for this request by the same header is taken as it is. Otherwise a token
    checked within the last second in this process is taken from ``BEARER_CACHE`` without a thread hop or a
    transaction (see ``service.auth.core.TokenCache`` for what that means for revocation).
    """
    gate = signed_in_at_gate(request)
    if gate is not None and gate.page is None:
        return gate.actor
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
        token = await run_in_threadpool(lambda: resolve_or_audit(app, request, secret=secret, kind="api"))
        BEARER_CACHE.put(secret, token)
    request.state.actor = token.actor
    return token.actor


ActorDep = Annotated[Actor, Depends(bearer_actor)]


class CsrfFailed(Forbidden):
    code = "csrf_failed"


class Page:
    """The signed-in user of a page, with the session's CSRF token."""

    def __init__(self, actor: Actor, csrf: str) -> None:
        self.actor, self.csrf = actor, csrf


def page_user(request: Request) -> Page:
    """The session's user, read from the database (in a worker thread: it is blocking)."""
    app = app_of(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        record_failure(app, request, action="auth_refused", reason="missing session cookie", channel="session")
        raise Unauthenticated("please sign in", thai="กรุณาลงชื่อเข้าใช้")
    token = resolve_or_audit(app, request, secret=secret, kind="session")
    request.state.actor = token.actor
    return Page(token.actor, token.csrf_token)


async def current_page(request: Request) -> Page:
    """FastAPI dependency of every page: the session the write gate read for this request (a post), else read
    now."""
    gate = signed_in_at_gate(request)
    if gate is not None and gate.page is not None:
        return gate.page
    return await run_in_threadpool(page_user, request)


PageDep = Annotated[Page, Depends(current_page)]


def check_csrf(page: Page, token: str | None) -> None:
    if not token or not hmac.compare_digest(token, page.csrf):
        raise CsrfFailed(
            "the form's CSRF token is missing or wrong", thai="แบบฟอร์มหมดอายุหรือไม่ถูกต้อง กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง"
        )
