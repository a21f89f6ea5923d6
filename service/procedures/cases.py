"""Cases: a work process run for one B.E. year — opened (usually from a registered letter), letters of the
registers attached to its steps, steps marked done, the outgoing letter a step expects issued from the step.

Reading goes through the one rule (``access.queries.get_visible_case`` / ``visible_cases_clause``); acting through
the policy (``Action.RUN_CASE``). Every act is audited in the same transaction.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, func, or_, select

from service import audit
from service.access.policy import Action, CaseTarget, require
from service.access.queries import (
    body_members,
    get_visible_case,
    get_visible_letter,
    unit_ancestors,
    visible_cases_clause,
    visible_letter_ids,
)
from service.access.roles import Role
from service.access.rule import CHILD_PROTECTION, Actor
from service.kit.clock import to_db
from service.kit.errors import Forbidden, InvalidInput, NotFound
from service.kit.thai import be_year, local
from service.models import (
    CaseLetter,
    CaseStep,
    Letter,
    LetterAccess,
    Procedure,
    ProcedureCase,
    ProcedureStep,
    RecipientGroup,
    Registration,
    Registry,
    Unit,
)
from service.outgoing.drafting import create_draft
from service.outgoing.input import parse_outgoing
from service.outgoing.numbers import issue_number
from service.outgoing.series import issuing_registries
from service.procedures.catalog import LETTER_KIND_TH
from service.procedures.schedule import due_dates, due_this_week, is_overdue

STATE_TH = {"pending": "รอดำเนินการ", "done": "เสร็จแล้ว", "overdue": "เกินกำหนด", "open": "กำลังดำเนินการ"}
# the send-side series that carries each kind of letter a step expects
SERIES_OF = {"circular": "circular", "order": "order", "report": "send"}
INCIDENT_FIELDS = ("category", "facts", "first_help", "info_source", "reporter")
INCIDENT_TH = {
    "category": "ประเภทเหตุ",
    "facts": "สรุปเหตุการณ์ข้อเท็จจริง",
    "first_help": "การช่วยเหลือเบื้องต้น",
    "info_source": "ที่มาแหล่งข้อมูล",
    "reporter": "ผู้รายงาน",
}
MIN_YEAR, MAX_YEAR = 2500, 2700


def today_of(now: datetime, tz: str) -> date:
    return local(now, tz).date()


def _home_unit(actor: Actor) -> int:
    """The unit a user opens cases for: their group (a clerk's or officer's), else any unit they work in."""
    order = (Role.GROUP_CLERK, Role.OFFICER, Role.DIRECTOR, Role.CENTRAL_CLERK, Role.RECORDS)
    for role in order:
        units = sorted(actor.units_with([role]))
        if units:
            return units[0]
    raise Forbidden(
        "you work in no unit that runs processes", thai="ท่านไม่ได้สังกัดกลุ่มที่รับผิดชอบกระบวนงาน", reason="not_case_worker"
    )


def case_target(session: Session, *, unit_id: int, confidential: bool) -> CaseTarget:
    return CaseTarget(
        unit_id=unit_id,
        ancestors=tuple(unit_ancestors(session, unit_id)),
        confidential=confidential,
        member_ids=body_members(session, CHILD_PROTECTION) if confidential else frozenset(),
    )


def get_procedure(session: Session, procedure_id: int) -> Procedure:
    p = session.get(Procedure, procedure_id)
    if p is None or not p.active:
        raise NotFound(f"procedure {procedure_id} not found", thai="ไม่พบแม่แบบกระบวนงานนี้")
    return p


def template_steps(session: Session, procedure_id: int) -> list[ProcedureStep]:
    return list(
        session.exec(
            select(ProcedureStep).where(ProcedureStep.procedure_id == procedure_id).order_by(col(ProcedureStep.no))
        )
    )


def procedure_view(session: Session, p: Procedure) -> dict[str, Any]:
    return {
        "id": p.id,
        "code": p.code,
        "name": p.name,
        "objective": p.objective,
        "group": p.group_name,
        "source": p.source,
        "duration_from": p.duration_from,
        "confidential": p.confidential,
        "register": p.register_code,
        "forms": json.loads(p.forms),
        "references": json.loads(p.references),
        "categories": json.loads(p.categories),
        "steps": [
            {
                "no": s.no,
                "name": s.name,
                "duration": s.duration,
                "quality": s.quality,
                "responsible": s.responsible,
                "letter_kind": s.letter_kind,
                "letter_kind_th": LETTER_KIND_TH.get(s.letter_kind, s.letter_kind),
                "forms": json.loads(s.forms),
            }
            for s in template_steps(session, p.id or 0)
        ],
    }


def list_procedures(session: Session) -> list[dict[str, Any]]:
    rows = session.exec(select(Procedure).where(col(Procedure.active).is_(True)).order_by(col(Procedure.id)))
    return [procedure_view(session, p) for p in rows]


def _clean(value: object, limit: int) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        raise InvalidInput(f"text too long (at most {limit})", thai=f"ข้อความยาวเกิน {limit} ตัวอักษร")
    return text


def _link(
    session: Session, case: ProcedureCase, step: CaseStep, letter_id: int, how: str, actor: Actor, now: datetime
) -> CaseLetter:
    existing = session.exec(
        select(CaseLetter).where(CaseLetter.step_id == step.id, CaseLetter.letter_id == letter_id)
    ).first()
    if existing is not None:
        return existing
    assert case.id is not None and step.id is not None
    row = CaseLetter(
        case_id=case.id, step_id=step.id, letter_id=letter_id, how=how, linked_at=to_db(now), linked_by=actor.id
    )
    session.add(row)
    session.flush()
    return row


def open_case(
    session: Session,
    actor: Actor,
    *,
    procedure_id: int,
    year: int,
    from_letter_id: int | None,
    now: datetime,
    tz: str = "Asia/Bangkok",
    title: str = "",
    incident: dict[str, Any] | None = None,
    where: audit.Where | None = None,
) -> ProcedureCase:
    """A case of the template for B.E. ``year``: its steps copied with their due dates from today; the letter it
    starts from linked to step 1; audited."""
    procedure = get_procedure(session, procedure_id)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"year must be a B.E. year such as 2569, got {year}", thai="ปี พ.ศ. ไม่ถูกต้อง")
    unit_id = _home_unit(actor)
    require(actor, Action.RUN_CASE, case_target(session, unit_id=unit_id, confidential=procedure.confidential))
    letter = None
    if from_letter_id is not None:
        try:
            letter = get_visible_letter(session, actor, from_letter_id)
        except NotFound as exc:
            raise InvalidInput("the letter that opened the case was not found", thai="ไม่พบหนังสือที่เปิดเรื่อง") from exc
    fields = {k: "" for k in INCIDENT_FIELDS}
    if incident and procedure.confidential:  # the incident report is the centre's (seeds/004)
        for k in INCIDENT_FIELDS:
            fields[k] = _clean(incident.get(k), 4000 if k in ("facts", "first_help") else 500)
    categories = json.loads(procedure.categories)
    if fields["category"] and categories and fields["category"] not in categories:
        raise InvalidInput(f"unknown case category {fields['category']!r}", thai="ประเภทเหตุไม่ถูกต้อง")
    steps = template_steps(session, procedure_id)
    start = today_of(now, tz)
    dues = due_dates([s.duration for s in steps], start=start, year_be=year)
    case = ProcedureCase(
        procedure_id=procedure_id,
        year=year,
        unit_id=unit_id,
        # not the letter's subject by default: the case's readers do not all read the letter
        title=_clean(title, 500) or f"{procedure.name} ปี {year}"[:500],
        confidential=procedure.confidential,
        start_on=start,
        from_letter_id=letter.id if letter else None,
        opened_at=to_db(now),
        opened_by=actor.id,
        category=fields["category"],
        facts=fields["facts"],
        first_help=fields["first_help"],
        info_source=fields["info_source"],
        reporter=fields["reporter"],
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    rows = []
    for s, due in zip(steps, dues, strict=True):
        row = CaseStep(
            case_id=case.id,
            no=s.no,
            name=s.name,
            duration=s.duration,
            quality=s.quality,
            responsible=s.responsible,
            letter_kind=s.letter_kind,
            due_on=due,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    if letter is not None and rows:
        assert letter.id is not None
        _link(session, case, rows[0], letter.id, "opened", actor, now)
    audit.record(
        session,
        at=now,
        action="case_opened",
        actor=actor,
        object_type="case",
        object_id=case.id,
        where=where,
        procedure=procedure.code,
        year=year,
        from_letter_id=from_letter_id,
    )
    return case


def _case_and_step(session: Session, actor: Actor, case_id: int, step_id: int) -> tuple[ProcedureCase, CaseStep]:
    case = get_visible_case(session, actor, case_id)
    step = session.get(CaseStep, step_id)
    if step is None or step.case_id != case.id:
        raise NotFound(f"step {step_id} of case {case_id} not found", thai="ไม่พบขั้นตอนนี้")
    return case, step


def _require_worker(session: Session, actor: Actor, case: ProcedureCase) -> None:
    require(actor, Action.RUN_CASE, case_target(session, unit_id=case.unit_id, confidential=case.confidential))


def precheck_opener(actor: Actor) -> None:
    """Before a byte of the body is read: the actor works in a unit that runs processes (a case is opened for the
    actor's own group; whether this process's cases are theirs is asked once the process is known)."""
    _home_unit(actor)


def precheck_register_keeper(session: Session, actor: Actor) -> None:
    """Before a byte of the body is read: the actor keeps the registers of their own group's processes."""
    require(actor, Action.RUN_CASE, case_target(session, unit_id=_home_unit(actor), confidential=False))


def precheck_case(session: Session, actor: Actor, case_id: int) -> None:
    """Before a byte of the body is read: the case exists for the actor and the actor works on it."""
    _require_worker(session, actor, get_visible_case(session, actor, case_id))


def attach_letter(
    session: Session,
    actor: Actor,
    case_id: int,
    step_id: int,
    letter_id: int,
    *,
    now: datetime,
    where: audit.Where | None = None,
) -> CaseLetter:
    """Link a letter of the registers (one the user can read) to a step; linking it twice is the same link."""
    case, step = _case_and_step(session, actor, case_id, step_id)
    _require_worker(session, actor, case)
    letter = get_visible_letter(session, actor, letter_id)
    registered = session.exec(select(Registration.id).where(Registration.letter_id == letter_id)).first()
    if registered is None:
        raise InvalidInput("only a registered letter is linked to a step", thai="แนบได้เฉพาะหนังสือที่ลงทะเบียนแล้ว")
    assert letter.id is not None
    row = _link(session, case, step, letter.id, "attached", actor, now)
    audit.record(
        session,
        at=now,
        action="case_letter_attached",
        actor=actor,
        object_type="case",
        object_id=case_id,
        letter_id=letter.id,
        where=where,
        step=step.no,
    )
    return row


def reschedule(session: Session, case: ProcedureCase) -> None:
    """Due dates of the steps not yet done follow from the steps done (pure: ``schedule.due_dates``)."""
    steps = case_steps(session, case.id or 0)
    dues = due_dates(
        [s.duration for s in steps], start=case.start_on, year_be=case.year, done=[s.done_on for s in steps]
    )
    for s, due in zip(steps, dues, strict=True):
        if s.state != "done" and s.due_on != due:
            s.due_on = due
            session.add(s)


def mark_done(
    session: Session,
    actor: Actor,
    case_id: int,
    step_id: int,
    *,
    now: datetime,
    tz: str = "Asia/Bangkok",
    where: audit.Where | None = None,
) -> CaseStep:
    """The step is done today; the later steps' due dates follow; the case is done with its last step."""
    case, step = _case_and_step(session, actor, case_id, step_id)
    _require_worker(session, actor, case)
    if step.state == "done":
        return step
    step.state, step.done_on, step.done_at, step.done_by = "done", today_of(now, tz), to_db(now), actor.id
    session.add(step)
    session.flush()
    reschedule(session, case)
    if all(s.state == "done" for s in case_steps(session, case_id)):
        case.state, case.closed_at = "done", to_db(now)
        session.add(case)
    audit.record(
        session,
        at=now,
        action="case_step_done",
        actor=actor,
        object_type="case",
        object_id=case_id,
        where=where,
        step=step.no,
    )
    return step


def step_series(session: Session, actor: Actor, case: ProcedureCase, step: CaseStep) -> Registry:
    """The series that carries the step's letter: of the case's group when the user issues from it, else another
    of the user's of that kind."""
    kind = SERIES_OF.get(step.letter_kind)
    if kind is None:
        raise InvalidInput(f"step {step.no} expects no outgoing letter", thai=f"ขั้นตอนที่ {step.no} ไม่มีหนังสือส่งที่ต้องออก")
    mine = [r for r in issuing_registries(session, actor) if r.kind == kind]
    if not mine:
        raise InvalidInput(
            f"you issue from no {kind} series", thai=f"ท่านไม่มีทะเบียน{LETTER_KIND_TH[step.letter_kind]}ที่ออกเลขได้"
        )
    mine.sort(key=lambda r: (r.unit_id != case.unit_id, r.id))
    return mine[0]


def _readable(session: Session, actor: Actor, letter_id: int | None) -> int | None:
    if letter_id is None:
        return None
    try:
        return get_visible_letter(session, actor, letter_id).id
    except NotFound:
        return None


def default_group(session: Session) -> RecipientGroup | None:
    return session.exec(select(RecipientGroup).order_by(col(RecipientGroup.id))).first()


def issue_from_step(
    session: Session,
    actor: Actor,
    case_id: int,
    step_id: int,
    *,
    subject: str,
    recipients: list[dict[str, Any]],
    now: datetime,
    thai_digits: bool,
    tz: str = "Asia/Bangkok",
    summary: str = "",
    where: audit.Where | None = None,
) -> tuple[Letter, str]:
    """The step's outgoing letter (a circular to the schools, an order, a report) drafted and numbered in its
    series by the outgoing use-cases — in the registers with its number — and linked to the step."""
    case, step = _case_and_step(session, actor, case_id, step_id)
    _require_worker(session, actor, case)
    if case.confidential:
        raise InvalidInput(
            "a child-protection case's letters are issued from the secret register, then attached",
            thai="หนังสือของเรื่องคุ้มครองนักเรียนให้ออกเลขทางทะเบียนหนังสือส่งลับ แล้วจึงแนบกับขั้นตอน",
        )
    registry = step_series(session, actor, case, step)
    data = parse_outgoing(
        {
            "registry_id": registry.id,
            "subject": subject,
            "summary": summary,
            "recipients": recipients,
            "replies_to_letter_id": _readable(session, actor, case.from_letter_id),
        }
    )
    drafted = create_draft(session, actor, data, now=now, where=where or audit.Where())
    letter = drafted.letter
    assert letter.id is not None
    issued = issue_number(session, actor, letter.id, now=now, thai_digits=thai_digits, tz=tz, where=where)
    _link(session, case, step, letter.id, "issued", actor, now)
    audit.record(
        session,
        at=now,
        action="case_letter_issued",
        actor=actor,
        object_type="case",
        object_id=case_id,
        letter_id=letter.id,
        where=where,
        step=step.no,
        letter_no=issued.letter_no,
    )
    return letter, issued.letter_no


# ---------------------------------------------------------------------------------------------- reading


def case_steps(session: Session, case_id: int) -> list[CaseStep]:
    return list(session.exec(select(CaseStep).where(CaseStep.case_id == case_id).order_by(col(CaseStep.no))))


def step_state(step: CaseStep, today: date) -> str:
    if step.state == "done":
        return "done"
    return "overdue" if is_overdue(step.due_on, state=step.state, today=today) else "pending"


def _letters_of(session: Session, actor: Actor, case_id: int) -> tuple[dict[int, list[dict[str, Any]]], dict[int, int]]:
    """The letters at each step that the user may read (the letters' own reading rule: a case's reader does not
    read every letter linked to it), and how many others each step holds."""
    rows = session.exec(
        select(CaseLetter, Letter)
        .join(Letter, col(Letter.id) == CaseLetter.letter_id)
        .where(CaseLetter.case_id == case_id)
        .order_by(col(CaseLetter.id))
    ).all()
    readable = set(
        session.exec(visible_letter_ids(actor).where(col(LetterAccess.letter_id).in_([lt.id for _, lt in rows])))
    )
    by_step: dict[int, list[dict[str, Any]]] = {}
    hidden: dict[int, int] = {}
    for link, letter in rows:
        if letter.id not in readable:
            hidden[link.step_id] = hidden.get(link.step_id, 0) + 1
            continue
        regs = session.exec(
            select(Registration, Registry)
            .join(Registry, col(Registry.id) == Registration.registry_id)
            .where(Registration.letter_id == letter.id)
            .order_by(col(Registration.id))
        ).all()
        first = regs[0][0] if regs else None
        shown_date = letter.letter_date or (local(first.registered_at).date() if first else None)
        by_step.setdefault(link.step_id, []).append(
            {
                "letter_id": letter.id,
                "letter_no": letter.letter_no,
                "letter_date": shown_date.isoformat() if shown_date else None,
                "subject": letter.subject,
                "sender": letter.sender,
                "how": link.how,
                "registrations": [
                    {"registry": r.name, "kind": r.kind, "year": g.year, "number": g.number} for g, r in regs
                ],
            }
        )
    return by_step, hidden


def case_view(session: Session, actor: Actor, case_id: int, *, today: date) -> dict[str, Any]:
    case = get_visible_case(session, actor, case_id)
    procedure = session.get(Procedure, case.procedure_id)
    assert procedure is not None and case.id is not None
    unit = session.get(Unit, case.unit_id)
    letters, hidden = _letters_of(session, actor, case.id)
    view: dict[str, Any] = {
        "id": case.id,
        "procedure": {"id": procedure.id, "code": procedure.code, "name": procedure.name},
        "year": case.year,
        "title": case.title,
        "unit": unit.name if unit else "",
        "state": case.state,
        "confidential": case.confidential,
        "start_on": case.start_on.isoformat(),
        "from_letter_id": case.from_letter_id,
        "steps": [
            {
                "id": s.id,
                "no": s.no,
                "name": s.name,
                "duration": s.duration,
                "quality": s.quality,
                "responsible": s.responsible,
                "letter_kind": s.letter_kind,
                "letter_kind_th": LETTER_KIND_TH.get(s.letter_kind, s.letter_kind),
                "issues": s.letter_kind in SERIES_OF,
                "due_on": s.due_on.isoformat(),
                "state": step_state(s, today),
                "done_on": s.done_on.isoformat() if s.done_on else None,
                "letters": letters.get(s.id or 0, []),
                "hidden_letters": hidden.get(s.id or 0, 0),
            }
            for s in case_steps(session, case.id)
        ],
    }
    if case.confidential:
        view["incident"] = {k: getattr(case, k) for k in INCIDENT_FIELDS}
    return view


def list_cases(
    session: Session,
    actor: Actor,
    *,
    procedure_id: int | None = None,
    year: int | None = None,
    state: str | None = None,
    q: str = "",
    limit: int = 500,
) -> list[dict[str, Any]]:
    """The cases the user may read (the reading rule in SQL), newest first; ``q`` searches titles, process names
    and incident reports — of readable cases only."""
    stmt = (
        select(ProcedureCase, Procedure)
        .join(Procedure, col(Procedure.id) == ProcedureCase.procedure_id)
        .where(visible_cases_clause(session, actor))
    )
    if procedure_id is not None:
        stmt = stmt.where(ProcedureCase.procedure_id == procedure_id)
    if year is not None:
        stmt = stmt.where(ProcedureCase.year == year)
    if state:
        stmt = stmt.where(ProcedureCase.state == state)
    if q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(
            or_(
                col(ProcedureCase.title).like(like),
                col(Procedure.name).like(like),
                col(ProcedureCase.facts).like(like),
                col(ProcedureCase.category).like(like),
            )
        )
    rows = session.exec(stmt.order_by(col(ProcedureCase.id).desc()).limit(limit)).all()
    return [
        {
            "id": c.id,
            "procedure": {"id": p.id, "code": p.code, "name": p.name},
            "year": c.year,
            "title": c.title,
            "state": c.state,
            "confidential": c.confidential,
        }
        for c, p in rows
    ]


def dashboard(session: Session, actor: Actor, *, today: date) -> dict[str, Any]:
    """The group's board: cases in progress, steps overdue, steps due within seven days (readable cases only)."""
    clause = visible_cases_clause(session, actor)
    open_cases = session.exec(
        select(ProcedureCase, Procedure)
        .join(Procedure, col(Procedure.id) == ProcedureCase.procedure_id)
        .where(clause, ProcedureCase.state == "open")
        .order_by(col(ProcedureCase.id))
    ).all()
    pending = session.exec(
        select(CaseStep, ProcedureCase, Procedure)
        .join(ProcedureCase, col(ProcedureCase.id) == CaseStep.case_id)
        .join(Procedure, col(Procedure.id) == ProcedureCase.procedure_id)
        .where(clause, CaseStep.state == "pending")
        .order_by(col(CaseStep.due_on), col(CaseStep.id))
    ).all()

    def item(s: CaseStep, c: ProcedureCase, p: Procedure) -> dict[str, Any]:
        return {
            "case_id": c.id,
            "step_id": s.id,
            "no": s.no,
            "name": s.name,
            "due_on": s.due_on.isoformat(),
            "procedure": p.name,
            "year": c.year,
            "title": c.title,
            "days_late": (today - s.due_on).days,
        }

    overdue = [item(s, c, p) for s, c, p in pending if is_overdue(s.due_on, state=s.state, today=today)]
    week = [item(s, c, p) for s, c, p in pending if due_this_week(s.due_on, state=s.state, today=today)]
    cases = []
    for c, p in open_cases:
        cases.append(
            {
                "id": c.id,
                "procedure": p.name,
                "year": c.year,
                "title": c.title,
                "late": sum(1 for o in overdue if o["case_id"] == c.id),
            }
        )
    return {
        "today": today.isoformat(),
        "counts": {"in_progress": len(cases), "overdue": len(overdue), "due_this_week": len(week)},
        "cases": cases,
        "overdue": overdue,
        "due_this_week": week,
    }


def count_visible(session: Session, actor: Actor) -> int:
    n = session.exec(select(func.count()).select_from(ProcedureCase).where(visible_cases_clause(session, actor)))
    return int(n.one())


def this_year(now: datetime, tz: str) -> int:
    return be_year(local(now, tz))
