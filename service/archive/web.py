"""The archive's pages, in Thai: the archive and filing, an item with its holds and loans, the destruction cycle,
loans, the 20-year transfer. Each form posts, calls one use-case and comes back (303) with the outcome."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlmodel import Session

from retention.committee import CommitteeRole, Member
from retention.keeping import STORAGE_KIND_TH, StorageKind
from service.access.policy import Action, may
from service.archive import destruction, filing, forms, holds, loans, plan, transfer
from service.archive.queries import ready_to_file
from service.archive.stamping import stamp_items
from service.edge.deps import Page, PageDep, app_of, check_csrf, where
from service.edge.files import file_response
from service.edge.templates import render
from service.kit.db import UnitOfWork
from service.kit.errors import Forbidden, InvalidInput, SarabanError
from service.kit.fields import Id, read_date
from service.kit.publicids import decode_letter_value
from service.kit.thai import local
from service.kit.uploads import FORM_LIMITS

router = APIRouter()

CsrfForm = Annotated[str, Form()]


def _back(path: str, *, ok: str = "", error: str = "") -> RedirectResponse:
    sep = "&" if "?" in path else "?"
    if error:
        return RedirectResponse(f"{path}{sep}error={quote(error)}", status_code=303)
    return RedirectResponse(f"{path}{sep}ok={quote(ok)}" if ok else path, status_code=303)


def _act(
    request: Request, page: Page, csrf: str, back: str, ok: str, work: Callable[[UnitOfWork], Any]
) -> RedirectResponse:
    """Check the form, run one use-case in a transaction, come back with its outcome in Thai."""
    check_csrf(page, csrf)
    try:
        with app_of(request).tx() as uow:
            work(uow)
    except Forbidden:
        raise  # a refusal of the act itself: the one error page, and audited (service.edge.errors)
    except SarabanError as exc:
        return _back(back, error=exc.thai)
    return _back(back, ok=ok)


def _day(raw: str) -> date | None:
    return read_date(raw)


def _flags(page: Page) -> dict[str, bool]:
    a = page.actor
    return {
        "may_file": may(a, Action.FILE_LETTERS) is None,
        "may_hold": may(a, Action.LEGAL_HOLD) is None,
        "may_prepare": may(a, Action.PREPARE_DESTRUCTION) is None,
        "may_approve": may(a, Action.APPROVE_DESTRUCTION) is None,
        "may_execute": may(a, Action.EXECUTE_DESTRUCTION) is None,
        "may_lend": may(a, Action.LEND) is None,
        "may_transfer": may(a, Action.TRANSFER) is None,
    }


# ---------------------------------------------------------------------------------------------- the archive, filing


@router.get("/archive", response_class=HTMLResponse)
def archive_page(request: Request, page: PageDep) -> HTMLResponse:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        s = uow.session
        items = filing.list_items(s, page.actor, limit=500)
        ready = ready_to_file(s, page.actor, tz=app.settings.timezone) if _flags(page)["may_file"] else []
        classes, files = plan.list_retention_classes(s), plan.list_file_codes(s)
    return render(
        request,
        "archive.html",
        page,
        items=items,
        ready=ready,
        classes=classes,
        files=files,
        kinds=[(k.value, STORAGE_KIND_TH[k]) for k in StorageKind],
        **_flags(page),
    )


@router.post("/archive/file")
async def file_post(request: Request, page: PageDep) -> RedirectResponse:
    form = await request.form(**FORM_LIMITS)
    csrf = str(form.get("csrf", ""))
    app = app_of(request)

    def work(uow: UnitOfWork) -> None:
        try:
            ids = [int(str(decode_letter_value(str(v)))) for v in form.getlist("letter_id") if str(v).strip()]
            file_code_id, class_id = int(str(form.get("file_code_id"))), int(str(form.get("retention_class_id")))
            kind = StorageKind(str(form.get("storage_kind", "completed")))
        except (TypeError, ValueError) as exc:
            raise InvalidInput("incomplete form", thai="กรอกข้อมูลไม่ครบ: เลือกหนังสือ รหัสแฟ้ม และอายุการเก็บ") from exc
        made = filing.file_letters(
            uow.session,
            actor=page.actor,
            filing=filing.Filing(
                ids,
                file_code_id,
                class_id,
                location=str(form.get("location", "")),
                storage_kind=kind,
                completed_on=_day(str(form.get("completed_on", ""))),
            ),
            now=app.clock(),
            where=where(request),
            tz=app.settings.timezone,
        )
        made_ids = [i.id for i in made if i.id is not None]
        uow.after_commit(lambda: stamp_items(app, made_ids))

    return _act(request, page, csrf, "/archive", "ส่งเก็บหนังสือแล้ว", work)


@router.get("/archive/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, item_id: Id, page: PageDep) -> HTMLResponse:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        item = filing.item_view(uow.session, page.actor, item_id)
        today = local(app.clock(), app.settings.timezone).date()
        rows = loans.list_loans(uow.session, page.actor, today=today, item_id=item_id, tz=app.settings.timezone)
        classes = plan.list_retention_classes(uow.session)
    return render(request, "archive_item.html", page, item=item, loans=rows, classes=classes, **_flags(page))


@router.post("/archive/items/{item_id}/holds")
def hold_post(
    request: Request, item_id: Id, page: PageDep, reason: Annotated[str, Form()] = "", csrf: CsrfForm = ""
) -> RedirectResponse:
    app = app_of(request)
    return _act(
        request,
        page,
        csrf,
        f"/archive/items/{item_id}",
        "ระงับการทำลายแล้ว",
        lambda uow: holds.place_hold(
            uow.session, actor=page.actor, item_id=item_id, reason=reason, now=app.clock(), where=where(request)
        ),
    )


@router.post("/archive/holds/{hold_id}/release")
def release_post(
    request: Request,
    hold_id: Id,
    page: PageDep,
    item_id: Annotated[Id, Form()],
    reason: Annotated[str, Form()] = "",
    csrf: CsrfForm = "",
) -> RedirectResponse:
    app = app_of(request)
    return _act(
        request,
        page,
        csrf,
        f"/archive/items/{item_id}",
        "ยกเลิกการระงับการทำลายแล้ว",
        lambda uow: holds.release_hold(
            uow.session, actor=page.actor, hold_id=hold_id, reason=reason, now=app.clock(), where=where(request)
        ),
    )


@router.post("/archive/items/{item_id}/class")
def reclassify_post(
    request: Request, item_id: Id, page: PageDep, retention_class_id: Annotated[Id, Form()], csrf: CsrfForm = ""
) -> RedirectResponse:
    app = app_of(request)

    def work(uow: UnitOfWork) -> None:
        filing.change_item(
            uow.session,
            actor=page.actor,
            item_id=item_id,
            retention_class_id=retention_class_id,
            now=app.clock(),
            where=where(request),
        )
        uow.after_commit(lambda: stamp_items(app, [item_id]))

    return _act(request, page, csrf, f"/archive/items/{item_id}", "เปลี่ยนอายุการเก็บแล้ว", work)


# ---------------------------------------------------------------------------------------------- loans


@router.post("/archive/items/{item_id}/loans")
def loan_request_post(
    request: Request,
    item_id: Id,
    page: PageDep,
    position: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    csrf: CsrfForm = "",
) -> RedirectResponse:
    app = app_of(request)
    return _act(
        request,
        page,
        csrf,
        "/archive/loans",
        "ส่งคำขอยืมแล้ว",
        lambda uow: loans.request_loan(
            uow.session,
            actor=page.actor,
            item_id=item_id,
            position=position,
            purpose=purpose,
            now=app.clock(),
            where=where(request),
        ),
    )


@router.post("/archive/items/{item_id}/outsider")
def outsider_post(
    request: Request,
    item_id: Id,
    page: PageDep,
    kind: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    csrf: CsrfForm = "",
) -> RedirectResponse:
    app = app_of(request)
    return _act(
        request,
        page,
        csrf,
        f"/archive/items/{item_id}",
        "บันทึกแล้ว",
        lambda uow: loans.record_outsider_access(
            uow.session,
            actor=page.actor,
            item_id=item_id,
            kind=kind,
            name=name,
            organisation=organisation,
            purpose=purpose,
            now=app.clock(),
            where=where(request),
        ),
    )


@router.get("/archive/loans", response_class=HTMLResponse)
def loans_page(request: Request, page: PageDep) -> HTMLResponse:
    app = app_of(request)
    today = local(app.clock(), app.settings.timezone).date()
    with app.tx(readonly=True) as uow:
        rows = loans.list_loans(uow.session, page.actor, today=today, tz=app.settings.timezone)
    approver = any(page.actor.has_role(r) for r in app.settings.loan_approver_roles)
    return render(
        request,
        "archive_loans.html",
        page,
        loans=list(reversed(rows)),
        overdue=[r for r in rows if r["overdue"]],
        may_approve_loans=approver,
        **_flags(page),
    )


@router.post("/archive/loans/{loan_id}/{step}")
def loan_step_post(
    request: Request,
    loan_id: Id,
    step: str,
    page: PageDep,
    due_on: Annotated[str, Form()] = "",
    person: Annotated[str, Form()] = "",
    csrf: CsrfForm = "",
) -> RedirectResponse:
    app = app_of(request)
    s = app.settings

    def work(uow: UnitOfWork) -> None:
        session, now, w = uow.session, app.clock(), where(request)
        if step in ("approve", "refuse"):
            loans.decide_loan(
                session,
                actor=page.actor,
                loan_id=loan_id,
                approve=step == "approve",
                approvers=s.loan_approver_roles,
                now=now,
                where=w,
            )
        elif step == "hand-out":
            loans.hand_out(
                session,
                actor=page.actor,
                loan_id=loan_id,
                due=_day(due_on),
                received_by=person,
                loan_days=s.loan_days,
                now=now,
                where=w,
                tz=s.timezone,
            )
        elif step == "return":
            loans.return_loan(session, actor=page.actor, loan_id=loan_id, returned_by=person, now=now, where=w)
        else:
            raise InvalidInput(f"no step {step}", thai="ไม่รู้จักขั้นตอนนี้")

    return _act(request, page, csrf, "/archive/loans", "บันทึกแล้ว", work)


# ---------------------------------------------------------------------------------------------- destruction


@router.get("/archive/destruction", response_class=HTMLResponse)
def destruction_page(request: Request, page: PageDep) -> HTMLResponse:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        lists = destruction.all_lists(uow.session, page.actor)
    return render(
        request, "archive_destruction.html", page, lists=lists, window=app.settings.destruction_window, **_flags(page)
    )


@router.post("/archive/destruction")
def draw_up_post(request: Request, page: PageDep, csrf: CsrfForm = "") -> RedirectResponse:
    app = app_of(request)
    made: list[int] = []

    def work(uow: UnitOfWork) -> None:
        lst = destruction.draw_up_list(
            uow.session,
            actor=page.actor,
            window=app.settings.window,
            now=app.clock(),
            where=where(request),
            tz=app.settings.timezone,
        )
        made.append(lst.id or 0)

    back = _act(request, page, csrf, "/archive/destruction", "จัดทำบัญชีหนังสือขอทำลายแล้ว", work)
    return _back(f"/archive/destruction/{made[0]}", ok="จัดทำบัญชีหนังสือขอทำลายแล้ว") if made else back


def _list_page(session: Session, request: Request, page: Page, list_id: Id) -> dict[str, Any]:
    app = app_of(request)
    return destruction.list_view(
        session, page.actor, list_id, objection_days=app.settings.objection_days, tz=app.settings.timezone
    )


@router.get("/archive/destruction/{list_id}", response_class=HTMLResponse)
def destruction_list_page(request: Request, list_id: Id, page: PageDep) -> HTMLResponse:
    with app_of(request).tx(readonly=True) as uow:
        view = _list_page(uow.session, request, page, list_id)
    return render(request, "archive_destruction_list.html", page, lst=view, roles=list(CommitteeRole), **_flags(page))


@router.post("/archive/destruction/{list_id}/committee")
async def committee_post(request: Request, list_id: Id, page: PageDep) -> RedirectResponse:
    form = await request.form(**FORM_LIMITS)
    app = app_of(request)
    members = [
        Member(
            str(name),
            str(form.get(f"position_{n}", "")),
            str(form.get(f"level_{n}", "")),
            CommitteeRole(str(form.get(f"role_{n}", "member"))),
        )
        for n in range(1, 8)
        if (name := str(form.get(f"name_{n}", "")).strip())
    ]
    return _act(
        request,
        page,
        str(form.get("csrf", "")),
        f"/archive/destruction/{list_id}",
        "บันทึกคณะกรรมการแล้ว",
        lambda uow: destruction.record_committee(
            uow.session,
            actor=page.actor,
            list_id=list_id,
            members=members,
            levels=app.settings.committee_level_list,
            now=app.clock(),
            where=where(request),
        ),
    )


@router.post("/archive/destruction/{list_id}/decisions")
async def decisions_post(request: Request, list_id: Id, page: PageDep) -> RedirectResponse:
    form = await request.form(**FORM_LIMITS)
    app = app_of(request)
    decisions = []
    for key, value in form.items():
        if key.startswith("decision_") and str(value):
            item_id = int(key.removeprefix("decision_"))
            year = str(form.get(f"year_{item_id}", "")).strip()
            decisions.append(
                destruction.DecisionIn(
                    item_id, str(value), int(year) if year.isdigit() else None, str(form.get(f"remark_{item_id}", ""))
                )
            )

    def work(uow: UnitOfWork) -> None:
        changed = destruction.record_decisions(
            uow.session, actor=page.actor, list_id=list_id, decisions=decisions, now=app.clock(), where=where(request)
        )
        uow.after_commit(lambda: stamp_items(app, changed))

    return _act(request, page, str(form.get("csrf", "")), f"/archive/destruction/{list_id}", "บันทึกผลการพิจารณาแล้ว", work)


@router.post("/archive/destruction/{list_id}/approve")
def approve_post(request: Request, list_id: Id, page: PageDep, csrf: CsrfForm = "") -> RedirectResponse:
    app = app_of(request)
    return _act(
        request,
        page,
        csrf,
        f"/archive/destruction/{list_id}",
        "อนุมัติบัญชีแล้ว",
        lambda uow: destruction.approve_list(
            uow.session, actor=page.actor, list_id=list_id, now=app.clock(), where=where(request)
        ),
    )


@router.post("/archive/destruction/{list_id}/archives")
def archives_post(
    request: Request,
    list_id: Id,
    page: PageDep,
    notified_on: Annotated[str, Form()] = "",
    answer: Annotated[str, Form()] = "",
    csrf: CsrfForm = "",
) -> RedirectResponse:
    app = app_of(request)
    return _act(
        request,
        page,
        csrf,
        f"/archive/destruction/{list_id}",
        "บันทึกการแจ้งสำนักหอจดหมายเหตุแห่งชาติแล้ว",
        lambda uow: destruction.record_archives(
            uow.session,
            actor=page.actor,
            list_id=list_id,
            notified_on=_day(notified_on),
            answer=answer or None,
            now=app.clock(),
            where=where(request),
            tz=app.settings.timezone,
        ),
    )


@router.post("/archive/destruction/{list_id}/execute")
def execute_post(
    request: Request, list_id: Id, page: PageDep, method: Annotated[str, Form()] = "", csrf: CsrfForm = ""
) -> RedirectResponse:
    check_csrf(page, csrf)
    app = app_of(request)
    try:
        with app.tx() as uow:
            done = destruction.execute_list(
                uow.session,
                actor=page.actor,
                list_id=list_id,
                objection_days=app.settings.objection_days,
                method=method,
                now=app.clock(),
                where=where(request),
                tz=app.settings.timezone,
            )
    except Forbidden:
        raise
    except SarabanError as exc:
        return _back(f"/archive/destruction/{list_id}", error=exc.thai)
    report = destruction.purge(app, done, actor=page.actor, where=where(request))
    note = f"ทำลายหนังสือ {len(done.letter_ids)} ฉบับแล้ว (ลบไฟล์ {len(report.removed)} ไฟล์"
    note += f", เก็บไฟล์ที่หนังสืออื่นใช้ร่วม {len(report.kept_shared)} ไฟล์)" if report.kept_shared else ")"
    if report.not_removed:
        return _back(f"/archive/destruction/{list_id}", error=note + f" แต่ลบไม่สำเร็จ {len(report.not_removed)} ไฟล์")
    return _back(f"/archive/destruction/{list_id}", ok=note)


# ---------------------------------------------------------------------------------------------- transfer


@router.get("/archive/transfer", response_class=HTMLResponse)
def transfer_page(request: Request, page: PageDep) -> HTMLResponse:
    with app_of(request).tx(readonly=True) as uow:
        lists = [
            transfer.transfer_view(uow.session, page.actor, x["id"])
            for x in transfer.all_transfer_lists(uow.session, page.actor)
        ]
    return render(request, "archive_transfer.html", page, lists=lists, **_flags(page))


@router.post("/archive/transfer")
def transfer_post(
    request: Request, page: PageDep, keep_item_ids: Annotated[str, Form()] = "", csrf: CsrfForm = ""
) -> RedirectResponse:
    app = app_of(request)
    keep = [int(x) for x in keep_item_ids.replace(",", " ").split() if x.isdigit()]
    return _act(
        request,
        page,
        csrf,
        "/archive/transfer",
        "จัดทำบัญชีส่งมอบหนังสือครบ ๒๐ ปีแล้ว",
        lambda uow: transfer.draw_up_transfer(
            uow.session,
            actor=page.actor,
            keep_item_ids=keep,
            now=app.clock(),
            where=where(request),
            tz=app.settings.timezone,
        ),
    )


# ---------------------------------------------------------------------------------------------- files and forms


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


def _digits(request: Request) -> bool:
    return app_of(request).settings.stamp_digits == "thai"


@router.get("/archive/items/{item_id}/stamped.pdf", response_model=None)
def keep_until_file(request: Request, item_id: Id, page: PageDep) -> StreamingResponse:
    app = app_of(request)
    with app.tx() as uow:
        ref = filing.open_keep_until_copy(uow.session, page.actor, item_id, now=app.clock(), where=where(request))
    return file_response(app.store, ref, request=request)


@router.get("/archive/items/{item_id}/loan-card.pdf", response_model=None)
def loan_card_file(request: Request, item_id: Id, page: PageDep) -> Response:
    app = app_of(request)
    with app.tx() as uow:
        data = forms.loan_card_pdf(
            uow.session,
            page.actor,
            item_id,
            now=app.clock(),
            where=where(request),
            tz=app.settings.timezone,
            thai_digits=_digits(request),
        )
    return _pdf(data, f"loan-card-{item_id}.pdf")


@router.get("/archive/storage-list.pdf", response_model=None)
def storage_list_file(request: Request, page: PageDep, file_code_id: Id | None = None) -> Response:
    app = app_of(request)
    with app.tx() as uow:
        data = forms.storage_list_pdf(
            uow.session,
            page.actor,
            file_code_id=file_code_id,
            now=app.clock(),
            where=where(request),
            thai_digits=_digits(request),
        )
    return _pdf(data, "storage-list.pdf")


@router.get("/archive/destruction/{list_id}/pdf", response_model=None)
def destruction_list_file(request: Request, list_id: Id, page: PageDep) -> Response:
    app = app_of(request)
    with app.tx() as uow:
        data = forms.destruction_list_pdf(
            uow.session,
            page.actor,
            list_id,
            now=app.clock(),
            where=where(request),
            objection_days=app.settings.objection_days,
            tz=app.settings.timezone,
            thai_digits=_digits(request),
        )
    return _pdf(data, f"destruction-list-{list_id}.pdf")


@router.get("/archive/transfer/{list_id}/pdf", response_model=None)
def transfer_list_file(request: Request, list_id: Id, page: PageDep) -> Response:
    app = app_of(request)
    with app.tx() as uow:
        data = forms.transfer_list_pdf(
            uow.session, page.actor, list_id, now=app.clock(), where=where(request), thai_digits=_digits(request)
        )
    return _pdf(data, f"transfer-list-{list_id}.pdf")


@router.get("/archive/transfer/{list_id}/package", response_model=None)
def transfer_package_file(request: Request, list_id: Id, page: PageDep) -> StreamingResponse:
    app = app_of(request)
    return StreamingResponse(
        transfer.package_stream(app, page.actor, list_id, where=where(request)),
        media_type="application/x-tar",
        headers={"Content-Disposition": f'attachment; filename="transfer-{list_id}.tar"'},
    )
