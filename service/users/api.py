"""Accounts and units over the API (administrators create and reset; everyone may list names)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from service.edge.deps import ActorDep, app_of, where
from service.kit.fields import Clearance, Id, Line
from service.users.core import create_user, reset_password, unit_list, user_list

router = APIRouter(prefix="/api/v1")


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: Line = Field(max_length=64)
    role: Line = Field(max_length=64)


class UserIn(BaseModel):
    username: Line = Field(min_length=1, max_length=150)
    password: str = Field(max_length=1024)
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
        return {"id": user.id, "username": user.username}


class PasswordReset(BaseModel):
    password: str


@router.post("/users/{user_id}/password")
def reset_password_route(request: Request, actor: ActorDep, user_id: Id, body: PasswordReset) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        reset_password(
            uow.session,
            user_id=user_id,
            password=body.password,
            now=app.clock(),
            actor=actor,
            where=where(request),
        )
    return {"reset": True}


@router.get("/units")
def units(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    with app_of(request).tx() as uow:
        return unit_list(uow.session)


@router.get("/users")
def users(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    with app_of(request).tx() as uow:
        return user_list(uow.session, actor)
