"""Legal holds: an item under hold is never listed for destruction nor destroyed, whatever its keep-until year.
Placing and releasing record who and why; a released hold stays on record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from service import audit
from service.access.policy import Action, require
from service.access.rule import Actor
from service.archive.errors import refused
from service.archive.filing import get_item
from service.kit.clock import to_db
from service.kit.errors import InvalidInput, NotFound
from service.kit.thai import local
from service.models import LegalHold


def hold_view(h: LegalHold) -> dict[str, Any]:
    return {
        "id": h.id,
        "item_id": h.item_id,
        "reason": h.reason,
        "placed_at": local(h.placed_at).isoformat(),
        "placed_by": h.placed_by,
        "released_at": local(h.released_at).isoformat() if h.released_at else None,
        "released_by": h.released_by,
        "release_reason": h.release_reason,
    }


def place_hold(
    session: Session, *, actor: Actor, item_id: int, reason: str, now: datetime, where: audit.Where | None = None
) -> LegalHold:
    require(actor, Action.LEGAL_HOLD)
    item = get_item(session, actor, item_id)
    if not reason.strip():
        raise InvalidInput("a legal hold needs its reason", thai="ระบุเหตุผลของการระงับการทำลาย")
    if item.state != "filed":
        raise refused("item_not_filed", item_id=item_id)
    hold = LegalHold(item_id=item_id, reason=reason.strip(), placed_at=to_db(now), placed_by=actor.id)
    session.add(hold)
    session.flush()
    audit.record(
        session,
        at=now,
        action="legal_hold_place",
        actor=actor,
        object_type="legal_hold",
        object_id=hold.id or 0,
        letter_id=item.letter_id,
        where=where,
        item_id=item_id,
        reason=hold.reason,
    )
    return hold


def release_hold(
    session: Session, *, actor: Actor, hold_id: int, reason: str = "", now: datetime, where: audit.Where | None = None
) -> LegalHold:
    require(actor, Action.LEGAL_HOLD)
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFound(f"legal hold {hold_id} not found", thai="ไม่พบการระงับการทำลายนี้")
    item = get_item(session, actor, hold.item_id)
    if hold.released_at is not None:
        raise refused("hold_released", hold_id=hold_id)
    hold.released_at, hold.released_by, hold.release_reason = to_db(now), actor.id, reason.strip()
    session.add(hold)
    audit.record(
        session,
        at=now,
        action="legal_hold_release",
        actor=actor,
        object_type="legal_hold",
        object_id=hold_id,
        letter_id=item.letter_id,
        where=where,
        item_id=hold.item_id,
        reason=hold.release_reason,
    )
    return hold


def list_holds(session: Session, actor: Actor, *, active_only: bool = True) -> list[dict[str, Any]]:
    require(actor, Action.READ_ARCHIVE)
    q = select(LegalHold)
    if active_only:
        q = q.where(col(LegalHold.released_at).is_(None))
    return [hold_view(h) for h in session.exec(q.order_by(col(LegalHold.id).desc()))]
