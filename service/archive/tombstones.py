"""What remains of a destroyed letter (its tombstone), for whoever asks for the letter afterwards."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from service.kit.errors import Gone
from service.kit.thai import local
from service.models import DestructionList, Tombstone


class LetterDestroyed(Gone):
    code = "letter_destroyed"
    title = "The letter was destroyed"


def tombstone_view(session: Session, letter_id: int, *, tz: str = "Asia/Bangkok") -> dict[str, Any] | None:
    t = session.get(Tombstone, letter_id)
    if t is None:
        return None
    lst = session.get(DestructionList, t.list_id)
    return {
        "letter_id": t.letter_id,
        "registrations": json.loads(t.registrations),
        "letter_no": t.letter_no,
        "letter_date": t.letter_date.isoformat() if t.letter_date else None,
        "subject": t.subject,
        "file_code": t.file_code,
        "file_name": t.file_name,
        "destruction_list_id": t.list_id,
        "destruction_list_year": lst.year if lst else None,
        "destroyed_at": local(t.destroyed_at, tz).isoformat(),
        "method": t.method,
        "objects": [{k: v for k, v in o.items() if k != "filename"} for o in json.loads(t.objects)],
    }


def refuse_if_destroyed(session: Session, letter_id: int, *, tz: str = "Asia/Bangkok") -> None:
    """A destroyed letter answers 410 with its tombstone (to those who could read it)."""
    tomb = tombstone_view(session, letter_id, tz=tz)
    if tomb is not None:
        raise LetterDestroyed(
            f"the letter was destroyed (destruction list {tomb['destruction_list_id']})",
            thai="หนังสือนี้ถูกทำลายแล้วตามบัญชีหนังสือขอทำลาย",
            tombstone=tomb,
        )
