"""The printed forms as the office asks for them: the rows gathered under the reading rule, the export audited, the
PDF drawn by ``service.archive.printing``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from service import audit
from service.access.policy import Action, require
from service.access.queries import visible_letter_ids
from service.access.rule import Actor
from service.archive import printing
from service.archive.destruction import list_view
from service.archive.filing import get_item, item_rows, item_view
from service.archive.loans import loan_rows
from service.archive.plan import get_file_code
from service.archive.transfer import get_transfer_list, transfer_rows
from service.kit.thai import local
from service.models import ArchiveItem, Loan, Unit


def office_name(session: Session) -> str:
    """The office's own name (the root internal unit), for the forms' headings."""
    unit = session.exec(
        select(Unit).where(col(Unit.parent_id).is_(None), col(Unit.internal).is_(True)).order_by(col(Unit.id))
    ).first()
    return (unit.short_name or unit.name) if unit else ""


def _exported(
    session: Session,
    actor: Actor,
    what: str,
    object_id: int | str,
    now: datetime,
    where: audit.Where | None,
    **detail: Any,
) -> None:
    audit.record(
        session,
        at=now,
        action="export",
        actor=actor,
        object_type=what,
        object_id=object_id,
        where=where,
        format="pdf",
        **detail,
    )


def storage_list_pdf(
    session: Session,
    actor: Actor,
    *,
    file_code_id: int | None,
    now: datetime,
    where: audit.Where | None = None,
    thai_digits: bool = True,
) -> bytes:
    """บัญชีหนังสือส่งเก็บ of one file (or of the whole archive): the items kept, in order of filing."""
    require(actor, Action.READ_ARCHIVE)
    q = select(ArchiveItem).where(
        ArchiveItem.state == "filed", col(ArchiveItem.letter_id).in_(visible_letter_ids(actor))
    )
    label = ""
    if file_code_id is not None:
        f = get_file_code(session, file_code_id)
        label = f"{f.code} {f.name}"
        q = q.where(ArchiveItem.file_code_id == file_code_id)
    rows = item_rows(session, session.exec(q.order_by(col(ArchiveItem.file_code_id), col(ArchiveItem.id))).all())
    _exported(session, actor, "storage_list", file_code_id or "", now, where, items=len(rows))
    return printing.render_storage_list(rows, unit_name=office_name(session), file_label=label, thai_digits=thai_digits)


def loan_card_pdf(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    now: datetime,
    where: audit.Where | None = None,
    tz: str = "Asia/Bangkok",
    thai_digits: bool = True,
) -> bytes:
    item = get_item(session, actor, item_id)
    loans = list(session.exec(select(Loan).where(Loan.item_id == item_id).order_by(col(Loan.id))))
    rows = loan_rows(session, loans, today=local(now, tz).date(), tz=tz)
    _exported(session, actor, "loan_card", item_id, now, where)
    return printing.render_loan_card(item_view(session, actor, item.id or 0), rows, thai_digits=thai_digits)


def destruction_list_pdf(
    session: Session,
    actor: Actor,
    list_id: int,
    *,
    now: datetime,
    where: audit.Where | None = None,
    objection_days: int = 60,
    tz: str = "Asia/Bangkok",
    thai_digits: bool = True,
) -> bytes:
    view = list_view(session, actor, list_id, objection_days=objection_days, tz=tz)
    _exported(session, actor, "destruction_list", list_id, now, where)
    return printing.render_destruction_list(view, unit_name=office_name(session), thai_digits=thai_digits)


def transfer_list_pdf(
    session: Session,
    actor: Actor,
    list_id: int,
    *,
    now: datetime,
    where: audit.Where | None = None,
    thai_digits: bool = True,
) -> bytes:
    lst = get_transfer_list(session, actor, list_id)
    rows = transfer_rows(session, list_id)
    _exported(session, actor, "transfer_list", list_id, now, where)
    return printing.render_transfer_list(
        rows, kind=lst.kind, unit_name=office_name(session), year=lst.year, thai_digits=thai_digits
    )
