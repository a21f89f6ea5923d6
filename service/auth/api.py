"""Sign-in over the API: tokens, revocation, the caller's own password and identity."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from service import audit
from service.auth.core import change_own_password, revoke_token
from service.auth.signin import sign_in
from service.edge.deps import ActorDep, app_of, where
from service.edge.errors import THROTTLED_RESPONSES
from service.kit.fields import Line

router = APIRouter(prefix="/api/v1")


@router.post("/auth/token", responses=THROTTLED_RESPONSES)
def token(request: Request, username: Annotated[Line, Form()], password: Annotated[str, Form()]) -> dict[str, Any]:
    app = app_of(request)
    secret, _, _ = sign_in(app, username=username, password=password, kind="api", where=where(request))
    return {"access_token": secret, "token_type": "bearer", "expires_in": app.settings.token_ttl_minutes * 60}


@router.post("/auth/revoke")
def revoke(request: Request, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    secret = request.headers["authorization"].partition(" ")[2].strip()
    with app.tx() as uow:
        revoke_token(uow.session, secret=secret, now=app.clock())
        audit.record(uow.session, at=app.clock(), action="token_revoked", actor=actor, where=where(request))
    return {"revoked": True}


class PasswordChange(BaseModel):
    old_password: str
    new_password: str


@router.post("/auth/password")
def password(request: Request, actor: ActorDep, body: PasswordChange) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        change_own_password(
            uow.session,
            actor=actor,
            old=body.old_password,
            new=body.new_password,
            now=app.clock(),
            where=where(request),
        )
    return {"changed": True}


@router.get("/me")
def me(actor: ActorDep) -> dict[str, Any]:
    return {
        "id": actor.id,
        "username": actor.username,
        "full_name": actor.full_name,
        "clearance": actor.clearance,
        "roles": [{"unit_id": u, "role": r.value} for u, r in sorted(actor.roles)],
    }
