"""Routing over the API: send a letter on to a unit or a person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from service.edge.deps import ActorDep, app_of, where
from service.routing.core import route_letter

router = APIRouter(prefix="/api/v1")


class RouteIn(BaseModel):
    to_unit_id: int | None = None
    to_user_id: int | None = None
    instruction: str = ""
    due_at: datetime | None = None


@router.post("/letters/{letter_id}/routes", status_code=201)
def route(request: Request, letter_id: int, actor: ActorDep, body: RouteIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        r = route_letter(
            uow.session,
            actor=actor,
            letter_id=letter_id,
            to_unit_id=body.to_unit_id,
            to_user_id=body.to_user_id,
            instruction=body.instruction,
            due_at=body.due_at,
            now=app.clock(),
            where=where(request),
        )
        if app.indexer is not None:
            indexer = app.indexer
            uow.after_commit(lambda: indexer.enqueue(letter_id))
        return {"id": r.id, "letter_id": r.letter_id}
