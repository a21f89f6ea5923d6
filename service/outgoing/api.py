"""Outgoing letters over the API: draft, files, issue, send, follow; reserve and cancel numbers; the number report;
the recipient's side of an electronic delivery; the saved recipient groups."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from service.edge.deps import ActorDep, app_of, where
from service.edge.errors import PDF
from service.edge.idempotent import idempotent, run_once
from service.edge.params import year_param
from service.edge.publicids import PublicJSONResponse as JSONResponse
from service.kit.errors import InvalidInput
from service.kit.fields import BeYear, Id, OfficeDateTime, Text
from service.kit.publicids import LetterRef, decode_letter_value
from service.kit.thai import local, to_arabic_digits
from service.kit.uploads import read_upload
from service.letters.views import letter_view
from service.outgoing import flow
from service.outgoing.delivery import delivery_status, open_delivery, return_delivery
from service.outgoing.inbox import incoming_deliveries
from service.outgoing.input import parse_outgoing
from service.outgoing.numbers import cancel_number, readable_number_report, reserve_number
from service.outgoing.printing import address_sheet_for, delivery_book_for
from service.outgoing.views import list_outgoing, outgoing_view, recipient_groups

router = APIRouter(prefix="/api/v1")


@router.get("/recipient-groups")
def groups(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    with app_of(request).tx(readonly=True) as uow:
        return recipient_groups(uow.session)


@router.post("/outgoing", status_code=201)
@idempotent()
def create(request: Request, actor: ActorDep, body: Annotated[Any, Body()] = None) -> dict[str, Any]:
    if isinstance(body, dict) and "replies_to_letter_id" in body:  # the client's public id
        body = {**body, "replies_to_letter_id": decode_letter_value(body["replies_to_letter_id"])}
    data = parse_outgoing(body)
    return flow.draft(app_of(request), actor=actor, data=data, where=where(request))


@router.get("/outgoing")
def outgoing_list(
    request: Request, actor: ActorDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> dict[str, Any]:
    with app_of(request).tx(readonly=True) as uow:
        items = list_outgoing(uow.session, actor, limit=limit)
    return {"total": len(items), "items": items}


@router.get("/outgoing/{letter_id}")
def outgoing_one(request: Request, letter_id: LetterRef, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        return outgoing_view(
            uow.session, actor, letter_id, now=app.clock(), where=where(request), tz=app.settings.timezone
        )


@router.post("/outgoing/{letter_id}/files", status_code=201)
async def files(request: Request, letter_id: LetterRef, actor: ActorDep) -> JSONResponse:
    app = app_of(request)
    s = app.settings
    # the right first: nothing of the body is read for someone who may not attach files to this letter
    await run_in_threadpool(flow.check_may_attach, app, actor=actor, letter_id=letter_id)
    upload = await read_upload(request, tmp_dir=app.tmp_dir, max_files=s.max_files, max_file_bytes=s.max_file_bytes)
    result = await run_in_threadpool(
        flow.upload_files, app, actor=actor, letter_id=letter_id, upload=upload, where=where(request)
    )
    return JSONResponse(result, status_code=201)


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reservation_id: Id | None = None


@router.post("/outgoing/{letter_id}/issue")
@idempotent(status=200)
def issue(request: Request, letter_id: LetterRef, actor: ActorDep, body: IssueIn | None = None) -> dict[str, Any]:
    reservation_id = body.reservation_id if body is not None else None
    return flow.issue(
        app_of(request), actor=actor, letter_id=letter_id, reservation_id=reservation_id, where=where(request)
    )


@router.post("/outgoing/{letter_id}/send")
def send(request: Request, letter_id: LetterRef, actor: ActorDep) -> Response:
    # A circular to 30,000 schools answers 30,000 deliveries: plain JSON values written as they are (FastAPI's
    # jsonable_encoder walks each one and took longer than the send's own statements).
    answer = run_once(
        request,
        actor,
        None,
        lambda: flow.send(app_of(request), actor=actor, letter_id=letter_id, where=where(request)),
        status=200,
    )
    return answer if isinstance(answer, Response) else JSONResponse(answer)


@router.get("/outgoing/{letter_id}/deliveries")
def deliveries(request: Request, letter_id: LetterRef, actor: ActorDep) -> JSONResponse:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        status = delivery_status(uow.session, actor, letter_id, tz=app.settings.timezone)
    return JSONResponse(status)  # one row a recipient, thousands of them: as for the send, not through the encoder


# ---------------------------------------------------------------------------------------------- numbers


class ReservationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = ""
    expires_at: OfficeDateTime | None = None


@router.post("/registries/{registry_id}/reservations", status_code=201)
def reserve(request: Request, registry_id: Id, actor: ActorDep, body: ReservationIn) -> dict[str, Any]:
    app = app_of(request)
    tz = app.settings.timezone
    with app.tx() as uow:
        r = reserve_number(
            uow.session,
            actor,
            registry_id,
            reason=body.reason,
            expires_at=body.expires_at,
            now=app.clock(),
            tz=tz,
            where=where(request),
        )
        return {
            "id": r.id,
            "registry_id": r.registry_id,
            "year": r.year,
            "number": r.number,
            "reason": r.reason,
            "expires_at": local(r.expires_at, tz).isoformat(),
        }


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = ""
    year: BeYear | None = None


@router.post("/registries/{registry_id}/numbers/{number}/cancel")
def cancel(request: Request, registry_id: Id, number: Id, actor: ActorDep, body: CancelIn) -> dict[str, Any]:
    app = app_of(request)
    year = year_param(None if body.year is None else to_arabic_digits(str(body.year)), app.clock())
    with app.tx() as uow:
        c = cancel_number(
            uow.session,
            actor,
            registry_id,
            number=number,
            year=year,
            reason=body.reason,
            now=app.clock(),
            where=where(request),
        )
        return {
            "registry_id": c.registry_id,
            "year": c.year,
            "number": c.number,
            "status": "cancelled",
            "reason": c.reason,
            "letter_id": c.letter_id,
            "cancelled_at": local(c.cancelled_at, app.settings.timezone).isoformat(),
        }


@router.get("/registries/{registry_id}/numbers")
def numbers(
    request: Request, registry_id: Id, actor: ActorDep, year: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        return readable_number_report(
            uow.session, actor, registry_id, year_param(year, app.clock()), now=app.clock(), tz=app.settings.timezone
        )


# ---------------------------------------------------------------------------------------------- the recipient


@router.get("/deliveries/incoming")
def incoming(request: Request, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        items = incoming_deliveries(uow.session, actor, app.clock(), tz=app.settings.timezone)
    return {"total": len(items), "items": items}


@router.get("/deliveries/{delivery_id}")
def delivery(request: Request, delivery_id: Id, actor: ActorDep) -> dict[str, Any]:
    """The recipient's clerk opens the delivered letter (the sender sees it opened)."""
    app = app_of(request)
    with app.tx() as uow:
        d, letter = open_delivery(uow.session, actor, delivery_id, now=app.clock(), where=where(request))
        return {"delivery_id": d.id, "state": d.state, "unit_id": d.unit_id, "letter": letter_view(uow.session, letter)}


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    registry_id: Id | None = None


@router.post("/deliveries/{delivery_id}/register")
def register(request: Request, delivery_id: Id, actor: ActorDep, body: RegisterIn | None = None) -> dict[str, Any]:
    registry_id = body.registry_id if body is not None else None
    if registry_id is not None and registry_id < 1:
        raise InvalidInput("registry_id must be a registry's id", thai="ทะเบียนไม่ถูกต้อง")
    return flow.register(
        app_of(request), actor=actor, delivery_id=delivery_id, registry_id=registry_id, where=where(request)
    )


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = ""


@router.post("/deliveries/{delivery_id}/return")
def give_back(request: Request, delivery_id: Id, actor: ActorDep, body: ReturnIn) -> dict[str, Any]:
    """The recipient's clerk returns the letter to its sender unregistered, with a reason."""
    app = app_of(request)
    with app.tx() as uow:
        d = return_delivery(uow.session, actor, delivery_id, reason=body.reason, now=app.clock(), where=where(request))
        return {"delivery_id": d.id, "state": d.state, "returned_reason": d.returned_reason}


@router.get("/outgoing/{letter_id}/delivery-book.pdf", response_model=None, responses=PDF)
def delivery_book(request: Request, letter_id: LetterRef, actor: ActorDep) -> Response:
    """สมุดส่งหนังสือ: the letter's postal addressees, with room for the receiver's signature."""
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        pdf = delivery_book_for(
            uow.session, actor, letter_id, tz=app.settings.timezone, thai_digits=app.settings.stamp_digits == "thai"
        )
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": "inline; filename=book.pdf"})


@router.get("/outgoing/{letter_id}/address-sheet.pdf", response_model=None, responses=PDF)
def address_sheet(request: Request, letter_id: LetterRef, actor: ActorDep) -> Response:
    """ใบจ่าหน้าซอง: each postal addressee's name and address in large type."""
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        pdf = address_sheet_for(uow.session, actor, letter_id, tz=app.settings.timezone)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": "inline; filename=sheet.pdf"})
