"""Lending archived letters (ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ พ.ศ. 2526 หมวด 3 ส่วนที่ 2: การยืมหนังสือ):
who may borrow, the steps of a loan, when it is due and when overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class BorrowerKind(StrEnum):
    STAFF = "staff"  # of the office (its own unit or another unit of it)
    OUTSIDER = "outsider"  # บุคคลภายนอก


class AccessKind(StrEnum):
    """What a person did with an item: borrowed it, or (an outsider, with permission) looked at or copied it."""

    BORROW = "borrow"  # ยืม
    VIEW = "view"  # ขอดู
    COPY = "copy"  # ขอคัดลอกหรือถ่ายสำเนา


ACCESS_TH = {AccessKind.BORROW: "ยืม", AccessKind.VIEW: "ขอดู", AccessKind.COPY: "ขอคัดสำเนา"}


def access_refusal(kind: AccessKind, borrower: BorrowerKind, *, secrecy: int = 0, clearance: int = 0) -> str | None:
    """Whether this person may have this access to an item.

    การยืมหนังสือ: an outsider never borrows; with the head's permission they may look at or copy an item, and
    that is recorded. A secret item follows the secrets regulation (ระเบียบว่าด้วยการรักษาความลับของทางราชการ
    พ.ศ. 2544): only someone cleared for its level."""
    if borrower == BorrowerKind.OUTSIDER and kind == AccessKind.BORROW:
        return "outsider_cannot_borrow"
    if secrecy > 0 and (borrower == BorrowerKind.OUTSIDER or clearance < secrecy):
        return "clearance_too_low"
    return None


class LoanState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    OUT = "out"  # handed out (ส่งมอบ), due back by ``due_on``
    RETURNED = "returned"
    RECORDED = "recorded"  # an outsider's viewing or copying, recorded once done


class LoanStep(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"
    HAND_OUT = "hand_out"
    RETURN = "return"


STEPS: dict[tuple[LoanState, LoanStep], LoanState] = {
    (LoanState.REQUESTED, LoanStep.APPROVE): LoanState.APPROVED,
    (LoanState.REQUESTED, LoanStep.REFUSE): LoanState.REFUSED,
    (LoanState.APPROVED, LoanStep.HAND_OUT): LoanState.OUT,
    (LoanState.OUT, LoanStep.RETURN): LoanState.RETURNED,
}
"""request → approve → hand out with a due date → return (the lender enters each on the loan card)."""


def next_state(state: LoanState, step: LoanStep) -> LoanState | None:
    """The state after ``step``, or ``None`` when the step does not follow from ``state``."""
    return STEPS.get((state, step))


DEFAULT_LOAN_DAYS = 7
"""How long a loan runs unless the lender sets another due date (common practice; configuration)."""


def due_on(handed_out_on: date, days: int = DEFAULT_LOAN_DAYS) -> date:
    return handed_out_on + timedelta(days=days)


def due_date_problem(handed_out_on: date, due: date) -> str | None:
    """A due date lies after the day the item goes out."""
    return None if due > handed_out_on else "due_before_hand_out"


@dataclass(frozen=True)
class LoanFacts:
    state: LoanState
    due_on: date | None = None


def is_overdue(loan: LoanFacts, today: date) -> bool:
    """Out, and its due date is behind us (the lender chases it)."""
    return loan.state == LoanState.OUT and loan.due_on is not None and today > loan.due_on


def days_overdue(loan: LoanFacts, today: date) -> int:
    if not is_overdue(loan, today):
        return 0
    assert loan.due_on is not None
    return (today - loan.due_on).days
