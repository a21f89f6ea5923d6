"""Routing a letter on to a unit or a person (การส่งต่อ); minimal for now — it feeds the access rule."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from service import audit
from service.access.policy import Action, require
from service.access.queries import get_visible_letter, letter_target, refresh_access
from service.access.rule import Actor
from service.kit.clock import to_db
from service.kit.errors import Forbidden, InvalidInput, NotFound
from service.models import Routing, Unit, User


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
    letter = get_visible_letter(session, actor, letter_id)
    if (to_unit_id is None) == (to_user_id is None):
        raise InvalidInput("route to exactly one unit or one user", thai="เลือกส่งต่อถึงหน่วยงานหรือบุคคลอย่างใดอย่างหนึ่ง")
    if letter.secrecy > 0 and to_unit_id is not None:
        raise InvalidInput(
            "a secret letter is routed to named, cleared people only",
            thai="หนังสือลับส่งต่อได้เฉพาะบุคคลที่มีสิทธิ์เข้าถึงชั้นความลับเท่านั้น",
        )
    require(actor, Action.ROUTE, letter_target(session, letter))
    if to_user_id is not None:
        target = session.get(User, to_user_id)
        if target is None or not target.active:
            raise NotFound("no such user", thai="ไม่พบผู้รับ")
        if target.clearance < letter.secrecy:
            raise Forbidden(
                "the recipient's clearance is below this letter's secrecy",
                thai="ผู้รับไม่มีสิทธิ์เข้าถึงหนังสือชั้นความลับระดับนี้",
            )
    if to_unit_id is not None and session.get(Unit, to_unit_id) is None:
        raise NotFound("no such unit", thai="ไม่พบหน่วยงานผู้รับ")
    route = Routing(
        letter_id=letter_id,
        from_user_id=actor.id,
        to_unit_id=to_unit_id,
        to_user_id=to_user_id,
        instruction=instruction.strip(),
        due_at=to_db(due_at) if due_at else None,
        routed_at=to_db(now),
    )
    session.add(route)
    session.flush()
    refresh_access(session, letter)
    letter.index_status = "pending"  # its readers changed: the index must learn them
    session.add(letter)
    audit.record(
        session,
        at=now,
        action="route",
        actor=actor,
        object_type="letter",
        object_id=letter_id,
        letter_id=letter_id,
        where=where,
        to_unit_id=to_unit_id,
        to_user_id=to_user_id,
    )
    return route
