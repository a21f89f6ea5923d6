"""Reading outgoing letters back: one letter with its series, number, addressees and the letter it answers; the
outgoing letters an actor may see; the saved recipient groups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from service import audit
from service.access.queries import visible_letter_ids
from service.access.roles import KIND_TH
from service.access.rule import Actor
from service.kit.clock import to_db
from service.kit.thai import local
from service.letters.views import read_letter
from service.models import (
    Delivery,
    Letter,
    NumberCancellation,
    NumberReservation,
    Outgoing,
    OutgoingRecipient,
    RecipientGroup,
    RecipientGroupMember,
    Registry,
    Unit,
)
from service.outgoing.delivery import outside_view
from service.outgoing.drafting import outgoing_of

STATE_TH = {"draft": "ร่าง", "issued": "ออกเลขแล้ว", "sent": "ส่งแล้ว", "cancelled": "ยกเลิก"}
DELIVERY_TH = {
    "delivered": "ส่งถึงแล้ว (ยังไม่เปิด)",
    "opened": "เปิดอ่านแล้ว",
    "registered": "ลงทะเบียนรับแล้ว",
    "returned": "ส่งคืน",
}


def outgoing_view(
    session: Session, actor: Actor, letter_id: int, *, now: datetime, where: audit.Where | None, tz: str
) -> dict[str, Any]:
    """The letter as :func:`service.letters.views.read_letter` shows it (reading audited), with its outgoing part."""
    outgoing, _ = outgoing_of(session, actor, letter_id)
    view = read_letter(session, actor, letter_id, now=now, where=where, tz=tz)
    registry = session.get(Registry, outgoing.registry_id)
    assert registry is not None
    recipients = session.exec(
        select(OutgoingRecipient)
        .where(OutgoingRecipient.letter_id == letter_id)
        .order_by(col(OutgoingRecipient.position))
    ).all()
    counts = dict(
        session.exec(
            select(Delivery.state, func.count()).where(Delivery.letter_id == letter_id).group_by(col(Delivery.state))
        ).all()
    )
    view["outgoing"] = {
        "state": outgoing.state,
        "state_th": STATE_TH.get(outgoing.state, outgoing.state),
        "registry": {
            "id": registry.id,
            "code": registry.code,
            "name": registry.name,
            "kind": registry.kind,
            "kind_th": KIND_TH.get(registry.kind, registry.kind),
        },
        "unit_id": outgoing.unit_id,
        "issued_at": local(outgoing.issued_at, tz).isoformat() if outgoing.issued_at else None,
        "sent_at": local(outgoing.sent_at, tz).isoformat() if outgoing.sent_at else None,
        "recipients": [
            {"kind": r.kind, "unit_id": r.unit_id, "group_id": r.group_id, "name": r.name, "copy": r.copy_only}
            if r.kind in ("unit", "group")
            else outside_view(r, tz)
            for r in recipients
        ],
        "delivery_counts": counts,
    }
    return view


def list_outgoing(session: Session, actor: Actor, *, limit: int = 200) -> list[dict[str, Any]]:
    """The newest outgoing letters the actor may see."""
    rows = session.exec(
        select(Outgoing, Letter, Registry)
        .join(Letter, col(Letter.id) == Outgoing.letter_id)
        .join(Registry, col(Registry.id) == Outgoing.registry_id)
        .where(col(Letter.id).in_(visible_letter_ids(actor)))
        .order_by(col(Letter.id).desc())
        .limit(limit)
    ).all()
    return [
        {
            "letter_id": o.letter_id,
            "state": o.state,
            "state_th": STATE_TH.get(o.state, o.state),
            "letter_no": letter.letter_no,
            "subject": letter.subject,
            "recipient": letter.recipient,
            "urgency_level": letter.urgency,
            "secrecy_level": letter.secrecy,
            "registry_id": registry.id,
            "registry_name": registry.name,
            "created_at": local(letter.created_at).isoformat(),
        }
        for o, letter, registry in rows
    ]


def recipient_groups(session: Session) -> list[dict[str, Any]]:
    """Every saved group with its member units (any signed-in user may address them)."""
    members: dict[int, list[int]] = {}
    for m in session.exec(select(RecipientGroupMember).order_by(col(RecipientGroupMember.unit_id))):
        members.setdefault(m.group_id, []).append(m.unit_id)
    return [
        {"id": g.id, "name": g.name, "unit_ids": members.get(g.id or 0, [])}
        for g in session.exec(select(RecipientGroup).order_by(col(RecipientGroup.id)))
    ]


def addressable_units(session: Session) -> list[dict[str, Any]]:
    """The units of this installation that take letters electronically (those with a receive register)."""
    receiving = select(Registry.unit_id).where(col(Registry.kind).in_(["receive", "secret_receive"]))
    rows = session.exec(
        select(Unit).where(col(Unit.internal).is_(True), col(Unit.id).in_(receiving)).order_by(col(Unit.id))
    ).all()
    return [{"id": u.id, "name": u.name, "short_name": u.short_name or u.name, "code": u.code} for u in rows]


def open_reservations(session: Session, registry_id: int, *, now: datetime, tz: str) -> list[dict[str, Any]]:
    """A series' reserved numbers that a letter may still use (not used, not cancelled, not expired)."""
    cancelled = select(NumberCancellation.number).where(
        NumberCancellation.registry_id == registry_id, NumberCancellation.year == NumberReservation.year
    )
    rows = session.exec(
        select(NumberReservation)
        .where(
            NumberReservation.registry_id == registry_id,
            col(NumberReservation.letter_id).is_(None),
            col(NumberReservation.number).not_in(cancelled),
            NumberReservation.expires_at > to_db(now),
        )
        .order_by(col(NumberReservation.number))
    ).all()
    return [
        {
            "id": r.id,
            "year": r.year,
            "number": r.number,
            "reason": r.reason,
            "expires_at": local(r.expires_at, tz).isoformat(),
        }
        for r in rows
    ]
