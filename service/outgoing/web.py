"""The sending pages, in Thai: the outgoing letters, drafting (a reply too), issuing the number, the signed files,
sending and each recipient's status; the recipient clerk's incoming letters and one-click registration; the
number report with reservations and cancellations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from service.access.queries import get_visible_letter, visible_registry
from service.access.roles import KIND_TH
from service.edge.deps import CsrfFailed, Page, PageDep, app_of, check_csrf, record_failure, where
from service.edge.params import day_bound, year_param
from service.edge.publicids import public_letter
from service.edge.templates import render
from service.kit.errors import Forbidden, InvalidInput, NotFound, SarabanError, Unauthenticated
from service.kit.fields import Id
from service.kit.publicids import LetterRef, decode_letter_value
from service.kit.thai import to_arabic_digits
from service.kit.uploads import Upload, read_upload
from service.letters.views import letter_view
from service.outgoing import flow
from service.outgoing.delivery import delivery_status, open_delivery, return_delivery
from service.outgoing.inbox import incoming_deliveries
from service.outgoing.input import parse_outgoing
from service.outgoing.numbers import cancel_number, readable_number_report, reserve_number
from service.outgoing.printing import address_sheet_for, delivery_book_for
from service.outgoing.series import issuing_registries, may_issue
from service.outgoing.views import (
    DELIVERY_TH,
    addressable_units,
    list_outgoing,
    open_reservations,
    outgoing_view,
    recipient_groups,
)

router = APIRouter()

DRAFT_FIELDS = (
    "registry_id",
    "subject",
    "letter_type",
    "urgency",
    "secrecy",
    "summary",
    "recipient",
    "remarks",
    "replies_to_letter_id",
    "outside",
)


async def _form(request: Request, page: Page, *, files: bool = False) -> Upload:
    """The posted form (urlencoded or multipart), its CSRF token checked; files only where the form takes them."""
    app = app_of(request)
    s = app.settings
    upload = await read_upload(
        request, tmp_dir=app.tmp_dir, max_files=s.max_files if files else 0, max_file_bytes=s.max_file_bytes
    )
    try:
        check_csrf(page, upload.fields.get("csrf"))
    except CsrfFailed:
        upload.discard()
        raise
    return upload


def _refused_on_form(request: Request, page: Page, exc: SarabanError) -> None:
    """A refusal shown on the form is not seen by the shared error renderer: audit it here."""
    if isinstance(exc, Forbidden):
        record_failure(app_of(request), request, action="permission_denied", actor=page.actor, reason=exc.detail)


# ---------------------------------------------------------------------------------------------- the list


@router.get("/outgoing", response_class=HTMLResponse)
def outgoing_list(request: Request, page: PageDep) -> HTMLResponse:
    with app_of(request).tx(readonly=True) as uow:
        items = list_outgoing(uow.session, page.actor)
        series = issuing_registries(uow.session, page.actor)
    return render(request, "outgoing_list.html", page, items=items, series=series, KIND_TH=KIND_TH)


# ---------------------------------------------------------------------------------------------- drafting


def _draft_page(
    request: Request, page: Page, form: dict[str, str], *, status: int = 200, error: SarabanError | None = None
) -> HTMLResponse:
    app = app_of(request)
    with app.tx() as uow:
        s = uow.session
        series = issuing_registries(s, page.actor)
        groups = recipient_groups(s)
        units = addressable_units(s)
        replying = None
        if form.get("replies_to_letter_id", "").isdigit():
            try:
                answered_id = int(str(decode_letter_value(form["replies_to_letter_id"])))
                replying = letter_view(s, get_visible_letter(s, page.actor, answered_id))
            except NotFound:
                replying = None
    return render(
        request,
        "outgoing_new.html",
        page,
        status=status,
        form=form,
        series=series,
        groups=groups,
        units=units,
        units_open=any(k.startswith("unit_") for k in form),
        replying=replying,
        error=error,
        KIND_TH=KIND_TH,
    )


@router.get("/outgoing/new", response_class=HTMLResponse)
def draft_form(request: Request, page: PageDep, registry_id: str = "", reply_to: str = "") -> HTMLResponse:
    form: dict[str, str] = {"registry_id": registry_id, "replies_to_letter_id": reply_to}
    if reply_to.isdigit():
        with app_of(request).tx(readonly=True) as uow:
            try:
                answered = get_visible_letter(uow.session, page.actor, int(str(decode_letter_value(reply_to))))
                form["subject"] = answered.subject
                form["recipient"] = answered.sender
            except NotFound:
                form["replies_to_letter_id"] = ""
    return _draft_page(request, page, form)


def _parse_outside(text: str) -> list[dict[str, Any]]:
    """One outside party a line: ``name | postal address`` or ``name | e-mail``."""
    parties = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, where_to = line.partition("|")
        if not sep or not name.strip() or not where_to.strip():
            raise InvalidInput(
                f"line {n} of the outside parties is not 'name | address or e-mail'",
                thai=f"ผู้รับภายนอกบรรทัดที่ {n} ต้องเป็น 'ชื่อ | ที่อยู่ หรืออีเมล'",
            )
        where_to = where_to.strip()
        key = "email" if "@" in where_to and " " not in where_to else "address"
        parties.append({"name": name.strip(), key: where_to})
    return parties


@router.post("/outgoing/new", response_model=None)
async def draft_submit(request: Request, page: PageDep) -> Response:
    upload = await _form(request, page)
    upload.discard()  # a draft has no files yet: they are added on the letter's page
    fields = upload.fields
    form = {k: fields.get(k, "") for k in DRAFT_FIELDS}
    try:
        recipients: list[dict[str, Any]] = [
            {"group_id": int(k.removeprefix("group_"))} for k in fields if k.startswith("group_") and k[6:].isdigit()
        ]
        recipients += [
            {"unit_id": int(k.removeprefix("unit_"))} for k in fields if k.startswith("unit_") and k[5:].isdigit()
        ]
        recipients += _parse_outside(form["outside"])
        body: dict[str, Any] = {k: v for k, v in form.items() if v != "" and k != "outside"}
        body["recipients"] = recipients
        body.setdefault("registry_id", "0")
        if "replies_to_letter_id" in body:  # the page's public id
            body["replies_to_letter_id"] = decode_letter_value(body["replies_to_letter_id"])
        data = parse_outgoing(body)
        result = await run_in_threadpool(flow.draft, app_of(request), actor=page.actor, data=data, where=where(request))
    except (Unauthenticated, CsrfFailed):
        raise
    except SarabanError as exc:
        _refused_on_form(request, page, exc)
        form.update({k: "on" for k in fields if k.startswith(("group_", "unit_"))})
        return _draft_page(request, page, form, status=exc.status, error=exc)
    return RedirectResponse(f"/outgoing/{public_letter(result['letter_id'])}?done=drafted", status_code=303)


# ---------------------------------------------------------------------------------------------- one letter

DONE_TH = {
    "drafted": "บันทึกร่างหนังสือแล้ว",
    "issued": "ออกเลขหนังสือแล้ว",
    "files": "แนบไฟล์แล้ว",
    "sent": "ส่งหนังสือแล้ว",
}


def _letter_page(
    request: Request,
    page: Page,
    letter_id: LetterRef,
    *,
    status: int = 200,
    done: str = "",
    error: SarabanError | None = None,
) -> HTMLResponse:
    app = app_of(request)
    tz = app.settings.timezone
    with app.tx() as uow:
        s = uow.session
        view = outgoing_view(s, page.actor, letter_id, now=app.clock(), where=where(request), tz=tz)
        registry_id = int(view["outgoing"]["registry"]["id"])
        registry = visible_registry(s, page.actor, registry_id)
        issuer = may_issue(s, page.actor, registry)
        reservations = open_reservations(s, registry_id, now=app.clock(), tz=tz) if issuer else []
        try:
            status_view = delivery_status(s, page.actor, letter_id, tz=tz)
        except Forbidden:
            status_view = None
    return render(
        request,
        "outgoing.html",
        page,
        status=status,
        letter=view,
        out=view["outgoing"],
        issuer=issuer,
        reservations=reservations,
        tracking=status_view,
        DELIVERY_TH=DELIVERY_TH,
        done=DONE_TH.get(done, ""),
        error=error,
    )


@router.get("/outgoing/{letter_id}", response_class=HTMLResponse)
def letter_page(request: Request, letter_id: LetterRef, page: PageDep, done: str = "") -> HTMLResponse:
    return _letter_page(request, page, letter_id, done=done)


async def _act(request: Request, page: Page, letter_id: LetterRef, done: str, work: Any) -> Response:
    """Run one act on the letter from its page; a refusal is shown on the page."""
    try:
        await work()
    except (Unauthenticated, CsrfFailed, NotFound):
        raise
    except SarabanError as exc:
        _refused_on_form(request, page, exc)
        return _letter_page(request, page, letter_id, status=exc.status, error=exc)
    return RedirectResponse(f"/outgoing/{public_letter(letter_id)}?done={done}", status_code=303)


@router.post("/outgoing/{letter_id}/issue", response_model=None)
async def issue_submit(request: Request, letter_id: LetterRef, page: PageDep) -> Response:
    upload = await _form(request, page)
    upload.discard()
    raw = to_arabic_digits(upload.fields.get("reservation_id", "")).strip()

    async def work() -> None:
        reservation = int(raw) if raw.isdigit() else None
        await run_in_threadpool(
            flow.issue,
            app_of(request),
            actor=page.actor,
            letter_id=letter_id,
            reservation_id=reservation,
            where=where(request),
        )

    return await _act(request, page, letter_id, "issued", work)


@router.post("/outgoing/{letter_id}/files", response_model=None)
async def files_submit(request: Request, letter_id: LetterRef, page: PageDep) -> Response:
    # the right first: nothing of the body is read for someone who may not attach files to this letter
    await run_in_threadpool(flow.check_may_attach, app_of(request), actor=page.actor, letter_id=letter_id)
    upload = await _form(request, page, files=True)

    async def work() -> None:
        await run_in_threadpool(
            flow.upload_files,
            app_of(request),
            actor=page.actor,
            letter_id=letter_id,
            upload=upload,
            where=where(request),
        )

    try:
        return await _act(request, page, letter_id, "files", work)
    finally:
        upload.discard()


@router.post("/outgoing/{letter_id}/send", response_model=None)
async def send_submit(request: Request, letter_id: LetterRef, page: PageDep) -> Response:
    upload = await _form(request, page)
    upload.discard()

    async def work() -> None:
        await run_in_threadpool(flow.send, app_of(request), actor=page.actor, letter_id=letter_id, where=where(request))

    return await _act(request, page, letter_id, "sent", work)


@router.get("/outgoing/{letter_id}/{paper}.pdf", response_model=None)
def paper_pdf(request: Request, letter_id: LetterRef, paper: str, page: PageDep) -> Response:
    """The delivery book page (สมุดส่งหนังสือ) or the envelope address sheet (ใบจ่าหน้าซอง) of the letter."""
    app = app_of(request)
    tz = app.settings.timezone
    with app.tx(readonly=True) as uow:
        if paper == "delivery-book":
            pdf = delivery_book_for(
                uow.session, page.actor, letter_id, tz=tz, thai_digits=app.settings.stamp_digits == "thai"
            )
        elif paper == "address-sheet":
            pdf = address_sheet_for(uow.session, page.actor, letter_id, tz=tz)
        else:
            raise NotFound("no such page", thai="ไม่พบเอกสารนี้")
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f"inline; filename={paper}.pdf"})


# ---------------------------------------------------------------------------------------------- the recipient


@router.get("/deliveries", response_class=HTMLResponse)
def incoming_page(request: Request, page: PageDep) -> HTMLResponse:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        items = incoming_deliveries(uow.session, page.actor, app.clock(), tz=app.settings.timezone)
    return render(request, "deliveries.html", page, items=items)


def _delivery_page(
    request: Request,
    page: Page,
    delivery_id: Id,
    *,
    status: int = 200,
    registered: dict[str, Any] | None = None,
    error: SarabanError | None = None,
) -> HTMLResponse:
    app = app_of(request)
    with app.tx() as uow:
        delivery, letter = open_delivery(uow.session, page.actor, delivery_id, now=app.clock(), where=where(request))
        view = letter_view(uow.session, letter, tz=app.settings.timezone)
    return render(
        request,
        "delivery.html",
        page,
        status=status,
        delivery=delivery,
        letter=view,
        registered=registered,
        error=error,
        DELIVERY_TH=DELIVERY_TH,
    )


@router.get("/deliveries/{delivery_id}", response_class=HTMLResponse)
def delivery_page(request: Request, delivery_id: Id, page: PageDep) -> HTMLResponse:
    return _delivery_page(request, page, delivery_id)


@router.post("/deliveries/{delivery_id}/register", response_class=HTMLResponse)
async def register_submit(request: Request, delivery_id: Id, page: PageDep) -> HTMLResponse:
    upload = await _form(request, page)
    upload.discard()
    try:
        result = await run_in_threadpool(
            flow.register,
            app_of(request),
            actor=page.actor,
            delivery_id=delivery_id,
            registry_id=None,
            where=where(request),
        )
    except (Unauthenticated, CsrfFailed, NotFound):
        raise
    except SarabanError as exc:
        _refused_on_form(request, page, exc)
        return _delivery_page(request, page, delivery_id, status=exc.status, error=exc)
    return _delivery_page(request, page, delivery_id, registered=result["registration"])


@router.post("/deliveries/{delivery_id}/return", response_model=None)
async def return_submit(request: Request, delivery_id: Id, page: PageDep) -> Response:
    upload = await _form(request, page)
    upload.discard()
    app = app_of(request)
    try:
        with app.tx() as uow:
            return_delivery(
                uow.session,
                page.actor,
                delivery_id,
                reason=upload.fields.get("reason", ""),
                now=app.clock(),
                where=where(request),
            )
    except (Unauthenticated, CsrfFailed, NotFound):
        raise
    except SarabanError as exc:
        _refused_on_form(request, page, exc)
        return _delivery_page(request, page, delivery_id, status=exc.status, error=exc)
    return RedirectResponse("/deliveries", status_code=303)


# ---------------------------------------------------------------------------------------------- numbers


def _numbers_page(
    request: Request,
    page: Page,
    registry_id: Id,
    year: str | None,
    *,
    status: int = 200,
    message: str = "",
    error: SarabanError | None = None,
) -> HTMLResponse:
    app = app_of(request)
    tz = app.settings.timezone
    with app.tx(readonly=True) as uow:
        s = uow.session
        y = year_param(year, app.clock())
        report = readable_number_report(s, page.actor, registry_id, y, now=app.clock(), tz=tz)
        registry = visible_registry(s, page.actor, registry_id)
        issuer = may_issue(s, page.actor, registry)
    return render(
        request,
        "numbers.html",
        page,
        status=status,
        report=report,
        registry=registry,
        year=y,
        issuer=issuer,
        message=message,
        error=error,
    )


@router.get("/registers/{registry_id}/numbers", response_class=HTMLResponse)
def numbers_page(request: Request, registry_id: Id, page: PageDep, year: str | None = None) -> HTMLResponse:
    return _numbers_page(request, page, registry_id, year)


@router.post("/registers/{registry_id}/reservations", response_class=HTMLResponse)
async def reserve_submit(request: Request, registry_id: Id, page: PageDep) -> HTMLResponse:
    upload = await _form(request, page)
    upload.discard()
    app = app_of(request)
    fields = upload.fields
    try:
        expires = day_bound(fields.get("expires_on") or None, end=True, tz=app.settings.timezone)
        with app.tx() as uow:
            r = reserve_number(
                uow.session,
                page.actor,
                registry_id,
                reason=fields.get("reason", ""),
                expires_at=expires,
                now=app.clock(),
                tz=app.settings.timezone,
                where=where(request),
            )
            number, year = r.number, r.year
    except (Unauthenticated, CsrfFailed, NotFound):
        raise
    except SarabanError as exc:
        _refused_on_form(request, page, exc)
        return _numbers_page(request, page, registry_id, None, status=exc.status, error=exc)
    return _numbers_page(request, page, registry_id, str(year), message=f"จองเลข {number} แล้ว")


@router.post("/registers/{registry_id}/numbers/{number}/cancel", response_class=HTMLResponse)
async def cancel_submit(request: Request, registry_id: Id, number: Id, page: PageDep) -> HTMLResponse:
    upload = await _form(request, page)
    upload.discard()
    app = app_of(request)
    fields = upload.fields
    year = year_param(fields.get("year"), app.clock())
    try:
        with app.tx() as uow:
            cancel_number(
                uow.session,
                page.actor,
                registry_id,
                number=number,
                year=year,
                reason=fields.get("reason", ""),
                now=app.clock(),
                where=where(request),
            )
    except (Unauthenticated, CsrfFailed, NotFound):
        raise
    except SarabanError as exc:
        _refused_on_form(request, page, exc)
        return _numbers_page(request, page, registry_id, str(year), status=exc.status, error=exc)
    return _numbers_page(request, page, registry_id, str(year), message=f"ยกเลิกเลข {number} แล้ว")
