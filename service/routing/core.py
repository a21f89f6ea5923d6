"""The journey's use-cases: route a letter to units and people, and each recipient's steps — register at the unit,
acknowledge, return, forward, complete — and the sender's recall (ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด 2 ส่วนที่ 1: the
receiving unit registers what reaches it and passes it to whoever acts on it).

Every step asks the action policy who the actor is to the route (``HANDLE_ROUTE``, ``RECALL_ROUTE``), then the
state machine (``service.routing.rules``) what follows; a refusal raises before anything is written (403 / 409).
Each step is timestamped, attributed and audited; a step that changes who may read the letter re-derives its
readers (``refresh_access``) and marks it for the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from service import audit
from service.access.policy import CLERKS, REFUSALS, Action, RouteTarget, may, require
from service.access.queries import get_visible_letter, letter_target, refresh_access
from service.access.rule import Actor
from service.indexing.changes import ROUTE, record_change
from service.kit.clock import to_db
from service.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.kit.thai import be_year, local
from service.models import Letter, Registration, Registry, Routing, Unit, User
from service.receiving.record import check_may_register
from service.registers.numbering import next_number
from service.routing import rules
from service.routing.rules import ENDED, Refusal, Relation, State, Step

MAX_RECIPIENTS = 50


@dataclass(frozen=True)
class Recipient:
    """Where one route goes: a unit (its registry clerks register it) or a person."""

    unit_id: int | None = None
    user_id: int | None = None


# ---------------------------------------------------------------------------------------------- routing


def route_to(
    session: Session,
    *,
    actor: Actor,
    letter_id: int,
    recipients: Sequence[Recipient],
    instruction: str = "",
    due_at: datetime | None = None,
    from_route_id: int | None = None,
    now: datetime,
    where: audit.Where | None = None,
) -> list[Routing]:
    """Route a letter to several units and/or people in one action, with one instruction and due date.

    Sent by someone who received it (a group clerk assigning officers, an officer passing it on), the new routes
    are forwards of theirs (``from_route_id``, or found): that route becomes ``forwarded``. Otherwise the actor
    routes it as a holder of the letter (the action policy's ``ROUTE``: a registry clerk or head of a unit that
    has it in a register, the director; a secret letter only its registrar, only to cleared people).
    """
    letter = get_visible_letter(session, actor, letter_id)
    held = session.exec(select(Registration.cancelled).where(Registration.letter_id == letter_id)).all()
    if held and all(held):  # its only registrations were cancelled: it is the registry's clerks' alone (access.rule)
        raise Conflict(
            "the letter's registration was cancelled; it is not routed",
            thai="เลขทะเบียนของหนังสือนี้ถูกยกเลิกแล้ว จึงส่งต่อไม่ได้",
            reason="cancelled",
        )
    wanted = _check_recipients(session, letter, recipients)
    parent = _parent_for(session, actor, letter, from_route_id)
    if parent is not None:
        _next(actor, parent, Step.FORWARD)
        from_unit_id = parent.to_unit_id
        if from_unit_id is not None and any(r.unit_id == from_unit_id for r in wanted):
            raise InvalidInput("a unit does not forward a letter to itself", thai="ส่งต่อถึงหน่วยงานของตนเองไม่ได้")
    else:
        target = letter_target(session, letter)
        require(actor, Action.ROUTE, target)
        desks = sorted(u for u in target.holders if actor.units_with(CLERKS) & {u})
        from_unit_id = desks[0] if desks and letter.secrecy == 0 else None
    _refuse_duplicates(session, letter_id, wanted)
    routes = []
    for r in wanted:
        route = Routing(
            letter_id=letter_id,
            from_user_id=actor.id,
            from_unit_id=from_unit_id,
            parent_id=parent.id if parent else None,
            to_unit_id=r.unit_id,
            to_user_id=r.user_id,
            instruction=instruction.strip(),
            due_at=to_db(due_at) if due_at else None,
            routed_at=to_db(now),
            state=State.SENT,
            state_at=to_db(now),
        )
        session.add(route)
        routes.append(route)
    if parent is not None:
        parent.state, parent.state_at = State.FORWARDED, to_db(now)
        parent.forwarded_at = parent.forwarded_at or to_db(now)
        session.add(parent)
    session.flush()
    _readers_changed(session, letter)
    for route in routes:
        audit.record(
            session,
            at=now,
            action="route",
            actor=actor,
            object_type="letter",
            object_id=letter_id,
            letter_id=letter_id,
            where=where,
            route_id=route.id,
            to_unit_id=route.to_unit_id,
            to_user_id=route.to_user_id,
            parent_id=route.parent_id,
        )
    return routes


def route_letter(
    session: Session,
    *,
    actor: Actor,
    letter_id: int,
    to_unit_id: int | None = None,
    to_user_id: int | None = None,
    instruction: str = "",
    due_at: datetime | None = None,
    now: datetime,
    where: audit.Where | None = None,
) -> Routing:
    """Route a letter to exactly one unit or one person (:func:`route_to` with one recipient)."""
    if (to_unit_id is None) == (to_user_id is None):
        raise InvalidInput("route to exactly one unit or one user", thai="เลือกส่งต่อถึงหน่วยงานหรือบุคคลอย่างใดอย่างหนึ่ง")
    (route,) = route_to(
        session,
        actor=actor,
        letter_id=letter_id,
        recipients=[Recipient(unit_id=to_unit_id, user_id=to_user_id)],
        instruction=instruction,
        due_at=due_at,
        now=now,
        where=where,
    )
    return route


def _check_recipients(session: Session, letter: Letter, recipients: Sequence[Recipient]) -> list[Recipient]:
    """Each recipient exactly one unit or one person, known, internal, cleared; duplicates dropped."""
    if not recipients:
        raise InvalidInput("route to at least one unit or person", thai="เลือกผู้รับอย่างน้อยหนึ่งหน่วยงานหรือหนึ่งคน")
    if len(recipients) > MAX_RECIPIENTS:
        raise InvalidInput(f"at most {MAX_RECIPIENTS} recipients", thai=f"ส่งได้ครั้งละไม่เกิน {MAX_RECIPIENTS} ผู้รับ")
    wanted: list[Recipient] = []
    for r in recipients:
        if (r.unit_id is None) == (r.user_id is None):
            raise InvalidInput("route to exactly one unit or one user", thai="เลือกส่งต่อถึงหน่วยงานหรือบุคคลอย่างใดอย่างหนึ่ง")
        if r.unit_id is not None:
            if letter.secrecy > 0:
                raise InvalidInput(
                    "a secret letter is routed to named, cleared people only",
                    thai="หนังสือลับส่งต่อได้เฉพาะบุคคลที่มีสิทธิ์เข้าถึงชั้นความลับเท่านั้น",
                )
            unit = session.get(Unit, r.unit_id)
            if unit is None:
                raise NotFound("no such unit", thai="ไม่พบหน่วยงานผู้รับ")
            if not unit.internal:
                raise InvalidInput(
                    "routing goes to units of the office; outside parties are sent letters",
                    thai="ส่งต่อได้เฉพาะหน่วยงานภายในสำนักงาน",
                )
        if r.user_id is not None:
            user = session.get(User, r.user_id)
            if user is None or not user.active:
                raise NotFound("no such user", thai="ไม่พบผู้รับ")
            if user.clearance < letter.secrecy:
                raise Forbidden(
                    "the recipient's clearance is below this letter's secrecy",
                    thai="ผู้รับไม่มีสิทธิ์เข้าถึงหนังสือชั้นความลับระดับนี้",
                )
        if r not in wanted:
            wanted.append(r)
    return wanted


def _refuse_duplicates(session: Session, letter_id: int, wanted: Sequence[Recipient]) -> None:
    """A unit or person already holding an open routing of this letter is not sent it again."""
    open_routes = session.exec(
        select(Routing).where(Routing.letter_id == letter_id, col(Routing.state).not_in([*ENDED, State.RETURNED]))
    ).all()
    held = {Recipient(unit_id=r.to_unit_id, user_id=r.to_user_id) for r in open_routes}
    again = [r for r in wanted if r in held]
    if again:
        raise Conflict(
            "already routed there and not finished",
            thai="ส่งถึงผู้รับนี้แล้วและยังดำเนินการไม่เสร็จ",
            reason="already_routed",
        )


def _parent_for(session: Session, actor: Actor, letter: Letter, from_route_id: int | None) -> Routing | None:
    """The route the actor forwards from: the one named, else one they received and may pass on; None when they
    route as a holder of the letter."""
    if from_route_id is not None:
        parent = session.get(Routing, from_route_id)
        if parent is None or parent.letter_id != letter.id:
            raise NotFound(f"routing {from_route_id} not found", thai="ไม่พบรายการส่งต่อนี้")
        return parent
    mine = [
        r
        for r in session.exec(
            select(Routing).where(Routing.letter_id == letter.id).order_by(col(Routing.id).desc())
        ).all()
        if Relation.RECIPIENT in _relations(actor, r) and r.state not in (*ENDED, State.RETURNED)
    ]
    movable = [r for r in mine if not isinstance(_outcome(actor, r, Step.FORWARD), Refusal)]
    if movable:
        return movable[0]
    if mine and may(actor, Action.ROUTE, letter_target(session, letter)) is not None:
        return mine[0]  # they must receive it first (409), not "not yours" (403)
    return None


# ---------------------------------------------------------------------------------------------- the steps


def register_route(
    session: Session, *, actor: Actor, route_id: int, now: datetime, where: audit.Where | None = None
) -> tuple[Routing, Registration, Registry]:
    """The unit's clerk registers what was routed to the unit in the unit's receive register: the letter's
    second registration, numbered by the unit's own counter for the B.E. year (``next_number``, the same counter
    mechanism as every receive register)."""
    route, letter = _load(session, actor, route_id)
    new_state = _next(actor, route, Step.REGISTER)
    assert route.to_unit_id is not None and letter.id is not None
    registry = session.exec(
        select(Registry)
        .where(Registry.unit_id == route.to_unit_id, Registry.kind == "receive")
        .order_by(col(Registry.id))
    ).first()
    if registry is None or registry.id is None:
        raise Conflict("the unit keeps no receive register", thai="หน่วยงานนี้ไม่มีทะเบียนหนังสือรับ", reason="no_registry")
    check_may_register(session, actor, registry, letter.secrecy)
    already = session.exec(
        select(Registration).where(
            Registration.letter_id == letter.id,
            Registration.registry_id == registry.id,
            col(Registration.cancelled).is_(False),
        )
    ).first()
    if already is not None:
        raise Conflict(
            "the letter is already in this unit's register",
            thai="หนังสือนี้ลงทะเบียนรับในทะเบียนของหน่วยงานแล้ว",
            reason="already_registered",
        )
    year = be_year(local(now))
    registration = Registration(
        letter_id=letter.id,
        registry_id=registry.id,
        year=year,
        number=next_number(session, registry_id=registry.id, year=year),
        registered_at=to_db(now),
        registered_by=actor.id,
    )
    session.add(registration)
    session.flush()
    route.registration_id = registration.id
    route.registered_at, route.registered_by = to_db(now), actor.id
    _move(session, route, new_state, now)
    _readers_changed(session, letter)
    audit.record(
        session,
        at=now,
        action="register",
        actor=actor,
        object_type="registration",
        object_id=registration.id or "",
        letter_id=letter.id,
        where=where,
        registry=registry.code,
        year=year,
        number=registration.number,
        route_id=route.id,
    )
    return route, registration, registry


def acknowledge_route(
    session: Session, *, actor: Actor, route_id: int, now: datetime, where: audit.Where | None = None
) -> Routing:
    """The person it was sent to has received it (a read receipt with the time)."""
    route, _letter = _load(session, actor, route_id)
    new_state = _next(actor, route, Step.ACKNOWLEDGE)
    route.acknowledged_at, route.acknowledged_by = to_db(now), actor.id
    _move(session, route, new_state, now)
    _audit(session, actor, route, "route_acknowledge", now, where)
    return route


def return_route(
    session: Session, *, actor: Actor, route_id: int, reason: str, now: datetime, where: audit.Where | None = None
) -> Routing:
    """Send it back to the desk it came from (ส่งคืน), with the reason."""
    route, _letter = _load(session, actor, route_id)
    new_state = _next(actor, route, Step.RETURN)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("a return needs its reason", thai="กรุณาระบุเหตุผลที่ส่งคืน")
    route.returned_at, route.returned_by, route.returned_reason = to_db(now), actor.id, reason[:1000]
    _move(session, route, new_state, now)
    _audit(session, actor, route, "route_return", now, where, reason=reason[:200])
    return route


def complete_route(
    session: Session, *, actor: Actor, route_id: int, action: str, now: datetime, where: audit.Where | None = None
) -> Routing:
    """Done, with the action taken (การปฏิบัติ); a forwarded route above it completes when all its routes end."""
    route, _letter = _load(session, actor, route_id)
    new_state = _next(actor, route, Step.COMPLETE)
    action = action.strip()
    if not action:
        raise InvalidInput("say what was done", thai="กรุณาระบุการปฏิบัติ")
    route.completed_at, route.completed_by, route.action_taken = to_db(now), actor.id, action[:2000]
    _move(session, route, new_state, now)
    _audit(session, actor, route, "route_complete", now, where)
    _settle_up(session, route, now)
    return route


def recall_route(
    session: Session, *, actor: Actor, route_id: int, now: datetime, where: audit.Where | None = None
) -> Routing:
    """The sender takes it back: nobody acted on it yet, or it was returned. The recipient no longer reads it
    through this route."""
    route, letter = _load(session, actor, route_id)
    new_state = _next(actor, route, Step.RECALL)
    route.recalled_at, route.recalled_by = to_db(now), actor.id
    _move(session, route, new_state, now)
    _readers_changed(session, letter)
    _audit(session, actor, route, "route_recall", now, where)
    _settle_up(session, route, now)
    return route


# ---------------------------------------------------------------------------------------------- shared


def route_target(route: Routing) -> RouteTarget:
    return RouteTarget(
        from_user_id=route.from_user_id,
        from_unit_id=route.from_unit_id,
        to_unit_id=route.to_unit_id,
        to_user_id=route.to_user_id,
    )


def _relations(actor: Actor, route: Routing) -> set[Relation]:
    target = route_target(route)
    found = set()
    if may(actor, Action.HANDLE_ROUTE, target) is None:
        found.add(Relation.RECIPIENT)
    if may(actor, Action.RECALL_ROUTE, target) is None:
        found.add(Relation.SENDER)
    return found


def precheck_route(session: Session, actor: Actor, route_id: int, *, recall: bool = False) -> None:
    """Before a byte of the body is read: the route exists for the actor (404 otherwise, as for every step) and
    the actor is its recipient or its sender (403 otherwise, with the reason the step would give); which step is
    allowed is ``_next``'s answer."""
    route, _ = _load(session, actor, route_id)
    if not _relations(actor, route):
        why = "not_sender" if recall else "not_recipient"
        detail, thai = REFUSALS[why]
        raise Forbidden(detail, thai=thai, reason=why)


def _outcome(actor: Actor, route: Routing, step: Step) -> State | Refusal:
    kind = rules.kind_of(to_unit_id=route.to_unit_id)
    return rules.transition(kind, State(route.state), step, _relations(actor, route))


def allowed_steps(actor: Actor, route: Routing) -> list[str]:
    """The steps the actor may take on the route now (what the pages offer)."""
    return [s.value for s in Step if not isinstance(_outcome(actor, route, s), Refusal)]


def _next(actor: Actor, route: Routing, step: Step) -> State:
    """The state after ``step``; a refusal raised (nothing written yet): 403 from the policy, 409 from the state."""
    outcome = _outcome(actor, route, step)
    if not isinstance(outcome, Refusal):
        return outcome
    if outcome.status == 403:
        detail, thai = REFUSALS[outcome.code]
        raise Forbidden(detail, thai=thai, reason=outcome.code)
    detail, thai = rules.REFUSALS[outcome.code]
    raise Conflict(detail, thai=thai, reason=outcome.code, state=route.state)


def _load(session: Session, actor: Actor, route_id: int) -> tuple[Routing, Letter]:
    """The route and its letter; a route of a letter the actor may not read does not exist (404)."""
    route = session.get(Routing, route_id)
    if route is None:
        raise NotFound(f"routing {route_id} not found", thai="ไม่พบรายการส่งต่อนี้")
    try:
        letter = get_visible_letter(session, actor, route.letter_id)
    except NotFound:
        raise NotFound(f"routing {route_id} not found", thai="ไม่พบรายการส่งต่อนี้") from None
    return route, letter


def _move(session: Session, route: Routing, state: State, now: datetime) -> None:
    route.state, route.state_at = state, to_db(now)
    session.add(route)
    session.flush()


def _settle_up(session: Session, route: Routing, now: datetime) -> None:
    """The forwarded routes above ``route`` follow their children: completed when all ended (one completed), back
    to received when all were recalled."""
    parent_id = route.parent_id
    while parent_id is not None:
        parent = session.get(Routing, parent_id)
        if parent is None or parent.state != State.FORWARDED:
            return
        children = session.exec(select(Routing.state).where(Routing.parent_id == parent.id)).all()
        settled = rules.settle(rules.kind_of(to_unit_id=parent.to_unit_id), [State(s) for s in children])
        if settled is None:
            return
        if settled == State.COMPLETED:
            parent.completed_at = to_db(now)
        _move(session, parent, settled, now)
        parent_id = parent.parent_id


def _readers_changed(session: Session, letter: Letter) -> None:
    refresh_access(session, letter)
    record_change(session, [letter], ROUTE)  # its readers changed: the index must learn them


def _audit(
    session: Session,
    actor: Actor,
    route: Routing,
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
        object_type="routing",
        object_id=route.id or "",
        letter_id=route.letter_id,
        where=where,
        state=route.state,
        **detail,
    )
