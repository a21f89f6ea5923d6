"""Numbers of the send-side series: issued to a letter, reserved ahead of one, cancelled with a reason — and the
auditors' report of every number of a registry and year, with its gaps and duplicates.

One counter per (registry, B.E. year) hands out every number (``service.registers.numbering.next_number``, the
receive registers' own): an issued or reserved number is never handed out again; a cancelled or expired one stays
in the register, marked. A failed issue rolls its number back with its transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from service import audit
from service.access.policy import Action, may
from service.access.queries import registry_target, visible_registry
from service.access.rule import Actor
from service.indexing.changes import NUMBER, record_change
from service.kit.clock import from_db, to_db
from service.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.kit.thai import be_year, local, normalise_letter_no
from service.models import (
    Letter,
    NumberCancellation,
    NumberCounter,
    NumberReservation,
    Outgoing,
    Registration,
    Registry,
    User,
)
from service.outgoing.drafting import outgoing_of, series_of
from service.outgoing.letterno import format_letter_no
from service.outgoing.series import letter_code_of, require_issuer, send_registry
from service.registers.numbering import next_number


class ReservationRefused(InvalidInput):
    code = "reservation_refused"


@dataclass(frozen=True)
class Issued:
    letter_no: str
    registration: Registration


def issue_number(
    session: Session,
    actor: Actor,
    letter_id: int,
    *,
    reservation_id: int | None = None,
    now: datetime,
    thai_digits: bool,
    tz: str = "Asia/Bangkok",
    where: audit.Where | None = None,
) -> Issued:
    """The draft's number: the next of its series for this B.E. year, or a reservation of the same series; the
    registration in the series, the printed ที่ and the letter's date. Once per letter."""
    outgoing, letter = outgoing_of(session, actor, letter_id, lock=True)
    registry = series_of(session, outgoing)
    require_issuer(session, actor, registry, letter.secrecy)
    assert registry.id is not None
    if outgoing.state != "draft":
        raise Conflict(
            f"the letter already has its number ({letter.letter_no or outgoing.state})",
            thai=f"หนังสือนี้ออกเลขแล้ว ({letter.letter_no})" if letter.letter_no else "หนังสือนี้ถูกยกเลิกแล้ว",
        )
    code = letter_code_of(session, registry.unit_id)
    if registry.kind in ("send", "circular", "secret_send") and not code:
        raise InvalidInput(
            "the sending unit has no letter code (รหัสหนังสือ) configured",
            thai="หน่วยงานผู้ส่งยังไม่ได้กำหนดรหัสหนังสือ",
        )
    if reservation_id is not None:
        reservation = _usable_reservation(session, registry, reservation_id, now=now)
        year, number = reservation.year, reservation.number
        dated = local(from_db(reservation.reserved_at), tz).date()  # the paper letter was signed then
        reservation.letter_id, reservation.used_at = letter_id, to_db(now)
        session.add(reservation)
    else:
        year = be_year(local(now, tz))
        number = next_number(session, registry_id=registry.id, year=year)
        dated = local(now, tz).date()
    registration = Registration(
        letter_id=letter_id,
        registry_id=registry.id,
        year=year,
        number=number,
        registered_at=to_db(now),
        registered_by=actor.id,
    )
    session.add(registration)
    session.flush()
    letter.letter_no = format_letter_no(registry.kind, code, number, year, thai_digits=thai_digits)
    letter.letter_no_norm = normalise_letter_no(letter.letter_no)
    letter.letter_date = dated
    record_change(session, [letter], NUMBER)
    outgoing.state, outgoing.registration_id = "issued", registration.id
    outgoing.issued_at, outgoing.issued_by = to_db(now), actor.id
    session.add_all([letter, outgoing])
    session.flush()
    audit.record(
        session,
        at=now,
        action="issue_number",
        actor=actor,
        object_type="registration",
        object_id=registration.id or "",
        letter_id=letter_id,
        where=where,
        registry=registry.code,
        year=year,
        number=number,
        letter_no=letter.letter_no,
        reservation_id=reservation_id,
    )
    return Issued(letter_no=letter.letter_no, registration=registration)


def _cancelled(session: Session, registry_id: int, year: int, number: int) -> NumberCancellation | None:
    return session.exec(
        select(NumberCancellation).where(
            NumberCancellation.registry_id == registry_id,
            NumberCancellation.year == year,
            NumberCancellation.number == number,
        )
    ).first()


def _usable_reservation(
    session: Session, registry: Registry, reservation_id: int, *, now: datetime
) -> NumberReservation:
    reservation = session.exec(
        select(NumberReservation).where(NumberReservation.id == reservation_id).with_for_update()
    ).first()
    if reservation is None:
        raise ReservationRefused(f"no reservation {reservation_id}", thai="ไม่พบเลขที่จองไว้นี้")
    if reservation.registry_id != registry.id:
        other = session.get(Registry, reservation.registry_id)
        if other is not None and other.unit_id != registry.unit_id:
            raise ReservationRefused(
                "the reserved number belongs to another unit's series",
                thai="เลขที่จองไว้นี้เป็นของทะเบียนของหน่วยงานอื่น ใช้ไม่ได้",
            )
        raise ReservationRefused(
            "the reserved number belongs to another series of this unit",
            thai="เลขที่จองไว้นี้เป็นของทะเบียนอื่น (คนละชุดเลข) ใช้ไม่ได้",
        )
    if reservation.letter_id is not None:
        raise Conflict("the reserved number was used already", thai="เลขที่จองไว้นี้ถูกใช้ไปแล้ว")
    if _cancelled(session, reservation.registry_id, reservation.year, reservation.number) is not None:
        raise ReservationRefused("the reserved number was cancelled", thai="เลขที่จองไว้นี้ถูกยกเลิกแล้ว")
    if from_db(reservation.expires_at) <= now:
        raise ReservationRefused(
            "the reservation has expired: its number stays unused in the register",
            thai="เลขที่จองไว้หมดอายุแล้ว (เลขนี้คงอยู่ในทะเบียนและจะไม่ถูกนำมาใช้อีก)",
        )
    return reservation


def reserve_number(
    session: Session,
    actor: Actor,
    registry_id: int,
    *,
    reason: str,
    expires_at: datetime | None,
    now: datetime,
    tz: str = "Asia/Bangkok",
    where: audit.Where | None = None,
) -> NumberReservation:
    """Take the next number of the series for a letter not yet entered (signed on paper first): who, why, until
    when (a week when not given)."""
    registry = send_registry(session, actor, registry_id)
    require_issuer(session, actor, registry)
    assert registry.id is not None
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("a reservation needs a reason", thai="กรุณาระบุเหตุผลที่จองเลข")
    expires = to_db(expires_at) if expires_at is not None else to_db(now + timedelta(days=7))
    if expires <= to_db(now):
        raise InvalidInput("the reservation must expire in the future", thai="วันหมดอายุการจองต้องเป็นเวลาในอนาคต")
    year = be_year(local(now, tz))
    number = next_number(session, registry_id=registry.id, year=year)
    reservation = NumberReservation(
        registry_id=registry.id,
        year=year,
        number=number,
        reason=reason[:1000],
        reserved_by=actor.id,
        reserved_at=to_db(now),
        expires_at=expires,
    )
    session.add(reservation)
    session.flush()
    audit.record(
        session,
        at=now,
        action="reserve_number",
        actor=actor,
        object_type="registry",
        object_id=registry.id,
        where=where,
        year=year,
        number=number,
        reason=reservation.reason,
        expires_at=expires.isoformat(),
    )
    return reservation


def cancel_number(
    session: Session,
    actor: Actor,
    registry_id: int,
    *,
    number: int,
    year: int,
    reason: str,
    now: datetime,
    where: audit.Where | None = None,
) -> NumberCancellation:
    """Cancel an issued or reserved number with a reason: it stays in the register, marked, and is never issued
    again; the letter that carried it is cancelled with it."""
    registry = send_registry(session, actor, registry_id)
    assert registry.id is not None
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("cancelling a number needs a reason", thai="กรุณาระบุเหตุผลที่ยกเลิกเลข")
    registration = session.exec(
        select(Registration).where(
            Registration.registry_id == registry.id, Registration.year == year, Registration.number == number
        )
    ).first()
    letter = session.get(Letter, registration.letter_id) if registration is not None else None
    require_issuer(session, actor, registry, letter.secrecy if letter is not None else None)
    reservation = session.exec(
        select(NumberReservation).where(
            NumberReservation.registry_id == registry.id,
            NumberReservation.year == year,
            NumberReservation.number == number,
        )
    ).first()
    if registration is None and reservation is None:
        raise NotFound(
            f"number {number}/{year} of {registry.code} was neither issued nor reserved",
            thai=f"เลข {number}/{year} ยังไม่ได้ออกหรือจองในทะเบียนนี้",
        )
    if _cancelled(session, registry.id, year, number) is not None:
        raise Conflict(f"number {number}/{year} is cancelled already", thai="เลขนี้ถูกยกเลิกไปแล้ว")
    cancellation = NumberCancellation(
        registry_id=registry.id,
        year=year,
        number=number,
        reason=reason[:1000],
        cancelled_by=actor.id,
        cancelled_at=to_db(now),
        letter_id=registration.letter_id if registration is not None else None,
    )
    session.add(cancellation)
    if registration is not None:
        registration.cancelled = True
        registration.remarks = f"ยกเลิก: {reason}"[:1000]
        session.add(registration)
        outgoing = session.get(Outgoing, registration.letter_id)
        if outgoing is not None:
            outgoing.state = "cancelled"
            session.add(outgoing)
    session.flush()
    audit.record(
        session,
        at=now,
        action="cancel_number",
        actor=actor,
        object_type="registry",
        object_id=registry.id,
        letter_id=registration.letter_id if registration is not None else None,
        where=where,
        year=year,
        number=number,
        reason=cancellation.reason,
    )
    return cancellation


# ---------------------------------------------------------------------------------------------- the report


def number_report(
    session: Session,
    registry: Registry,
    year: int,
    *,
    now: datetime,
    tz: str = "Asia/Bangkok",
) -> dict[str, Any]:
    """Every number of the registry's year — issued, reserved, used, expired or cancelled, by whom and when — and
    the check: ``gaps`` (numbers the counter passed that nothing holds), ``duplicates`` (a number held twice)
    and ``beyond_counter`` (a number held that the counter has not reached, so it would be handed out again)."""
    assert registry.id is not None
    counter = session.get(NumberCounter, (registry.id, year))
    last = counter.last_number if counter is not None else 0
    # the few columns the report shows, not whole rows: a busy register's year is tens of thousands of numbers
    regs: dict[int, list[Any]] = defaultdict(list)
    reg_t, letter_t = Registration.__table__, Letter.__table__  # type: ignore[attr-defined]
    for found in session.connection().execute(
        sql_select(
            reg_t.c.number, reg_t.c.letter_id, reg_t.c.registered_by, reg_t.c.registered_at, letter_t.c.letter_no
        )
        .join(letter_t, letter_t.c.id == reg_t.c.letter_id)
        .where(reg_t.c.registry_id == registry.id, reg_t.c.year == year)
    ):
        regs[found.number].append(found)
    reservations = {
        r.number: r
        for r in session.exec(
            select(NumberReservation).where(
                NumberReservation.registry_id == registry.id, NumberReservation.year == year
            )
        )
    }
    cancellations = {
        c.number: c
        for c in session.exec(
            select(NumberCancellation).where(
                NumberCancellation.registry_id == registry.id, NumberCancellation.year == year
            )
        )
    }

    # only the people named in this report: an installation of every area office and school has many thousands
    people = {reg.registered_by for entries in regs.values() for reg in entries}
    people |= {r.reserved_by for r in reservations.values()} | {c.cancelled_by for c in cancellations.values()}
    users = dict(session.exec(select(User.id, User.username).where(col(User.id).in_(sorted(people)))).all())

    def when(moment: datetime | None) -> str | None:
        return None if moment is None else local(moment, tz).isoformat()

    held = set(regs) | set(reservations) | set(cancellations)
    numbers, duplicates = [], []
    for n in sorted(held):
        entries, res, canc = regs.get(n, []), reservations.get(n), cancellations.get(n)
        if len(entries) > 1 or (res is not None and entries and res.letter_id != entries[0].letter_id):
            duplicates.append(n)
        reg = entries[0] if entries else None
        if canc is not None:
            status = "cancelled"
        elif reg is not None:
            status = "used" if res is not None else "issued"
        elif res is not None:
            status = "expired" if from_db(res.expires_at) <= now else "reserved"
        else:
            status = "cancelled"
        numbers.append(
            {
                "number": n,
                "status": status,
                "letter_id": reg.letter_id if reg is not None else None,
                "letter_no": reg.letter_no if reg is not None else None,
                "issued_by": users.get(reg.registered_by) if reg is not None else None,
                "issued_at": when(reg.registered_at) if reg is not None else None,
                "reserved_by": users.get(res.reserved_by) if res is not None else None,
                "reserved_at": when(res.reserved_at) if res is not None else None,
                "reservation_id": res.id if res is not None else None,
                "reason": res.reason if res is not None else None,
                "expires_at": when(res.expires_at) if res is not None else None,
                "cancelled_by": users.get(canc.cancelled_by) if canc is not None else None,
                "cancelled_at": when(canc.cancelled_at) if canc is not None else None,
                "cancel_reason": canc.reason if canc is not None else None,
            }
        )
    gaps = [n for n in range(1, last + 1) if n not in held]
    beyond = [n for n in sorted(held) if n > last]
    return {
        "registry": {"id": registry.id, "code": registry.code, "name": registry.name, "kind": registry.kind},
        "year": year,
        "last_number": last,
        "numbers": numbers,
        "gaps": gaps,
        "duplicates": duplicates,
        "beyond_counter": beyond,
        "ok": not (gaps or duplicates or beyond),
    }


def readable_number_report(
    session: Session, actor: Actor, registry_id: int, year: int, *, now: datetime, tz: str = "Asia/Bangkok"
) -> dict[str, Any]:
    """The report for those who may open the register (its unit's readers, heads above it, auditors)."""
    registry = visible_registry(session, actor, registry_id)
    if may(actor, Action.READ_REGISTER, registry_target(session, registry)) is not None:
        raise Forbidden(f"you may not read registry {registry.code}", thai="ท่านไม่มีสิทธิ์เปิดทะเบียนนี้")
    return number_report(session, registry, year, now=now, tz=tz)


def registry_by_code(session: Session, code: str) -> Registry:
    """For the command line: a registry by its code or id."""
    found = session.exec(select(Registry).where(Registry.code == code)).first()
    if found is None and code.isdigit():
        found = session.get(Registry, int(code))
    if found is None:
        raise NotFound(f"no registry {code!r}", thai=f"ไม่พบทะเบียน {code}")
    return found
