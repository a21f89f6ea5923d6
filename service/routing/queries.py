"""What other concepts ask of a letter's journey."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from service.kit.thai import local
from service.models import Routing

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
