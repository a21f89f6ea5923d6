"""Correcting and cancelling a registration by the registry's clerk (ระเบียบงานสารบรรณ พ.ศ. 2526 ข้อ 38: the
register is the office's evidence, so nothing in it is overwritten without a trace).

A correction changes the letter's particulars and keeps every earlier version (``RegistrationCorrection``: the
changed fields before and after, with the reason); a cancellation burns the number — it stays in the register,
marked, with its reason, and the counter never hands it out again. Neither is allowed once the letter has been
routed onward: the route is returned (or recalled) first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from service import audit
from service.access.policy import Action, may, require
from service.access.queries import get_visible_letter, refresh_access, registry_target
from service.access.roles import URGENCY_LABELS
from service.access.rule import Actor
from service.indexing.changes import CANCEL, CORRECT, record_change
from service.kit.clock import to_db
from service.kit.errors import Conflict, InvalidInput, NotFound
from service.kit.thai import format_thai_date, format_thai_datetime, local, normalise_letter_no
from service.letters.input import LetterIn, parse_letter_meta
from service.letters.vocab import CHANNELS, LETTER_TYPES
from service.models import Letter, NumberCancellation, Registration, RegistrationCorrection, Registry, Routing, User

CORRECTABLE = (
    "letter_no",
    "letter_date",
    "sender",
    "recipient",
    "subject",
    "summary",
    "letter_type",
    "urgency",
    "channel",
    "remarks",
    "deliver_by",
)
FIELD_TH = {
    "letter_no": "ที่",
    "letter_date": "ลงวันที่",
    "sender": "จาก",
    "recipient": "ถึง",
    "subject": "เรื่อง",
    "summary": "สาระสำคัญ",
    "letter_type": "ชนิดหนังสือ",
    "urgency": "ชั้นความเร็ว",
    "channel": "ช่องทาง",
    "remarks": "หมายเหตุ",
    "deliver_by": "ส่งภายใน",
}
# A route that came back (returned) or was taken back (recalled) no longer holds the letter elsewhere.
SETTLED_ROUTE_STATES = frozenset({"returned", "recalled"})

REFUSED_TH = {
    "cancelled": "เลขทะเบียนนี้ถูกยกเลิกแล้ว แก้ไขหรือยกเลิกซ้ำไม่ได้",
    "routed": "หนังสือนี้ส่งต่อแล้ว จึงแก้ไขหรือยกเลิกการลงทะเบียนไม่ได้ ให้ขอส่งคืนหรือเรียกคืนหนังสือก่อน",
}


def change_refusal(*, cancelled: bool, route_states: Iterable[str]) -> str | None:
    """Why a registration may not be corrected or cancelled now, or ``None``.

    ระเบียบงานสารบรรณ ข้อ 38: the receive register records what arrived; once the letter has gone on to a unit or a
    person (ข้อ 38 (3), การส่งต่อ), its particulars are theirs too — it is returned first, then corrected. A number
    cancelled once stays cancelled.
    """
    if cancelled:
        return "cancelled"
    if any(state not in SETTLED_ROUTE_STATES for state in route_states):
        return "routed"
    return None


def _load(
    session: Session, actor: Actor, registration_id: int, action: Action
) -> tuple[Registration, Registry, Letter]:
    reg = session.get(Registration, registration_id)
    if reg is None:
        raise NotFound(f"registration {registration_id} not found", thai="ไม่พบการลงทะเบียนนี้")
    letter = get_visible_letter(session, actor, reg.letter_id)  # a letter the actor may not read does not exist
    registry = session.get(Registry, reg.registry_id)
    assert registry is not None
    require(actor, action, registry_target(session, registry, secrecy=letter.secrecy))
    states = session.exec(select(Routing.state).where(Routing.letter_id == letter.id)).all()
    why = change_refusal(cancelled=reg.cancelled, route_states=states)
    if why is not None:
        raise Conflict(f"the registration may not be changed ({why})", thai=REFUSED_TH[why], reason=why)
    return reg, registry, letter


def _value(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date | datetime) else v


def _reason(raw: str | None, *, thai_what: str) -> str:
    reason = " ".join((raw or "").split())
    if not reason:
        raise InvalidInput("a reason is required", thai=f"กรุณาระบุเหตุผลที่{thai_what}")
    return reason[:1000]


def correct_registration(
    session: Session,
    actor: Actor,
    registration_id: int,
    *,
    changes: dict[str, Any],
    reason: str | None,
    now: datetime,
    where: audit.Where | None = None,
) -> RegistrationCorrection | None:
    """Correct the letter's particulars; the changed fields before and after are kept. ``None`` if nothing changed."""
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        raise InvalidInput(
            f"these fields cannot be corrected: {', '.join(unknown)}",
            thai="แก้ไขได้เฉพาะ ที่ ลงวันที่ จาก ถึง เรื่อง สาระสำคัญ ชนิด ชั้นความเร็ว ช่องทาง หมายเหตุ",
        )
    reg, registry, letter = _load(session, actor, registration_id, Action.CORRECT_REGISTRATION)
    reason = _reason(reason, thai_what="แก้ไข")
    current = {
        f: getattr(letter, f) if f != "deliver_by" or letter.deliver_by is None else local(letter.deliver_by)
        for f in CORRECTABLE
    }
    current["letter_date"] = letter.letter_date.isoformat() if letter.letter_date else None
    current["deliver_by"] = current["deliver_by"].isoformat() if current["deliver_by"] else None
    merged = {**{k: v for k, v in current.items() if v is not None}, **changes, "secrecy": letter.secrecy}
    checked: LetterIn = parse_letter_meta({k: v for k, v in merged.items() if v is not None})
    before, after = {}, {}
    for f in CORRECTABLE:
        new = getattr(checked, f)
        old = getattr(letter, f)
        if f == "deliver_by":
            new = to_db(new) if new is not None else None
        if new != old:
            before[f], after[f] = _value(old), _value(new)
            setattr(letter, f, new)
    if not after:
        return None
    if "letter_no" in after:
        letter.letter_no_norm = normalise_letter_no(letter.letter_no)
    record_change(session, [letter], CORRECT)
    assert reg.id is not None and letter.id is not None
    correction = RegistrationCorrection(
        registration_id=reg.id,
        letter_id=letter.id,
        corrected_at=to_db(now),
        corrected_by=actor.id,
        reason=reason,
        before=json.dumps(before, ensure_ascii=False),
        after=json.dumps(after, ensure_ascii=False),
    )
    session.add(correction)
    session.flush()
    audit.record(
        session,
        at=now,
        action="correct_registration",
        actor=actor,
        object_type="registration",
        object_id=reg.id,
        letter_id=letter.id,
        where=where,
        registry=registry.code,
        year=reg.year,
        number=reg.number,
        reason=reason,
        before=before,
        after=after,
    )
    return correction


def cancel_registration(
    session: Session,
    actor: Actor,
    registration_id: int,
    *,
    reason: str | None,
    now: datetime,
    where: audit.Where | None = None,
) -> NumberCancellation:
    """Cancel a receive number: it stays in the register, marked, with the reason; it is never handed out again
    (the counter only moves forward)."""
    reg, registry, letter = _load(session, actor, registration_id, Action.CANCEL_REGISTRATION)
    reason = _reason(reason, thai_what="ยกเลิก")
    assert reg.id is not None and registry.id is not None
    cancellation = NumberCancellation(
        registry_id=registry.id,
        year=reg.year,
        number=reg.number,
        reason=reason,
        cancelled_by=actor.id,
        cancelled_at=to_db(now),
        letter_id=letter.id,
    )
    reg.cancelled = True
    session.add(cancellation)
    session.add(reg)
    session.flush()
    refresh_access(session, letter)  # the letter leaves everyone's lists but the registry's clerks' (access.rule)
    record_change(session, [letter], CANCEL)
    audit.record(
        session,
        at=now,
        action="cancel_registration",
        actor=actor,
        object_type="registration",
        object_id=reg.id,
        letter_id=letter.id,
        where=where,
        registry=registry.code,
        year=reg.year,
        number=reg.number,
        reason=reason,
    )
    return cancellation


def shown(field: str, value: Any) -> str:
    """A stored value as a person reads it: Thai labels for codes, B.E. dates."""
    if value in (None, ""):
        return "-"
    if field == "urgency" and isinstance(value, int) and 1 <= value <= len(URGENCY_LABELS):
        return URGENCY_LABELS[value - 1]
    if field == "letter_type":
        return LETTER_TYPES.get(str(value), str(value))
    if field == "channel":
        return CHANNELS.get(str(value), str(value))
    if field == "letter_date":
        try:
            return format_thai_date(date.fromisoformat(str(value)), thai_digits=False)
        except ValueError:
            return str(value)
    if field == "deliver_by":
        try:
            return format_thai_datetime(datetime.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(value)


def registration_history(session: Session, letter_id: int, *, tz: str = "Asia/Bangkok") -> list[dict[str, Any]]:
    """Every correction and cancellation of the letter's registrations, oldest first (the letter is readable)."""
    names = {}
    out: list[dict[str, Any]] = []
    corrections = session.exec(
        select(RegistrationCorrection)
        .where(RegistrationCorrection.letter_id == letter_id)
        .order_by(col(RegistrationCorrection.id))
    ).all()
    cancellations = session.exec(
        select(NumberCancellation, Registration)
        .join(
            Registration,
            (col(Registration.registry_id) == NumberCancellation.registry_id)
            & (col(Registration.year) == NumberCancellation.year)
            & (col(Registration.number) == NumberCancellation.number),
        )
        .where(Registration.letter_id == letter_id)
    ).all()
    ids = {c.corrected_by for c in corrections} | {c.cancelled_by for c, _ in cancellations}
    for u in session.exec(select(User).where(col(User.id).in_(ids))) if ids else []:
        names[u.id] = u.full_name or u.username
    for c in corrections:
        out.append(
            {
                "kind": "correction",
                "registration_id": c.registration_id,
                "at": local(c.corrected_at, tz).isoformat(),
                "by": names.get(c.corrected_by, ""),
                "reason": c.reason,
                "before": (before := json.loads(c.before)),
                "after": (after := json.loads(c.after)),
                "changes": [
                    {
                        "field": f,
                        "field_th": FIELD_TH.get(f, f),
                        "before_th": shown(f, before.get(f)),
                        "after_th": shown(f, after.get(f)),
                    }
                    for f in CORRECTABLE
                    if f in after or f in before
                ],
            }
        )
    for x, reg in cancellations:
        out.append(
            {
                "kind": "cancellation",
                "registration_id": reg.id,
                "at": local(x.cancelled_at, tz).isoformat(),
                "by": names.get(x.cancelled_by, ""),
                "reason": x.reason,
                "number": x.number,
                "year": x.year,
            }
        )
    return sorted(out, key=lambda e: e["at"])


def change_refusals(session: Session, actor: Actor, letter: Letter) -> dict[int, str | None]:
    """Per registration of a readable letter: why the actor may not correct or cancel it now, or ``None``."""
    states = session.exec(select(Routing.state).where(Routing.letter_id == letter.id)).all()
    out: dict[int, str | None] = {}
    for reg, registry in session.exec(
        select(Registration, Registry)
        .join(Registry, col(Registry.id) == Registration.registry_id)
        .where(Registration.letter_id == letter.id)
    ):
        assert reg.id is not None
        target = registry_target(session, registry, secrecy=letter.secrecy)
        out[reg.id] = may(actor, Action.CORRECT_REGISTRATION, target) or change_refusal(
            cancelled=reg.cancelled, route_states=states
        )
    return out


def registration_result(session: Session, registration_id: int, *, tz: str) -> dict[str, Any]:
    """The registration after a change, with the letter's current particulars and its history (API answer)."""
    reg = session.get(Registration, registration_id)
    assert reg is not None
    registry = session.get(Registry, reg.registry_id)
    letter = session.get(Letter, reg.letter_id)
    assert registry is not None and letter is not None
    cancellation = session.exec(
        select(NumberCancellation).where(
            NumberCancellation.registry_id == reg.registry_id,
            NumberCancellation.year == reg.year,
            NumberCancellation.number == reg.number,
        )
    ).first()
    history = registration_history(session, reg.letter_id, tz=tz)
    return {
        "id": reg.id,
        "letter_id": reg.letter_id,
        "registry_id": reg.registry_id,
        "registry_code": registry.code,
        "year": reg.year,
        "number": reg.number,
        "status": "cancelled" if reg.cancelled else "",
        "cancel_reason": cancellation.reason if cancellation is not None else None,
        "corrected": any(h["kind"] == "correction" and h["registration_id"] == reg.id for h in history),
        "letter": {f: _value(getattr(letter, f)) for f in CORRECTABLE},
        "history": history,
    }
