"""Registries and their registers over the API (JSON, CSV, printable PDF)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from service import audit
from service.edge.deps import ActorDep, app_of, where
from service.edge.errors import file_responses
from service.edge.params import year_param
from service.kit.fields import Id
from service.models import Unit
from service.registers.entries import entries_csv, entries_pdf, known_registries, register_entries, registry_json

router = APIRouter(prefix="/api/v1")


@router.get("/registries")
def registries(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    with app_of(request).tx() as uow:
        return [registry_json(r) for r in known_registries(uow.session, actor)]


@router.get(
    "/registries/{registry_id}/entries",
    response_model=None,
    responses=file_responses("application/json", "text/csv", "application/pdf"),
)
def entries(
    request: Request,
    registry_id: Id,
    actor: ActorDep,
    year: Annotated[str | None, Query()] = None,
    format: Literal["json", "csv", "pdf"] = "json",
) -> Response | dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        year_be = year_param(year, app.clock())
        registry, rows = register_entries(
            uow.session, actor, registry_id=registry_id, year=year_be, tz=app.settings.timezone, now=app.clock()
        )
        unit = uow.session.get(Unit, registry.unit_id)
        audit.record(
            uow.session,
            at=app.clock(),
            action="export",
            actor=actor,
            object_type="registry",
            object_id=registry_id,
            where=where(request),
            year=year_be,
            format=format,
            rows=len(rows),
        )
    if format == "csv":
        return Response(
            entries_csv(rows, registry.kind),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="register-{registry.code}-{year_be}.csv"'},
        )
    if format == "pdf":
        pdf = entries_pdf(
            registry, unit.name if unit else "", year_be, rows, thai_digits=app.settings.stamp_digits == "thai"
        )
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="register-{registry.code}-{year_be}.pdf"'},
        )
    return {"registry": registry_json(registry), "year": year_be, "entries": [e.as_dict() for e in rows]}
