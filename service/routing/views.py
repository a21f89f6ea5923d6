"""A letter's journey as read back: its routes (who holds it, since when, what they may do now), its instructions,
and the timeline of every step with who did it, when, and how long it took."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from service.access.rule import Actor
from service.kit.clock import from_db
from service.kit.thai import local
from service.models import Instruction, Letter, Registration, Registry, Routing, Unit, User
from service.routing.core import allowed_steps
from service.routing.rules import ENDED, STATE_TH, STEP_TH, State


@dataclass
class Names:
    """Names of users and units, each read once per request."""

    session: Session
    users: dict[int, str] = field(default_factory=dict)
    units: dict[int, str] = field(default_factory=dict)

    def user(self, user_id: int | None) -> str:
        if user_id is None:
            return ""
        if user_id not in self.users:
            u = self.session.get(User, user_id)
            self.users[user_id] = (u.full_name or u.username) if u else f"#{user_id}"
        return self.users[user_id]

    def unit(self, unit_id: int | None) -> str:
        if unit_id is None:
            return ""
        if unit_id not in self.units:
            u = self.session.get(Unit, unit_id)
            self.units[unit_id] = (u.short_name or u.name) if u else f"#{unit_id}"
        return self.units[unit_id]

    def recipient(self, route: Routing) -> str:
        return self.unit(route.to_unit_id) if route.to_unit_id is not None else self.user(route.to_user_id)


def _iso(moment: datetime | None, tz: str) -> str | None:
    return None if moment is None else local(moment, tz).isoformat()


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return int((from_db(later) - from_db(earlier)).total_seconds())


def received_at(route: Routing) -> datetime | None:
    """When the recipient had it in hand: registered (a unit) or acknowledged (a person)."""
    return route.registered_at or route.acknowledged_at


def route_view(
    route: Routing,
    names: Names,
    *,
    registration: tuple[Registration, Registry] | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
    tz: str = "Asia/Bangkok",
) -> dict[str, Any]:
    reg, registry = registration if registration else (None, None)
    holding = route.state not in ENDED and route.state != State.RETURNED
    return {
        "id": route.id,
        "letter_id": route.letter_id,
        "state": route.state,
        "state_th": STATE_TH.get(route.state, route.state),
        "state_at": _iso(route.state_at or route.routed_at, tz),
        "parent_id": route.parent_id,
        "from_user_id": route.from_user_id,
        "from_user": names.user(route.from_user_id),
        "from_unit_id": route.from_unit_id,
        "from_unit": names.unit(route.from_unit_id),
        "to_unit_id": route.to_unit_id,
        "to_user_id": route.to_user_id,
        "to": names.recipient(route),
        "instruction": route.instruction,
        "due_at": _iso(route.due_at, tz),
        "routed_at": _iso(route.routed_at, tz),
        "registered_at": _iso(route.registered_at, tz),
        "registered_by": names.user(route.registered_by),
        "registration": None
        if reg is None or registry is None
        else {
            "id": reg.id,
            "registry_id": reg.registry_id,
            "registry_name": registry.name,
            "year": reg.year,
            "number": reg.number,
            "registered_at": _iso(reg.registered_at, tz),
        },
        "acknowledged_at": _iso(route.acknowledged_at, tz),
        "acknowledged_by": names.user(route.acknowledged_by),
        "returned_at": _iso(route.returned_at, tz),
        "returned_by": names.user(route.returned_by),
        "returned_reason": route.returned_reason or None,
        "forwarded_at": _iso(route.forwarded_at, tz),
        "completed_at": _iso(route.completed_at, tz),
        "completed_by": names.user(route.completed_by),
        "action": route.action_taken or None,
        "recalled_at": _iso(route.recalled_at, tz),
        "recalled_by": names.user(route.recalled_by),
        # who is holding it and for how long (open routes only)
        "held_seconds": _seconds(now, route.state_at or route.routed_at) if holding and now else None,
        "steps": allowed_steps(actor, route) if actor is not None else [],
    }


def instruction_view(i: Instruction, *, tz: str = "Asia/Bangkok") -> dict[str, Any]:
    return {
        "id": i.id,
        "letter_id": i.letter_id,
        "route_id": i.route_id,
        "text": i.text,
        "name": i.author_name,
        "position": i.author_position,
        "at": _iso(i.at, tz),
    }


def journey(
    session: Session,
    letter: Letter,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
    tz: str = "Asia/Bangkok",
) -> dict[str, Any]:
    """The routes (in the order sent), the instructions and the timeline of a letter the actor may read."""
    assert letter.id is not None
    names = Names(session)
    routes = session.exec(select(Routing).where(Routing.letter_id == letter.id).order_by(col(Routing.id))).all()
    regs = {
        reg.id: (reg, registry)
        for reg, registry in session.exec(
            select(Registration, Registry)
            .join(Registry, col(Registry.id) == Registration.registry_id)
            .where(Registration.letter_id == letter.id)
            .order_by(col(Registration.id))
        )
    }
    instructions = session.exec(
        select(Instruction).where(Instruction.letter_id == letter.id).order_by(col(Instruction.at), col(Instruction.id))
    ).all()
    views = [
        route_view(
            r,
            names,
            registration=regs.get(r.registration_id) if r.registration_id else None,
            actor=actor,
            now=now,
            tz=tz,
        )
        for r in routes
    ]
    return {
        "routes": views,
        "instructions": [instruction_view(i, tz=tz) for i in instructions],
        "events": timeline_events(letter, routes, regs, instructions, names, tz=tz),
    }


def timeline_events(
    letter: Letter,
    routes: Sequence[Routing],
    regs: dict[int | None, tuple[Registration, Registry]],
    instructions: Sequence[Instruction],
    names: Names,
    *,
    tz: str = "Asia/Bangkok",
) -> list[dict[str, Any]]:
    """Every step in time order: ``at``, ``actor``, ``action`` (``receive``, ``route``, ``forward``, ``register``,
    ``acknowledge``, ``return``, ``complete``, ``recall``, ``instruct``), to whom, and ``took_seconds`` — how long
    since the step before it on that route (since the letter was received, for a first route)."""
    events: list[tuple[datetime, int, dict[str, Any]]] = []
    by_route_reg = {r.registration_id for r in routes if r.registration_id}
    first_received = min((reg.registered_at for reg, _ in regs.values()), default=letter.created_at)
    by_id = {r.id: r for r in routes}

    def add(at: datetime | None, order: int, action: str, actor: str, took_from: datetime | None, **extra: Any) -> None:
        if at is None:
            return
        event = {
            "at": _iso(at, tz),
            "actor": actor,
            "action": action,
            "action_th": STEP_TH.get(action, "ลงทะเบียนรับ" if action == "receive" else action),
            "took_seconds": _seconds(at, took_from),
            **extra,
        }
        events.append((from_db(at), order, event))

    for reg_id, (reg, registry) in regs.items():
        if reg_id not in by_route_reg:
            add(
                reg.registered_at,
                0,
                "receive",
                names.user(reg.registered_by),
                None,
                registry=registry.name,
                number=reg.number,
                year=reg.year,
            )
    for r in routes:
        parent = by_id.get(r.parent_id) if r.parent_id else None
        since = (received_at(parent) or parent.routed_at) if parent else first_received
        base = {"route_id": r.id, "to": names.recipient(r)}
        add(
            r.routed_at,
            1,
            "forward" if parent else "route",
            names.user(r.from_user_id),
            since,
            **base,
            from_unit=names.unit(r.from_unit_id),
            instruction=r.instruction,
            due_at=_iso(r.due_at, tz),
        )
        unit_reg = regs.get(r.registration_id) if r.registration_id else None
        add(
            r.registered_at,
            2,
            "register",
            names.user(r.registered_by),
            r.routed_at,
            **base,
            registry=unit_reg[1].name if unit_reg else None,
            number=unit_reg[0].number if unit_reg else None,
            year=unit_reg[0].year if unit_reg else None,
        )
        add(r.acknowledged_at, 2, "acknowledge", names.user(r.acknowledged_by), r.routed_at, **base)
        add(
            r.returned_at,
            3,
            "return",
            names.user(r.returned_by),
            received_at(r) or r.routed_at,
            **base,
            reason=r.returned_reason,
        )
        add(
            r.completed_at,
            4 if r.completed_by else 6,  # settled by its forwards: after the last of them
            "complete",
            names.user(r.completed_by) if r.completed_by else names.recipient(r),
            received_at(r) or r.routed_at,
            **base,
            detail=r.action_taken or None,
            automatic=r.completed_by is None,
        )
        add(r.recalled_at, 5, "recall", names.user(r.recalled_by), r.returned_at or r.routed_at, **base)
    for i in instructions:
        add(i.at, 7, "instruct", i.author_name, None, position=i.author_position, text=i.text, route_id=i.route_id)
    events.sort(key=lambda e: (e[0], e[1]))
    return [e for _, _, e in events]
