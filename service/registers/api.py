"""Registries and their registers over the API (JSON, CSV, printable PDF)."""

from __future__ import annotations

import tempfile
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response

from service import audit
from service.context import Saraban
from service.edge.deps import ActorDep, app_of, where
from service.edge.errors import file_responses
from service.edge.params import int_param, register_filter, year_param
from service.kit.db import UnitOfWork
from service.kit.fields import Id
from service.models import Unit
from service.registers.corrections import cancel_registration, correct_registration, registration_result
from service.registers.entries import (
    MAX_PAGE,
    count_entries,
    entries_csv,
    entries_pdf,
    known_registries,
    register_entries,
    registry_json,
)
from service.registers.export import audit_export, export_register

router = APIRouter(prefix="/api/v1")


def _reindex_after(app: Saraban, uow: UnitOfWork, letter_id: int) -> None:
    if app.indexer is not None:
        indexer = app.indexer
        uow.after_commit(lambda: indexer.enqueue(letter_id))


@router.patch("/registrations/{registration_id}")
def correct(
    request: Request, registration_id: Id, actor: ActorDep, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Correct a registered letter's particulars (``reason`` required); the earlier values stay in ``history``."""
    app = app_of(request)
    changes = {k: v for k, v in body.items() if k != "reason"}
    reason = body.get("reason")
    with app.tx() as uow:
        correction = correct_registration(
            uow.session,
            actor,
            registration_id,
            changes=changes,
            reason=reason if isinstance(reason, str) else None,
            now=app.clock(),
            where=where(request),
        )
        if correction is not None:
            _reindex_after(app, uow, correction.letter_id)
        return registration_result(uow.session, registration_id, tz=app.settings.timezone)


@router.post("/registrations/{registration_id}/cancel")
def cancel(
    request: Request, registration_id: Id, actor: ActorDep, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Cancel a receive number with a ``reason``: it stays in the register, marked, and is never issued again."""
    app = app_of(request)
    reason = body.get("reason")
    with app.tx() as uow:
        cancellation = cancel_registration(
            uow.session,
            actor,
            registration_id,
            reason=reason if isinstance(reason, str) else None,
            now=app.clock(),
            where=where(request),
        )
        if cancellation.letter_id is not None:
            _reindex_after(app, uow, cancellation.letter_id)
        return registration_result(uow.session, registration_id, tz=app.settings.timezone)


@router.get("/registries")
def registries(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    with app_of(request).tx() as uow:
        return [registry_json(r) for r in known_registries(uow.session, actor)]


@router.get(
    "/registries/{registry_id}/entries",
    response_model=None,
    responses=file_responses(
        "application/json",
        "text/csv",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
)
def entries(
    request: Request,
    registry_id: Id,
    actor: ActorDep,
    year: Annotated[str | None, Query()] = None,
    format: Literal["json", "csv", "pdf", "xlsx"] = "json",
) -> Response | dict[str, Any]:
    """The register of a B.E. year, filtered as the register page filters it (``urgency``, ``secrecy``, ``sender``,
    ``q``, ``since``, ``until``, ``routed``, ``files``, ``status``); JSON pages with ``page`` and ``per`` (10–500)."""
    app = app_of(request)
    params = request.query_params
    tz = app.settings.timezone
    filters = register_filter(params, tz=tz)
    paged = "page" in params or "per" in params
    per = int_param(params.get("per"), 10, MAX_PAGE, default=100, what="จำนวนต่อหน้า")
    page = int_param(params.get("page"), 1, 10**7, default=1, what="หน้า")
    if format == "xlsx":
        year_be = year_param(year, app.clock())
        with tempfile.TemporaryFile() as out:
            with app.tx(readonly=True) as uow:
                done = export_register(
                    uow.session,
                    actor,
                    registry_id=registry_id,
                    year=year_be,
                    fmt="xlsx",
                    out=out,
                    filters=filters,
                    tz=tz,
                    now=app.clock(),
                )
            with app.tx() as uow:
                audit_export(
                    uow.session,
                    actor,
                    registry_id=registry_id,
                    year=year_be,
                    fmt="xlsx",
                    rows=done.rows,
                    filters=filters,
                    now=app.clock(),
                    where=where(request),
                )
            out.seek(0)
            data = out.read()  # an API client asks for one year; the page's export streams from disk
        return Response(
            data, media_type=done.media_type, headers={"Content-Disposition": f'attachment; filename="{done.filename}"'}
        )
    with app.tx() as uow:
        year_be = year_param(year, app.clock())
        registry, rows = register_entries(
            uow.session,
            actor,
            registry_id=registry_id,
            year=year_be,
            limit=per if paged else None,
            offset=(page - 1) * per if paged else 0,
            filters=filters,
            tz=tz,
            now=app.clock(),
        )
        total = count_entries(uow.session, actor, registry=registry, year=year_be, filters=filters)
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
    return {
        "registry": registry_json(registry),
        "year": year_be,
        "total": total,
        **({"page": page, "per": per} if paged else {}),
        "entries": [e.as_dict() for e in rows],
    }
