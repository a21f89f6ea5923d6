"""Lending archived letters (ระเบียบงานสารบรรณ หมวด 3 ส่วนที่ 2): a request, the approval (by whom the office
names), the hand-out with a due date, the return; the overdue list; an outsider's viewing or copying recorded, never
a loan. Every step is audited."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from retention.loans import (
    ACCESS_TH,
    AccessKind,
    BorrowerKind,
    LoanFacts,
    LoanState,
    LoanStep,
    access_refusal,
    days_overdue,
    due_date_problem,
    due_on,
    is_overdue,
    next_state,
)
from service import audit
from service.access.policy import Action, LoanTarget, may, require
from service.access.queries import get_visible_letter
from service.access.roles import Role
from service.access.rule import Actor
from service.archive.errors import refused
from service.archive.filing import items_out
from service.kit.clock import to_db
from service.kit.errors import InvalidInput, NotFound
from service.kit.thai import local
from service.models import ArchiveItem, FileCode, Letter, Loan, Membership, Unit, User


def _item_for(session: Session, actor: Actor, item_id: int) -> tuple[ArchiveItem, Letter]:
    """An item whose letter the actor may read (the reading rule, not the archive's readers: anyone of the office
    may ask to borrow what they may read)."""
    item = session.get(ArchiveItem, item_id)
    if item is None:
        raise NotFound(f"archive item {item_id} not found", thai="ไม่พบหนังสือในที่เก็บนี้")
    letter = get_visible_letter(session, actor, item.letter_id)
    if item.state != "filed":
        raise refused("item_not_filed", item_id=item_id)
    return item, letter


def _unit_name(session: Session, user_id: int) -> str:
    row = session.exec(
        select(Unit).join(Membership, col(Membership.unit_id) == Unit.id).where(Membership.user_id == user_id)
    ).first()
    return (row.short_name or row.name) if row else ""


def request_loan(
    session: Session,
    *,
    actor: Actor,
    item_id: int,
    borrower_user_id: int | None = None,
    position: str = "",
    purpose: str = "",
    now: datetime,
    where: audit.Where | None = None,
) -> Loan:
    """Someone of the office asks to borrow an item (for themselves; the records officer may write the request
    for a colleague). Secret letters: only a borrower cleared for their level."""
    require(actor, Action.REQUEST_LOAN)
    item, letter = _item_for(session, actor, item_id)
    borrower_id = borrower_user_id if borrower_user_id is not None else actor.id
    if borrower_id != actor.id:
        require(actor, Action.LEND)
    borrower = session.get(User, borrower_id)
    if borrower is None or not borrower.active:
        raise NotFound("no such borrower", thai="ไม่พบผู้ยืม")
    why = access_refusal(AccessKind.BORROW, BorrowerKind.STAFF, secrecy=letter.secrecy, clearance=borrower.clearance)
    if why is not None:
        raise refused(why, item_id=item_id)
    loan = Loan(
        item_id=item_id,
        kind=AccessKind.BORROW.value,
        borrower_kind=BorrowerKind.STAFF.value,
        borrower_user_id=borrower_id,
        borrower_name=borrower.full_name or borrower.username,
        borrower_position=position.strip(),
        borrower_unit=_unit_name(session, borrower_id),
        purpose=purpose.strip(),
        state=LoanState.REQUESTED.value,
        requested_at=to_db(now),
        requested_by=actor.id,
    )
    session.add(loan)
    session.flush()
    _audit(session, actor, loan, item, "loan_request", now, where, borrower=loan.borrower_name)
    return loan


def record_outsider_access(
    session: Session,
    *,
    actor: Actor,
    item_id: int,
    kind: str,
    name: str,
    position: str = "",
    organisation: str = "",
    purpose: str = "",
    now: datetime,
    where: audit.Where | None = None,
) -> Loan:
    """An outsider looked at or copied an item, with permission: recorded (never a loan). Asking to borrow is
    refused."""
    require(actor, Action.LEND)
    try:
        access = AccessKind(kind)
    except ValueError as exc:
        raise InvalidInput(f"kind is view, copy or borrow, not {kind!r}", thai="ระบุ ขอดู หรือ ขอคัดสำเนา") from exc
    item, letter = _item_for(session, actor, item_id)
    why = access_refusal(access, BorrowerKind.OUTSIDER, secrecy=letter.secrecy)
    if why is not None:
        raise refused(why, item_id=item_id)
    if not name.strip():
        raise InvalidInput("name the outsider", thai="ระบุชื่อบุคคลภายนอก")
    loan = Loan(
        item_id=item_id,
        kind=access.value,
        borrower_kind=BorrowerKind.OUTSIDER.value,
        borrower_name=name.strip(),
        borrower_position=position.strip(),
        borrower_unit=organisation.strip(),
        purpose=purpose.strip(),
        state=LoanState.RECORDED.value,
        requested_at=to_db(now),
        requested_by=actor.id,
        approved_at=to_db(now),
        approved_by=actor.id,
    )
    session.add(loan)
    session.flush()
    _audit(session, actor, loan, item, f"outsider_{access.value}", now, where, outsider=loan.borrower_name)
    return loan


def _loan(session: Session, loan_id: int) -> Loan:
    loan = session.get(Loan, loan_id)
    if loan is None:
        raise NotFound(f"loan {loan_id} not found", thai="ไม่พบรายการยืมนี้")
    return loan


def _step(loan: Loan, step: LoanStep) -> LoanState:
    after = next_state(LoanState(loan.state), step)
    if after is None:
        raise refused("loan_step_not_allowed", state=loan.state, step=step.value)
    return after


def decide_loan(
    session: Session,
    *,
    actor: Actor,
    loan_id: int,
    approve: bool,
    approvers: frozenset[Role],
    now: datetime,
    where: audit.Where | None = None,
) -> Loan:
    require(actor, Action.APPROVE_LOAN, LoanTarget(approvers=approvers))
    loan = _loan(session, loan_id)
    item = session.get(ArchiveItem, loan.item_id)
    assert item is not None
    after = _step(loan, LoanStep.APPROVE if approve else LoanStep.REFUSE)
    loan.state, loan.approved_at, loan.approved_by = after.value, to_db(now), actor.id
    session.add(loan)
    _audit(session, actor, loan, item, "loan_approve" if approve else "loan_refuse", now, where)
    return loan


def hand_out(
    session: Session,
    *,
    actor: Actor,
    loan_id: int,
    due: date | None,
    received_by: str = "",
    loan_days: int = 7,
    now: datetime,
    where: audit.Where | None = None,
    tz: str = "Asia/Bangkok",
) -> Loan:
    require(actor, Action.LEND)
    loan = _loan(session, loan_id)
    item = session.get(ArchiveItem, loan.item_id)
    assert item is not None
    after = _step(loan, LoanStep.HAND_OUT)
    if item.state != "filed":
        raise refused("item_not_filed", item_id=item.id)
    if loan.item_id in items_out(session, [loan.item_id]):
        raise refused("item_out", item_id=loan.item_id)
    today = local(now, tz).date()
    due = due or due_on(today, loan_days)
    problem = due_date_problem(today, due)
    if problem is not None:
        raise refused(problem)
    loan.state, loan.handed_out_at, loan.handed_out_by, loan.due_on = after.value, to_db(now), actor.id, due
    loan.received_by = received_by.strip() or loan.borrower_name
    session.add(loan)
    _audit(session, actor, loan, item, "loan_hand_out", now, where, due_on=due.isoformat())
    return loan


def return_loan(
    session: Session,
    *,
    actor: Actor,
    loan_id: int,
    returned_by: str = "",
    now: datetime,
    where: audit.Where | None = None,
) -> Loan:
    require(actor, Action.LEND)
    loan = _loan(session, loan_id)
    item = session.get(ArchiveItem, loan.item_id)
    assert item is not None
    after = _step(loan, LoanStep.RETURN)
    loan.state, loan.returned_at, loan.return_received_by = after.value, to_db(now), actor.id
    loan.returned_by = returned_by.strip() or loan.borrower_name
    session.add(loan)
    _audit(session, actor, loan, item, "loan_return", now, where)
    return loan


def _audit(
    session: Session,
    actor: Actor,
    loan: Loan,
    item: ArchiveItem,
    action: str,
    now: datetime,
    where: audit.Where | None,
    **detail: Any,
) -> None:
    audit.record(
        session,
        at=now,
        action=action,
        actor=actor,
        object_type="loan",
        object_id=loan.id or 0,
        letter_id=item.letter_id,
        where=where,
        item_id=item.id,
        **detail,
    )


# ---------------------------------------------------------------------------------------------- reading

STATE_TH = {
    LoanState.REQUESTED: "ขอยืม",
    LoanState.APPROVED: "อนุมัติแล้ว",
    LoanState.REFUSED: "ไม่อนุมัติ",
    LoanState.OUT: "ยืมออกไป",
    LoanState.RETURNED: "ส่งคืนแล้ว",
    LoanState.RECORDED: "บันทึกแล้ว",
}


def loan_rows(session: Session, loans: list[Loan], *, today: date, tz: str = "Asia/Bangkok") -> list[dict[str, Any]]:
    items = {
        i.id: i for i in session.exec(select(ArchiveItem).where(col(ArchiveItem.id).in_([x.item_id for x in loans])))
    }
    letters = {
        x.id: x for x in session.exec(select(Letter).where(col(Letter.id).in_([i.letter_id for i in items.values()])))
    }
    files = {f.id: f for f in session.exec(select(FileCode))}
    out = []
    for loan in loans:
        item = items[loan.item_id]
        letter, fcode = letters.get(item.letter_id), files.get(item.file_code_id)
        facts = LoanFacts(LoanState(loan.state), loan.due_on)
        out.append(
            {
                "id": loan.id,
                "item_id": loan.item_id,
                "letter_id": item.letter_id,
                "subject": letter.subject if letter else "",
                "letter_no": letter.letter_no if letter else "",
                "file_code": fcode.code if fcode else "",
                "kind": loan.kind,
                "kind_th": ACCESS_TH[AccessKind(loan.kind)],
                "borrower_kind": loan.borrower_kind,
                "borrower_user_id": loan.borrower_user_id,
                "borrower_name": loan.borrower_name,
                "borrower_position": loan.borrower_position,
                "borrower_unit": loan.borrower_unit,
                "purpose": loan.purpose,
                "state": loan.state,
                "state_th": STATE_TH[LoanState(loan.state)],
                "requested_at": local(loan.requested_at, tz).isoformat(),
                "handed_out_on": local(loan.handed_out_at, tz).date().isoformat() if loan.handed_out_at else None,
                "due_on": loan.due_on.isoformat() if loan.due_on else None,
                "received_by": loan.received_by,
                "returned_on": local(loan.returned_at, tz).date().isoformat() if loan.returned_at else None,
                "returned_by": loan.returned_by,
                "overdue": is_overdue(facts, today),
                "days_overdue": days_overdue(facts, today),
            }
        )
    return out


def list_loans(
    session: Session,
    actor: Actor,
    *,
    today: date,
    state: str | None = None,
    overdue: bool = False,
    item_id: int | None = None,
    tz: str = "Asia/Bangkok",
) -> list[dict[str, Any]]:
    """The archive's loans (its readers), or one's own (anyone else)."""
    q = select(Loan)
    if may(actor, Action.READ_ARCHIVE) is not None:
        q = q.where(Loan.borrower_user_id == actor.id)
    if state:
        q = q.where(Loan.state == state)
    if item_id is not None:
        q = q.where(Loan.item_id == item_id)
    if overdue:
        q = q.where(Loan.state == LoanState.OUT.value, col(Loan.due_on) < today)
    loans = list(session.exec(q.order_by(col(Loan.id))))
    return loan_rows(session, loans, today=today, tz=tz)


def loan_view(session: Session, actor: Actor, loan_id: int, *, today: date, tz: str = "Asia/Bangkok") -> dict[str, Any]:
    loan = _loan(session, loan_id)
    if may(actor, Action.READ_ARCHIVE) is not None and loan.borrower_user_id != actor.id:
        raise NotFound(f"loan {loan_id} not found", thai="ไม่พบรายการยืมนี้")
    return loan_rows(session, [loan], today=today, tz=tz)[0]
