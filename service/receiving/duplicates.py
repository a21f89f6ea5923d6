"""The duplicate warning before a registration: the same letter registered twice in a registry is usually a slip (two
clerks, a letter that came by post and by e-mail), sometimes real (a letter sent again on purpose), so the clerk is
asked, not refused.

Two signs: the same normalised ที่ from the same sender in the registry's B.E. year, or an attachment whose SHA-256 is
already registered in this registry (any year). Cancelled registrations do not count (the clerk cancelled a bad
attempt in order to register again). Only letters the actor may read are compared: a letter the actor may not read
is never named, counted or hinted at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from service.access.queries import sees_letter
from service.access.rule import Actor
from service.kit.db import Prepared
from service.kit.errors import PossibleDuplicate
from service.kit.fields import InputError, load_json
from service.kit.thai import format_thai_date, local, normalise_letter_no
from service.models import Attachment, Letter, Registration

_LETTER_T = Letter.__table__  # type: ignore[attr-defined]
# Prepared: every registration runs it (and it finds nothing, nearly always).
_SAME_NO = Prepared(
    sql_select(_LETTER_T.c.id)
    .where(_LETTER_T.c.letter_no_norm == bindparam("norm"), _LETTER_T.c.sender == bindparam("sender"))
    .limit(50)
)


@dataclass(frozen=True)
class Earlier:
    """An earlier registration the new one may duplicate."""

    letter_id: int
    registration_id: int
    number: int
    year: int
    registered_at: datetime
    letter_no: str
    subject: str
    match: str  # letter_no | sha256

    def as_dict(self, tz: str) -> dict[str, Any]:
        return {
            "letter_id": self.letter_id,
            "registration_id": self.registration_id,
            "number": self.number,
            "year": self.year,
            "registered_at": local(self.registered_at, tz).isoformat(),
            "letter_no": self.letter_no,
            "subject": self.subject,
            "match": self.match,
        }


def find_duplicates(
    session: Session,
    actor: Actor,
    *,
    registry_id: int,
    year: int,
    letter_no: str,
    sender: str,
    sha256s: Sequence[str],
) -> list[Earlier]:
    """Earlier, not cancelled registrations in this registry the actor may read that look like the same letter."""
    found: dict[int, Earlier] = {}
    norm = normalise_letter_no(letter_no)
    # First the few letters that match by an index of their own (the normalised ที่, a file's hash), then their
    # registrations here: a plan that starts from the registry would walk its whole year for every registration.
    candidates: dict[int, str] = {}
    if norm:
        same_no = _SAME_NO.rows(session.connection(), {"norm": norm, "sender": " ".join(sender.split())})
        candidates |= {int(i): "letter_no" for (i,) in same_no}
    if sha256s:
        same_file = select(Attachment.letter_id).where(col(Attachment.sha256).in_(sorted(set(sha256s))))
        for i in session.exec(same_file.limit(50)):
            candidates.setdefault(i, "sha256")
    if not candidates:
        return []
    stmt = (
        select(Registration, Letter)
        .join(Letter, col(Letter.id) == Registration.letter_id)
        .where(col(Letter.id).in_(sorted(candidates)))
        .where(Registration.registry_id == registry_id, col(Registration.cancelled).is_(False))
        .where(sees_letter(actor, Letter.id))
    )
    for reg, letter in session.exec(stmt.order_by(col(Registration.id)).limit(10)):
        match = candidates[letter.id or 0]
        if match == "letter_no" and reg.year != year:
            continue  # the same ที่ in another year is another letter
        found.setdefault(reg.id or 0, _earlier(reg, letter, match))
    return sorted(found.values(), key=lambda e: e.registration_id)


def _earlier(reg: Registration, letter: Letter, match: str) -> Earlier:
    assert reg.id is not None and letter.id is not None
    return Earlier(
        letter_id=letter.id,
        registration_id=reg.id,
        number=reg.number,
        year=reg.year,
        registered_at=reg.registered_at,
        letter_no=letter.letter_no,
        subject=letter.subject,
        match=match,
    )


def refuse_duplicates(earlier: list[Earlier], *, tz: str) -> None:
    """Raise 409 ``possible_duplicate`` naming the earlier registrations (number, year, date) when there are any."""
    if not earlier:
        return
    first = earlier[0]
    why = "ที่และผู้ส่งเดียวกัน" if first.match == "letter_no" else "ไฟล์เดียวกัน"
    when = format_thai_date(local(first.registered_at, tz).date(), thai_digits=False)
    raise PossibleDuplicate(
        f"this letter may be registered already as number {first.number}/{first.year}; "
        "send confirm_duplicate=true to register it again",
        thai=(
            f"หนังสือนี้อาจลงทะเบียนแล้ว ({why}) เป็นเลขรับ {first.number}/{first.year} เมื่อ {when} หากต้องการลงทะเบียนซ้ำ โปรดยืนยัน"
        ),
        letter_id=first.letter_id,
        number=first.number,
        year=first.year,
        registered_at=local(first.registered_at, tz).isoformat(),
        earlier=[e.as_dict(tz) for e in earlier],
    )


def split_confirmation(raw: str | dict[str, Any]) -> tuple[str | dict[str, Any], bool]:
    """The letter's ``meta`` without its ``confirm_duplicate`` flag, and the flag (true, 1, "true", "yes", "on")."""
    try:
        data = load_json(raw) if isinstance(raw, str) else raw  # bounded: depth and number size (kit.fields)
    except InputError:
        return raw, False  # the letter's own parser names the problem
    if not isinstance(data, dict) or "confirm_duplicate" not in data:
        return raw, False
    data = dict(data)
    return data, truthy(data.pop("confirm_duplicate"))


def truthy(value: object) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "on", "ใช่")
