"""The letter page and its files."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service.access.policy import Action, may
from service.access.queries import get_visible_letter
from service.audit.queries import list_events
from service.edge.deps import PageDep, app_of, where
from service.edge.files import file_response
from service.edge.templates import render
from service.kit.errors import NotFound
from service.kit.fields import Count
from service.kit.publicids import AttachmentRef, LetterRef
from service.letters.files import open_attachment
from service.letters.index_status import index_status_th
from service.letters.views import read_letter
from service.registers.corrections import FIELD_TH, REFUSED_TH, change_refusals
from service.routing.panel import letter_panel

router = APIRouter()


@router.get("/letters/{letter_id}", response_class=HTMLResponse)
def letter_page(
    request: Request, letter_id: LetterRef, page: PageDep, registered: Count = 0, done: str = "", changed: str = ""
) -> HTMLResponse:
    app = app_of(request)
    with app.tx() as uow:
        view = read_letter(
            uow.session, page.actor, letter_id, now=app.clock(), where=where(request), tz=app.settings.timezone
        )
        letter = get_visible_letter(uow.session, page.actor, letter_id)
        panel = letter_panel(uow.session, page.actor, letter, now=app.clock(), tz=app.settings.timezone)
        refusals = change_refusals(uow.session, page.actor, letter)
    history = None
    if may(page.actor, Action.READ_AUDIT) is None:
        with app.tx() as uow:
            history = list_events(
                uow.session,
                page.actor,
                letter_id=letter_id,
                since=None,
                until=None,
                now=app.clock(),
                where=where(request),
                asked={"since": None, "until": None},
            )
    return render(
        request,
        "letter.html",
        page,
        letter=view,
        registered=registered,
        history=history,
        panel=panel,
        done=done,
        refusals=refusals,
        refused_th=REFUSED_TH,
        changed=changed,
        field_th=FIELD_TH,
        index=index_status_th(view["index_status"]),
    )


@router.get("/attachments/{attachment_id}/{which}", response_model=None)
def attachment_file(request: Request, attachment_id: AttachmentRef, which: str, page: PageDep) -> Response:
    if which not in ("content", "stamped"):
        raise NotFound("no such file", thai="ไม่พบไฟล์")
    app = app_of(request)
    with app.tx() as uow:
        ref = open_attachment(
            uow.session, page.actor, attachment_id, stamped=which == "stamped", now=app.clock(), where=where(request)
        )
    return file_response(app.store, ref, request=request)
