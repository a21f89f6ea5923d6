"""The audit trail's pages (auditors): a period's events and their export."""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service.audit.queries import events_csv, list_events
from service.audit.vocab import event_note
from service.edge.deps import PageDep, app_of, where
from service.edge.params import day_bound
from service.edge.publicids import publish
from service.edge.templates import render
from service.kit.thai import local

router = APIRouter()


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, page: PageDep, since: str = "", until: str = "") -> HTMLResponse:
    app = app_of(request)
    today = local(app.clock(), app.settings.timezone).date().isoformat()
    since, until = since or today, until or today
    with app.tx() as uow:
        rows = list_events(
            uow.session,
            page.actor,
            letter_id=None,
            since=day_bound(since, end=False),
            until=day_bound(until, end=True),
            now=app.clock(),
            where=where(request),
            limit=500,
            asked={"since": since, "until": until},
        )
    rows = publish(rows, app.public_ids)  # letters and attachments by their public ids, notes too
    for e in rows:
        e["note"] = event_note(e["action"], e["actor"], e["detail"])
    return render(request, "audit.html", page, events=rows, since=since, until=until)


@router.get("/audit/export", response_model=None)
def audit_export(request: Request, page: PageDep, since: str = "", until: str = "", format: str = "csv") -> Response:
    app = app_of(request)
    with app.tx() as uow:
        rows = list_events(
            uow.session,
            page.actor,
            letter_id=None,
            since=day_bound(since or None, end=False),
            until=day_bound(until or None, end=True),
            now=app.clock(),
            where=where(request),
            asked={"since": since or None, "until": until or None},
        )
    rows = publish(rows, app.public_ids)
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
