"""The administrator's pages: accounts, their roles, password resets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from service.access.policy import Action, require
from service.access.roles import Role
from service.edge.deps import Page, PageDep, app_of, check_csrf, where
from service.edge.templates import render
from service.kit.errors import SarabanError
from service.kit.fields import Clearance, Id
from service.users.core import accounts_overview, create_user, reset_password

router = APIRouter()


def _users_page(request: Request, page: Page, *, status: int = 200, message: str = "", error: str = "") -> HTMLResponse:
    with app_of(request).tx() as uow:
        users, units = accounts_overview(uow.session, page.actor)
    return render(
        request,
        "users.html",
        page,
        status=status,
        users=users,
        units=units,
        roles=list(Role),
        message=message,
        error=error,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, page: PageDep) -> HTMLResponse:
    return _users_page(request, page)


@router.post("/admin/users", response_class=HTMLResponse)
def users_create(
    request: Request,
    page: PageDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    unit: Annotated[str, Form()],
    role: Annotated[str, Form()],
    full_name: Annotated[str, Form()] = "",
    clearance: Annotated[Clearance, Form()] = 0,
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    require(page.actor, Action.MANAGE_USERS)  # refused before the form is read: a plain 403, not a form error
    check_csrf(page, csrf)
    app = app_of(request)
    try:
        with app.tx() as uow:
            create_user(
                uow.session,
                username=username,
                password=password,
                full_name=full_name,
                clearance=clearance,
                roles=[(unit, role)],
                now=app.clock(),
                actor=page.actor,
                where=where(request),
            )
    except SarabanError as exc:
        return _users_page(request, page, status=exc.status, error=exc.thai)
    return _users_page(request, page, message=f"สร้างผู้ใช้ {username} แล้ว")


@router.post("/admin/users/{user_id}/password", response_class=HTMLResponse)
def users_reset(
    request: Request, user_id: Id, page: PageDep, password: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
) -> HTMLResponse:
    require(page.actor, Action.MANAGE_USERS)  # refused before the form is read: a plain 403, not a form error
    check_csrf(page, csrf)
    app = app_of(request)
    try:
        with app.tx() as uow:
            reset_password(
                uow.session, user_id=user_id, password=password, now=app.clock(), actor=page.actor, where=where(request)
            )
    except SarabanError as exc:
        return _users_page(request, page, status=exc.status, error=exc.thai)
    return _users_page(request, page, message="ตั้งรหัสผ่านใหม่แล้ว")
