"""The administrator's pages: accounts, roles, password resets, deactivation, unlocking, roles in several units."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from service.access.policy import Action, require
from service.access.roles import Role
from service.edge.deps import Page, PageDep, app_of, check_csrf, where
from service.edge.templates import render
from service.kit.errors import InvalidInput, NotFound, SarabanError
from service.kit.fields import BeYear, Clearance, Id, Line, Text
from service.users.core import accounts_overview, create_user, reset_password
from service.users.grants import decide, grant_requests, pending_of
from service.users.manage import add_membership, remove_membership, set_active, unlock, update_user, user_detail
from service.users.offices import (
    REGISTRY_KINDS,
    UNIT_KINDS,
    close_year,
    create_registry,
    create_unit,
    registries_overview,
    rename_registry,
    units_overview,
    update_unit,
)

router = APIRouter()

Show = Callable[..., HTMLResponse]
AWAITING_HEAD = " (รอหัวหน้าส่วนราชการอนุมัติ เพราะเป็นสิทธิ์ด้านความลับหรือสิทธิ์อนุมัติ)"


def _act(
    request: Request,
    page: Page,
    csrf: str,
    act: Callable[..., object],
    *,
    may: Action,
    show: Show,
    done: str | Callable[[Any], str],
    missing_is_404: bool = False,
) -> HTMLResponse:
    """One administrator's change from a form: refused before the form is read (a plain 403, not a form error),
    CSRF, one transaction; a refusal shows the Thai message on the page (``show``) and changes nothing.
    ``done``: the message, or how to say it from what ``act`` returned; ``missing_is_404``: the page shown is the
    object's own, so a missing object is the 404 page."""
    require(page.actor, may)
    check_csrf(page, csrf)
    app = app_of(request)
    try:
        with app.tx() as uow:
            result = act(uow.session, actor=page.actor, now=app.clock(), where=where(request))
    except SarabanError as exc:
        if missing_is_404 and isinstance(exc, NotFound):
            raise
        return show(request, page, status=exc.status, error=exc.thai)
    return show(request, page, message=done if isinstance(done, str) else done(result))


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
    def act(s: Any, **kw: Any) -> object:
        user = create_user(
            s,
            username=username,
            password=password,
            full_name=full_name,
            clearance=clearance,
            roles=[(unit, role)],
            **kw,
        )
        assert user.id is not None
        return pending_of(s, user.id)

    def done(pending: object) -> str:
        waiting = " ส่วนชั้นความลับและบทบาทด้านความลับรอหัวหน้าส่วนราชการอนุมัติ" if pending else ""
        return f"สร้างผู้ใช้ {username} แล้ว{waiting}"

    return _act(request, page, csrf, act, may=Action.MANAGE_USERS, show=_users_page, done=done)


@router.post("/admin/users/{user_id}/password", response_class=HTMLResponse)
def users_reset(
    request: Request, user_id: Id, page: PageDep, password: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
) -> HTMLResponse:
    def act(s: Any, **kw: Any) -> int | None:
        return reset_password(s, user_id=user_id, password=password, **kw)

    def done(pending: int | None) -> str:
        if pending is not None:
            return "ส่งคำขอตั้งรหัสผ่านใหม่แล้ว รอหัวหน้าส่วนราชการอนุมัติ (บัญชีนี้เข้าถึงความลับหรืออนุมัติคำขอ)"
        return "ตั้งรหัสผ่านใหม่แล้ว"

    return _act(request, page, csrf, act, may=Action.MANAGE_USERS, show=_users_page, done=done)


def _grants_page(request: Request, page: Page, *, status: int = 200, message: str = "") -> HTMLResponse:
    with app_of(request).tx() as uow:
        requests = grant_requests(uow.session, page.actor)
    return render(request, "grants.html", page, status=status, requests=requests, message=message)


DECIDED_TH = {"approve": "อนุมัติแล้ว", "refuse": "ไม่อนุมัติ"}


@router.get("/grants", response_class=HTMLResponse)
def grants_page(request: Request, page: PageDep, decided: str = "") -> HTMLResponse:
    """The head of the office (and the administrators, to follow them): requests that reach secrets."""
    return _grants_page(request, page, message=DECIDED_TH.get(decided, ""))


@router.post("/grants/{request_id}/{verdict}", response_model=None)
def grants_decide(
    request: Request,
    page: PageDep,
    request_id: Id,
    verdict: Literal["approve", "refuse"],
    csrf: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Decided, then back to the list (a reload of the result asks nothing again)."""
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
    return RedirectResponse(f"/grants?decided={verdict}", status_code=303)


# ---------------------------------------------------------------------------------------------- one account


def _user_page(
    request: Request, page: Page, user_id: int, *, status: int = 200, message: str = "", error: str = ""
) -> HTMLResponse:
    app = app_of(request)
    with app.tx() as uow:
        detail = user_detail(uow.session, actor=page.actor, user_id=user_id, now=app.clock())
        _, units = accounts_overview(uow.session, page.actor)
        pending = pending_of(uow.session, user_id)
    return render(
        request,
        "user.html",
        page,
        status=status,
        units=units,
        roles=list(Role),
        pending=pending,
        message=message,
        error=error,
        **detail,
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(request: Request, page: PageDep, user_id: Id) -> HTMLResponse:
    require(page.actor, Action.MANAGE_USERS)
    return _user_page(request, page, user_id)


def _user_act(
    request: Request, page: Page, user_id: int, csrf: str, done: str, act: Callable[..., int | None]
) -> HTMLResponse:
    """A change to one account, shown on its page; a change that waits for the head of the office says so."""

    def said(pending: int | None) -> str:
        return done + (AWAITING_HEAD if pending is not None else "")

    show = partial(_user_page, user_id=user_id)
    return _act(request, page, csrf, act, may=Action.MANAGE_USERS, show=show, done=said, missing_is_404=True)


@router.post("/admin/users/{user_id}/deactivate", response_class=HTMLResponse)
def user_deactivate(request: Request, page: PageDep, user_id: Id, csrf: Annotated[str, Form()] = "") -> HTMLResponse:
    def act(s: Any, **kw: Any) -> None:
        set_active(s, user_id=user_id, active=False, **kw)

    return _user_act(request, page, user_id, csrf, "ระงับบัญชีแล้ว (ข้อมูลยังอยู่ครบ เปิดใช้ใหม่ได้)", act)


@router.post("/admin/users/{user_id}/reactivate", response_class=HTMLResponse)
def user_reactivate(request: Request, page: PageDep, user_id: Id, csrf: Annotated[str, Form()] = "") -> HTMLResponse:
    def act(s: Any, **kw: Any) -> None:
        set_active(s, user_id=user_id, active=True, **kw)

    return _user_act(request, page, user_id, csrf, "เปิดใช้บัญชีแล้ว", act)


@router.post("/admin/users/{user_id}/unlock", response_class=HTMLResponse)
def user_unlock(request: Request, page: PageDep, user_id: Id, csrf: Annotated[str, Form()] = "") -> HTMLResponse:
    def act(s: Any, **kw: Any) -> None:
        unlock(s, user_id=user_id, **kw)

    return _user_act(request, page, user_id, csrf, "ปลดล็อกบัญชีแล้ว", act)


@router.post("/admin/users/{user_id}/edit", response_class=HTMLResponse)
def user_edit(
    request: Request,
    page: PageDep,
    user_id: Id,
    full_name: Annotated[Line, Form(max_length=255)] = "",
    clearance: Annotated[Clearance, Form()] = 0,
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    def act(s: Any, **kw: Any) -> int | None:
        return update_user(s, user_id=user_id, full_name=full_name, clearance=clearance, **kw)

    return _user_act(request, page, user_id, csrf, "บันทึกการแก้ไขแล้ว", act)


@router.post("/admin/users/{user_id}/roles", response_class=HTMLResponse)
def user_add_role(
    request: Request,
    page: PageDep,
    user_id: Id,
    unit: Annotated[Line, Form(max_length=64)],
    role: Annotated[Line, Form(max_length=64)],
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    def act(s: Any, **kw: Any) -> int | None:
        return add_membership(s, user_id=user_id, unit=unit, role=role, **kw)

    return _user_act(request, page, user_id, csrf, "เพิ่มบทบาทแล้ว", act)


@router.post("/admin/users/{user_id}/roles/{membership_id}/remove", response_class=HTMLResponse)
def user_remove_role(
    request: Request, page: PageDep, user_id: Id, membership_id: Id, csrf: Annotated[str, Form()] = ""
) -> HTMLResponse:
    def act(s: Any, **kw: Any) -> None:
        remove_membership(s, user_id=user_id, membership_id=membership_id, **kw)

    return _user_act(request, page, user_id, csrf, "นำบทบาทออกแล้ว", act)


# ---------------------------------------------------------------------------------------------- units


def _units_page(request: Request, page: Page, *, status: int = 200, message: str = "", error: str = "") -> HTMLResponse:
    with app_of(request).tx() as uow:
        units = units_overview(uow.session, page.actor)
    return render(
        request, "units.html", page, status=status, units=units, kinds=UNIT_KINDS, message=message, error=error
    )


@router.get("/admin/units", response_class=HTMLResponse)
def units_page(request: Request, page: PageDep) -> HTMLResponse:
    return _units_page(request, page)


@router.post("/admin/units", response_class=HTMLResponse)
def units_create(
    request: Request,
    page: PageDep,
    code: Annotated[Line, Form(max_length=64)],
    name: Annotated[Line, Form(max_length=255)],
    kind: Annotated[Line, Form(max_length=16)],
    short_name: Annotated[Line, Form(max_length=128)] = "",
    letter_code: Annotated[Line, Form(max_length=32)] = "",
    address: Annotated[Text, Form(max_length=1000)] = "",
    parent: Annotated[Line, Form(max_length=64)] = "",
    internal: Annotated[bool, Form()] = False,
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    def act(s: Any, **kw: Any) -> object:
        return create_unit(
            s, code=code, name=name, kind=kind, short_name=short_name, letter_code=letter_code, address=address,
            parent=parent, internal=internal, **kw,
        )  # fmt: skip

    return _act(request, page, csrf, act, may=Action.MANAGE_UNITS, show=_units_page, done=f"เพิ่มหน่วยงาน {name} แล้ว")


def _unit_page(
    request: Request, page: Page, unit_id: int, *, status: int = 200, message: str = "", error: str = ""
) -> HTMLResponse:
    with app_of(request).tx() as uow:
        found = [u for u in units_overview(uow.session, page.actor) if u["unit"].id == unit_id]
    if not found:
        raise NotFound("no such unit", thai="ไม่พบหน่วยงาน")
    return render(request, "unit.html", page, status=status, message=message, error=error, **found[0])


@router.get("/admin/units/{unit_id}", response_class=HTMLResponse)
def unit_page(request: Request, page: PageDep, unit_id: Id) -> HTMLResponse:
    return _unit_page(request, page, unit_id)


@router.post("/admin/units/{unit_id}", response_class=HTMLResponse)
def unit_edit(
    request: Request,
    page: PageDep,
    unit_id: Id,
    name: Annotated[Line, Form(max_length=255)],
    short_name: Annotated[Line, Form(max_length=128)] = "",
    letter_code: Annotated[Line, Form(max_length=32)] = "",
    address: Annotated[Text, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    def act(s: Any, **kw: Any) -> object:
        return update_unit(
            s, unit_id=unit_id, name=name, short_name=short_name, letter_code=letter_code, address=address, **kw
        )

    show = partial(_unit_page, unit_id=unit_id)
    return _act(
        request, page, csrf, act, may=Action.MANAGE_UNITS, show=show, done="บันทึกการแก้ไขแล้ว", missing_is_404=True
    )


# ---------------------------------------------------------------------------------------------- registries


def _registries_page(
    request: Request, page: Page, *, status: int = 200, message: str = "", error: str = ""
) -> HTMLResponse:
    app = app_of(request)
    with app.tx() as uow:
        registries = registries_overview(uow.session, page.actor)
        _, units = accounts_overview(uow.session, page.actor)
    return render(
        request,
        "registries.html",
        page,
        status=status,
        registries=registries,
        units=units,
        kinds=REGISTRY_KINDS,
        this_year=app.clock().year + 543,
        message=message,
        error=error,
    )


@router.get("/admin/registries", response_class=HTMLResponse)
def registries_page(request: Request, page: PageDep) -> HTMLResponse:
    require(page.actor, Action.MANAGE_REGISTRIES)
    return _registries_page(request, page)


def _registry_act(request: Request, page: Page, csrf: str, done: str, act: Callable[..., object]) -> HTMLResponse:
    return _act(request, page, csrf, act, may=Action.MANAGE_REGISTRIES, show=_registries_page, done=done)


@router.post("/admin/registries", response_class=HTMLResponse)
def registries_create(
    request: Request,
    page: PageDep,
    code: Annotated[Line, Form(max_length=64)],
    name: Annotated[Line, Form(max_length=255)],
    kind: Annotated[Line, Form(max_length=32)],
    unit: Annotated[Line, Form(max_length=64)],
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    def act(s: Any, **kw: Any) -> object:
        return create_registry(s, code=code, name=name, kind=kind, unit=unit, **kw)

    return _registry_act(request, page, csrf, f"สร้าง{name}แล้ว", act)


@router.post("/admin/registries/{registry_id}/rename", response_class=HTMLResponse)
def registries_rename(
    request: Request,
    page: PageDep,
    registry_id: Id,
    name: Annotated[Line, Form(max_length=255)],
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    def act(s: Any, **kw: Any) -> object:
        return rename_registry(s, registry_id=registry_id, name=name, **kw)

    return _registry_act(request, page, csrf, "เปลี่ยนชื่อทะเบียนแล้ว", act)


@router.post("/admin/registries/{registry_id}/close", response_class=HTMLResponse)
def registries_close(
    request: Request,
    page: PageDep,
    registry_id: Id,
    year: Annotated[BeYear, Form()],
    confirm: Annotated[bool, Form()] = False,
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Closing a year cannot be undone, so the form asks for a tick first (the year is filled in for one click)."""

    def act(s: Any, **kw: Any) -> object:
        if not confirm:
            raise InvalidInput(
                "closing a year needs confirm=1",
                thai=f"ยังไม่ได้ปิดทะเบียน: ทำเครื่องหมายยืนยันก่อนปิดทะเบียนประจำปี พ.ศ. {year} (ปิดแล้วเปิดคืนไม่ได้)",
            )
        return close_year(s, registry_id=registry_id, year=year, **kw)

    return _registry_act(request, page, csrf, f"ปิดทะเบียนประจำปี พ.ศ. {year} แล้ว", act)
