"""The journey's pages: the inbox (the first page after signing in when something waits), and the letter page's
actions — route, register, acknowledge, return, complete, recall, instruct — each a form with the CSRF token that
redirects back to the letter."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.access.queries import get_visible_letter
from service.context import Saraban
from service.edge.deps import PageDep, app_of, check_csrf, where
from service.edge.files import file_response
from service.edge.publicids import public_letter, with_letter_url
from service.edge.templates import render, templates
from service.kit.db import UnitOfWork
from service.kit.errors import NotFound
from service.kit.fields import Count, Days, Id, read_date
from service.kit.publicids import LetterRef
from service.models import Routing
from service.routing.core import (
    Recipient,
    acknowledge_route,
    complete_route,
    recall_route,
    register_route,
    return_route,
    route_to,
)
from service.routing.inbox import VIEWS, calendar_from, inbox
from service.routing.instructions import add_instruction, instructed_copy
from service.routing.rules import STATE_TH, STEP_TH

router = APIRouter()


def duration_th(seconds: int | None) -> str:
    """``2 วัน 3 ชม.``, ``3 ชม. 5 นาที``, ``35 นาที``, ``ไม่ถึง 1 นาที``."""
    if seconds is None:
        return ""
    minutes = max(0, seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} วัน" + (f" {hours} ชม." if hours else "")
    if hours:
        return f"{hours} ชม." + (f" {minutes} นาที" if minutes else "")
    return f"{minutes} นาที" if minutes else "ไม่ถึง 1 นาที"


WAITING_TH = {
    "register": "รอลงทะเบียนรับ",
    "acknowledge": "รอรับทราบ",
    "act": "รอปฏิบัติ",
    "returned": "ถูกส่งคืน",
    "following": "ติดตาม",
}
DONE_TH = {
    "route": "ส่งต่อเรียบร้อย",
    "register": "ลงทะเบียนรับเรียบร้อย",
    "acknowledge": "รับทราบเรียบร้อย",
    "return": "ส่งคืนเรียบร้อย",
    "complete": "บันทึกการปฏิบัติเรียบร้อย",
    "recall": "เรียกคืนเรียบร้อย",
    "instruct": "บันทึกการสั่งการเรียบร้อย",
}
templates.env.globals.update(STATE_TH=STATE_TH, STEP_TH=STEP_TH, WAITING_TH=WAITING_TH, DONE_TH=DONE_TH)
templates.env.filters["duration"] = duration_th

VIEW_TH = {
    "all": "ทั้งหมด",
    "register": "รอลงทะเบียนรับ",
    "acknowledge": "รอรับทราบ",
    "act": "รอปฏิบัติ/มอบหมาย",
    "returned": "ถูกส่งคืน",
    "overdue": "เกินกำหนด",
    "older": "ค้างเกิน {days} วัน",
    "following": "ติดตามที่ส่งไป",
}


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, page: PageDep, view: str = "all", days: Days = 3, start: Count = 0) -> HTMLResponse:
    app = app_of(request)
    now = app.clock()
    view = view if view in VIEWS else "all"
    with app.tx(readonly=True) as uow:
        box = inbox(
            uow.session,
            page.actor,
            view=view,
            now=now,
            calendar=calendar_from(app.settings),
            older_than_days=max(0, min(days, 3650)),
            limit=100,
            offset=max(0, start),
        )
    tz = app.settings.timezone
    return render(
        request,
        "inbox.html",
        page,
        box=box,
        items=[with_letter_url(row.as_dict(now=now, tz=tz)) for row in box.rows],
        view=view,
        days=days,
        start=start,
        views=[(v, VIEW_TH[v].format(days=days)) for v in VIEWS],
    )


def _back(letter_id: int, done: str, anchor: str = "journey") -> RedirectResponse:
    return RedirectResponse(f"/letters/{public_letter(letter_id)}?done={done}#{anchor}", status_code=303)


def _due(app: Saraban, raw: str) -> datetime | None:
    """A due date typed on the form (a Thai or ISO date): the close of office hours that day."""
    day = read_date(raw, field="due", field_th="วันที่กำหนดเสร็จ")
    if day is None:
        return None
    return datetime.combine(day, app.settings.office_end, tzinfo=ZoneInfo(app.settings.timezone))


@router.post("/letters/{letter_id}/routes", response_model=None)
def route_form(
    request: Request,
    letter_id: LetterRef,
    page: PageDep,
    csrf: Annotated[str, Form()] = "",
    to_unit_ids: Annotated[list[Id] | None, Form()] = None,
    to_user_ids: Annotated[list[Id] | None, Form()] = None,
    instruction: Annotated[str, Form(max_length=2000)] = "",
    due_date: Annotated[str, Form()] = "",
    from_route_id: Annotated[Id | None, Form()] = None,
) -> Response:
    check_csrf(page, csrf)
    app = app_of(request)
    recipients = [Recipient(unit_id=u) for u in to_unit_ids or []] + [Recipient(user_id=u) for u in to_user_ids or []]
    with app.tx() as uow:
        route_to(
            uow.session,
            actor=page.actor,
            letter_id=letter_id,
            recipients=recipients,
            instruction=instruction,
            due_at=_due(app, due_date),
            from_route_id=from_route_id,
            now=app.clock(),
            where=where(request),
        )
        _reindex(app, uow, letter_id)
    return _back(letter_id, "route")


def _reindex(app: Saraban, uow: UnitOfWork, letter_id: LetterRef) -> None:
    if app.indexer is not None:
        indexer = app.indexer
        uow.after_commit(lambda: indexer.enqueue(letter_id))


def _letter_of(app: Saraban, page: PageDep, route_id: Id) -> int:
    with app.tx(readonly=True) as uow:
        route = uow.session.get(Routing, route_id)
        if route is None:
            raise NotFound(f"routing {route_id} not found", thai="ไม่พบรายการส่งต่อนี้")
        try:
            get_visible_letter(uow.session, page.actor, route.letter_id)
        except NotFound:
            raise NotFound(f"routing {route_id} not found", thai="ไม่พบรายการส่งต่อนี้") from None
        return route.letter_id


@router.post("/routes/{route_id}/{step}", response_model=None)
def step_form(
    request: Request,
    route_id: Id,
    step: str,
    page: PageDep,
    csrf: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
    action: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_csrf(page, csrf)
    if step not in ("register", "acknowledge", "return", "complete", "recall"):
        raise NotFound("no such step", thai="ไม่พบหน้าที่ต้องการ")
    app = app_of(request)
    letter_id = _letter_of(app, page, route_id)
    actor, now, at = page.actor, app.clock(), where(request)
    with app.tx() as uow:
        s = uow.session
        if step == "register":
            register_route(s, actor=actor, route_id=route_id, now=now, where=at)
        elif step == "acknowledge":
            acknowledge_route(s, actor=actor, route_id=route_id, now=now, where=at)
        elif step == "return":
            return_route(s, actor=actor, route_id=route_id, reason=reason, now=now, where=at)
        elif step == "complete":
            complete_route(s, actor=actor, route_id=route_id, action=action, now=now, where=at)
        else:
            recall_route(s, actor=actor, route_id=route_id, now=now, where=at)
        if step in ("register", "recall"):
            _reindex(app, uow, letter_id)
    return _back(letter_id, step, f"route-{route_id}")


@router.post("/letters/{letter_id}/instructions", response_model=None)
def instruction_form(
    request: Request,
    letter_id: LetterRef,
    page: PageDep,
    csrf: Annotated[str, Form()] = "",
    text: Annotated[str, Form(max_length=2000)] = "",
    name: Annotated[str, Form(max_length=255)] = "",
    position: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    check_csrf(page, csrf)
    app = app_of(request)
    with app.tx() as uow:
        add_instruction(
            uow.session,
            actor=page.actor,
            letter_id=letter_id,
            text=text,
            name=name or None,
            position=position,
            now=app.clock(),
            where=where(request),
        )
        _reindex(app, uow, letter_id)
    return _back(letter_id, "instruct", "instructions")


@router.get("/letters/{letter_id}/instructed", response_model=None)
def instructed_file(request: Request, letter_id: LetterRef, page: PageDep) -> Response:
    app = app_of(request)
    ref = instructed_copy(app, actor=page.actor, letter_id=letter_id, where=where(request))
    return file_response(app.store, ref, request=request)
