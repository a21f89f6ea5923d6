"""Letters over the API: the list, one letter, its files."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from service.edge.deps import ActorDep, app_of, where
from service.edge.errors import file_responses
from service.edge.files import file_response
from service.kit.fields import Count
from service.kit.publicids import AttachmentRef, LetterRef
from service.letters.files import open_attachment
from service.letters.views import list_letters, read_letter

router = APIRouter(prefix="/api/v1")


@router.get("/letters")
def letters(
    request: Request,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[Count, Query()] = 0,
) -> dict[str, Any]:
    with app_of(request).tx() as uow:
        return list_letters(uow.session, actor, limit=limit, offset=offset)


@router.get("/letters/{letter_id}")
def letter(request: Request, letter_id: LetterRef, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        return read_letter(
            uow.session, actor, letter_id, now=app.clock(), where=where(request), tz=app.settings.timezone
        )


def _download(request: Request, actor: ActorDep, attachment_id: AttachmentRef, *, stamped: bool) -> StreamingResponse:
    app = app_of(request)
    with app.tx() as uow:
        ref = open_attachment(uow.session, actor, attachment_id, stamped=stamped, now=app.clock(), where=where(request))
    return file_response(app.store, ref, request=request)


@router.get("/attachments/{attachment_id}/content", responses=file_responses("*/*"))
def content(request: Request, attachment_id: AttachmentRef, actor: ActorDep) -> StreamingResponse:
    return _download(request, actor, attachment_id, stamped=False)


@router.get("/attachments/{attachment_id}/stamped", responses=file_responses("*/*"))
def stamped(request: Request, attachment_id: AttachmentRef, actor: ActorDep) -> StreamingResponse:
    return _download(request, actor, attachment_id, stamped=True)
