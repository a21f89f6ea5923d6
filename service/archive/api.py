"""The archive over the API: the file plan, filing, items, legal holds, the destruction cycle, loans, transfers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from retention.committee import CommitteeRole, Member
from retention.keeping import StorageKind
from service.access.rule import Actor
from service.archive import destruction, filing, forms, holds, loans, plan, transfer
from service.archive.stamping import stamp_items
from service.edge.deps import ActorDep, app_of, where
from service.edge.errors import PDF, file_responses
from service.edge.files import file_response
from service.kit.fields import BeYear, Count, Id, Text, Years, read_date
from service.kit.publicids import LetterField
from service.kit.thai import local

router = APIRouter(prefix="/api/v1")


def day(raw: str | None, field: str) -> date | None:
    """An ISO or Thai date (``2026-03-01``, ``1 มี.ค. 2569``, ``๑/๓/๒๕๖๙``) from a request; ``None`` stays ``None``."""
    return read_date(raw, field=field, field_th=field)


# ---------------------------------------------------------------------------------------------- the file plan


@router.get("/retention-classes")
def retention_classes(request: Request, _: ActorDep) -> list[dict[str, Any]]:
    with app_of(request).tx(readonly=True) as uow:
        return plan.list_retention_classes(uow.session)


class RetentionYearsIn(BaseModel):
    years: Years | None


@router.patch("/retention-classes/{class_id}")
def change_retention_class(request: Request, class_id: Id, actor: ActorDep, body: RetentionYearsIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        c = plan.set_retention_years(
            uow.session, actor=actor, class_id=class_id, years=body.years, now=app.clock(), where=where(request)
        )
        return plan.retention_class_view(c)


@router.get("/file-codes")
def file_codes(request: Request, _: ActorDep) -> list[dict[str, Any]]:
    with app_of(request).tx(readonly=True) as uow:
        return plan.list_file_codes(uow.session)


class FileCodeIn(BaseModel):
    code: Text
    name: Text
    parent_id: Id | None = None


@router.post("/file-codes", status_code=201)
def add_file_code(request: Request, actor: ActorDep, body: FileCodeIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        row = plan.add_file_code(
            uow.session,
            actor=actor,
            code=body.code,
            name=body.name,
            parent_id=body.parent_id,
            now=app.clock(),
            where=where(request),
        )
        return plan.file_code_view(row)


# ---------------------------------------------------------------------------------------------- filing


class FilingIn(BaseModel):
    letter_ids: list[LetterField] = Field(min_length=1, max_length=10000)
    file_code_id: Id
    retention_class_id: Id
    location: Text = ""
    storage_kind: StorageKind = StorageKind.COMPLETED
    completed_on: Text | None = None


@router.post("/archive/files", status_code=201)
def file_letters(request: Request, actor: ActorDep, body: FilingIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        items = filing.file_letters(
            uow.session,
            actor=actor,
            filing=filing.Filing(
                letter_ids=body.letter_ids,
                file_code_id=body.file_code_id,
                retention_class_id=body.retention_class_id,
                location=body.location,
                storage_kind=body.storage_kind,
                completed_on=day(body.completed_on, "completed_on"),
            ),
            now=app.clock(),
            where=where(request),
            tz=app.settings.timezone,
        )
        ids = [i.id for i in items if i.id is not None]
        uow.after_commit(lambda: stamp_items(app, ids))
        result = [{"id": i.id, "letter_id": i.letter_id, "keep_until_year": i.keep_until_year} for i in items]
    return {"items": result}


@router.get("/archive/items")
def items(
    request: Request,
    actor: ActorDep,
    state: Text | None = "filed",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[Count, Query()] = 0,
) -> list[dict[str, Any]]:
    with app_of(request).tx(readonly=True) as uow:
        return filing.list_items(uow.session, actor, state=state or None, limit=limit, offset=offset)


@router.get("/archive/items/{item_id}")
def item(request: Request, item_id: Id, actor: ActorDep) -> dict[str, Any]:
    with app_of(request).tx(readonly=True) as uow:
        return filing.item_view(uow.session, actor, item_id)


@router.get("/archive/items/{item_id}/stamped", responses=PDF)
def keep_until_copy(request: Request, item_id: Id, actor: ActorDep) -> StreamingResponse:
    app = app_of(request)
    with app.tx() as uow:
        ref = filing.open_keep_until_copy(uow.session, actor, item_id, now=app.clock(), where=where(request))
    return file_response(app.store, ref, request=request)


class ItemChangeIn(BaseModel):
    retention_class_id: Id | None = None
    file_code_id: Id | None = None
    location: Text | None = None


@router.patch("/archive/items/{item_id}")
def change_item(request: Request, item_id: Id, actor: ActorDep, body: ItemChangeIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        filing.change_item(
            uow.session,
            actor=actor,
            item_id=item_id,
            retention_class_id=body.retention_class_id,
            file_code_id=body.file_code_id,
            location=body.location,
            now=app.clock(),
            where=where(request),
        )
        uow.after_commit(lambda: stamp_items(app, [item_id]))
        return filing.item_view(uow.session, actor, item_id)


# ---------------------------------------------------------------------------------------------- legal holds


class HoldIn(BaseModel):
    reason: Text


@router.post("/archive/items/{item_id}/holds", status_code=201)
def place_hold(request: Request, item_id: Id, actor: ActorDep, body: HoldIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        hold = holds.place_hold(
            uow.session, actor=actor, item_id=item_id, reason=body.reason, now=app.clock(), where=where(request)
        )
        return holds.hold_view(hold)


@router.delete("/archive/holds/{hold_id}")
def release_hold(request: Request, hold_id: Id, actor: ActorDep, reason: str = "") -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        hold = holds.release_hold(
            uow.session, actor=actor, hold_id=hold_id, reason=reason, now=app.clock(), where=where(request)
        )
        return holds.hold_view(hold)


@router.get("/archive/holds")
def list_holds(request: Request, actor: ActorDep, active: bool = True) -> list[dict[str, Any]]:
    with app_of(request).tx(readonly=True) as uow:
        return holds.list_holds(uow.session, actor, active_only=active)


# ---------------------------------------------------------------------------------------------- destruction


def _list_view(request: Request, uow_session: Session, actor: Actor, list_id: Id) -> dict[str, Any]:
    app = app_of(request)
    return destruction.list_view(
        uow_session, actor, list_id, objection_days=app.settings.objection_days, tz=app.settings.timezone
    )


@router.post("/archive/destruction-lists", status_code=201)
def draw_up_list(request: Request, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        lst = destruction.draw_up_list(
            uow.session,
            actor=actor,
            window=app.settings.window,
            now=app.clock(),
            where=where(request),
            tz=app.settings.timezone,
        )
        assert lst.id is not None
        return _list_view(request, uow.session, actor, lst.id)


@router.get("/archive/destruction-lists")
def destruction_lists(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    with app_of(request).tx(readonly=True) as uow:
        return destruction.all_lists(uow.session, actor)


@router.get("/archive/destruction-lists/{list_id}")
def destruction_list(request: Request, list_id: Id, actor: ActorDep) -> dict[str, Any]:
    with app_of(request).tx(readonly=True) as uow:
        return _list_view(request, uow.session, actor, list_id)


class MemberIn(BaseModel):
    name: Text
    position: Text = ""
    level: Text
    role: CommitteeRole


class CommitteeIn(BaseModel):
    members: list[MemberIn]


@router.post("/archive/destruction-lists/{list_id}/committee")
def record_committee(request: Request, list_id: Id, actor: ActorDep, body: CommitteeIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        destruction.record_committee(
            uow.session,
            actor=actor,
            list_id=list_id,
            members=[Member(m.name, m.position, m.level, m.role) for m in body.members],
            levels=app.settings.committee_level_list,
            now=app.clock(),
            where=where(request),
        )
        return _list_view(request, uow.session, actor, list_id)


class DecisionModel(BaseModel):
    item_id: Id
    decision: Text
    keep_until_year: BeYear | None = None
    remark: Text = ""


class DecisionsIn(BaseModel):
    decisions: list[DecisionModel] = Field(min_length=1)


@router.post("/archive/destruction-lists/{list_id}/decisions")
def record_decisions(request: Request, list_id: Id, actor: ActorDep, body: DecisionsIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        changed = destruction.record_decisions(
            uow.session,
            actor=actor,
            list_id=list_id,
            decisions=[
                destruction.DecisionIn(d.item_id, d.decision, d.keep_until_year, d.remark) for d in body.decisions
            ],
            now=app.clock(),
            where=where(request),
        )
        uow.after_commit(lambda: stamp_items(app, changed))
        return _list_view(request, uow.session, actor, list_id)


@router.post("/archive/destruction-lists/{list_id}/approve")
def approve_list(request: Request, list_id: Id, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        destruction.approve_list(uow.session, actor=actor, list_id=list_id, now=app.clock(), where=where(request))
        return _list_view(request, uow.session, actor, list_id)


class ArchivesIn(BaseModel):
    date: Text | None = None
    answer: Text | None = None


@router.post("/archive/destruction-lists/{list_id}/archives-notified")
def archives_notified(request: Request, list_id: Id, actor: ActorDep, body: ArchivesIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        destruction.record_archives(
            uow.session,
            actor=actor,
            list_id=list_id,
            notified_on=day(body.date, "date"),
            answer=body.answer,
            now=app.clock(),
            where=where(request),
            tz=app.settings.timezone,
        )
        return _list_view(request, uow.session, actor, list_id)


class ExecuteIn(BaseModel):
    method: Text = ""


@router.post("/archive/destruction-lists/{list_id}/execute")
def execute_list(request: Request, list_id: Id, actor: ActorDep, body: ExecuteIn | None = None) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        done = destruction.execute_list(
            uow.session,
            actor=actor,
            list_id=list_id,
            objection_days=app.settings.objection_days,
            method=body.method if body else "",
            now=app.clock(),
            where=where(request),
            tz=app.settings.timezone,
        )
    report = destruction.purge(app, done, actor=actor, where=where(request))
    return {
        "destroyed": done.letter_ids,
        "objects_removed": report.removed,
        "objects_kept_shared": report.kept_shared,
        "objects_not_removed": report.not_removed,
    }


# ---------------------------------------------------------------------------------------------- loans


def _today(request: Request) -> date:
    app = app_of(request)
    return local(app.clock(), app.settings.timezone).date()


class LoanRequestIn(BaseModel):
    borrower_user_id: Id | None = None
    position: Text = ""
    purpose: Text = ""


@router.post("/archive/items/{item_id}/loans", status_code=201)
def request_loan(request: Request, item_id: Id, actor: ActorDep, body: LoanRequestIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        loan = loans.request_loan(
            uow.session,
            actor=actor,
            item_id=item_id,
            borrower_user_id=body.borrower_user_id,
            position=body.position,
            purpose=body.purpose,
            now=app.clock(),
            where=where(request),
        )
        assert loan.id is not None
        return loans.loan_view(uow.session, actor, loan.id, today=_today(request), tz=app.settings.timezone)


class OutsiderIn(BaseModel):
    kind: Text
    name: Text
    position: Text = ""
    organisation: Text = ""
    purpose: Text = ""


@router.post("/archive/items/{item_id}/outsider-access", status_code=201)
def outsider_access(request: Request, item_id: Id, actor: ActorDep, body: OutsiderIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        loan = loans.record_outsider_access(
            uow.session,
            actor=actor,
            item_id=item_id,
            kind=body.kind,
            name=body.name,
            position=body.position,
            organisation=body.organisation,
            purpose=body.purpose,
            now=app.clock(),
            where=where(request),
        )
        assert loan.id is not None
        return loans.loan_view(uow.session, actor, loan.id, today=_today(request), tz=app.settings.timezone)


@router.get("/archive/loans")
def list_loans(
    request: Request, actor: ActorDep, state: str | None = None, overdue: bool = False, item_id: Id | None = None
) -> list[dict[str, Any]]:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        return loans.list_loans(
            uow.session,
            actor,
            today=_today(request),
            state=state,
            overdue=overdue,
            item_id=item_id,
            tz=app.settings.timezone,
        )


@router.get("/archive/loans/overdue")
def overdue_loans(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        return loans.list_loans(uow.session, actor, today=_today(request), overdue=True, tz=app.settings.timezone)


@router.get("/archive/loans/{loan_id}")
def loan(request: Request, loan_id: Id, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        return loans.loan_view(uow.session, actor, loan_id, today=_today(request), tz=app.settings.timezone)


def _decide(request: Request, loan_id: Id, actor: Actor, *, approve: bool) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        loans.decide_loan(
            uow.session,
            actor=actor,
            loan_id=loan_id,
            approve=approve,
            approvers=app.settings.loan_approver_roles,
            now=app.clock(),
            where=where(request),
        )
        return loans.loan_view(uow.session, actor, loan_id, today=_today(request), tz=app.settings.timezone)


@router.post("/archive/loans/{loan_id}/approve")
def approve_loan(request: Request, loan_id: Id, actor: ActorDep) -> dict[str, Any]:
    return _decide(request, loan_id, actor, approve=True)


@router.post("/archive/loans/{loan_id}/refuse")
def refuse_loan(request: Request, loan_id: Id, actor: ActorDep) -> dict[str, Any]:
    return _decide(request, loan_id, actor, approve=False)


class HandOutIn(BaseModel):
    due_on: Text | None = None
    received_by: Text = ""


@router.post("/archive/loans/{loan_id}/hand-out")
def hand_out(request: Request, loan_id: Id, actor: ActorDep, body: HandOutIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        loans.hand_out(
            uow.session,
            actor=actor,
            loan_id=loan_id,
            due=day(body.due_on, "due_on"),
            received_by=body.received_by,
            loan_days=app.settings.loan_days,
            now=app.clock(),
            where=where(request),
            tz=app.settings.timezone,
        )
        return loans.loan_view(uow.session, actor, loan_id, today=_today(request), tz=app.settings.timezone)


class ReturnIn(BaseModel):
    returned_by: Text = ""


@router.post("/archive/loans/{loan_id}/return")
def return_loan(request: Request, loan_id: Id, actor: ActorDep, body: ReturnIn | None = None) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        loans.return_loan(
            uow.session,
            actor=actor,
            loan_id=loan_id,
            returned_by=body.returned_by if body else "",
            now=app.clock(),
            where=where(request),
        )
        return loans.loan_view(uow.session, actor, loan_id, today=_today(request), tz=app.settings.timezone)


# ---------------------------------------------------------------------------------------------- printed forms


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/archive/storage-list", responses=PDF)
def storage_list(request: Request, actor: ActorDep, file_code_id: Id | None = None) -> Response:
    app = app_of(request)
    with app.tx() as uow:
        data = forms.storage_list_pdf(
            uow.session,
            actor,
            file_code_id=file_code_id,
            now=app.clock(),
            where=where(request),
            thai_digits=app.settings.stamp_digits == "thai",
        )
    return _pdf(data, "storage-list.pdf")


@router.get("/archive/items/{item_id}/loan-card", responses=PDF)
def loan_card(request: Request, item_id: Id, actor: ActorDep) -> Response:
    app = app_of(request)
    with app.tx() as uow:
        data = forms.loan_card_pdf(
            uow.session,
            actor,
            item_id,
            now=app.clock(),
            where=where(request),
            tz=app.settings.timezone,
            thai_digits=app.settings.stamp_digits == "thai",
        )
    return _pdf(data, f"loan-card-{item_id}.pdf")


@router.get("/archive/destruction-lists/{list_id}/pdf", responses=PDF)
def destruction_list_pdf(request: Request, list_id: Id, actor: ActorDep) -> Response:
    app = app_of(request)
    with app.tx() as uow:
        data = forms.destruction_list_pdf(
            uow.session,
            actor,
            list_id,
            now=app.clock(),
            where=where(request),
            objection_days=app.settings.objection_days,
            tz=app.settings.timezone,
            thai_digits=app.settings.stamp_digits == "thai",
        )
    return _pdf(data, f"destruction-list-{list_id}.pdf")


# ---------------------------------------------------------------------------------------------- transfer at 20 years


class TransferIn(BaseModel):
    keep_item_ids: list[Id] = []


@router.post("/archive/transfer-lists", status_code=201)
def draw_up_transfer(request: Request, actor: ActorDep, body: TransferIn | None = None) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        to_archives, ourselves = transfer.draw_up_transfer(
            uow.session,
            actor=actor,
            keep_item_ids=body.keep_item_ids if body else [],
            now=app.clock(),
            where=where(request),
            tz=app.settings.timezone,
        )
        assert to_archives.id is not None and ourselves.id is not None
        return {
            "transfer": transfer.transfer_view(uow.session, actor, to_archives.id),
            "keep": transfer.transfer_view(uow.session, actor, ourselves.id),
        }


@router.get("/archive/transfer-lists")
def transfer_lists(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    with app_of(request).tx(readonly=True) as uow:
        return transfer.all_transfer_lists(uow.session, actor)


@router.get("/archive/transfer-lists/{list_id}")
def transfer_list(request: Request, list_id: Id, actor: ActorDep) -> dict[str, Any]:
    with app_of(request).tx(readonly=True) as uow:
        return transfer.transfer_view(uow.session, actor, list_id)


@router.get("/archive/transfer-lists/{list_id}/pdf", responses=PDF)
def transfer_list_pdf(request: Request, list_id: Id, actor: ActorDep) -> Response:
    app = app_of(request)
    with app.tx() as uow:
        data = forms.transfer_list_pdf(
            uow.session,
            actor,
            list_id,
            now=app.clock(),
            where=where(request),
            thai_digits=app.settings.stamp_digits == "thai",
        )
    return _pdf(data, f"transfer-list-{list_id}.pdf")


@router.get("/archive/transfer-lists/{list_id}/package", responses=file_responses("application/x-tar"))
def transfer_package(request: Request, list_id: Id, actor: ActorDep) -> StreamingResponse:
    """The list's BagIt package as a tar, written and validated first, then streamed."""
    app = app_of(request)
    chunks = transfer.package_stream(app, actor, list_id, where=where(request))
    return StreamingResponse(
        chunks,
        media_type="application/x-tar",
        headers={"Content-Disposition": f'attachment; filename="transfer-{list_id}.tar"'},
    )
