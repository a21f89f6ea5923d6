"""The receive register of a registry for a year (its columns as in ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด 2 ส่วนที่ 1,
ทะเบียนหนังสือรับ), filtered by the access rule."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from service.access.policy import Action, RegistryTarget, may
from service.access.queries import hidden_registry, registry_target, visible_letter_ids, visible_registry
from service.access.roles import SECRET_KINDS, URGENCY_LABELS
from service.access.rule import Actor
from service.kit.errors import Forbidden
from service.kit.thai import format_thai_date, format_thai_datetime
from service.models import Letter, Registration, Registry
from service.registers.printing import RegisterRow, render_register_pdf
from service.routing.queries import action_texts

COLUMNS = ("number", "letter_no", "letter_date", "sender", "recipient", "subject", "action", "remarks", "registered_at")
COLUMNS_TH = ("เลขทะเบียนรับ", "ที่", "ลงวันที่", "จาก", "ถึง", "เรื่อง", "การปฏิบัติ", "หมายเหตุ", "ลงทะเบียนเมื่อ")


@dataclass(frozen=True)
class Entry:
    registration_id: int
    letter_id: int
    number: int
    letter_no: str
    letter_date: str
    sender: str
    recipient: str
    subject: str
    action: str
    remarks: str
    registered_at: str
    urgency: str
    urgency_level: int
    cancelled: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def known_registries(session: Session, actor: Actor) -> list[Registry]:
    """The registries the actor may know exist (secret ones only for their registrars and administrators)."""
    rows = session.exec(select(Registry).order_by(col(Registry.id))).all()
    return [r for r in rows if not hidden_registry(actor, r)]


def readable_registries(session: Session, actor: Actor) -> list[Registry]:
    """The registries whose register the actor may open."""
    rows = session.exec(select(Registry).order_by(col(Registry.id))).all()
    return [r for r in rows if may(actor, Action.READ_REGISTER, registry_target(session, r)) is None]


def may_register_into(actor: Actor, registry: Registry) -> bool:
    """Whether to offer the receive form (the secrecy of the letter is checked when it is registered)."""
    target = RegistryTarget(kind=registry.kind, unit_id=registry.unit_id)
    return may(actor, Action.REGISTER, target) in (None, "ordinary_in_secret_registry")


def readable_registry(session: Session, actor: Actor, registry_id: int) -> Registry:
    registry = visible_registry(session, actor, registry_id)
    if may(actor, Action.READ_REGISTER, registry_target(session, registry)) is not None:
        raise Forbidden(f"you may not read registry {registry.code}", thai="ท่านไม่มีสิทธิ์เปิดทะเบียนนี้")
    return registry


def register_entries(
    session: Session,
    actor: Actor,
    *,
    registry_id: int,
    year: int,
    newest_first: bool = False,
    limit: int | None = None,
    tz: str = "Asia/Bangkok",
) -> tuple[Registry, list[Entry]]:
    registry = readable_registry(session, actor, registry_id)
    order = col(Registration.number).desc() if newest_first else col(Registration.number)
    stmt = (
        select(Registration, Letter)
        .join(Letter, col(Letter.id) == Registration.letter_id)
        .where(Registration.registry_id == registry_id, Registration.year == year)
        .where(col(Letter.id).in_(visible_letter_ids(actor)))
        .order_by(order)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    found = session.exec(stmt).all()
    actions = action_texts(session, [letter.id for _, letter in found if letter.id], unit_id=registry.unit_id, tz=tz)
    entries = []
    for reg, letter in found:
        assert reg.id is not None and letter.id is not None
        entries.append(
            Entry(
                registration_id=reg.id,
                letter_id=letter.id,
                number=reg.number,
                letter_no=letter.letter_no,
                letter_date=format_thai_date(letter.letter_date, thai_digits=False) if letter.letter_date else "",
                sender=letter.sender,
                recipient=letter.recipient,
                subject=letter.subject,
                action=reg.action or actions.get(letter.id, ""),
                remarks=reg.remarks or letter.remarks,
                registered_at=format_thai_datetime(reg.registered_at, tz=tz),
                urgency=URGENCY_LABELS[letter.urgency - 1],
                urgency_level=letter.urgency,
                cancelled=reg.cancelled,
            )
        )
    return registry, entries


def entries_csv(entries: list[Entry]) -> str:
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel opens UTF-8 Thai correctly only with a BOM
    writer = csv.writer(buf)
    writer.writerow(COLUMNS_TH)
    for e in entries:
        writer.writerow([getattr(e, c) for c in COLUMNS])
    return buf.getvalue()


def entries_pdf(registry: Registry, unit_name: str, year: int, entries: list[Entry], *, thai_digits: bool) -> bytes:
    rows = [RegisterRow(**{c: (str(getattr(e, c))) if c != "number" else e.number for c in COLUMNS}) for e in entries]  # type: ignore[arg-type]
    return render_register_pdf(
        title=registry.name, unit_name=unit_name, year_be=year, rows=rows, thai_digits=thai_digits
    )


def registry_json(r: Registry) -> dict[str, Any]:
    return {
        "id": r.id,
        "code": r.code,
        "name": r.name,
        "kind": r.kind,
        "unit_id": r.unit_id,
        "secret": r.kind in SECRET_KINDS,
    }
