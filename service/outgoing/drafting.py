"""Drafting an outgoing letter (ร่างหนังสือส่ง): its series, what it is, to whom, the letter it answers; its files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from service import audit
from service.access.queries import get_visible_letter, grant_readers, unit_ancestors
from service.access.rule import Actor, RegistryPlace, letter_principals
from service.indexing.changes import ATTACH, DRAFT, record_change
from service.kit.clock import to_db
from service.kit.errors import Conflict, InvalidInput, NotFound
from service.models import Attachment, Letter, Outgoing, OutgoingRecipient, RecipientGroup, Registry, Unit
from service.outgoing.input import OutgoingIn, RecipientIn
from service.outgoing.series import require_issuer, send_registry
from service.receiving.record import StoredFile, original_names


class NotElectronic(InvalidInput):
    """ลับที่สุด is never sent electronically or by e-mail (ระเบียบว่าด้วยการรักษาความลับของทางราชการ พ.ศ. 2544 as
    amended in 2564): by hand or by post only."""

    code = "top_secret_not_electronic"


def top_secret_refusal() -> NotElectronic:
    return NotElectronic(
        "a ลับที่สุด letter is never delivered electronically or by e-mail; address it by post or by hand",
        thai="หนังสือชั้นลับที่สุดห้ามส่งทางระบบอิเล็กทรอนิกส์หรืออีเมล ให้ส่งทางไปรษณีย์หรือโดยเจ้าหน้าที่นำส่งเท่านั้น",
    )


class UnknownRecipient(InvalidInput):
    code = "unknown_recipient"


@dataclass(frozen=True)
class Drafted:
    letter: Letter
    outgoing: Outgoing
    recipients: list[OutgoingRecipient]


def _units(session: Session, ids: Sequence[int]) -> dict[int, Unit]:
    if not ids:
        return {}
    return {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(sorted(set(ids))))) if u.id is not None}


def _groups(session: Session, ids: Sequence[int]) -> dict[int, RecipientGroup]:
    if not ids:
        return {}
    rows = session.exec(select(RecipientGroup).where(col(RecipientGroup.id).in_(sorted(set(ids)))))
    return {g.id: g for g in rows if g.id is not None}


def check_recipients(
    session: Session, recipients: Sequence[RecipientIn], *, secrecy: int
) -> tuple[dict[int, Unit], dict[int, RecipientGroup]]:
    """Every unit and group exists (units: of this installation); ลับที่สุด goes by post only."""
    if secrecy >= 3 and any(r.kind in ("unit", "group", "email") for r in recipients):
        raise top_secret_refusal()
    unit_ids = [r.unit_id for r in recipients if r.unit_id is not None]
    group_ids = [r.group_id for r in recipients if r.group_id is not None]
    units, groups = _units(session, unit_ids), _groups(session, group_ids)
    missing = [str(u) for u in unit_ids if u not in units]
    if missing:
        raise UnknownRecipient(
            f"unknown recipient unit(s): {', '.join(missing)}", thai=f"ไม่พบหน่วยงานผู้รับ: {', '.join(missing)}"
        )
    outside = [units[u].name for u in unit_ids if not units[u].internal]
    if outside:
        raise UnknownRecipient(
            f"{', '.join(outside)} is outside this installation: address it by post or e-mail",
            thai=f"{', '.join(outside)} เป็นหน่วยงานภายนอกระบบ ให้ระบุที่อยู่ไปรษณีย์หรืออีเมลแทน",
        )
    missing = [str(g) for g in group_ids if g not in groups]
    if missing:
        raise UnknownRecipient(
            f"unknown recipient group(s): {', '.join(missing)}", thai=f"ไม่พบกลุ่มผู้รับ: {', '.join(missing)}"
        )
    return units, groups


def _addressed_to(
    recipients: Sequence[RecipientIn], units: dict[int, Unit], groups: dict[int, RecipientGroup], *, limit: int = 6
) -> str:
    """The ถึง line of the register: the first few addressees by name, then how many more."""
    names = []
    for r in recipients:
        if r.copy_only:
            continue
        if r.unit_id is not None:
            names.append(units[r.unit_id].short_name or units[r.unit_id].name)
        elif r.group_id is not None:
            names.append(groups[r.group_id].name)
        else:
            names.append(r.name)
    shown = ", ".join(names[:limit])
    return shown + (f" และอีก {len(names) - limit} ราย" if len(names) > limit else "")


def create_draft(session: Session, actor: Actor, data: OutgoingIn, *, now: datetime, where: audit.Where) -> Drafted:
    """A draft in the unit's series (no number yet), readable by the series' readers; audited."""
    registry = send_registry(session, actor, data.registry_id)
    require_issuer(session, actor, registry, data.secrecy)
    assert registry.id is not None
    units, groups = check_recipients(session, data.recipients, secrecy=data.secrecy)
    replies_to = None
    if data.replies_to_letter_id is not None:
        try:
            replies_to = get_visible_letter(session, actor, data.replies_to_letter_id)
        except NotFound as exc:
            raise InvalidInput(
                "the letter to reply to was not found",
                thai="ไม่พบหนังสือที่จะตอบ",
            ) from exc
    sender = sender_name(session, registry.unit_id)
    kinds = {r.kind for r in data.recipients}
    channel = "electronic" if kinds & {"unit", "group"} else ("email" if "email" in kinds else "paper")
    letter = Letter(
        sender=sender,
        recipient=(data.recipient or _addressed_to(data.recipients, units, groups))[:500],
        subject=data.subject,
        summary=data.summary,
        letter_type=data.letter_type,
        urgency=data.urgency,
        deliver_by=to_db(data.deliver_by) if data.deliver_by else None,
        secrecy=data.secrecy,
        channel=channel,
        remarks=data.remarks,
        created_at=to_db(now),
        created_by=actor.id,
    )
    session.add(letter)
    session.flush()
    assert letter.id is not None
    outgoing = Outgoing(
        letter_id=letter.id,
        registry_id=registry.id,
        unit_id=registry.unit_id,
        replies_to_letter_id=replies_to.id if replies_to else None,
    )
    rows = [
        OutgoingRecipient(
            letter_id=letter.id,
            position=i,
            kind=r.kind,
            unit_id=r.unit_id,
            group_id=r.group_id,
            name=r.name
            or (
                units[r.unit_id].name
                if r.unit_id is not None
                else groups[r.group_id].name
                if r.group_id is not None
                else ""
            ),
            address=r.address,
            email=r.email,
            copy_only=r.copy_only,
        )
        for i, r in enumerate(data.recipients)
    ]
    session.add(outgoing)
    session.add_all(rows)
    session.flush()
    place = RegistryPlace(
        kind=registry.kind, unit_id=registry.unit_id, ancestors=unit_ancestors(session, registry.unit_id)
    )
    principals = letter_principals(secrecy=letter.secrecy, registries=[place], routes=[])
    grant_readers(session, [(letter.id, p) for p in sorted(principals)])
    record_change(session, [letter.id], DRAFT)
    audit.record(
        session,
        at=now,
        action="outgoing_draft",
        actor=actor,
        object_type="letter",
        object_id=letter.id,
        letter_id=letter.id,
        where=where,
        registry=registry.code,
        recipients=len(rows),
        replies_to=outgoing.replies_to_letter_id,
    )
    return Drafted(letter=letter, outgoing=outgoing, recipients=rows)


def sender_name(session: Session, unit_id: int) -> str:
    """จาก: the unit whose letter code the letter carries — a group without a code of its own sends in its office's
    name, the group named after it (``สำนักงาน… (กลุ่มส่งเสริมฯ)``)."""
    unit = session.get(Unit, unit_id)
    assert unit is not None
    coded, seen = unit, {unit.id}
    while not coded.letter_code and coded.parent_id is not None and coded.parent_id not in seen:
        parent = session.get(Unit, coded.parent_id)
        if parent is None:
            break
        coded = parent
        seen.add(parent.id)
    if coded is unit or not coded.letter_code:
        return unit.name
    return f"{coded.name} ({unit.short_name or unit.name})"


def outgoing_of(session: Session, actor: Actor, letter_id: int, *, lock: bool = False) -> tuple[Outgoing, Letter]:
    """An outgoing letter the actor can see (404 otherwise); ``lock``: its row held until the transaction ends
    (PostgreSQL; SQLite writers are serialised anyway), so two requests cannot both issue or send it."""
    stmt = select(Outgoing).where(Outgoing.letter_id == letter_id)
    if lock:
        stmt = stmt.with_for_update()
    letter = get_visible_letter(session, actor, letter_id)
    outgoing = session.exec(stmt).first()
    if outgoing is None:
        raise NotFound("the letter is not an outgoing letter", thai="หนังสือนี้ไม่ใช่หนังสือส่ง")
    return outgoing, letter


def series_of(session: Session, outgoing: Outgoing) -> Registry:
    registry = session.get(Registry, outgoing.registry_id)
    assert registry is not None
    return registry


def attach_files(
    session: Session,
    actor: Actor,
    letter_id: int,
    files: Sequence[StoredFile],
    *,
    now: datetime,
    where: audit.Where,
) -> list[Attachment]:
    """The letter's files (the signed PDF first, before or after its number is issued); not once it was sent —
    the recipients hold the very same files."""
    outgoing, letter = outgoing_of(session, actor, letter_id, lock=True)
    require_issuer(session, actor, series_of(session, outgoing), letter.secrecy)
    if outgoing.state not in ("draft", "issued"):
        raise Conflict(
            f"the letter is {outgoing.state}: its files can no longer change",
            thai="หนังสือนี้ส่งออกแล้วหรือถูกยกเลิก จึงแนบไฟล์เพิ่มไม่ได้",
        )
    if not files:
        raise InvalidInput("no file was sent (multipart field 'files')", thai="ไม่ได้แนบไฟล์")
    existing = session.exec(select(Attachment.position).where(Attachment.letter_id == letter_id)).all()
    start = max(existing, default=-1) + 1
    rows = [
        Attachment(
            letter_id=letter_id,
            position=start + i,
            filename=f.filename,
            sha256=f.sha256,
            size=f.size,
            media_type=f.media_type,
            pages=f.pages,
            active_content=",".join(f.active_content),
            stamp_status="too_complex" if f.too_complex else "",
            created_at=to_db(now),
        )
        for i, f in enumerate(files)
    ]
    session.add_all(rows)
    record_change(session, [letter], ATTACH)
    session.flush()
    audit.record(
        session,
        at=now,
        action="outgoing_files",
        actor=actor,
        object_type="letter",
        object_id=letter_id,
        letter_id=letter_id,
        where=where,
        attachments=[a.sha256 for a in rows],
        **original_names(list(files)),
    )
    return rows
