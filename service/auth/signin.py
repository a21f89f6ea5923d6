"""Signing in and resolving who is acting: the use-cases behind the login form, the token route and every request."""

from __future__ import annotations

from datetime import timedelta

from service import audit
from service.access.rule import Actor
from service.auth.core import (
    LiveToken,
    LoginPolicy,
    authenticate,
    issue_token,
    load_actor,
    resolve_token,
    touch_session,
)
from service.context import Saraban
from service.kit.errors import Unauthenticated


def sign_in(app: Saraban, *, username: str, password: str, kind: str, where: audit.Where) -> tuple[str, Actor, str]:
    """Check the password, audit the outcome, and issue a token (``api``) or a session (``session``).

    A failure still commits: the failure counter (lock-out) and the audit event must survive the refusal.
    Returns the secret, the actor and the session's CSRF token.
    """
    s = app.settings
    now = app.clock()
    policy = LoginPolicy(
        max_failures=s.login_max_failures,
        lock_minutes=s.login_lock_minutes,
        source_max_failures=s.login_source_max_failures,
        source_window_minutes=s.login_source_window_minutes,
    )
    error: Unauthenticated | None = None
    with app.tx() as uow:
        try:
            user = authenticate(
                uow.session, username=username, password=password, now=now, policy=policy, source=where.ip
            )
        except Unauthenticated as exc:
            audit.record(
                uow.session,
                at=now,
                action="sign_in_failed",
                actor_name="".join(ch if ch.isprintable() else "\ufffd" for ch in username[:64]),
                where=where,
                reason=exc.code,
                channel=kind,
            )
            error = exc
        else:
            ttl = timedelta(minutes=s.token_ttl_minutes)
            secret, token = issue_token(uow.session, user=user, kind=kind, now=now, ttl=ttl)
            actor = load_actor(uow.session, user)
            audit.record(uow.session, at=now, action="sign_in", actor=actor, where=where, channel=kind)
            csrf = token.csrf_token
    if error is not None:
        raise error
    return secret, actor, csrf


def resolve(app: Saraban, *, secret: str, kind: str) -> LiveToken:
    """The live token behind a bearer token or a session cookie; sessions also slide their idle timer."""
    now = app.clock()
    idle = timedelta(minutes=app.settings.session_idle_minutes) if kind == "session" else None
    with app.tx(readonly=kind == "api") as uow:  # bearer checks write nothing; sessions slide their timer
        token = resolve_token(uow.session, secret=secret, kind=kind, now=now, idle=idle)
        if kind == "session" and (now - token.last_seen_at).total_seconds() > 30:
            touch_session(uow.session, token_id=token.id, now=now)
        return token
