"""Sign-in pages: the login form, signing out, changing one's password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.auth.core import change_own_password, revoke_token
from service.auth.signin import sign_in
from service.edge.deps import SESSION_COOKIE, PageDep, app_of, check_csrf, where
from service.edge.templates import render
from service.kit.errors import SarabanError, Unauthenticated
from service.kit.fields import Line

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/", reason: str = "") -> HTMLResponse:
    message = {"token_invalid": "เซสชันหมดอายุ กรุณาลงชื่อเข้าใช้ใหม่"}.get(reason, "")
    return render(request, "login.html", None, next=next if next.startswith("/") else "/", message=message)


@router.post("/login", response_model=None)
def login(
    request: Request,
    username: Annotated[Line, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    app = app_of(request)
    try:
        secret, _, _ = sign_in(app, username=username, password=password, kind="session", where=where(request))
    except Unauthenticated as exc:
        return render(request, "login.html", None, status=exc.status, next=next, message=exc.thai, username=username)
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
    app = app_of(request)
    try:
        with app.tx() as uow:
            change_own_password(
                uow.session, actor=page.actor, old=old_password, new=new_password, now=app.clock(), where=where(request)
            )
    except SarabanError as exc:
        return render(request, "password.html", page, status=exc.status, message=exc.thai)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp
