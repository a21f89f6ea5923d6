"""The administrator's pages: accounts, their roles, password resets."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from service.access.policy import Action, require
from service.access.roles import Role
from service.edge.deps import Page, PageDep, app_of, check_csrf, where
from service.edge.templates import render
from service.kit.errors import SarabanError
from service.kit.fields import Clearance, Id
from service.users.core import accounts_overview, create_user, reset_password
from service.users.grants import decide, grant_requests, pending_of

router = APIRouter()


def _users_page(request: Request, page: Page, *, status: int = 200, message: str = "", error: str = "") -> HTMLResponse:
    with app_of(request).tx() as uow:
        users, units = accounts_overview(uow.session, page.actor)
        requests = grant_requests(uow.session, page.actor, pending_only=True)
    return render(
        request,
        "users.html",
        page,
        status=status,
        users=users,
        units=units,
        roles=list(Role),
        requests=requests,
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
            user = create_user(
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
            assert user.id is not None
            pending = pending_of(uow.session, user.id)
    except SarabanError as exc:
        return _users_page(request, page, status=exc.status, error=exc.thai)
    waiting = " ส่วนชั้นความลับและบทบาทด้านความลับรอหัวหน้าส่วนราชการอนุมัติ" if pending else ""
    return _users_page(request, page, message=f"สร้างผู้ใช้ {username} แล้ว{waiting}")


@router.post("/admin/users/{user_id}/password", response_class=HTMLResponse)
def users_reset(
    request: Request, user_id: Id, page: PageDep, password: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
) -> HTMLResponse:
    require(page.actor, Action.MANAGE_USERS)  # refused before the form is read: a plain 403, not a form error
    check_csrf(page, csrf)
    app = app_of(request)
    try:
        with app.tx() as uow:
            pending = reset_password(
                uow.session, user_id=user_id, password=password, now=app.clock(), actor=page.actor, where=where(request)
            )
    except SarabanError as exc:
        return _users_page(request, page, status=exc.status, error=exc.thai)
    if pending is not None:
        return _users_page(request, page, message="ส่งคำขอตั้งรหัสผ่านใหม่แล้ว รอหัวหน้าส่วนราชการอนุมัติ (บัญชีนี้เข้าถึงความลับ)")
    return _users_page(request, page, message="ตั้งรหัสผ่านใหม่แล้ว")


def _grants_page(request: Request, page: Page, *, status: int = 200, message: str = "") -> HTMLResponse:
    with app_of(request).tx() as uow:
        requests = grant_requests(uow.session, page.actor)
    return render(request, "grants.html", page, status=status, requests=requests, message=message)


@router.get("/grants", response_class=HTMLResponse)
def grants_page(request: Request, page: PageDep) -> HTMLResponse:
    """The head of the office (and the administrators, to follow them): requests that reach secrets."""
    return _grants_page(request, page)


@router.post("/grants/{request_id}/{verdict}", response_class=HTMLResponse)
def grants_decide(
    request: Request,
    page: PageDep,
    request_id: Id,
    verdict: Literal["approve", "refuse"],
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    check_csrf(page, csrf)
    app = app_of(request)
    with app.tx() as uow:
        decide(
            uow.session,
            actor=page.actor,
            request_id=request_id,
            approve=verdict == "approve",
            now=app.clock(),
            where=where(request),
        )
    return _grants_page(request, page, message="อนุมัติแล้ว" if verdict == "approve" else "ไม่อนุมัติ")
