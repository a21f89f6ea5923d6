"""What other concepts ask of a letter's journey."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from sqlmodel import Session, col, select

from service.kit.thai import format_thai_datetime, local
from service.models import Registration, Routing, Unit, User
from service.routing.rules import State

# A journey is over when every route has ended: done, or taken back by its sender.
ENDED = frozenset({"completed", "recalled"})


def journey_completed_on(session: Session, letter_id: int, *, tz: str = "Asia/Bangkok") -> date | None:
    """The office day the letter's work was completed (its last completion), or None while any route is open or
    nothing was completed."""
    routes = session.exec(select(Routing).where(Routing.letter_id == letter_id)).all()
    if not routes or any(r.state not in ENDED for r in routes):
        return None
    done = [r.completed_at for r in routes if r.state == "completed" and r.completed_at is not None]
    return local(max(done), tz).date() if done else None


def action_texts(
    session: Session, letter_ids: Sequence[int], *, unit_id: int, tz: str = "Asia/Bangkok", thai_digits: bool = False
) -> dict[int, str]:
    """The การปฏิบัติ column of a unit's register, from the journey: for each letter, where the unit's desk sent it
    and what became of each (registered there with its number and time, acknowledged, returned with the reason,
    done with the action taken, recalled), and what the unit did with what was sent to it (returned, completed).
    Routes sent by no desk (a director's own, or older than desks) show in every register of the letter."""
    if not letter_ids:
        return {}
    routes = session.exec(
        select(Routing).where(col(Routing.letter_id).in_(sorted(set(letter_ids)))).order_by(col(Routing.id))
    ).all()
    reg_ids = [r.registration_id for r in routes if r.registration_id is not None]
    numbers = {
        reg.id: reg.number
        for reg in (session.exec(select(Registration).where(col(Registration.id).in_(reg_ids))) if reg_ids else ())
    }
    names: dict[tuple[str, int], str] = {}

    def name_of(route: Routing) -> str:
        key = ("unit", route.to_unit_id) if route.to_unit_id is not None else ("user", route.to_user_id or 0)
        if key not in names:
            row = session.get(Unit, key[1]) if key[0] == "unit" else session.get(User, key[1])
            if isinstance(row, Unit):
                names[key] = row.short_name or row.name
            elif isinstance(row, User):
                names[key] = row.full_name or row.username
            else:
                names[key] = ""
        return names[key]

    def when(moment: datetime | None) -> str:
        return format_thai_datetime(moment, tz=tz, thai_digits=thai_digits) if moment else ""

    out: dict[int, list[str]] = {}
    for r in routes:
        mine = r.from_unit_id == unit_id or (r.from_unit_id is None and r.parent_id is None)
        if mine:
            verb = "มอบ" if r.parent_id is not None and r.to_user_id is not None else "ส่ง"
            out.setdefault(r.letter_id, []).append(f"{verb} {name_of(r)} ({_outcome(r, numbers, when)})")
        elif r.to_unit_id == unit_id and (r.state == State.RETURNED or (r.state == State.COMPLETED and r.action_taken)):
            done = f"ส่งคืน: {r.returned_reason}" if r.state == State.RETURNED else f"ปฏิบัติแล้ว: {r.action_taken}"
            out.setdefault(r.letter_id, []).append(done)
    return {letter_id: "; ".join(parts) for letter_id, parts in out.items()}


def _outcome(r: Routing, numbers: dict[int | None, int], when: Callable[[datetime | None], str]) -> str:
    parts = []
    if r.registered_at is not None:
        number = numbers.get(r.registration_id)
        parts.append(f"ลงรับ{f' เลขที่ {number}' if number else ''} {when(r.registered_at)}")
    elif r.acknowledged_at is not None:
        parts.append(f"รับทราบ {when(r.acknowledged_at)}")
    if r.state == State.SENT:
        parts.append("รอลงรับ" if r.to_unit_id is not None else "รอรับทราบ")
    elif r.state == State.RETURNED:
        parts.append(f"ส่งคืน: {r.returned_reason}")
    elif r.state == State.FORWARDED:
        parts.append("ส่งต่อแล้ว")
    elif r.state == State.COMPLETED:
        parts.append("ปฏิบัติแล้ว" + (f": {r.action_taken}" if r.action_taken else ""))
    elif r.state == State.RECALLED:
        parts.append("เรียกคืนแล้ว")
    return "; ".join(parts)
