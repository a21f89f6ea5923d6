"""The procedure pages, in Thai: the templates, opening a case (from a letter too), the case's flow with the
letters at each step (attach, issue the step's letter, mark done), the group's dashboard, the yearly report, the
registers kept by processes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from service.access.policy import Action, require
from service.access.queries import get_visible_letter
from service.edge.deps import CsrfFailed, Page, PageDep, app_of, check_csrf, record_failure, where
from service.edge.params import year_param
from service.edge.templates import render
from service.kit.errors import Forbidden, InvalidInput, NotFound, SarabanError, Unauthenticated
from service.kit.fields import Id
from service.kit.publicids import decode_letter_value
from service.kit.thai import to_arabic_digits
from service.kit.uploads import FORM_LIMITS
from service.letters.views import letter_view
from service.outgoing.views import recipient_groups
from service.procedures import cases, flow, registers
from service.procedures.catalog import REGISTERS, export_templates, import_templates
from service.procedures.report import report_pdf

router = APIRouter()

DONE_TH = {
    "opened": "เปิดเรื่องแล้ว",
    "attached": "แนบหนังสือกับขั้นตอนแล้ว",
    "done": "บันทึกว่าขั้นตอนเสร็จแล้ว",
    "issued": "ออกเลขหนังสือแล้ว",
    "imported": "นำเข้าทะเบียนแล้ว",
}


async def _fields(request: Request, page: Page) -> dict[str, str]:
    form = await request.form(**FORM_LIMITS)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(page, fields.get("csrf"))
    return fields


def _refused(request: Request, page: Page, exc: SarabanError) -> None:
    if isinstance(exc, Forbidden):
        record_failure(app_of(request), request, action="permission_denied", actor=page.actor, reason=exc.detail)


def _letter(raw: str | None) -> int:
    """A letter typed or chosen on a form, by its public id: the internal key."""
    return int(str(decode_letter_value(_int(raw, "เลขหนังสือในระบบ"))))


def _int(raw: str | None, what: str) -> int:
    text = to_arabic_digits(raw or "").strip()
    if not text.isdigit():
        raise InvalidInput(f"{what} must be a number", thai=f"{what}ต้องเป็นตัวเลข")
    return int(text)


# ---------------------------------------------------------------------------------------------- templates


@router.get("/procedures", response_class=HTMLResponse)
def procedures_page(request: Request, page: PageDep) -> HTMLResponse:
    with app_of(request).tx(readonly=True) as uow:
        items = cases.list_procedures(uow.session)
    return render(request, "procedures.html", page, items=items, REGISTERS=REGISTERS)


def _procedure_page(
    request: Request,
    page: Page,
    procedure_id: Id,
    *,
    form: dict[str, str] | None = None,
    status: int = 200,
    error: SarabanError | None = None,
) -> HTMLResponse:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        p = cases.procedure_view(uow.session, cases.get_procedure(uow.session, procedure_id))
        found = cases.list_cases(uow.session, page.actor, procedure_id=procedure_id)
        replying = None
        raw = (form or {}).get("from_letter_id", "")
        if raw.isdigit():
            try:
                letter = get_visible_letter(uow.session, page.actor, int(str(decode_letter_value(raw))))
                replying = letter_view(uow.session, letter)
            except NotFound:
                replying = None
    year = str(cases.this_year(app.clock(), app.settings.timezone))
    return render(
        request,
        "procedure.html",
        page,
        status=status,
        p=p,
        cases=found,
        form=form or {},
        year=year,
        from_letter=replying,
        error=error,
    )


@router.get("/procedures/{procedure_id}", response_class=HTMLResponse)
def procedure_page(request: Request, procedure_id: Id, page: PageDep, from_letter: str = "") -> HTMLResponse:
    return _procedure_page(request, page, procedure_id, form={"from_letter_id": to_arabic_digits(from_letter)})


@router.post("/procedures/{procedure_id}/cases", response_model=None)
async def open_case_submit(request: Request, procedure_id: Id, page: PageDep) -> Response:
    fields = await _fields(request, page)
    app = app_of(request)
    try:
        year = year_param(fields.get("year"), app.clock())
        raw_letter = to_arabic_digits(fields.get("from_letter_id", "")).strip()
        from_letter = _letter(raw_letter) if raw_letter else None
        incident = {k: fields.get(k, "") for k in cases.INCIDENT_FIELDS}
        view = await run_in_threadpool(
            flow.open_case,
            app,
            actor=page.actor,
            procedure_id=procedure_id,
            year=year,
            from_letter_id=from_letter,
            title=fields.get("title", ""),
            incident=incident,
            where=where(request),
        )
    except (Unauthenticated, CsrfFailed, NotFound):
        raise
    except SarabanError as exc:
        _refused(request, page, exc)
        return _procedure_page(request, page, procedure_id, form=fields, status=exc.status, error=exc)
    return RedirectResponse(f"/cases/{view['id']}?done=opened", status_code=303)


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_page(request: Request, page: PageDep, from_letter: str = "") -> HTMLResponse:
    """Open a case from a letter: choose the process (each links to its page with the letter chosen)."""
    with app_of(request).tx(readonly=True) as uow:
        items = cases.list_procedures(uow.session)
        letter = None
        raw = to_arabic_digits(from_letter).strip()
        if raw.isdigit():
            letter = letter_view(
                uow.session, get_visible_letter(uow.session, page.actor, int(str(decode_letter_value(raw))))
            )
    return render(request, "case_new.html", page, items=items, letter=letter)


# ---------------------------------------------------------------------------------------------- dashboard


@router.get("/cases", response_class=HTMLResponse)
def dashboard_page(request: Request, page: PageDep, q: str = "") -> HTMLResponse:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        board = cases.dashboard(uow.session, page.actor, today=cases.today_of(app.clock(), app.settings.timezone))
        found = cases.list_cases(uow.session, page.actor, q=q) if q.strip() else None
    return render(request, "cases_dashboard.html", page, board=board, q=q, found=found)


# ---------------------------------------------------------------------------------------------- one case


def _case_page(
    request: Request, page: Page, case_id: Id, *, status: int = 200, done: str = "", error: SarabanError | None = None
) -> HTMLResponse:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        view = cases.case_view(
            uow.session, page.actor, case_id, today=cases.today_of(app.clock(), app.settings.timezone)
        )
        groups = recipient_groups(uow.session)
    return render(
        request,
        "case.html",
        page,
        status=status,
        c=view,
        groups=groups,
        done=DONE_TH.get(done, ""),
        error=error,
        STATE_TH=cases.STATE_TH,
        INCIDENT_TH=cases.INCIDENT_TH,
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: Id, page: PageDep, done: str = "") -> HTMLResponse:
    return _case_page(request, page, case_id, done=done)


async def _act(request: Request, page: Page, case_id: Id, done: str, work: Any) -> Response:
    try:
        await work()
    except (Unauthenticated, CsrfFailed, NotFound):
        raise
    except SarabanError as exc:
        _refused(request, page, exc)
        return _case_page(request, page, case_id, status=exc.status, error=exc)
    return RedirectResponse(f"/cases/{case_id}?done={done}", status_code=303)


@router.post("/cases/{case_id}/steps/{step_id}/letters", response_model=None)
async def attach_submit(request: Request, case_id: Id, step_id: Id, page: PageDep) -> Response:
    fields = await _fields(request, page)

    async def work() -> None:
        letter_id = _letter(fields.get("letter_id"))
        try:
            await run_in_threadpool(
                flow.attach,
                app_of(request),
                actor=page.actor,
                case_id=case_id,
                step_id=step_id,
                letter_id=letter_id,
                where=where(request),
            )
        except NotFound as exc:
            if "letter" in exc.detail:
                raise InvalidInput(exc.detail, thai="ไม่พบหนังสือนี้") from exc
            raise

    return await _act(request, page, case_id, "attached", work)


@router.post("/cases/{case_id}/steps/{step_id}/done", response_model=None)
async def done_submit(request: Request, case_id: Id, step_id: Id, page: PageDep) -> Response:
    await _fields(request, page)

    async def work() -> None:
        await run_in_threadpool(
            flow.done, app_of(request), actor=page.actor, case_id=case_id, step_id=step_id, where=where(request)
        )

    return await _act(request, page, case_id, "done", work)


@router.post("/cases/{case_id}/steps/{step_id}/issue", response_model=None)
async def issue_submit(request: Request, case_id: Id, step_id: Id, page: PageDep) -> Response:
    fields = await _fields(request, page)

    async def work() -> None:
        recipients: list[dict[str, Any]] = []
        raw_group = fields.get("group_id", "")
        if raw_group:
            recipients.append({"group_id": _int(raw_group, "กลุ่มผู้รับ")})
        name, address = fields.get("outside_name", "").strip(), fields.get("outside_address", "").strip()
        if name or address:
            recipients.append({"name": name, "address": address})
        await run_in_threadpool(
            flow.issue,
            app_of(request),
            actor=page.actor,
            case_id=case_id,
            step_id=step_id,
            subject=fields.get("subject", ""),
            summary=fields.get("summary", ""),
            recipients=recipients,
            where=where(request),
        )

    return await _act(request, page, case_id, "issued", work)


@router.get("/procedures/{procedure_id}/report.pdf", response_model=None)
def report_page(request: Request, procedure_id: Id, page: PageDep, year: str = "") -> Response:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        pdf = report_pdf(
            uow.session,
            page.actor,
            procedure_id,
            year_param(year or None, app.clock()),
            today=cases.today_of(app.clock(), app.settings.timezone),
            thai_digits=app.settings.stamp_digits == "thai",
        )
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": "inline; filename=report.pdf"})


# ---------------------------------------------------------------------------------------------- registers


def _register_page(
    request: Request, page: Page, register: str, *, status: int = 200, done: str = "", error: SarabanError | None = None
) -> HTMLResponse:
    with app_of(request).tx(readonly=True) as uow:
        p = registers.procedure_of(uow.session, register)
        items = registers.entries(uow.session, page.actor, register)
    return render(
        request,
        "procedure_register.html",
        page,
        status=status,
        register=register,
        title=REGISTERS[register],
        p=p,
        items=items,
        done=DONE_TH.get(done, ""),
        error=error,
    )


@router.get("/procedure-registers/{register}", response_class=HTMLResponse)
def register_page(request: Request, register: str, page: PageDep, done: str = "") -> HTMLResponse:
    return _register_page(request, page, register, done=done)


@router.post("/procedure-registers/{register}/import", response_model=None)
async def register_import(request: Request, register: str, page: PageDep) -> Response:
    form = await request.form(**{**FORM_LIMITS, "max_files": 1})
    csrf = form.get("csrf")
    check_csrf(page, csrf if isinstance(csrf, str) else None)
    upload = form.get("file")
    app = app_of(request)
    try:
        if upload is None or isinstance(upload, str):
            raise InvalidInput("choose a CSV file", thai="กรุณาเลือกไฟล์ CSV")
        raw = await upload.read(5_000_000 + 1)
        if len(raw) > 5_000_000:
            raise InvalidInput("the CSV is too large", thai="ไฟล์ CSV ใหญ่เกิน 5 MB")
        text = raw.decode("utf-8-sig", errors="replace")

        def work() -> None:
            with app.tx() as uow:
                registers.import_csv(
                    uow.session,
                    page.actor,
                    register,
                    text,
                    now=app.clock(),
                    where=where(request),
                    public_ids=app.public_ids,
                )

        await run_in_threadpool(work)
    except (Unauthenticated, CsrfFailed, NotFound):
        raise
    except SarabanError as exc:
        _refused(request, page, exc)
        return _register_page(request, page, register, status=exc.status, error=exc)
    return RedirectResponse(f"/procedure-registers/{register}?done=imported", status_code=303)


# ---------------------------------------------------------------------------------------------- administrators


def _admin_page(
    request: Request, page: Page, *, status: int = 200, done: str = "", error: SarabanError | None = None
) -> HTMLResponse:
    require(page.actor, Action.MANAGE_PROCEDURES)
    with app_of(request).tx(readonly=True) as uow:
        items = cases.list_procedures(uow.session)
    return render(request, "procedures_admin.html", page, status=status, items=items, done=done, error=error)


@router.get("/admin/procedures", response_class=HTMLResponse)
def admin_page(request: Request, page: PageDep, done: str = "") -> HTMLResponse:
    return _admin_page(request, page, done=done)


@router.get("/admin/procedures/export.toml", response_model=None)
def admin_export(request: Request, page: PageDep) -> Response:
    require(page.actor, Action.MANAGE_PROCEDURES)
    with app_of(request).tx(readonly=True) as uow:
        text = export_templates(uow.session)
    return Response(
        text.encode("utf-8"),
        media_type="application/toml; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=procedures.toml"},
    )


@router.post("/admin/procedures/import", response_model=None)
async def admin_import(request: Request, page: PageDep) -> Response:
    form = await request.form(**{**FORM_LIMITS, "max_files": 1})
    csrf = form.get("csrf")
    check_csrf(page, csrf if isinstance(csrf, str) else None)
    upload = form.get("file")
    app = app_of(request)
    try:
        require(page.actor, Action.MANAGE_PROCEDURES)
        if upload is None or isinstance(upload, str):
            raise InvalidInput("choose a TOML file", thai="กรุณาเลือกไฟล์แม่แบบ (TOML)")
        raw = await upload.read(2_000_000 + 1)
        if len(raw) > 2_000_000:
            raise InvalidInput("the file is too large", thai="ไฟล์ใหญ่เกิน 2 MB")
        text = raw.decode("utf-8-sig", errors="replace")

        def work() -> dict[str, list[str]]:
            with app.tx() as uow:
                return import_templates(uow.session, page.actor, text, now=app.clock(), where=where(request))

        result = await run_in_threadpool(work)
    except (Unauthenticated, CsrfFailed, NotFound):
        raise
    except SarabanError as exc:
        _refused(request, page, exc)
        if isinstance(exc, Forbidden):
            raise
        return _admin_page(request, page, status=exc.status, error=exc)
    done = f"นำเข้าแล้ว: เพิ่ม {len(result['added'])} แทนที่ {len(result['replaced'])} แม่แบบ"
    return _admin_page(request, page, done=done)
