"""Letters delivered electronically to the actor's units, waiting for their clerk — shaped like the inbox's items
(``GET /api/v1/inbox`` merges them with the routed letters)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, or_
from sqlmodel import Session, col, select

from service.access.roles import Role
from service.access.rule import Actor
from service.kit.thai import local
from service.models import Delivery, Letter
from service.routing.inbox import InboxItem

WAITING = ("delivered", "opened")
CLERKS = frozenset({Role.CENTRAL_CLERK, Role.GROUP_CLERK})


def _waiting_deliveries(session: Session, actor: Actor) -> list[tuple[Delivery, Letter]]:
    """Deliveries to a unit the actor is a clerk of (ordinary letters) or the secret registrar of (secret letters up
    to their clearance) that are not yet registered, newest first."""
    clerk_units = sorted(actor.units_with(CLERKS))
    registrar_units = sorted(actor.units_with({Role.SECRET_REGISTRAR}))
    if not clerk_units and not registrar_units:
        return []
    mine = or_(
        and_(col(Delivery.unit_id).in_(clerk_units), col(Delivery.secret).is_(False)) if clerk_units else false(),
        and_(
            col(Delivery.unit_id).in_(registrar_units),
            col(Delivery.secret).is_(True),
            col(Letter.secrecy) <= actor.clearance,
        )
        if registrar_units
        else false(),
    )
    return list(
        session.exec(
            select(Delivery, Letter)
            .join(Letter, col(Letter.id) == Delivery.letter_id)
            .where(col(Delivery.state).in_(WAITING), mine)
            .order_by(col(Delivery.delivered_at).desc(), col(Delivery.id).desc())
        ).all()
    )


def incoming_deliveries(
    session: Session, actor: Actor, now: datetime, *, tz: str = "Asia/Bangkok"
) -> list[dict[str, Any]]:
    """Deliveries to a unit the actor is a clerk of (ordinary letters) or the secret registrar of (secret letters up
    to their clearance) that are not yet registered, newest first."""
    rows = _waiting_deliveries(session, actor)
    return [
        {
            "route_id": None,
            "delivery_id": d.id,
            "letter_id": d.letter_id,
            "state": d.state,
            "subject": letter.subject,
            "urgency_level": letter.urgency,
            "routed_at": local(d.delivered_at, tz).isoformat(),
            "due_at": local(letter.deliver_by, tz).isoformat() if letter.deliver_by else None,
            "overdue": False,
            "returned_reason": None,
            "letter_no": letter.letter_no,
            "sender": letter.sender,
            "unit_id": d.unit_id,
            "secret": d.secret,
            "channel": "electronic",
        }
        for d, letter in rows
    ]


def delivery_items(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Electronic letters delivered to the actor's units, waiting to be registered: a source of the inbox
    (``service.routing.inbox.INBOX_SOURCES``)."""
    return [
        InboxItem(
            source="delivery",
            item_id=d.id,
            letter_id=d.letter_id,
            waiting="register",
            state=d.state,
            subject=letter.subject,
            urgency_level=letter.urgency,
            routed_at=d.delivered_at,
            deliver_by=letter.deliver_by,
            from_name=letter.sender,
            url=f"/deliveries/{d.id}",
        )
        for d, letter in _waiting_deliveries(session, actor)
        if d.id is not None
    ]
