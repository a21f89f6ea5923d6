"""Reading letters back: one letter as plain values, the letters an actor may see, every reading audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session, col, func, select

from service import audit
from service.access.queries import get_visible_letter, visible_letter_ids
from service.access.roles import SECRECY_LABELS, URGENCY_LABELS
from service.access.rule import Actor
from service.archive.tombstones import refuse_if_destroyed
from service.kit.thai import local
from service.letters.vocab import LETTER_TYPES
from service.models import Attachment, Letter, ObjectFault, Outgoing, Registration, Registry, Rendition, Routing
from service.registers.corrections import registration_history


def letter_view(session: Session, letter: Letter, *, tz: str = "Asia/Bangkok") -> dict[str, Any]:
    """The letter with its registrations, attachments and routes, as plain JSON-ready values."""
    assert letter.id is not None
    regs = session.exec(
        select(Registration, Registry)
        .join(Registry, col(Registry.id) == Registration.registry_id)
        .where(Registration.letter_id == letter.id)
        .order_by(col(Registration.id))
    ).all()
    atts = session.exec(
        select(Attachment).where(Attachment.letter_id == letter.id).order_by(col(Attachment.position))
    ).all()
    stamped = {
        r.attachment_id: r
        for r in session.exec(
            select(Rendition).where(col(Rendition.attachment_id).in_([a.id for a in atts]), Rendition.kind == "stamped")
        )
    }
    shas = [a.sha256 for a in atts] + [r.sha256 for r in stamped.values()]
    faults = frozenset(session.exec(select(ObjectFault.sha256).where(col(ObjectFault.sha256).in_(shas))))
    routes = session.exec(select(Routing).where(Routing.letter_id == letter.id).order_by(col(Routing.id))).all()
    return {
        "id": letter.id,
        "letter_no": letter.letter_no,
        "letter_no_normalised": letter.letter_no_norm,
        "letter_date": letter.letter_date.isoformat() if letter.letter_date else None,
        "sender": letter.sender,
        "recipient": letter.recipient,
        "subject": letter.subject,
        "summary": letter.summary,
        "letter_type": letter.letter_type,
        "letter_type_th": LETTER_TYPES.get(letter.letter_type, letter.letter_type),
        "urgency": URGENCY_LABELS[letter.urgency - 1],
        "urgency_level": letter.urgency,
        "deliver_by": _iso(letter.deliver_by),
        "secrecy": SECRECY_LABELS[letter.secrecy],
        "secrecy_level": letter.secrecy,
        "channel": letter.channel,
        "remarks": letter.remarks,
        "created_at": _iso(letter.created_at),
        "index_status": letter.index_status,
        "registrations": [registration_view(reg, registry) for reg, registry in regs],
        "history": registration_history(session, letter.id, tz=tz),
        "attachments": [attachment_view(a, stamped.get(a.id or 0), faults) for a in atts],
        "routes": [
            {
                "id": r.id,
                "to_unit_id": r.to_unit_id,
                "to_user_id": r.to_user_id,
                "instruction": r.instruction,
                "due_at": _iso(r.due_at),
                "routed_at": _iso(r.routed_at),
                "acknowledged_at": _iso(r.acknowledged_at),
                "state": r.state,
                "parent_id": r.parent_id,
                "registered_at": _iso(r.registered_at),
                "returned_reason": r.returned_reason or None,
                "completed_at": _iso(r.completed_at),
                "action": r.action_taken or None,
            }
            for r in routes
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else local(moment).isoformat()


class RegistrationFields(Protocol):
    """What a registration's view shows: a ``Registration`` row, or one just written
    (``service.receiving.record.NewRegistration``)."""

    @property
    def id(self) -> int | None: ...
    @property
    def registry_id(self) -> int: ...
    @property
    def year(self) -> int: ...
    @property
    def number(self) -> int: ...
    @property
    def registered_at(self) -> datetime: ...
    @property
    def action(self) -> str: ...
    @property
    def remarks(self) -> str: ...
    @property
    def cancelled(self) -> bool: ...


class RegistryNamed(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...


def registration_view(reg: RegistrationFields, registry: RegistryNamed) -> dict[str, Any]:
    return {
        "id": reg.id,
        "registry_id": reg.registry_id,
        "registry_code": registry.code,
        "registry_name": registry.name,
        "year": reg.year,
        "number": reg.number,
        "registered_at": _iso(reg.registered_at),
        "action": reg.action,
        "remarks": reg.remarks,
        "cancelled": reg.cancelled,
        "status": "cancelled" if reg.cancelled else "",
    }


STAMP_STATUS_TH = {
    "too_complex": "ไม่ได้ประทับตรา: เอกสารซับซ้อนเกินไป",
    "unstampable": "ไม่ได้ประทับตรา: ไฟล์นี้ประทับตราไม่ได้",
    "deferred": "ยังไม่ได้ประทับตรา: ไฟล์ใหญ่ จะประทับตราภายหลัง",
    "stamp_failed": "ไม่ได้ประทับตรา: เอกสารซับซ้อนเกินกว่าจะประทับตราได้ (ลองประทับตราภายหลังแล้วไม่สำเร็จ)",
}
ACTIVE_CONTENT_TH = {
    "javascript": "JavaScript",
    "launch": "คำสั่งเปิดโปรแกรม (Launch)",
    "embedded_file": "ไฟล์ฝัง (EmbeddedFile)",
    "open_action": "คำสั่งทำงานเมื่อเปิดไฟล์ (OpenAction)",
}


def attachment_view(a: Attachment, stamped: Rendition | None, faults: frozenset[str] = frozenset()) -> dict[str, Any]:
    """An attachment as plain values. ``stamp_status``: "stamped", why the main document carries no stamp
    ("too_complex", "unstampable", "deferred", "stamp_failed"), or None (not the main document, or not stamped yet);
    ``active_content``: what a PDF would do when opened; ``altered``: its stored bytes no longer match."""
    status = "stamped" if stamped else (a.stamp_status or None)
    active = [k for k in a.active_content.split(",") if k]
    return {
        "id": a.id,
        "filename": a.filename,
        "sha256": a.sha256,
        "size": a.size,
        "media_type": a.media_type,
        "pages": a.pages,
        "stamped_id": stamped.id if stamped else None,
        "stamped_sha256": stamped.sha256 if stamped else None,
        "stamp_status": status,
        "stamp_status_th": STAMP_STATUS_TH.get(status or "", ""),
        "active_content": active,
        "active_content_th": ", ".join(ACTIVE_CONTENT_TH.get(k, k) for k in active),
        "altered": a.sha256 in faults or (stamped is not None and stamped.sha256 in faults),
    }


def read_letter(
    session: Session,
    actor: Actor,
    letter_id: int,
    *,
    now: datetime,
    where: audit.Where | None = None,
    tz: str = "Asia/Bangkok",
) -> dict[str, Any]:
    """Open a letter the actor may see, with the letters it answers or that answer it (those the actor may see);
    every reading is audited. A destroyed letter answers with its tombstone (410)."""
    letter = get_visible_letter(session, actor, letter_id)
    refuse_if_destroyed(session, letter_id, tz=tz)
    audit.record(
        session,
        at=now,
        action="view",
        actor=actor,
        object_type="letter",
        object_id=letter_id,
        letter_id=letter_id,
        where=where,
    )
    return {**letter_view(session, letter, tz=tz), **reply_links(session, actor, letter_id)}


def reply_links(session: Session, actor: Actor, letter_id: int) -> dict[str, Any]:
    """A reply links both letters: ``replies_to`` (the received letter an outgoing one answers) and ``replied_by``
    (the outgoing letters that answer this one)."""
    visible = visible_letter_ids(actor)
    outgoing = session.get(Outgoing, letter_id)
    replies_to = None
    if outgoing is not None and outgoing.replies_to_letter_id is not None:
        found = session.exec(
            select(Letter).where(Letter.id == outgoing.replies_to_letter_id, col(Letter.id).in_(visible))
        ).first()
        replies_to = _link(found) if found is not None else None
    answers = session.exec(
        select(Letter)
        .join(Outgoing, col(Outgoing.letter_id) == Letter.id)
        .where(Outgoing.replies_to_letter_id == letter_id, col(Letter.id).in_(visible))
        .order_by(col(Letter.id))
    ).all()
    return {
        "outgoing_state": outgoing.state if outgoing is not None else None,
        "replies_to": replies_to,
        "replied_by": [_link(a) for a in answers],
    }


def _link(letter: Letter) -> dict[str, Any]:
    return {"id": letter.id, "letter_no": letter.letter_no, "subject": letter.subject, "sender": letter.sender}


def count_visible(session: Session, actor: Actor) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(Letter).where(col(Letter.id).in_(visible_letter_ids(actor)))
        ).one()
    )


def list_letters(session: Session, actor: Actor, *, limit: int, offset: int) -> dict[str, Any]:
    """The newest letters the actor may see, with the total."""
    rows = session.exec(
        select(Letter)
        .where(col(Letter.id).in_(visible_letter_ids(actor)))
        .order_by(col(Letter.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return {
        "total": count_visible(session, actor),
        "letters": [
            {
                "id": r.id,
                "subject": r.subject,
                "sender": r.sender,
                "letter_no": r.letter_no,
                "urgency_level": r.urgency,
                "created_at": local(r.created_at).isoformat(),
            }
            for r in rows
        ],
    }
