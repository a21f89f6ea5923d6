"""The Thai web UI: server-rendered pages over the same use-cases as the API, signed in by session cookie."""

from __future__ import annotations

import hmac
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from service.access import Actor
from service.errors import Forbidden, NotFound, SarabanError, Unauthenticated
from service.fonts import thai_font
from service.http import SESSION_COOKIE, app_of, record_failure, resolve, sign_in, where
from service.letters import parse_letter_meta, read_letter
from service.models import Registry, Unit
from service.roles import REGISTRARS, ROLE_TH, SECRECY_LABELS, SECRET_KINDS, URGENCY_LABELS, Role
from service.thai import format_thai_date, format_thai_datetime, local
from service.vocab import CHANNELS, LETTER_TYPES

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(
    URGENCY_LABELS=URGENCY_LABELS,
    SECRECY_LABELS=SECRECY_LABELS,
    LETTER_TYPES=LETTER_TYPES,
    CHANNELS=CHANNELS,
    ROLE_TH=ROLE_TH,
)
templates.env.filters["thai_dt"] = lambda v: format_thai_datetime(datetime.fromisoformat(v)) if v else ""
templates.env.filters["thai_d"] = lambda v: format_thai_date(date.fromisoformat(v), thai_digits=False) if v else ""
router = APIRouter()


class CsrfFailed(Forbidden):
    code = "csrf_failed"


class Page:
    """The signed-in user of a page, with the session's CSRF token."""

    def __init__(self, actor: Actor, csrf: str) -> None:
        self.actor, self.csrf = actor, csrf


def page_user(request: Request) -> Page:
    app = app_of(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        record_failure(app, request, action="auth_refused", reason="missing session cookie", channel="session")
        raise Unauthenticated("please sign in", thai="กรุณาลงชื่อเข้าใช้")
    token = resolve(app, request, secret=secret, kind="session")
    actor, csrf = token.actor, token.csrf_token
    request.state.actor = actor
    return Page(actor, csrf)


PageDep = Annotated[Page, Depends(page_user)]


def check_csrf(page: Page, token: str | None) -> None:
    if not token or not hmac.compare_digest(token, page.csrf):
        raise CsrfFailed(
            "the form's CSRF token is missing or wrong", thai="แบบฟอร์มหมดอายุหรือไม่ถูกต้อง กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง"
        )


def render(request: Request, name: str, page: Page | None, status: int = 200, **ctx: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"page": page, "actor": page.actor if page else None, **ctx}, status_code=status
    )


def render_error_page(request: Request, exc: SarabanError) -> Response:
    return templates.TemplateResponse(
        request,
        "error.html",
        {"page": None, "actor": getattr(request.state, "actor", None), "error": exc},
        status_code=exc.status,
    )


# ---------------------------------------------------------------------------------------------- sign-in


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/", reason: str = "") -> HTMLResponse:
    message = {"token_invalid": "เซสชันหมดอายุ กรุณาลงชื่อเข้าใช้ใหม่"}.get(reason, "")
    return render(request, "login.html", None, next=next if next.startswith("/") else "/", message=message)


@router.post("/login", response_model=None)
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    app = app_of(request)
    try:
        secret, _, _ = sign_in(app, request, username=username, password=password, kind="session")
    except Unauthenticated as exc:
        return render(request, "login.html", None, status=401, next=next, message=exc.thai, username=username)
    resp = RedirectResponse(next if next.startswith("/") and not next.startswith("//") else "/", status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=app.settings.cookie_secure,
        max_age=app.settings.token_ttl_minutes * 60,
    )
    return resp


@router.post("/logout")
def logout(request: Request, page: PageDep, csrf: Annotated[str, Form()] = "") -> RedirectResponse:
    check_csrf(page, csrf)
    from service.auth import revoke_token

    app = app_of(request)
    with app.tx() as uow:
        revoke_token(uow.session, secret=request.cookies[SESSION_COOKIE], now=app.clock())
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@router.get("/password", response_class=HTMLResponse)
def password_form(request: Request, page: PageDep) -> HTMLResponse:
    return render(request, "password.html", page)


@router.post("/password", response_model=None)
def password_change(
    request: Request,
    page: PageDep,
    old_password: Annotated[str, Form()],
    new_password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(page, csrf)
    from service import audit
    from service.auth import change_password
    from service.models import User

    app = app_of(request)
    try:
        with app.tx() as uow:
            user = uow.session.get(User, page.actor.id)
            assert user is not None
            change_password(uow.session, user=user, old=old_password, new=new_password, now=app.clock())
            audit.record(
                uow.session,
                at=app.clock(),
                action="password_changed",
                actor=page.actor,
                object_type="user",
                object_id=page.actor.id,
                where=where(request),
            )
    except SarabanError as exc:
        return render(request, "password.html", page, status=exc.status, message=exc.thai)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


# ---------------------------------------------------------------------------------------------- registers


def _readable_registries(request: Request, actor: Actor) -> list[Registry]:
    from service.access import may_read_registry
    from service.letters import unit_ancestors

    app = app_of(request)
    with app.tx() as uow:
        rows = uow.session.exec(select(Registry).order_by(col(Registry.id))).all()
        return [
            r
            for r in rows
            if may_read_registry(
                actor,
                registry_kind=r.kind,
                registry_unit_id=r.unit_id,
                ancestors=unit_ancestors(uow.session, r.unit_id),
            )
        ]


@router.get("/", response_model=None)
def home(request: Request, page: PageDep) -> Response:
    regs = _readable_registries(request, page.actor)
    if regs:
        return RedirectResponse(f"/registers/{regs[0].id}", status_code=303)
    if page.actor.has_role(Role.AUDITOR):
        return RedirectResponse("/search", status_code=303)
    return render(request, "home.html", page)


@router.get("/registers/{registry_id}", response_class=HTMLResponse)
def register_page(request: Request, registry_id: int, page: PageDep, year: str | None = None) -> HTMLResponse:
    from service.api import _year
    from service.registers import register_entries

    app = app_of(request)
    with app.tx() as uow:
        y = _year(year, app.clock())
        registry, rows = register_entries(
            uow.session,
            page.actor,
            registry_id=registry_id,
            year=y,
            newest_first=True,
            limit=500,
            tz=app.settings.timezone,
        )
        unit = uow.session.get(Unit, registry.unit_id)
    may_add = any(page.actor.has_role(r, registry.unit_id) for r in REGISTRARS.get(registry.kind, ()))
    return render(
        request,
        "register.html",
        page,
        registry=registry,
        entries=rows,
        year=y,
        unit=unit,
        registries=_readable_registries(request, page.actor),
        may_add=may_add,
    )


@router.get("/registers/{registry_id}/receive", response_class=HTMLResponse)
def receive_form(request: Request, registry_id: int, page: PageDep) -> HTMLResponse:
    from service.letters import visible_registry

    app = app_of(request)
    with app.tx() as uow:
        registry = visible_registry(uow.session, page.actor, registry_id)
    return render(request, "receive.html", page, registry=registry, form={}, secret=registry.kind in SECRET_KINDS)


FORM_FIELDS = (
    "letter_no",
    "letter_date",
    "sender",
    "recipient",
    "subject",
    "summary",
    "letter_type",
    "urgency",
    "secrecy",
    "channel",
    "remarks",
    "deliver_by",
)


@router.post("/registers/{registry_id}/receive", response_model=None)
async def receive_submit(request: Request, registry_id: int, page: PageDep) -> Response:
    from service.receiving import register_received
    from service.uploads import read_upload

    app = app_of(request)
    s = app.settings
    upload = await read_upload(request, tmp_dir=app.tmp_dir, max_files=s.max_files, max_file_bytes=s.max_file_bytes)
    form = {k: upload.fields.get(k, "") for k in FORM_FIELDS}
    try:
        check_csrf(page, upload.fields.get("csrf"))
        data = parse_letter_meta({k: v for k, v in form.items() if v != ""})
        result = await run_in_threadpool(
            register_received,
            app,
            actor=page.actor,
            registry_id=registry_id,
            data=data,
            upload=upload,
            where=where(request),
        )
    except (Unauthenticated, CsrfFailed, NotFound):
        upload.discard()
        raise
    except SarabanError as exc:
        upload.discard()
        if isinstance(exc, Forbidden):  # shown on the form, so the shared renderer does not see it: audit here
            record_failure(app, request, action="permission_denied", actor=page.actor, reason=exc.detail)
        from service.letters import visible_registry

        with app.tx() as uow:
            registry = visible_registry(uow.session, page.actor, registry_id)
        return render(
            request,
            "receive.html",
            page,
            status=exc.status,
            registry=registry,
            form=form,
            error=exc,
            secret=registry.kind in SECRET_KINDS,
        )
    return RedirectResponse(f"/letters/{result['letter_id']}?registered=1", status_code=303)


# ---------------------------------------------------------------------------------------------- letters


@router.get("/letters/{letter_id}", response_class=HTMLResponse)
def letter_page(request: Request, letter_id: int, page: PageDep, registered: int = 0) -> HTMLResponse:
    app = app_of(request)
    with app.tx() as uow:
        view = read_letter(
            uow.session, page.actor, letter_id, now=app.clock(), where=where(request), tz=app.settings.timezone
        )
    history = None
    if page.actor.has_role(Role.AUDITOR):
        from service.api import audit_events

        history = audit_events(request, page.actor, letter_id=letter_id, since=None, until=None)
    return render(request, "letter.html", page, letter=view, registered=registered, history=history)


@router.get("/attachments/{attachment_id}/{which}", response_model=None)
def attachment_file(request: Request, attachment_id: int, which: str, page: PageDep) -> Response:
    from service.api import _download

    if which not in ("content", "stamped"):
        raise NotFound("no such file", thai="ไม่พบไฟล์")
    return _download(request, page.actor, attachment_id, stamped=which == "stamped")


# ---------------------------------------------------------------------------------------------- audit


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, page: PageDep, since: str = "", until: str = "") -> HTMLResponse:
    from service.api import audit_events

    app = app_of(request)
    today = local(app.clock(), app.settings.timezone).date().isoformat()
    since, until = since or today, until or today
    rows = audit_events(request, page.actor, letter_id=None, since=since, until=until, limit=500)
    return render(request, "audit.html", page, events=rows, since=since, until=until)


@router.get("/audit/export", response_model=None)
def audit_export(request: Request, page: PageDep, since: str = "", until: str = "", format: str = "csv") -> Response:
    import json

    from service.api import audit_events, events_csv

    rows = audit_events(request, page.actor, letter_id=None, since=since or None, until=until or None)
    name = f"audit-{since or 'all'}-{until or 'all'}"
    if format == "json":
        return Response(
            json.dumps(rows, ensure_ascii=False, indent=1),
            media_type="application/json",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.json"},
        )
    return Response(
        events_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.csv"},
    )


# ---------------------------------------------------------------------------------------------- admin


def _admin(page: Page) -> None:
    if not page.actor.has_role(Role.ADMIN):
        raise Forbidden("administrators only", thai="เฉพาะผู้ดูแลระบบ")


def _users_page(request: Request, page: Page, *, status: int = 200, message: str = "", error: str = "") -> HTMLResponse:
    from service.models import Membership, User

    app = app_of(request)
    with app.tx() as uow:
        units = uow.session.exec(select(Unit).where(Unit.internal == True).order_by(col(Unit.id))).all()  # noqa: E712
        names = {u.id: u.short_name or u.name for u in units}
        users = [
            (
                u,
                [
                    f"{ROLE_TH.get(Role(m.role), m.role)} · {names.get(m.unit_id, m.unit_id)}"
                    for m in uow.session.exec(select(Membership).where(Membership.user_id == u.id))
                ],
            )
            for u in uow.session.exec(select(User).order_by(col(User.id)))
        ]
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
    _admin(page)
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
    clearance: Annotated[int, Form()] = 0,
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    _admin(page)
    check_csrf(page, csrf)
    from service.users import create_user

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
    request: Request, user_id: int, page: PageDep, password: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
) -> HTMLResponse:
    _admin(page)
    check_csrf(page, csrf)
    from service.users import reset_password, user_by_id

    app = app_of(request)
    try:
        with app.tx() as uow:
            user = user_by_id(uow.session, user_id)
            reset_password(
                uow.session, user=user, password=password, now=app.clock(), actor=page.actor, where=where(request)
            )
    except SarabanError as exc:
        return _users_page(request, page, status=exc.status, error=exc.thai)
    return _users_page(request, page, message="ตั้งรหัสผ่านใหม่แล้ว")


# ---------------------------------------------------------------------------------------------- assets


@router.get("/static/sarabun-{weight}.ttf", include_in_schema=False)
def font(weight: str) -> FileResponse:
    path = thai_font(bold=weight == "bold")
    return FileResponse(path, media_type="font/ttf", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    page: PageDep,
    q: str = "",
    date: str = "",
    letter_type: str = "",
    urgency: str = "",
    sort: str = "relevance",
    p: int = 1,
) -> HTMLResponse:
    from service.searching import SearchParams, search_letters

    app = app_of(request)
    result = None
    error = None
    if q or date or letter_type or urgency:
        try:
            result = search_letters(
                app,
                page.actor,
                SearchParams(q=q, date=date, letter_type=letter_type, urgency=urgency, sort=sort, page=p),
                where=where(request),
            )
        except SarabanError as exc:
            error = exc
    return render(
        request,
        "search.html",
        page,
        q=q,
        date=date,
        letter_type=letter_type,
        urgency=urgency,
        sort=sort,
        result=result,
        error=error,
        p=p,
    )


def mount_web(app: FastAPI) -> None:
    app.include_router(router)
