"""What the archive's pages ask: the letters waiting to be filed."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from service.access.queries import visible_letter_ids
from service.access.rule import Actor
from service.models import ArchiveItem, Letter, Tombstone
from service.routing.queries import journey_completed_on


def ready_to_file(
    session: Session, actor: Actor, *, limit: int = 300, tz: str = "Asia/Bangkok"
) -> list[dict[str, Any]]:
    """The newest letters the actor may read, not yet filed, whose journey is completed (the filing form offers
    them; an older paper file is filed by letter id with its completion date)."""
    letters = session.exec(
        select(Letter)
        .where(
            col(Letter.id).in_(visible_letter_ids(actor)),
            col(Letter.id).not_in(select(ArchiveItem.letter_id)),
            col(Letter.id).not_in(select(Tombstone.letter_id)),
        )
        .order_by(col(Letter.id).desc())
        .limit(limit)
    ).all()
    out = []
    for letter in letters:
        assert letter.id is not None
        done = journey_completed_on(session, letter.id, tz=tz)
        if done is not None:
            out.append(
                {
                    "letter_id": letter.id,
                    "subject": letter.subject,
                    "letter_no": letter.letter_no,
                    "completed_on": done.isoformat(),
                }
            )
    return out
