"""The register of a registry for a year, filtered by the access rule: the receive register (ระเบียบงานสารบรรณ
พ.ศ. 2526 หมวด 2 ส่วนที่ 1, ทะเบียนหนังสือรับ) and the send register of each send-side series (ส่วนที่ 2,
ทะเบียนหนังสือส่ง: the same columns, numbered เลขทะเบียนส่ง), where reserved and cancelled numbers stay, marked."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from service.access.policy import Action, RegistryTarget, may
from service.access.queries import hidden_registry, registry_target, sees_letter, visible_registry
from service.access.roles import KIND_TH, SECRET_KINDS, SEND_KINDS, URGENCY_LABELS
from service.access.rule import Actor
from service.kit import csvsafe
from service.kit.clock import from_db, to_db
from service.kit.errors import Forbidden
from service.kit.thai import format_thai_date, format_thai_datetime, normalise_letter_no
from service.models import (
    Attachment,
    Letter,
    NumberCancellation,
    NumberCounter,
    NumberReservation,
    Registration,
    RegistrationCorrection,
    Registry,
    Routing,
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
    attachments: int = 0
    corrected: bool = False
    cancel_reason: str = ""
    secrecy_level: int = 0

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


@dataclass(frozen=True)
class RegisterFilter:
    """What a clerk narrows a register to; empty means everything. Times are UTC bounds of the registration."""

    urgency: int | None = None  # 1 ปกติ … 4 ด่วนที่สุด
    secrecy: int | None = None  # 1 ลับ … 3 ลับที่สุด (rows still pass the reading rule)
    sender: str = ""
    text: str = ""  # in เรื่อง, ที่, จาก or ถึง
    since: datetime | None = None
    until: datetime | None = None
    routed: bool | None = None
    has_attachment: bool | None = None
    status: str = ""  # "" every row | cancelled | active

    def active(self) -> bool:
        return self != RegisterFilter()


NO_FILTER = RegisterFilter()
MAX_PAGE = 500


def _filtered(stmt: Any, f: RegisterFilter) -> Any:
    if f.urgency is not None:
        stmt = stmt.where(Letter.urgency == f.urgency)
    if f.secrecy is not None:
        stmt = stmt.where(Letter.secrecy == f.secrecy)
    if f.sender:
        stmt = stmt.where(col(Letter.sender).contains(f.sender, autoescape=True))
    if f.text:
        stmt = stmt.where(
            or_(
                col(Letter.subject).contains(f.text, autoescape=True),
                col(Letter.letter_no).contains(f.text, autoescape=True),
                col(Letter.letter_no_norm).contains(normalise_letter_no(f.text), autoescape=True),
                col(Letter.sender).contains(f.text, autoescape=True),
                col(Letter.recipient).contains(f.text, autoescape=True),
            )
        )
    if f.since is not None:
        stmt = stmt.where(col(Registration.registered_at) >= to_db(f.since))
    if f.until is not None:
        stmt = stmt.where(col(Registration.registered_at) < to_db(f.until))
    if f.routed is not None:
        routed = select(Routing.letter_id).where(col(Routing.state) != "recalled")
        stmt = stmt.where(col(Letter.id).in_(routed) if f.routed else col(Letter.id).not_in(routed))
    if f.has_attachment is not None:
        with_files = select(Attachment.letter_id)
        stmt = stmt.where(col(Letter.id).in_(with_files) if f.has_attachment else col(Letter.id).not_in(with_files))
    if f.status == "cancelled":
        stmt = stmt.where(col(Registration.cancelled).is_(True))
    elif f.status == "active":
        stmt = stmt.where(col(Registration.cancelled).is_(False))
    return stmt


def _registered(actor: Actor, registry_id: int, year: int, f: RegisterFilter) -> Any:
    stmt = (
        select(Registration, Letter)
        .join(Letter, col(Letter.id) == Registration.letter_id)
        .where(Registration.registry_id == registry_id, Registration.year == year)
        # EXISTS per row rather than IN (every letter the actor may read): a page walks the register's number
        # index and stops after its rows, instead of joining and sorting the office's whole year first
        .where(sees_letter(actor, Letter.id))
    )
    return _filtered(stmt, f)


def count_entries(
    session: Session, actor: Actor, *, registry: Registry, year: int, filters: RegisterFilter = NO_FILTER
) -> int:
    """How many rows the (filtered) register of the year has for this actor."""
    assert registry.id is not None
    stmt = select(func.count()).select_from(_registered(actor, registry.id, year, filters).subquery())
    total = int(session.exec(stmt).one())
    if registry.kind in SEND_KINDS and not filters.active():
        issued = {
            n
            for n in session.exec(
                select(Registration.number).where(Registration.registry_id == registry.id, Registration.year == year)
            )
        }
        total += sum(
            1
            for n in session.exec(
                select(NumberReservation.number).where(
                    NumberReservation.registry_id == registry.id, NumberReservation.year == year
                )
            )
            if n not in issued
        )
    return total


def register_years(session: Session, registry_id: int, *, this_year: int) -> list[int]:
    """The B.E. years the registry has numbers in, newest first, this year always among them."""
    years = set(session.exec(select(NumberCounter.year).where(NumberCounter.registry_id == registry_id)).all()) | {
        this_year
    }
    return sorted(years, reverse=True)


def register_entries(
    session: Session,
    actor: Actor,
    *,
    registry_id: int,
    year: int,
    newest_first: bool = False,
    limit: int | None = None,
    offset: int = 0,
    filters: RegisterFilter = NO_FILTER,
    tz: str = "Asia/Bangkok",
    now: datetime | None = None,
) -> tuple[Registry, list[Entry]]:
    """The register's rows of a B.E. year the actor may read, filtered, one page (``offset``/``limit``) at a time."""
    registry = readable_registry(session, actor, registry_id)
    with_unissued = registry.kind in SEND_KINDS and not filters.active()
    order = col(Registration.number).desc() if newest_first else col(Registration.number)
    stmt = _registered(actor, registry_id, year, filters).order_by(order)
    if limit is not None and not with_unissued:
        stmt = stmt.offset(offset).limit(limit)
    found = session.exec(stmt).all()
    entries = _entries(session, registry, year, found, tz=tz)
    if with_unissued:
        entries = _with_unissued(session, registry, year, entries, newest_first=newest_first, tz=tz, now=now)
        entries = entries[offset : offset + limit] if limit is not None else entries[offset:]
    return registry, entries


def iter_entries(
    session: Session,
    actor: Actor,
    *,
    registry: Registry,
    year: int,
    filters: RegisterFilter = NO_FILTER,
    tz: str = "Asia/Bangkok",
    now: datetime | None = None,
    batch: int = 1000,
) -> Iterator[Entry]:
    """Every row of the (filtered) register in number order, read ``batch`` rows at a time (exports of a year of any
    size in bounded memory). The register was opened with :func:`readable_registry` by the caller."""
    assert registry.id is not None
    if registry.kind in SEND_KINDS and not filters.active():
        _, rows = register_entries(session, actor, registry_id=registry.id, year=year, tz=tz, now=now)
        yield from rows
        return
    last = 0
    while True:
        stmt = (
            _registered(actor, registry.id, year, filters)
            .where(col(Registration.number) > last)
            .order_by(col(Registration.number))
            .limit(batch)
        )
        found = session.exec(stmt).all()
        if not found:
            return
        yield from _entries(session, registry, year, found, tz=tz)
        last = found[-1][0].number
        session.expunge_all()


def _entries(session: Session, registry: Registry, year: int, found: Sequence[Any], *, tz: str) -> list[Entry]:
    letter_ids = [letter.id for _, letter in found if letter.id]
    reg_ids = [reg.id for reg, _ in found if reg.id]
    actions = action_texts(session, letter_ids, unit_id=registry.unit_id, tz=tz)
    files: dict[int, int] = {}
    corrected: set[int] = set()
    reasons: dict[int, str] = {}
    if letter_ids:
        files = {
            lid: int(n)
            for lid, n in session.exec(
                select(Attachment.letter_id, func.count())
                .where(col(Attachment.letter_id).in_(letter_ids))
                .group_by(col(Attachment.letter_id))
            )
        }
        corrected = set(
            session.exec(
                select(RegistrationCorrection.registration_id).where(
                    col(RegistrationCorrection.registration_id).in_(reg_ids)
                )
            ).all()
        )
    cancelled_numbers = [reg.number for reg, _ in found if reg.cancelled]
    if cancelled_numbers:
        reasons = {
            c.number: c.reason
            for c in session.exec(
                select(NumberCancellation).where(
                    NumberCancellation.registry_id == registry.id,
                    NumberCancellation.year == year,
                    col(NumberCancellation.number).in_(cancelled_numbers),
                )
            )
        }
    entries = []
    for reg, letter in found:
        assert reg.id is not None and letter.id is not None
        remarks = reg.remarks or letter.remarks
        notes = []
        if reg.cancelled and reg.number in reasons and not remarks.startswith("ยกเลิก"):
            notes.append(f"ยกเลิก: {reasons[reg.number]}")
        if reg.id in corrected:
            notes.append("แก้ไขแล้ว")
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
                remarks=" · ".join([*notes, remarks] if remarks else notes),
                registered_at=format_thai_datetime(reg.registered_at, tz=tz),
                urgency=URGENCY_LABELS[letter.urgency - 1],
                urgency_level=letter.urgency,
                cancelled=reg.cancelled,
                status="cancelled" if reg.cancelled else "",
                attachments=files.get(letter.id, 0),
                corrected=reg.id in corrected,
                cancel_reason=reasons.get(reg.number, "") if reg.cancelled else "",
                secrecy_level=letter.secrecy,
            )
        )
    return entries


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
