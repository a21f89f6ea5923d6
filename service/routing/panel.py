"""The journey as the letter page shows it: the routes with what the reader may do on each, whom they may route it
to, whether they may write an instruction, the timeline (reads only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from service.access.policy import Action, may
from service.access.queries import letter_target
from service.access.roles import ROUTABLE_ROLES
from service.access.rule import Actor
from service.models import Attachment, Instruction, Letter, Membership, Rendition, Unit, User
from service.routing.instructions import INSTRUCTED, default_position
from service.routing.views import journey


def letter_panel(
    session: Session, actor: Actor, letter: Letter, *, now: datetime, tz: str = "Asia/Bangkok"
) -> dict[str, Any]:
    """For a letter the actor already reads (the letter page asked the reading rule)."""
    assert letter.id is not None
    j = journey(session, letter, actor=actor, now=now, tz=tz)
    forwardable = [r for r in j["routes"] if "forward" in r["steps"]]
    target = letter_target(session, letter)
    may_route = bool(forwardable) or may(actor, Action.ROUTE, target) is None
    may_instruct = may(actor, Action.INSTRUCT, target) is None
    atts = [a.id for a in session.exec(select(Attachment).where(Attachment.letter_id == letter.id))]
    kinds = (
        {r.kind for r in session.exec(select(Rendition).where(col(Rendition.attachment_id).in_(atts)))}
        if atts
        else set()
    )
    has_instructions = (
        session.exec(select(Instruction.id).where(Instruction.letter_id == letter.id)).first() is not None
    )
    return {
        **j,
        "waiting_for_me": [r for r in j["routes"] if set(r["steps"]) - {"recall"}],
        "may_route": may_route,
        "forward_from": forwardable[0]["id"] if forwardable else None,
        "units": _units(session, letter) if may_route else [],
        "people": _people(session, letter) if may_route else [],
        "may_instruct": may_instruct,
        "instruct_name": actor.full_name or actor.username,
        "instruct_position": default_position(session, actor) if may_instruct else "",
        "instructed_copy": has_instructions and "stamped" in kinds,
        "has_instructed": INSTRUCTED in kinds,
    }


def _units(session: Session, letter: Letter) -> list[dict[str, Any]]:
    """The office's groups (secret letters go to named people only)."""
    if letter.secrecy > 0:
        return []
    rows = session.exec(
        select(Unit).where(col(Unit.internal).is_(True), col(Unit.parent_id).is_not(None)).order_by(col(Unit.id))
    ).all()
    return [{"id": u.id, "name": u.name, "short_name": u.short_name or u.name} for u in rows]


def _people(session: Session, letter: Letter) -> list[dict[str, Any]]:
    """Active people who act on letters, cleared for this one, with their unit."""
    rows = session.exec(
        select(User, Membership, Unit)
        .join(Membership, col(Membership.user_id) == User.id)
        .join(Unit, col(Unit.id) == Membership.unit_id)
        .where(col(User.active).is_(True), User.clearance >= letter.secrecy)
        .where(col(Membership.role).in_([r.value for r in ROUTABLE_ROLES]))
        .order_by(col(Unit.id), col(User.full_name))
    ).all()
    seen: dict[int, dict[str, Any]] = {}
    for user, _m, unit in rows:
        if user.id is not None and user.id not in seen:
            seen[user.id] = {
                "id": user.id,
                "name": user.full_name or user.username,
                "unit": unit.short_name or unit.name,
            }
    return list(seen.values())
