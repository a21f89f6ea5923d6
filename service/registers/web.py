"""The registers' pages: the home page leads a clerk to their register; a register for a B.E. year, filtered and
paged, printed or exported as it is shown (with the web session)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from service.access.policy import Action, may
from service.access.roles import SECRET_KINDS
from service.edge.deps import PageDep, app_of, check_csrf, where
from service.edge.params import int_param, register_filter, year_param
from service.edge.publicids import public_letter
from service.edge.templates import render
from service.kit.errors import InvalidInput
from service.kit.fields import Id
from service.kit.thai import be_year, local
from service.kit.uploads import FORM_LIMITS
from service.models import Registration, Unit
from service.registers.corrections import cancel_registration, correct_registration
from service.registers.entries import (
    MAX_PAGE,
    columns_th,
    count_entries,
    may_issue_from,
    may_register_into,
    readable_registries,
    readable_registry,
    register_entries,
    register_years,
)
from service.registers.export import audit_export, export_register
from service.routing.inbox import has_waiting

router = APIRouter()

FILTER_KEYS = ("urgency", "secrecy", "sender", "q", "since", "until", "routed", "files", "status")
PER_PAGE = 50


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
    params = request.query_params
    tz = app.settings.timezone
    chosen = {k: params.get(k, "") for k in FILTER_KEYS}
    with app.tx() as uow:
        y = year_param(year, app.clock())
        filters = register_filter(params, tz=tz)
        per = int_param(params.get("per"), 10, MAX_PAGE, default=PER_PAGE, what="จำนวนต่อหน้า")
        registry = readable_registry(uow.session, page.actor, registry_id)
        total = count_entries(uow.session, page.actor, registry=registry, year=y, filters=filters)
        pages = max(1, -(-total // per))
        current = min(int_param(params.get("page"), 1, 10**7, default=1, what="หน้า"), pages)
        _, rows = register_entries(
            uow.session,
            page.actor,
            registry_id=registry_id,
            year=y,
            newest_first=True,
            limit=per,
            offset=(current - 1) * per,
            filters=filters,
            tz=tz,
            now=app.clock(),
        )
        unit = uow.session.get(Unit, registry.unit_id)
        registries = readable_registries(uow.session, page.actor)
        assert registry.id is not None
        years = register_years(uow.session, registry.id, this_year=be_year(local(app.clock(), tz)))
    base = {"year": str(y), **{k: v for k, v in chosen.items() if v}}
    if per != PER_PAGE:
        base["per"] = str(per)

    def link(n: int) -> str:
        return f"/registers/{registry_id}?" + urlencode({**base, "page": str(n)})

    return render(
        request,
        "register.html",
        page,
        registry=registry,
        entries=rows,
        year=y,
        years=years,
        unit=unit,
        registries=registries,
        may_add=may_register_into(page.actor, registry),
        may_issue=may_issue_from(page.actor, registry),
        headings=columns_th(registry.kind),
        chosen=chosen,
        filtered=filters.active(),
        secret=registry.kind in SECRET_KINDS,
        total=total,
        page_no=current,
        pages=pages,
        link=link,
        export_query=urlencode(base),
    )


@router.get("/registers/{registry_id}/export", response_model=None)
def register_export(request: Request, registry_id: Id, page: PageDep, year: str | None = None) -> Response:
    """The register as shown (its filters), as PDF, CSV or Excel — with the web session, like every page."""
    app = app_of(request)
    fmt = request.query_params.get("format", "pdf")
    if fmt not in ("pdf", "csv", "xlsx"):
        raise InvalidInput("format must be pdf, csv or xlsx", thai="รูปแบบไฟล์ต้องเป็น PDF, CSV หรือ XLSX")
    app.tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.NamedTemporaryFile(dir=app.tmp_dir, suffix=f".{fmt}", delete=False)  # noqa: SIM115
    path = Path(tmp.name)
    try:
        y = year_param(year, app.clock())
        filters = register_filter(request.query_params, tz=app.settings.timezone)
        with tmp, app.tx(readonly=True) as uow:  # a long export must not hold the write lock
            done = export_register(
                uow.session,
                page.actor,
                registry_id=registry_id,
                year=y,
                fmt=fmt,  # type: ignore[arg-type]
                out=tmp,
                filters=filters,
                tz=app.settings.timezone,
                now=app.clock(),
                thai_digits=app.settings.stamp_digits == "thai",
            )
        with app.tx() as uow:
            audit_export(
                uow.session,
                page.actor,
                registry_id=registry_id,
                year=y,
                fmt=fmt,  # type: ignore[arg-type]
                rows=done.rows,
                filters=filters,
                now=app.clock(),
                where=where(request),
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise

    def chunks() -> Iterator[bytes]:
        try:
            with path.open("rb") as f:
                while block := f.read(256 * 1024):
                    yield block
        finally:
            path.unlink(missing_ok=True)

    disposition = "inline" if fmt == "pdf" else "attachment"
    return StreamingResponse(
        chunks(),
        media_type=done.media_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{done.filename}"',
            "Content-Length": str(path.stat().st_size),
        },
    )


CORRECTION_FIELDS = ("letter_no", "letter_date", "sender", "recipient", "subject", "urgency", "remarks")


@router.post("/registrations/{registration_id}/correct", response_model=None)
async def correct_submit(request: Request, registration_id: Id, page: PageDep) -> Response:
    """The clerk's correction form on the letter page; the earlier values stay in the letter's history."""
    app = app_of(request)
    form = await request.form(**FORM_LIMITS)
    check_csrf(page, str(form.get("csrf") or ""))
    changes = {k: str(form[k]) for k in CORRECTION_FIELDS if k in form}
    if changes.get("letter_date") == "":
        changes["letter_date"] = None  # type: ignore[assignment]
    with app.tx() as uow:
        correction = correct_registration(
            uow.session,
            page.actor,
            registration_id,
            changes=changes,
            reason=str(form.get("reason") or ""),
            now=app.clock(),
            where=where(request),
        )
        reg = uow.session.get(Registration, registration_id)
        assert reg is not None
        letter_id = reg.letter_id
        if correction is not None and app.indexer is not None:
            indexer = app.indexer
            uow.after_commit(lambda: indexer.enqueue(letter_id))
    changed = "corrected" if correction is not None else "unchanged"
    return RedirectResponse(f"/letters/{public_letter(letter_id)}?changed={changed}", status_code=303)


@router.post("/registrations/{registration_id}/cancel", response_model=None)
async def cancel_submit(request: Request, registration_id: Id, page: PageDep) -> Response:
    """Cancel the receive number with a reason: it stays in the register, marked, never issued again."""
    app = app_of(request)
    form = await request.form(**FORM_LIMITS)
    check_csrf(page, str(form.get("csrf") or ""))
    with app.tx() as uow:
        cancellation = cancel_registration(
            uow.session,
            page.actor,
            registration_id,
            reason=str(form.get("reason") or ""),
            now=app.clock(),
            where=where(request),
        )
        letter_id = cancellation.letter_id
        if letter_id is not None and app.indexer is not None:
            indexer = app.indexer
            uow.after_commit(lambda: indexer.enqueue(letter_id))
    return RedirectResponse(
        f"/letters/{public_letter(letter_id) if letter_id else letter_id}?changed=cancelled", status_code=303
    )
