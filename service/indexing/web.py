"""The search page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.edge.deps import PageDep, app_of, where
from service.edge.templates import render
from service.indexing.searching import SearchParams, search_letters
from service.kit.errors import SarabanError
from service.kit.fields import Id

router = APIRouter()


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    page: PageDep,
    q: str = "",
    date: str = "",
    letter_type: str = "",
    urgency: str = "",
    sort: str = "relevance",
    p: Id = 1,
) -> HTMLResponse:
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
        lag_max=app.settings.index_lag_max_seconds,  # past it the page says the index is behind (README "Scale-out")
    )
