"""The register of a registry for a year, filtered by the access rule: the receive register (ระเบียบงานสารบรรณ
พ.ศ. 2526 หมวด 2 ส่วนที่ 1, ทะเบียนหนังสือรับ) and the send register of each send-side series (ส่วนที่ 2,
ทะเบียนหนังสือส่ง: the same columns, numbered เลขทะเบียนส่ง), where reserved and cancelled numbers stay, marked."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from service.access.policy import Action, RegistryTarget, may
from service.access.queries import hidden_registry, registry_target, visible_letter_ids, visible_registry
from service.access.roles import KIND_TH, SECRET_KINDS, SEND_KINDS, URGENCY_LABELS
from service.access.rule import Actor
from service.kit import csvsafe
from service.kit.clock import from_db
from service.kit.errors import Forbidden
from service.kit.thai import format_thai_date, format_thai_datetime
from service.models import (
    Letter,
    NumberCancellation,
    NumberReservation,
    Registration,
    Registry,
)
from service.registers.printing import RegisterRow, render_register_pdf
from service.routing.queries import action_texts

COLUMNS = ("number", "letter_no", "letter_date", "sender", "recipient", "subject", "action", "remarks", "registered_at")
COLUMNS_TH = ("เลขทะเบียนรับ", "ที่", "ลงวันที่", "จาก", "ถึง", "เรื่อง", "การปฏิบัติ", "หมายเหตุ", "ลงทะเบียนเมื่อ")
SEND_COLUMNS_TH = ("เลขทะเบียนส่ง", *COLUMNS_TH[1:-1], "ออกเลขเมื่อ")
STATUS_TH = {"cancelled": "ยกเลิก", "reserved": "จองไว้", "expired": "จองไว้ (หมดอายุ)"}


def columns_th(kind: str) -> tuple[str, ...]:
    """The register's headings: a send-side series numbers its letters เลขทะเบียนส่ง."""
    return SEND_COLUMNS_TH if kind in SEND_KINDS else COLUMNS_TH


@dataclass(frozen=True)
class Entry:
    registration_id: int | None  # None: a number reserved (or reserved and cancelled) with no letter
    letter_id: int | None
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
    status: str = ""  # "" (registered or issued) | cancelled | reserved | expired

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


def may_issue_from(actor: Actor, registry: Registry) -> bool:
    """Whether to offer drafting a letter in this send-side series (the letter's secrecy is checked on issue)."""
    secrecy = 1 if registry.kind in SECRET_KINDS else 0
    target = RegistryTarget(kind=registry.kind, unit_id=registry.unit_id, secrecy=secrecy)
    return may(actor, Action.ISSUE, target) is None


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
    now: datetime | None = None,
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
                status="cancelled" if reg.cancelled else "",
            )
        )
    if registry.kind in SEND_KINDS:
        entries = _with_unissued(session, registry, year, entries, newest_first=newest_first, tz=tz, now=now)
        entries = entries[:limit] if limit is not None else entries
    return registry, entries


def _with_unissued(
    session: Session,
    registry: Registry,
    year: int,
    entries: list[Entry],
    *,
    newest_first: bool,
    tz: str,
    now: datetime | None,
) -> list[Entry]:
    """A send register shows every number of its year: reserved numbers not (yet) used, and cancelled ones, marked."""
    issued = {e.number for e in entries}
    cancelled = {
        c.number: c
        for c in session.exec(
            select(NumberCancellation).where(
                NumberCancellation.registry_id == registry.id, NumberCancellation.year == year
            )
        )
    }
    extra = []
    for r in session.exec(
        select(NumberReservation).where(NumberReservation.registry_id == registry.id, NumberReservation.year == year)
    ):
        if r.number in issued:
            continue
        c = cancelled.get(r.number)
        expired = now is not None and from_db(r.expires_at) <= now
        status = "cancelled" if c is not None else ("expired" if expired else "reserved")
        remarks = f"ยกเลิก: {c.reason}" if c is not None else f"จองไว้ถึง {format_thai_datetime(r.expires_at, tz=tz)}"
        extra.append(
            Entry(
                registration_id=None,
                letter_id=None,
                number=r.number,
                letter_no="",
                letter_date="",
                sender="",
                recipient="",
                subject=f"({STATUS_TH[status]}) {r.reason}",
                action="",
                remarks=remarks,
                registered_at=format_thai_datetime(r.reserved_at, tz=tz),
                urgency=URGENCY_LABELS[0],
                urgency_level=1,
                cancelled=c is not None,
                status=status,
            )
        )
    return sorted([*entries, *extra], key=lambda e: e.number, reverse=newest_first)


def entries_csv(entries: list[Entry], kind: str = "receive") -> str:
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel opens UTF-8 Thai correctly only with a BOM
    writer = csvsafe.writer(buf)
    writer.writerow(columns_th(kind))
    for e in entries:
        writer.writerow([getattr(e, c) for c in COLUMNS])
    return buf.getvalue()


def entries_pdf(registry: Registry, unit_name: str, year: int, entries: list[Entry], *, thai_digits: bool) -> bytes:
    rows = [RegisterRow(**{c: (str(getattr(e, c))) if c != "number" else e.number for c in COLUMNS}) for e in entries]  # type: ignore[arg-type]
    return render_register_pdf(
        title=registry.name,
        unit_name=unit_name,
        year_be=year,
        rows=rows,
        thai_digits=thai_digits,
        headings=columns_th(registry.kind),
    )


def registry_json(r: Registry) -> dict[str, Any]:
    return {
        "id": r.id,
        "code": r.code,
        "name": r.name,
        "kind": r.kind,
        "unit_id": r.unit_id,
        "secret": r.kind in SECRET_KINDS,
        "kind_th": KIND_TH.get(r.kind, r.kind),
    }
