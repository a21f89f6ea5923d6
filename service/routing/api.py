"""The journey over the API: route a letter to units and people, each recipient's steps, the sender's recall, the
inbox, the timeline, instructions (เกษียณ) and the copy with them under the receive stamp."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from service import audit
from service.access.queries import get_visible_letter
from service.context import Saraban
from service.edge.deps import ActorDep, app_of, where
from service.edge.errors import PDF
from service.edge.files import file_response
from service.edge.idempotent import idempotent
from service.edge.publicids import with_letter_url
from service.kit.db import UnitOfWork
from service.kit.errors import NotFound
from service.kit.fields import Count, Days, Id, Line, OfficeDateTime, Text
from service.kit.publicids import LetterRef
from service.kit.thai import local
from service.models import Registration, Registry, Routing
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
from service.routing.panel import letter_panel
from service.routing.views import Names, instruction_view, journey, route_view

router = APIRouter(prefix="/api/v1")


class RouteIn(BaseModel):
    """One recipient (``to_unit_id`` or ``to_user_id``) or several (``to_unit_ids``, ``to_user_ids``), with one
    instruction and an optional due date (a date-time without a zone is office time)."""

    to_unit_id: Id | None = None
    to_user_id: Id | None = None
    to_unit_ids: list[Id] = Field(default_factory=list, max_length=10000)
    to_user_ids: list[Id] = Field(default_factory=list, max_length=10000)
    instruction: Text = Field(default="", max_length=2000)
    due_at: OfficeDateTime | None = None
    from_route_id: Id | None = None  # forward from this routing (found when omitted)

    def recipients(self) -> list[Recipient]:
        if self.to_unit_id is not None and self.to_user_id is not None:
            return [Recipient(unit_id=self.to_unit_id, user_id=self.to_user_id)]  # refused: exactly one each
        single = [Recipient(unit_id=self.to_unit_id)] if self.to_unit_id is not None else []
        single += [Recipient(user_id=self.to_user_id)] if self.to_user_id is not None else []
        return [
            *single,
            *(Recipient(unit_id=u) for u in self.to_unit_ids),
            *(Recipient(user_id=u) for u in self.to_user_ids),
        ]


class ReasonIn(BaseModel):
    reason: Text = Field(max_length=1000)


class ActionIn(BaseModel):
    action: Text = Field(max_length=2000)


class InstructionIn(BaseModel):
    text: Text = Field(max_length=2000)
    name: Line | None = Field(default=None, max_length=255)  # the typed name (default: the account's name)
    position: Line | None = Field(default=None, max_length=255)


def _office_time(app: Saraban, moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=ZoneInfo(app.settings.timezone))
    return moment


def _reindex(app: Saraban, uow: UnitOfWork, letter_id: LetterRef) -> None:
    if app.indexer is not None:
        indexer = app.indexer
        uow.after_commit(lambda: indexer.enqueue(letter_id))


def _route_json(app: Saraban, uow: UnitOfWork, route: Routing) -> dict[str, Any]:
    return route_view(route, Names(uow.session), tz=app.settings.timezone)


@router.post("/letters/{letter_id}/routes", status_code=201)
@idempotent()
def route(request: Request, letter_id: LetterRef, actor: ActorDep, body: RouteIn) -> dict[str, Any]:
    """Route the letter; 201 ``{"id", "letter_id", "state", "routes": [...]}`` (``id`` and ``state`` of the first)."""
    app = app_of(request)
    with app.tx() as uow:
        routes = route_to(
            uow.session,
            actor=actor,
            letter_id=letter_id,
            recipients=body.recipients(),
            instruction=body.instruction,
            due_at=_office_time(app, body.due_at),
            from_route_id=body.from_route_id,
            now=app.clock(),
            where=where(request),
        )
        _reindex(app, uow, letter_id)
        views = [_route_json(app, uow, r) for r in routes]
    return {"id": routes[0].id, "letter_id": letter_id, "state": routes[0].state, "routes": views}


@router.get("/routes/{route_id}")
def route_detail(request: Request, route_id: Id, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        r = uow.session.get(Routing, route_id)
        if r is None:
            raise NotFound(f"routing {route_id} not found", thai="ไม่พบรายการส่งต่อนี้")
        try:
            get_visible_letter(uow.session, actor, r.letter_id)
        except NotFound:
            raise NotFound(f"routing {route_id} not found", thai="ไม่พบรายการส่งต่อนี้") from None
        return route_view(r, Names(uow.session), actor=actor, now=app.clock(), tz=app.settings.timezone)


@router.post("/routes/{route_id}/register", status_code=201)
def register(request: Request, route_id: Id, actor: ActorDep) -> dict[str, Any]:
    """The unit's clerk registers it in the unit's receive register: 201 ``{"registration": {...}, "route": ...}``."""
    app = app_of(request)
    with app.tx() as uow:
        r, reg, registry = register_route(
            uow.session, actor=actor, route_id=route_id, now=app.clock(), where=where(request)
        )
        _reindex(app, uow, r.letter_id)
        return {
            "registration": _registration_json(app, reg, registry),
            "route": _route_json(app, uow, r),
        }


def _registration_json(app: Saraban, reg: Registration, registry: Registry) -> dict[str, Any]:
    return {
        "id": reg.id,
        "registry_id": reg.registry_id,
        "registry_code": registry.code,
        "registry_name": registry.name,
        "year": reg.year,
        "number": reg.number,
        "registered_at": local(reg.registered_at, app.settings.timezone).isoformat(),
    }


@router.post("/routes/{route_id}/acknowledge")
def acknowledge(request: Request, route_id: Id, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        r = acknowledge_route(uow.session, actor=actor, route_id=route_id, now=app.clock(), where=where(request))
        return _route_json(app, uow, r)


@router.post("/routes/{route_id}/return")
def give_back(request: Request, route_id: Id, actor: ActorDep, body: ReasonIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        r = return_route(
            uow.session, actor=actor, route_id=route_id, reason=body.reason, now=app.clock(), where=where(request)
        )
        return _route_json(app, uow, r)


@router.post("/routes/{route_id}/complete")
def complete(request: Request, route_id: Id, actor: ActorDep, body: ActionIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        r = complete_route(
            uow.session, actor=actor, route_id=route_id, action=body.action, now=app.clock(), where=where(request)
        )
        return _route_json(app, uow, r)


@router.post("/routes/{route_id}/recall")
def recall(request: Request, route_id: Id, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        r = recall_route(uow.session, actor=actor, route_id=route_id, now=app.clock(), where=where(request))
        _reindex(app, uow, r.letter_id)
        return _route_json(app, uow, r)


@router.post("/routes/{route_id}/forward", status_code=201)
def forward(request: Request, route_id: Id, actor: ActorDep, body: RouteIn) -> dict[str, Any]:
    """Pass on what was routed to the caller (a group clerk assigning officers): the letter's routes with
    ``from_route_id`` set to this one."""
    app = app_of(request)
    with app.tx() as uow:
        parent = uow.session.get(Routing, route_id)
        if parent is None:
            raise NotFound(f"routing {route_id} not found", thai="ไม่พบรายการส่งต่อนี้")
        letter_id = parent.letter_id
        try:
            get_visible_letter(uow.session, actor, letter_id)
        except NotFound:
            raise NotFound(f"routing {route_id} not found", thai="ไม่พบรายการส่งต่อนี้") from None
        routes = route_to(
            uow.session,
            actor=actor,
            letter_id=letter_id,
            recipients=body.recipients(),
            instruction=body.instruction,
            due_at=_office_time(app, body.due_at),
            from_route_id=route_id,
            now=app.clock(),
            where=where(request),
        )
        _reindex(app, uow, letter_id)
        views = [_route_json(app, uow, r) for r in routes]
    return {"id": routes[0].id, "letter_id": letter_id, "state": routes[0].state, "routes": views}


@router.get("/inbox")
def my_inbox(
    request: Request,
    actor: ActorDep,
    view: Annotated[str, Query(pattern="^(" + "|".join(VIEWS) + ")$")] = "all",
    days: Annotated[Days, Query()] = 3,
    limit: Annotated[int, Query(ge=0, le=500)] = 50,
    offset: Annotated[Count, Query()] = 0,
) -> dict[str, Any]:
    """What waits for the caller: ``{"view", "total", "counts": {view: n}, "items": [...]}`` — views ``all``,
    ``register``, ``acknowledge``, ``act``, ``returned``, ``overdue``, ``older`` (than ``days``), ``following`` (what
    the caller's desk sent that others hold, with ``holders``: per unit and person, how many, how many late, since
    when)."""
    app = app_of(request)
    now = app.clock()
    with app.tx(readonly=True) as uow:
        page = inbox(
            uow.session,
            actor,
            view=view,
            now=now,
            calendar=calendar_from(app.settings),
            older_than_days=days,
            limit=limit,
            offset=offset,
        )
    return {
        "view": page.view,
        "total": page.total,
        "counts": page.counts,
        "items": [with_letter_url(row.as_dict(now=now, tz=app.settings.timezone)) for row in page.rows],
        "holders": [
            {
                "name": h.name,
                "count": h.count,
                "overdue": h.overdue,
                "oldest_routed_at": local(h.oldest, app.settings.timezone).isoformat(),
            }
            for h in page.holders
        ],
    }


@router.get("/letters/{letter_id}/timeline")
def timeline(request: Request, letter_id: LetterRef, actor: ActorDep) -> dict[str, Any]:
    """``{"events": [{"at", "actor", "action", "took_seconds", ...}], "routes": [...], "instructions": [...]}``."""
    app = app_of(request)
    with app.tx() as uow:
        letter = get_visible_letter(uow.session, actor, letter_id)
        audit.record(
            uow.session,
            at=app.clock(),
            action="view",
            actor=actor,
            object_type="letter",
            object_id=letter_id,
            letter_id=letter_id,
            where=where(request),
            part="timeline",
        )
        return journey(uow.session, letter, actor=actor, now=app.clock(), tz=app.settings.timezone)


@router.post("/letters/{letter_id}/instructions", status_code=201)
def instruct(request: Request, letter_id: LetterRef, actor: ActorDep, body: InstructionIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        row = add_instruction(
            uow.session,
            actor=actor,
            letter_id=letter_id,
            text=body.text,
            name=body.name,
            position=body.position,
            now=app.clock(),
            where=where(request),
        )
        _reindex(app, uow, letter_id)
        return instruction_view(row, tz=app.settings.timezone)


@router.get("/letters/{letter_id}/instructions")
def instructions(request: Request, letter_id: LetterRef, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        letter = get_visible_letter(uow.session, actor, letter_id)
        return {"instructions": journey(uow.session, letter, tz=app.settings.timezone)["instructions"]}


@router.get("/letters/{letter_id}/recipients")
def recipients(request: Request, letter_id: LetterRef, actor: ActorDep) -> dict[str, Any]:
    """Whom the caller may route the letter to: ``{"units": [...], "people": [...]}`` (empty when they may not)."""
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        letter = get_visible_letter(uow.session, actor, letter_id)
        panel = letter_panel(uow.session, actor, letter, now=app.clock(), tz=app.settings.timezone)
        return {"units": panel["units"], "people": panel["people"], "forward_from": panel["forward_from"]}


@router.get("/letters/{letter_id}/instructed", responses=PDF)
def instructed(request: Request, letter_id: LetterRef, actor: ActorDep) -> StreamingResponse:
    """The receive-stamped copy with the instructions written under the stamp (made on request when stale)."""
    app = app_of(request)
    ref = instructed_copy(app, actor=actor, letter_id=letter_id, where=where(request))
    return file_response(app.store, ref, request=request)
