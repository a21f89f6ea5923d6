"""The audit trail over the API (auditors)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.audit.queries import events_csv, list_events
from service.edge.deps import ActorDep, app_of, where
from service.edge.errors import file_responses
from service.edge.params import day_bound
from service.edge.publicids import publish
from service.kit.publicids import LetterRef

router = APIRouter(prefix="/api/v1")


@router.get("/audit/events", response_model=None, responses=file_responses("application/json", "text/csv"))
def events(
    request: Request,
    actor: ActorDep,
    letter_id: LetterRef | None = None,
    since: str | None = None,
    until: str | None = None,
    format: Literal["json", "csv"] = "json",
) -> Response | list[dict[str, Any]]:
    app = app_of(request)
    with app.tx() as uow:
        rows = list_events(
            uow.session,
            actor,
            letter_id=letter_id,
            since=day_bound(since, end=False),
            until=day_bound(until, end=True),
            now=app.clock(),
            where=where(request),
            asked={"since": since, "until": until},
        )
    if format == "csv":
        return Response(
            events_csv(publish(rows, app.public_ids)),  # the CSV shows public ids, as the JSON does
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit-events.csv"'},
        )
    return rows
