"""The yearly destruction cycle (ระเบียบงานสารบรรณ หมวด 3 ส่วนที่ 3): the list of what reached its keep-until date
(บัญชีหนังสือขอทำลาย), the committee, its decisions, the head's approval, the National Archives, and execution.

Execution writes a tombstone per destroyed letter (what it was, which list, when, how), removes its attachment and
rendition rows, and hands back the objects to remove from the store; removing them (and the letter's index entry)
happens after the commit (:func:`purge`), checked against the store itself. An object that a letter not destroyed
still names (content addressing: the same bytes received twice) is kept. No audit event is ever deleted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from retention.committee import ROLE_TH, CommitteeRole, Member, committee_problem, unqualified
from retention.destruction import (
    ArchivesAnswer,
    Decision,
    ItemFacts,
    ListFacts,
    Window,
    approval_refusal,
    committee_refusal,
    decision_refusal,
    execution_refusal,
    ineligibility,
    listing_refusal,
    notification_refusal,
    objection_window_ends,
)
from retention.keeping import be, new_keep_until_problem
from service import audit
from service.access.policy import Action, require
from service.access.queries import visible_letter_ids
from service.access.rule import Actor
from service.archive.errors import refused
from service.archive.filing import active_holds, items_out
from service.archive.stamping import referenced
from service.context import Saraban
from service.indexing.changes import DESTROY, record_change
from service.kit.clock import to_db
from service.kit.errors import InvalidInput, NotFound
from service.kit.thai import local
from service.models import (
    ArchiveItem,
    Attachment,
    CommitteeMember,
    DestructionItem,
    DestructionList,
    FileCode,
    Letter,
    Registration,
    Registry,
    Rendition,
    RetentionClass,
    Tombstone,
)

log = logging.getLogger(__name__)

DEFAULT_METHOD = "ลบแฟ้มอิเล็กทรอนิกส์ออกจากระบบ และทำลายต้นฉบับกระดาษด้วยการย่อยจนอ่านไม่ได้"
# a blocked item's reason → the refusal of the whole execution
_ITEM_REFUSALS = {
    "held": "item_held",
    "permanent": "item_permanent",
    "on_loan": "item_on_loan",
    "not_due": "item_not_due",
    "already_destroyed": "item_already_destroyed",
}


# ---------------------------------------------------------------------------------------------- reading


def get_list(session: Session, list_id: int) -> DestructionList:
    lst = session.get(DestructionList, list_id)
    if lst is None:
        raise NotFound(f"destruction list {list_id} not found", thai="ไม่พบบัญชีหนังสือขอทำลายนี้")
    return lst


def list_facts(session: Session, lst: DestructionList) -> ListFacts:
    has_committee = (
        session.exec(select(CommitteeMember.id).where(CommitteeMember.list_id == lst.id)).first() is not None
    )
    undecided = session.exec(
        select(func.count())
        .select_from(DestructionItem)
        .where(DestructionItem.list_id == lst.id, col(DestructionItem.decision).is_(None))
    ).one()
    return ListFacts(
        has_committee=has_committee,
        undecided=int(undecided),
        approved=lst.approved_at is not None,
        archives_notified_on=lst.archives_notified_on,
        archives_answer=ArchivesAnswer(lst.archives_answer) if lst.archives_answer else None,
        executed=lst.executed_at is not None,
    )


def list_state(facts: ListFacts) -> str:
    if facts.executed:
        return "executed"
    if facts.archives_notified_on is not None:
        return "archives_notified"
    if facts.approved:
        return "approved"
    if facts.has_committee and not facts.undecided:
        return "decided"
    if facts.has_committee:
        return "committee"
    return "draft"


STATE_TH = {
    "draft": "ร่างบัญชี",
    "committee": "แต่งตั้งคณะกรรมการแล้ว",
    "decided": "คณะกรรมการพิจารณาครบแล้ว",
    "approved": "หัวหน้าส่วนราชการอนุมัติแล้ว",
    "archives_notified": "ส่งสำนักหอจดหมายเหตุแห่งชาติแล้ว",
    "executed": "ทำลายแล้ว",
}


def list_rows(session: Session, lst: DestructionList) -> list[dict[str, Any]]:
    """The list's lines as บัญชีหนังสือขอทำลาย has them: ลำดับ, รหัสแฟ้ม, ที่, ลงวันที่, เรื่อง, การพิจารณา, หมายเหตุ."""
    rows = session.exec(
        select(DestructionItem, ArchiveItem, Letter, FileCode)
        .join(ArchiveItem, col(ArchiveItem.id) == DestructionItem.item_id)
        .join(Letter, col(Letter.id) == ArchiveItem.letter_id)
        .join(FileCode, col(FileCode.id) == ArchiveItem.file_code_id)
        .where(DestructionItem.list_id == lst.id)
        .order_by(col(DestructionItem.position))
    ).all()
    out = []
    for line, item, letter, fcode in rows:
        out.append(
            {
                "position": line.position,
                "item_id": item.id,
                "letter_id": item.letter_id,
                "file_code": fcode.code,
                "letter_no": letter.letter_no,
                "letter_date": letter.letter_date.isoformat() if letter.letter_date else None,
                "subject": letter.subject,
                "listed_keep_until_year": line.listed_keep_until_year,
                "decision": line.decision,
                "keep_until_year": line.keep_until_year,
                "remark": line.remark,
                "item_state": item.state,
            }
        )
    return out


def committee_rows(session: Session, list_id: int) -> list[dict[str, Any]]:
    return [
        {
            "name": m.name,
            "position": m.position,
            "level": m.level,
            "role": m.role,
            "role_th": ROLE_TH.get(CommitteeRole(m.role), m.role),
        }
        for m in session.exec(
            select(CommitteeMember).where(CommitteeMember.list_id == list_id).order_by(col(CommitteeMember.position_no))
        )
    ]


def list_view(
    session: Session, actor: Actor, list_id: int, *, objection_days: int = 60, tz: str = "Asia/Bangkok"
) -> dict[str, Any]:
    require(actor, Action.READ_ARCHIVE)
    lst = get_list(session, list_id)
    facts = list_facts(session, lst)
    state = list_state(facts)
    return {
        "id": lst.id,
        "year": lst.year,
        "state": state,
        "state_th": STATE_TH[state],
        "created_at": local(lst.created_at, tz).isoformat(),
        "committee": committee_rows(session, list_id),
        "items": list_rows(session, lst),
        "undecided": facts.undecided,
        "approved_at": local(lst.approved_at, tz).isoformat() if lst.approved_at else None,
        "archives_notified_on": lst.archives_notified_on.isoformat() if lst.archives_notified_on else None,
        "archives_answer": lst.archives_answer,
        "objection_window_ends": objection_window_ends(lst.archives_notified_on, objection_days).isoformat()
        if lst.archives_notified_on
        else None,
        "executed_at": local(lst.executed_at, tz).isoformat() if lst.executed_at else None,
        "method": lst.method,
    }


def all_lists(session: Session, actor: Actor) -> list[dict[str, Any]]:
    require(actor, Action.READ_ARCHIVE)
    out = []
    for lst in session.exec(select(DestructionList).order_by(col(DestructionList.id).desc())):
        facts = list_facts(session, lst)
        state = list_state(facts)
        count = session.exec(
            select(func.count()).select_from(DestructionItem).where(DestructionItem.list_id == lst.id)
        ).one()
        out.append({"id": lst.id, "year": lst.year, "state": state, "state_th": STATE_TH[state], "items": count})
    return out


# ---------------------------------------------------------------------------------------------- the steps


def _open_list_items(session: Session) -> set[int]:
    """Items already on a list not yet carried out."""
    return set(
        session.exec(
            select(DestructionItem.item_id)
            .join(DestructionList, col(DestructionList.id) == DestructionItem.list_id)
            .where(col(DestructionList.executed_at).is_(None))
        ).all()
    )


def draw_up_list(
    session: Session,
    *,
    actor: Actor,
    window: Window,
    now: datetime,
    where: audit.Where | None = None,
    tz: str = "Asia/Bangkok",
) -> DestructionList:
    """ข้อ 66: inside the listing window, list every item whose keep-until date has passed — never a permanent item,
    one under legal hold, one out on loan, nor one already on an open list."""
    require(actor, Action.PREPARE_DESTRUCTION)
    today = local(now, tz).date()
    why = listing_refusal(today, window)
    if why is not None:
        raise refused(why, window=str(window))
    candidates = session.exec(
        select(ArchiveItem)
        .where(
            ArchiveItem.state == "filed",
            col(ArchiveItem.keep_until_year).is_not(None),
            col(ArchiveItem.keep_until_year) < be(today.year),
            col(ArchiveItem.letter_id).in_(visible_letter_ids(actor)),
        )
        .order_by(col(ArchiveItem.file_code_id), col(ArchiveItem.letter_id))
    ).all()
    ids = [c.id for c in candidates if c.id is not None]
    held, out, listed = active_holds(session, ids), items_out(session, ids), _open_list_items(session)
    due = [
        c
        for c in candidates
        if c.id not in listed
        and ineligibility(ItemFacts(keep_until_year=c.keep_until_year, held=c.id in held, on_loan=c.id in out), today)
        is None
    ]
    if not due:
        raise refused("nothing_due")
    lst = DestructionList(year=be(today.year), created_at=to_db(now), created_by=actor.id)
    session.add(lst)
    session.flush()
    assert lst.id is not None
    for position, item in enumerate(due, start=1):
        assert item.id is not None
        session.add(
            DestructionItem(
                list_id=lst.id, item_id=item.id, position=position, listed_keep_until_year=item.keep_until_year
            )
        )
    session.flush()
    audit.record(
        session,
        at=now,
        action="destruction_list_create",
        actor=actor,
        object_type="destruction_list",
        object_id=lst.id,
        where=where,
        year=lst.year,
        items=[i.id for i in due],
        letters=[i.letter_id for i in due],
    )
    return lst


def record_committee(
    session: Session,
    *,
    actor: Actor,
    list_id: int,
    members: Sequence[Member],
    levels: Sequence[str],
    now: datetime,
    where: audit.Where | None = None,
) -> None:
    """ข้อ 67 (2560): the committee appointed to review the list; one that does not qualify is refused."""
    require(actor, Action.PREPARE_DESTRUCTION)
    lst = get_list(session, list_id)
    why = committee_refusal(list_facts(session, lst))
    if why is not None:
        raise refused(why)
    problem = committee_problem(members, levels)
    if problem is not None:
        raise refused("committee_not_qualified", reason=problem, unqualified=unqualified(members, levels))
    session.exec(delete(CommitteeMember).where(col(CommitteeMember.list_id) == list_id))
    for n, m in enumerate(members, start=1):
        session.add(
            CommitteeMember(
                list_id=list_id,
                position_no=n,
                name=m.name.strip(),
                position=m.position.strip(),
                level=m.level.strip(),
                role=m.role.value,
            )
        )
    session.flush()
    audit.record(
        session,
        at=now,
        action="destruction_committee",
        actor=actor,
        object_type="destruction_list",
        object_id=list_id,
        where=where,
        members=[{"name": m.name, "position": m.position, "level": m.level, "role": m.role.value} for m in members],
    )


@dataclass(frozen=True)
class DecisionIn:
    item_id: int
    decision: str
    keep_until_year: int | None = None
    remark: str = ""


def record_decisions(
    session: Session,
    *,
    actor: Actor,
    list_id: int,
    decisions: Sequence[DecisionIn],
    now: datetime,
    where: audit.Where | None = None,
) -> list[int]:
    """ข้อ 68: the committee's decision per item — destroy, or keep until a later year (written in การพิจารณา, and
    the item's keep-until year with it). Returns the items whose keep-until year changed (to stamp again)."""
    require(actor, Action.PREPARE_DESTRUCTION)
    lst = get_list(session, list_id)
    why = decision_refusal(list_facts(session, lst))
    if why is not None:
        raise refused(why)
    lines = {
        line.item_id: line for line in session.exec(select(DestructionItem).where(DestructionItem.list_id == list_id))
    }
    changed: list[int] = []
    for d in decisions:
        line = lines.get(d.item_id)
        if line is None:
            raise refused("not_on_list", item_id=d.item_id)
        try:
            decision = Decision(d.decision)
        except ValueError as exc:
            raise InvalidInput(
                f"a decision is destroy or keep, not {d.decision!r}", thai="การพิจารณาต้องเป็น ทำลาย หรือ เก็บไว้"
            ) from exc
        item = session.get(ArchiveItem, d.item_id)
        assert item is not None
        if decision == Decision.KEEP:
            problem = new_keep_until_problem(line.listed_keep_until_year, d.keep_until_year)
            if problem is not None:
                raise refused(problem, item_id=d.item_id)
            new_year = d.keep_until_year
        else:
            new_year = line.listed_keep_until_year
        line.decision, line.keep_until_year = decision.value, d.keep_until_year if decision == Decision.KEEP else None
        line.remark, line.decided_at, line.decided_by = d.remark.strip(), to_db(now), actor.id
        session.add(line)
        if item.keep_until_year != new_year:
            item.keep_until_year = new_year
            session.add(item)
            changed.append(d.item_id)
    session.flush()
    audit.record(
        session,
        at=now,
        action="destruction_decide",
        actor=actor,
        object_type="destruction_list",
        object_id=list_id,
        where=where,
        decisions=[
            {"item_id": d.item_id, "decision": d.decision, "keep_until_year": d.keep_until_year} for d in decisions
        ],
    )
    return changed


def approve_list(
    session: Session, *, actor: Actor, list_id: int, now: datetime, where: audit.Where | None = None
) -> DestructionList:
    """ข้อ 69: the head approves the reviewed list."""
    require(actor, Action.APPROVE_DESTRUCTION)
    lst = get_list(session, list_id)
    why = approval_refusal(list_facts(session, lst))
    if why is not None:
        raise refused(why)
    lst.approved_at, lst.approved_by = to_db(now), actor.id
    session.add(lst)
    audit.record(
        session,
        at=now,
        action="destruction_approve",
        actor=actor,
        object_type="destruction_list",
        object_id=list_id,
        where=where,
    )
    return lst


def record_archives(
    session: Session,
    *,
    actor: Actor,
    list_id: int,
    notified_on: date | None,
    answer: str | None,
    now: datetime,
    where: audit.Where | None = None,
    tz: str = "Asia/Bangkok",
) -> DestructionList:
    """ข้อ 69: the day the list went to the National Archives, and their answer when it comes (an answer ends the
    objection window early)."""
    require(actor, Action.PREPARE_DESTRUCTION)
    lst = get_list(session, list_id)
    why = notification_refusal(list_facts(session, lst))
    if why is not None:
        raise refused(why)
    today = local(now, tz).date()
    if notified_on is None and lst.archives_notified_on is None:
        raise InvalidInput("give the day the list was sent", thai="ระบุวันที่ส่งบัญชีถึงสำนักหอจดหมายเหตุแห่งชาติ")
    if notified_on is not None and notified_on > today:
        raise InvalidInput("the day the list was sent is in the future", thai="วันที่ส่งบัญชีต้องไม่เป็นวันในอนาคต")
    try:
        parsed = ArchivesAnswer(answer) if answer else None
    except ValueError as exc:
        raise InvalidInput(
            f"an answer is approved or objected, not {answer!r}", thai="คำตอบต้องเป็น เห็นชอบ หรือ ทักท้วง"
        ) from exc
    if notified_on is not None:
        lst.archives_notified_on = notified_on
    if parsed is not None:
        lst.archives_answer, lst.archives_answered_on = parsed.value, today
    session.add(lst)
    audit.record(
        session,
        at=now,
        action="destruction_archives",
        actor=actor,
        object_type="destruction_list",
        object_id=list_id,
        where=where,
        notified_on=lst.archives_notified_on,
        answer=lst.archives_answer,
    )
    return lst


@dataclass
class Executed:
    """What an execution committed: the letters destroyed, and the objects to remove after the commit."""

    list_id: int
    letter_ids: list[int] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)  # named by nothing any more: to remove from the store
    shared: list[str] = field(default_factory=list)  # still named by a letter not destroyed: kept


def execute_list(
    session: Session,
    *,
    actor: Actor,
    list_id: int,
    objection_days: int,
    method: str = "",
    now: datetime,
    where: audit.Where | None = None,
    tz: str = "Asia/Bangkok",
) -> Executed:
    """ข้อ 69–70: carry out an approved list once the National Archives consented or let their time pass. Every
    item marked destroy must still be destroyable (not held, not permanent, not out on loan) or nothing happens."""
    require(actor, Action.EXECUTE_DESTRUCTION)
    lst = get_list(session, list_id)
    today = local(now, tz).date()
    facts = list_facts(session, lst)
    why = execution_refusal(facts, today, objection_days=objection_days)
    if why is not None:
        extra: dict[str, Any] = {}
        if why == "objection_window_open" and lst.archives_notified_on is not None:
            extra["objection_window_ends"] = objection_window_ends(lst.archives_notified_on, objection_days).isoformat()
        raise refused(why, **extra)
    lines = session.exec(
        select(DestructionItem)
        .where(DestructionItem.list_id == list_id, DestructionItem.decision == Decision.DESTROY.value)
        .order_by(col(DestructionItem.position))
    ).all()
    items: dict[int, ArchiveItem] = {
        i.id: i
        for i in session.exec(select(ArchiveItem).where(col(ArchiveItem.id).in_([ln.item_id for ln in lines])))
        if i.id is not None
    }
    held, out = active_holds(session, list(items)), items_out(session, list(items))
    classes = {c.id: c for c in session.exec(select(RetentionClass))}
    blocked: dict[str, list[int]] = {}
    for line in lines:
        item = items[line.item_id]
        permanent = item.keep_until_year is None or classes[item.retention_class_id].years is None
        reason = ineligibility(
            ItemFacts(
                keep_until_year=None if permanent else item.keep_until_year,
                held=line.item_id in held,
                destroyed=item.state == "destroyed",
                on_loan=line.item_id in out,
            ),
            today,
        )
        if reason is not None:
            blocked.setdefault(reason, []).append(line.item_id)
    if blocked:
        reason = next(r for r in _ITEM_REFUSALS if r in blocked)
        raise refused(_ITEM_REFUSALS[reason], item_ids=blocked[reason], blocked=blocked)

    method = method.strip() or DEFAULT_METHOD
    done = Executed(list_id=list_id)
    candidates: list[str] = []
    files = {f.id: f for f in session.exec(select(FileCode))}
    for line in lines:
        item = items[line.item_id]
        letter = session.get(Letter, item.letter_id)
        assert letter is not None and letter.id is not None and item.id is not None
        objects = _destroy_files(session, letter.id)
        candidates += [o["sha256"] for o in objects]
        regs = session.exec(
            select(Registration, Registry)
            .join(Registry, col(Registry.id) == Registration.registry_id)
            .where(Registration.letter_id == letter.id)
            .order_by(col(Registration.id))
        ).all()
        fcode = files.get(item.file_code_id)
        session.add(
            Tombstone(
                letter_id=letter.id,
                item_id=item.id,
                list_id=list_id,
                registrations=json.dumps(
                    [
                        {"registry_code": g.code, "registry_name": g.name, "year": r.year, "number": r.number}
                        for r, g in regs
                    ],
                    ensure_ascii=False,
                ),
                letter_no=letter.letter_no,
                letter_date=letter.letter_date,
                subject=letter.subject,
                file_code=fcode.code if fcode else "",
                file_name=fcode.name if fcode else "",
                destroyed_at=to_db(now),
                method=method,
                objects=json.dumps(objects),
            )
        )
        item.state = "destroyed"
        session.add(item)
        letter.summary = ""  # the content goes; what the register says of it stays
        record_change(session, [letter], DESTROY)  # every node's index learns that it is gone
        done.letter_ids.append(letter.id)
        audit.record(
            session,
            at=now,
            action="destroy",
            actor=actor,
            object_type="letter",
            object_id=letter.id,
            letter_id=letter.id,
            where=where,
            list_id=list_id,
            item_id=item.id,
            method=method,
            objects=objects,
        )
    lst.executed_at, lst.executed_by, lst.method = to_db(now), actor.id, method
    session.add(lst)
    session.flush()
    for sha in dict.fromkeys(candidates):
        (done.shared if referenced(session, sha) else done.objects).append(sha)
    audit.record(
        session,
        at=now,
        action="destruction_execute",
        actor=actor,
        object_type="destruction_list",
        object_id=list_id,
        where=where,
        letters=done.letter_ids,
        objects=done.objects,
        shared=done.shared,
        method=method,
        committee=[m["name"] for m in committee_rows(session, list_id)],
    )
    return done


def _destroy_files(session: Session, letter_id: int) -> list[dict[str, Any]]:
    """Remove the rows of the letter's attachments and every rendition; their objects, for the tombstone."""
    atts = session.exec(select(Attachment).where(Attachment.letter_id == letter_id)).all()
    att_ids = [a.id for a in atts]
    rends = session.exec(select(Rendition).where(col(Rendition.attachment_id).in_(att_ids))).all() if att_ids else []
    objects = [
        {"attachment_id": a.id, "kind": "original", "filename": a.filename, "sha256": a.sha256, "size": a.size}
        for a in atts
    ] + [{"attachment_id": r.attachment_id, "kind": r.kind, "sha256": r.sha256, "size": r.size} for r in rends]
    for r in rends:
        session.delete(r)
    session.flush()
    for a in atts:
        session.delete(a)
    session.flush()
    return objects


# ---------------------------------------------------------------------------------------------- after commit


@dataclass
class Purged:
    removed: list[str] = field(default_factory=list)
    kept_shared: list[str] = field(default_factory=list)
    not_removed: list[str] = field(default_factory=list)  # still in the store after deleting: reported, audited
    index_error: str = ""


def purge(app: Saraban, done: Executed, *, actor: Actor, where: audit.Where | None = None) -> Purged:
    """After the commit: remove the destroyed letters' objects from the store (unless something names them again)
    and check the store itself that they are gone; take the letters out of the search index; audit the outcome.
    A re-run is harmless; what is left is listed by ``saraban verify`` as orphans."""
    report = Purged(kept_shared=list(done.shared))
    for sha in done.objects:
        with app.tx(readonly=True) as uow:
            again = referenced(uow.session, sha)  # the same bytes received again meanwhile
        if again:
            report.kept_shared.append(sha)
            continue
        try:
            app.store.delete(sha)
        except Exception:
            log.exception("could not delete object %s", sha)
        (report.not_removed if app.store.exists(sha) else report.removed).append(sha)
    try:
        app.search_index().delete(done.letter_ids)
    except Exception as exc:  # the letters stay pending: the index worker or `saraban reindex` removes them
        log.exception("could not remove letters %s from the index", done.letter_ids)
        report.index_error = str(exc)
    if app.indexer is not None:
        for letter_id in done.letter_ids:
            app.indexer.enqueue(letter_id)
    with app.tx() as uow:
        audit.record(
            uow.session,
            at=app.clock(),
            action="destruction_purge",
            actor=actor,
            object_type="destruction_list",
            object_id=done.list_id,
            where=where,
            removed=report.removed,
            kept_shared=report.kept_shared,
            not_removed=report.not_removed,
            index_error=report.index_error,
        )
    return report
