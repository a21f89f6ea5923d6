"""The receive form: a clerk registers a letter with its files and is shown the stamped result."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from service.access.queries import visible_registry
from service.access.roles import SECRET_KINDS
from service.edge.deps import CsrfFailed, PageDep, app_of, check_csrf, record_failure, where
from service.edge.gate import require_receipt
from service.edge.publicids import public_letter
from service.edge.templates import render
from service.kit.errors import Forbidden, NotFound, PossibleDuplicate, SarabanError, Unauthenticated
from service.kit.fields import Id
from service.kit.uploads import read_upload
from service.letters.input import parse_letter_meta
from service.receiving.dates import DateNeedsConfirmation
from service.receiving.duplicates import truthy
from service.receiving.flow import register_received

router = APIRouter()

FORM_FIELDS = (
    "letter_no",
    "letter_date",
    "sender",
    "recipient",
    "subject",
    "summary",
    "letter_type",
    "urgency",
    "secrecy",
    "channel",
    "remarks",
    "deliver_by",
)


@router.get("/registers/{registry_id}/receive", response_class=HTMLResponse)
def receive_form(request: Request, registry_id: Id, page: PageDep) -> HTMLResponse:
    app = app_of(request)
    with app.tx() as uow:
        registry = visible_registry(uow.session, page.actor, registry_id)
    return render(request, "receive.html", page, registry=registry, form={}, secret=registry.kind in SECRET_KINDS)


@router.post("/registers/{registry_id}/receive", response_model=None)
async def receive_submit(request: Request, registry_id: Id, page: PageDep) -> Response:
    app = app_of(request)
    s = app.settings
    # the right first: nothing of the body is read for someone who may not register here (a Thai error page; the
    # gate asked it)
    await require_receipt(request, actor=page.actor, registry_id=registry_id)
    upload = await read_upload(request, tmp_dir=app.tmp_dir, max_files=s.max_files, max_file_bytes=s.max_file_bytes)
    form = {k: upload.fields.get(k, "") for k in FORM_FIELDS}
    try:
        check_csrf(page, upload.fields.get("csrf"))
        data = parse_letter_meta({k: v for k, v in form.items() if v != ""})
        confirm = truthy(upload.fields.get("confirm_duplicate", ""))
        confirm_date = truthy(upload.fields.get("confirm_date", ""))
        result = await run_in_threadpool(
            lambda: register_received(
                app,
                actor=page.actor,
                registry_id=registry_id,
                data=data,
                upload=upload,
                where=where(request),
                confirm_duplicate=confirm,
                confirm_date=confirm_date,
            )
        )
    except (Unauthenticated, CsrfFailed, NotFound):
        upload.discard()
        raise
    except SarabanError as exc:
        upload.discard()
        if isinstance(exc, Forbidden):  # shown on the form, so the shared renderer does not see it: audit here
            record_failure(app, request, action="permission_denied", actor=page.actor, reason=exc.detail)
        with app.tx() as uow:
            registry = visible_registry(uow.session, page.actor, registry_id)
        return render(
            request,
            "receive.html",
            page,
            status=exc.status,
            registry=registry,
            form=form,
            error=exc,
            duplicate=exc.extra.get("earlier") if isinstance(exc, PossibleDuplicate) else None,
            date_unlikely=isinstance(exc, DateNeedsConfirmation),
            secret=registry.kind in SECRET_KINDS,
        )
    return RedirectResponse(f"/letters/{public_letter(result['letter_id'])}?registered=1", status_code=303)
