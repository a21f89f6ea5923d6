"""Search over the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from service.edge.deps import ActorDep, app_of, where
from service.indexing.searching import SearchParams, search_letters
from service.kit.fields import Id

router = APIRouter(prefix="/api/v1")


@router.get("/search")
def search(
    request: Request,
    actor: ActorDep,
    q: str = "",
    date: str = "",
    registry_id: Id | None = None,
    unit_id: Id | None = None,
    letter_type: str = "",
    urgency: str = "",
    secrecy: str = "",
    channel: str = "",
    has_attachment: bool | None = None,
    sort: str = "relevance",
    page: Annotated[Id, Query()] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Full-text search; every result, count and snippet passes the access rule."""
    params = SearchParams(
        q=q,
        date=date,
        registry_id=registry_id,
        unit_id=unit_id,
        letter_type=letter_type,
        urgency=urgency,
        secrecy=secrecy,
        channel=channel,
        has_attachment=has_attachment,
        sort=sort,
        page=page,
        per_page=per_page,
    )
    return search_letters(app_of(request), actor, params, where=where(request))
