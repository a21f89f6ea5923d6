"""The registers' pages: the home page leads a clerk to their register; a register for a B.E. year."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.access.policy import Action, may
from service.edge.deps import PageDep, app_of
from service.edge.params import year_param
from service.edge.templates import render
from service.kit.fields import Id
from service.models import Unit
from service.registers.entries import (
    columns_th,
    may_issue_from,
    may_register_into,
    readable_registries,
    register_entries,
)
from service.routing.inbox import has_waiting

router = APIRouter()


@router.get("/", response_model=None)
def home(request: Request, page: PageDep) -> Response:
    """The inbox first, for whoever has something waiting in it; else a clerk's register, an auditor's search."""
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        if has_waiting(uow.session, page.actor, now=app.clock()):
            return RedirectResponse("/inbox", status_code=303)
        regs = readable_registries(uow.session, page.actor)
    if regs:
        return RedirectResponse(f"/registers/{regs[0].id}", status_code=303)
    if may(page.actor, Action.READ_AUDIT) is None:
        return RedirectResponse("/search", status_code=303)
    return render(request, "home.html", page)


@router.get("/registers/{registry_id}", response_class=HTMLResponse)
def register_page(request: Request, registry_id: Id, page: PageDep, year: str | None = None) -> HTMLResponse:
    app = app_of(request)
    with app.tx() as uow:
        y = year_param(year, app.clock())
        registry, rows = register_entries(
            uow.session,
            page.actor,
            registry_id=registry_id,
            year=y,
            newest_first=True,
            limit=500,
            tz=app.settings.timezone,
            now=app.clock(),
        )
        unit = uow.session.get(Unit, registry.unit_id)
        registries = readable_registries(uow.session, page.actor)
    return render(
        request,
        "register.html",
        page,
        registry=registry,
        entries=rows,
        year=y,
        unit=unit,
        registries=registries,
        may_add=may_register_into(page.actor, registry),
        may_issue=may_issue_from(page.actor, registry),
        headings=columns_th(registry.kind),
    )
