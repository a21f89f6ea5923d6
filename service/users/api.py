"""Accounts and units over the API (administrators create and reset; everyone may list names)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from service.auth.core import MAX_PASSWORD
from service.edge.deps import ActorDep, app_of, where
from service.edge.publicids import PublicJSONResponse as JSONResponse
from service.kit.fields import BeYear, Clearance, Id, Line, Text
from service.users.core import create_user, reset_password, unit_list, user_by_id, user_list
from service.users.grants import decide, grant_requests, pending_of
from service.users.manage import add_membership, remove_membership, set_active, unlock, update_user
from service.users.offices import close_year, create_registry, create_unit, rename_registry, update_unit

router = APIRouter(prefix="/api/v1")


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: Line = Field(max_length=64)
    role: Line = Field(max_length=64)


class UserIn(BaseModel):
    username: Line = Field(min_length=1, max_length=150)
    password: str = Field(max_length=MAX_PASSWORD)  # the password rule's own cap, with its Thai message
    full_name: Line = Field(default="", max_length=255)
    clearance: Clearance = 0
    roles: list[RoleIn] = Field(default=[], max_length=100)


@router.post("/users", status_code=201)
def create_user_route(request: Request, actor: ActorDep, body: UserIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        user = create_user(
            uow.session,
            username=body.username,
            password=body.password,
            full_name=body.full_name,
            clearance=body.clearance,
            roles=[(r.unit, r.role) for r in body.roles],
            now=app.clock(),
            actor=actor,
            where=where(request),
        )
        assert user.id is not None
        # clearance and secret roles wait for the head's approval (two-person rule)
        return {"id": user.id, "username": user.username, "pending_requests": pending_of(uow.session, user.id)}


class PasswordReset(BaseModel):
    password: str = Field(max_length=MAX_PASSWORD)


@router.post("/users/{user_id}/password", response_model=None)
def reset_password_route(
    request: Request, actor: ActorDep, user_id: Id, body: PasswordReset
) -> dict[str, Any] | JSONResponse:
    app = app_of(request)
    with app.tx() as uow:
        pending = reset_password(
            uow.session,
            user_id=user_id,
            password=body.password,
            now=app.clock(),
            actor=actor,
            where=where(request),
        )
    if pending is not None:  # a cleared account: waits for the head's approval
        return JSONResponse({"reset": False, "pending_request": pending}, status_code=202)
    return {"reset": True}


@router.get("/grant-requests")
def grant_requests_route(request: Request, actor: ActorDep, pending: bool = False) -> list[dict[str, Any]]:
    """Requests for clearance, the secret role, or a cleared account's password (administrators and the head)."""
    with app_of(request).tx() as uow:
        return grant_requests(uow.session, actor, pending_only=pending)


def _decide(request: Request, actor: Any, request_id: int, *, approve: bool) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        req = decide(uow.session, actor=actor, request_id=request_id, approve=approve, now=app.clock(),
                     where=where(request))  # fmt: skip
        return {"id": req.id, "state": req.state}


@router.post("/grant-requests/{request_id}/approve")
def approve_grant(request: Request, actor: ActorDep, request_id: Id) -> dict[str, Any]:
    """The head of the office approves: the grant or the new password takes effect now."""
    return _decide(request, actor, request_id, approve=True)


@router.post("/grant-requests/{request_id}/refuse")
def refuse_grant(request: Request, actor: ActorDep, request_id: Id) -> dict[str, Any]:
    return _decide(request, actor, request_id, approve=False)


@router.get("/units")
def units(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    with app_of(request).tx() as uow:
        return unit_list(uow.session)


@router.get("/users")
def users(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    with app_of(request).tx() as uow:
        return user_list(uow.session, actor)


class UserChange(BaseModel):
    """What an administrator changes on an account; raising clearance waits for the head (two-person rule)."""

    model_config = ConfigDict(extra="forbid")

    full_name: Line | None = Field(default=None, max_length=255)
    clearance: Clearance | None = None
    active: bool | None = None


@router.patch("/users/{user_id}")
def change_user(request: Request, actor: ActorDep, user_id: Id, body: UserChange) -> dict[str, Any]:
    """Deactivate (``"active": false``; never deleted, its tokens stop working) or reactivate, rename, clearance."""
    app = app_of(request)
    with app.tx() as uow:
        now, at = app.clock(), where(request)
        pending = update_user(
            uow.session, actor=actor, user_id=user_id, full_name=body.full_name, clearance=body.clearance, now=now,
            where=at,
        )  # fmt: skip
        if body.active is not None:
            set_active(uow.session, actor=actor, user_id=user_id, active=body.active, now=now, where=at)
        user = user_by_id(uow.session, user_id)
        return {
            "id": user.id,
            "username": user.username,
            "full_name": user.full_name,
            "clearance": user.clearance,
            "active": user.active,
            "pending_request": pending,
        }


@router.post("/users/{user_id}/unlock")
def unlock_user(request: Request, actor: ActorDep, user_id: Id) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        unlock(uow.session, actor=actor, user_id=user_id, now=app.clock(), where=where(request))
    return {"unlocked": True}


@router.post("/users/{user_id}/roles", status_code=201, response_model=None)
def add_role(request: Request, actor: ActorDep, user_id: Id, body: RoleIn) -> dict[str, Any] | JSONResponse:
    """One more role in a unit; the secret registrar's role answers 202 with the request waiting for the head."""
    app = app_of(request)
    with app.tx() as uow:
        pending = add_membership(
            uow.session, actor=actor, user_id=user_id, unit=body.unit, role=body.role, now=app.clock(),
            where=where(request),
        )  # fmt: skip
    if pending is not None:
        return JSONResponse({"added": False, "pending_request": pending}, status_code=202)
    return {"added": True}


@router.delete("/users/{user_id}/roles/{membership_id}")
def remove_role(request: Request, actor: ActorDep, user_id: Id, membership_id: Id) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        remove_membership(
            uow.session, actor=actor, user_id=user_id, membership_id=membership_id, now=app.clock(),
            where=where(request),
        )  # fmt: skip
    return {"removed": True}


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Line = Field(min_length=1, max_length=64)
    name: Line = Field(min_length=1, max_length=255)
    kind: Literal["office", "group", "outside", "school"]
    short_name: Line = Field(default="", max_length=128)
    letter_code: Line = Field(default="", max_length=32)
    address: Text = Field(default="", max_length=1000)
    parent: Line = Field(default="", max_length=64)
    internal: bool | None = None


@router.post("/units", status_code=201)
def create_unit_route(request: Request, actor: ActorDep, body: UnitIn) -> dict[str, Any]:
    """A group, an outside party or a school of the area (administrators)."""
    app = app_of(request)
    with app.tx() as uow:
        unit = create_unit(uow.session, actor=actor, **body.model_dump(), now=app.clock(), where=where(request))
        return {"id": unit.id, "code": unit.code, "internal": unit.internal}


class UnitChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line = Field(min_length=1, max_length=255)
    short_name: Line = Field(default="", max_length=128)
    letter_code: Line = Field(default="", max_length=32)
    address: Text = Field(default="", max_length=1000)


@router.put("/units/{unit_id}")
def update_unit_route(request: Request, actor: ActorDep, unit_id: Id, body: UnitChange) -> dict[str, Any]:
    """Rename a unit, its letter code and address (the code stays)."""
    app = app_of(request)
    with app.tx() as uow:
        unit = update_unit(
            uow.session, actor=actor, unit_id=unit_id, **body.model_dump(), now=app.clock(), where=where(request)
        )
        return {"id": unit.id, "code": unit.code, "name": unit.name}


class RegistryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Line = Field(min_length=1, max_length=64)
    name: Line = Field(min_length=1, max_length=255)
    kind: Line = Field(max_length=32)
    unit: Line = Field(max_length=64)


@router.post("/registries", status_code=201)
def create_registry_route(request: Request, actor: ActorDep, body: RegistryIn) -> dict[str, Any]:
    """A new registry of a unit of the office (administrators)."""
    app = app_of(request)
    with app.tx() as uow:
        r = create_registry(uow.session, actor=actor, **body.model_dump(), now=app.clock(), where=where(request))
        return {"id": r.id, "code": r.code, "name": r.name, "kind": r.kind, "unit_id": r.unit_id}


class RegistryRename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line = Field(min_length=1, max_length=255)


@router.patch("/registries/{registry_id}")
def rename_registry_route(request: Request, actor: ActorDep, registry_id: Id, body: RegistryRename) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        r = rename_registry(
            uow.session, actor=actor, registry_id=registry_id, name=body.name, now=app.clock(), where=where(request)
        )
        return {"id": r.id, "code": r.code, "name": r.name}


class YearClose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: BeYear


@router.post("/registries/{registry_id}/close-year")
def close_year_route(request: Request, actor: ActorDep, registry_id: Id, body: YearClose) -> dict[str, Any]:
    """Close a registry's B.E. year: its numbers stay, a registration in that year is refused (409 ``year_closed``)."""
    app = app_of(request)
    with app.tx() as uow:
        c = close_year(
            uow.session, actor=actor, registry_id=registry_id, year=body.year, now=app.clock(), where=where(request)
        )
        return {"registry_id": registry_id, "year": c.year, "last_number": c.last_number, "closed": True}
