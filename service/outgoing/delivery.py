"""Sending an issued letter: electronically to the units of this installation (one batch, however many), by post
or e-mail to outside parties; the recipient's clerk opens it and registers the same letter in its own receive
register; the sender follows each recipient.

ลับที่สุด is never sent electronically or by e-mail (ระเบียบว่าด้วยการรักษาความลับของทางราชการ พ.ศ. 2544 as
amended in 2564); ลับ and ลับมาก reach only the recipient unit's secret registrar (its secret receive register).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String, Subquery, literal, true, union_all
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from service import audit
from service.access.policy import Action, RegistryTarget, may
from service.access.queries import get_visible_letter, grant_letter_readers, registry_target, units_ancestors
from service.access.rule import Actor, RegistryPlace, letter_principals
from service.indexing.changes import ARRIVE, SEND, record_change
from service.kit.clock import to_db
from service.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.kit.thai import format_thai_date, local
from service.models import (
    Attachment,
    Delivery,
    Letter,
    OutgoingRecipient,
    RecipientGroupMember,
    Registration,
    Registry,
    Unit,
)
from service.outgoing.drafting import outgoing_of, series_of, top_secret_refusal
from service.outgoing.series import require_issuer
from service.receiving.record import plan_receipt, record_arrival


@dataclass(frozen=True)
class MailJob:
    """An e-mail to send after the commit (``service.outgoing.mail``)."""

    recipient_id: int
    letter_id: int
    to_name: str
    to_email: str
    subject: str
    body: str
    files: list[tuple[str, str, str]] = field(default_factory=list)  # (filename, sha256, media type)


@dataclass(frozen=True)
class Sent:
    deliveries: list[dict[str, Any]]
    outside: list[dict[str, Any]]
    mail: list[MailJob]
    new_deliveries: int


def _recipient_units(letter_id: int) -> Subquery:
    """The units the letter is addressed to, directly and through saved groups, each once with the position it was
    first named at (``pos``): a query, so that a group of 30,000 schools never passes through Python."""
    r = OutgoingRecipient.__table__  # type: ignore[attr-defined]
    m = RecipientGroupMember.__table__  # type: ignore[attr-defined]
    direct = sql_select(r.c.unit_id.label("unit_id"), r.c.position.label("pos")).where(
        r.c.letter_id == letter_id, r.c.kind == "unit", r.c.unit_id.is_not(None)
    )
    via_groups = (
        sql_select(m.c.unit_id.label("unit_id"), r.c.position.label("pos"))
        .join(m, m.c.group_id == r.c.group_id)
        .where(r.c.letter_id == letter_id, r.c.kind == "group")
    )
    named = union_all(direct, via_groups).subquery("named")
    return sql_select(named.c.unit_id, func.min(named.c.pos).label("pos")).group_by(named.c.unit_id).subquery("units")


def _deliver(session: Session, letter_id: int, units: Subquery, *, secret: bool, now: datetime, by: int) -> list[int]:
    """One ``INSERT … SELECT`` for every recipient unit, in the order first named; a delivery that exists already
    is left alone (the unique (letter, unit) is what keeps a retried or concurrent send from delivering twice).
    The units newly delivered to."""
    conn = session.connection()
    table = Delivery.__table__  # type: ignore[attr-defined]
    rows = (
        sql_select(
            literal(letter_id, Integer),
            units.c.unit_id,
            literal(secret, Boolean),
            literal("delivered", String),
            literal(to_db(now), table.c.delivered_at.type),
            literal(by, Integer),
            literal("", String),
        )
        .where(true())  # SQLite's parser needs a WHERE between an INSERT's SELECT and its ON CONFLICT
        .order_by(units.c.pos, units.c.unit_id)
    )
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)
    stmt = (
        ins.from_select(
            ["letter_id", "unit_id", "secret", "state", "delivered_at", "delivered_by", "returned_reason"], rows
        )
        .on_conflict_do_nothing(index_elements=["letter_id", "unit_id"])
        .returning(table.c.unit_id)
    )
    return list(conn.execute(stmt).scalars().all())  # fetched at once: a row at a time cost more than the insert


def send_letter(
    session: Session,
    actor: Actor,
    letter_id: int,
    *,
    now: datetime,
    smtp: bool,
    where: audit.Where | None = None,
) -> Sent:
    """Deliver an issued letter: every recipient unit's delivery in one batch, posts recorded, e-mails queued (sent
    after the commit when ``smtp``; recorded only otherwise). Sending again adds only what is missing."""
    outgoing, letter = outgoing_of(session, actor, letter_id, lock=True)
    registry = series_of(session, outgoing)
    require_issuer(session, actor, registry, letter.secrecy)
    if outgoing.state == "draft":
        raise Conflict("issue the letter's number before sending it", thai="กรุณาออกเลขหนังสือก่อนส่ง")
    if outgoing.state == "cancelled":
        raise Conflict("the letter's number was cancelled: it is not sent", thai="หนังสือนี้ถูกยกเลิกเลขแล้ว ส่งไม่ได้")
    recipients = session.exec(
        select(OutgoingRecipient)
        .where(OutgoingRecipient.letter_id == letter_id)
        .order_by(col(OutgoingRecipient.position))
    ).all()
    emails = [r for r in recipients if r.kind == "email"]
    electronic = any(r.kind in ("unit", "group") for r in recipients)
    if letter.secrecy >= 3 and (emails or electronic):
        raise top_secret_refusal()
    secret = letter.secrecy > 0
    assert actor.id is not None
    new_units: list[int] = []
    if electronic:
        units = _recipient_units(letter_id)
        _check_receivers(session, units, secret=secret)
        new_units = _deliver(session, letter_id, units, secret=secret, now=now, by=actor.id)
    if new_units:
        # the new recipients read the letter as if registered in their receive register: one rule, one statement
        kind = "secret_receive" if secret else "receive"
        ancestors = units_ancestors(session, new_units)
        places = [RegistryPlace(kind=kind, unit_id=u, ancestors=ancestors[u]) for u in new_units]
        grant_letter_readers(
            session, letter_id, letter_principals(secrecy=letter.secrecy, registries=places, routes=[])
        )
        letter.channel = "electronic"
    posted = []
    for r in recipients:
        if r.kind == "post" and r.state == "pending":
            r.state, r.sent_at = "posted", to_db(now)
            posted.append(r)
    jobs = []
    files = [
        (a.filename, a.sha256, a.media_type)
        for a in session.exec(
            select(Attachment).where(Attachment.letter_id == letter_id).order_by(col(Attachment.position))
        )
    ]
    for r in emails:
        if r.state not in ("pending", "failed"):
            continue
        if smtp:
            assert r.id is not None
            jobs.append(
                MailJob(
                    recipient_id=r.id,
                    letter_id=letter_id,
                    to_name=r.name,
                    to_email=r.email,
                    subject=f"ที่ {letter.letter_no} เรื่อง {letter.subject}",
                    body=_mail_body(letter, r),
                    files=files,
                )
            )
        else:
            r.state, r.sent_at = "recorded", to_db(now)
    session.add_all(recipients)
    first = outgoing.state != "sent"
    outgoing.state = "sent"
    if first:
        outgoing.sent_at, outgoing.sent_by = to_db(now), actor.id
    record_change(session, [letter], SEND)
    session.add_all([outgoing, letter])
    session.flush()
    rows = _deliveries(session, letter_id)
    audit.record(
        session,
        at=now,
        action="send",
        actor=actor,
        object_type="letter",
        object_id=letter_id,
        letter_id=letter_id,
        where=where,
        units=len(rows),
        new_deliveries=len(new_units),
        posted=len(posted),
        emails=len(jobs),
        secret=secret,
    )
    return Sent(
        deliveries=rows,
        outside=[outside_view(r) for r in recipients if r.kind in ("post", "email")],
        mail=jobs,
        new_deliveries=len(new_units),
    )


def _mail_body(letter: Letter, r: OutgoingRecipient) -> str:
    lines = [
        f"เรียน {r.name}",
        "",
        f"{letter.sender} ส่งหนังสือ ที่ {letter.letter_no}"
        + (f" ลงวันที่ {letter.letter_date.isoformat()}" if letter.letter_date else ""),
        f"เรื่อง {letter.subject}",
    ]
    if letter.summary:
        lines += ["", letter.summary]
    lines += ["", "รายละเอียดตามไฟล์แนบ", "", letter.sender]
    return "\n".join(lines)


def _check_receivers(session: Session, units: Subquery, *, secret: bool) -> None:
    """Each recipient unit has the register that takes the letter: its receive register, or for a secret letter
    its secret receive register (kept by its secret registrar). One query over the recipients, however many."""
    kind = "secret_receive" if secret else "receive"
    g = Registry.__table__  # type: ignore[attr-defined]
    has_register = sql_select(g.c.id).where(g.c.unit_id == units.c.unit_id, g.c.kind == kind).exists()
    lacking = [
        u
        for (u,) in session.connection().execute(
            sql_select(units.c.unit_id).where(~has_register).order_by(units.c.pos, units.c.unit_id)
        )
    ]
    if not lacking:
        return
    names = [u.short_name or u.name for u in session.exec(select(Unit).where(col(Unit.id).in_(lacking[:10])))]
    more = f" (+{len(lacking) - 10})" if len(lacking) > 10 else ""
    if secret:
        raise InvalidInput(
            f"a secret letter goes to the recipient's secret registrar; these units have no secret receive register: "
            f"{', '.join(names)}{more}",
            thai=f"หนังสือลับส่งถึงนายทะเบียนข้อมูลข่าวสารลับของผู้รับเท่านั้น หน่วยงานต่อไปนี้ไม่มีทะเบียนหนังสือรับลับ: "
            f"{', '.join(names)}{more}",
        )
    raise InvalidInput(
        f"these units have no receive register to take the letter: {', '.join(names)}{more}",
        thai=f"หน่วยงานต่อไปนี้ไม่มีทะเบียนหนังสือรับ: {', '.join(names)}{more}",
    )


def _deliveries(session: Session, letter_id: int) -> list[dict[str, Any]]:
    """The letter's deliveries as plain values (one row each, not an ORM object each)."""
    t = Delivery.__table__  # type: ignore[attr-defined]
    rows = (
        session.connection()
        .execute(
            t.select()
            .with_only_columns(t.c.id, t.c.unit_id, t.c.state)
            .where(t.c.letter_id == letter_id)
            .order_by(t.c.id)
        )
        .all()
    )
    return [{"id": i, "unit_id": u, "state": st} for i, u, st in rows]


def outside_view(r: OutgoingRecipient, tz: str = "Asia/Bangkok") -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "name": r.name,
        "address": r.address,
        "email": r.email,
        "copy": r.copy_only,
        "state": r.state,
        "sent_at": local(r.sent_at, tz).isoformat() if r.sent_at else None,
        "message_id": r.message_id or None,
        "error": r.error or None,
    }


def record_mail_result(
    session: Session, job: MailJob, *, message_id: str | None, error: str | None, now: datetime
) -> None:
    """What the SMTP server said, recorded after the send (the message-id and time, or the failure)."""
    r = session.get(OutgoingRecipient, job.recipient_id)
    if r is None:
        return
    if message_id:
        r.state, r.message_id, r.sent_at, r.error = "emailed", message_id, to_db(now), ""
    else:
        r.state, r.error = "failed", (error or "")[:1000]
    session.add(r)
    audit.record(
        session,
        at=now,
        action="email_sent" if message_id else "email_failed",
        object_type="letter",
        object_id=job.letter_id,
        letter_id=job.letter_id,
        to=job.to_email,
        message_id=message_id,
        error=error,
    )


# ---------------------------------------------------------------------------------------------- the sender's view


def delivery_status(session: Session, actor: Actor, letter_id: int, *, tz: str = "Asia/Bangkok") -> dict[str, Any]:
    """Per recipient: delivered, opened, registered (with the recipient's receive number and time), returned."""
    outgoing, _ = outgoing_of(session, actor, letter_id)
    registry = series_of(session, outgoing)
    if may(actor, Action.READ_REGISTER, registry_target(session, registry)) is not None:
        raise Forbidden("only the sending unit follows its deliveries", thai="เฉพาะหน่วยงานผู้ส่งเท่านั้นที่ติดตามสถานะการส่งได้")
    d = Delivery.__table__  # type: ignore[attr-defined]
    u = Unit.__table__  # type: ignore[attr-defined]
    reg = Registration.__table__  # type: ignore[attr-defined]
    rows = (
        session.connection()
        .execute(
            d.select()
            .with_only_columns(
                d.c.id,
                d.c.unit_id,
                u.c.name,
                d.c.state,
                d.c.secret,
                d.c.delivered_at,
                d.c.opened_at,
                reg.c.number,
                reg.c.year,
                d.c.registered_at,
                d.c.returned_reason,
            )
            .join(u, u.c.id == d.c.unit_id)
            .outerjoin(reg, reg.c.id == d.c.registration_id)
            .where(d.c.letter_id == letter_id)
            .order_by(d.c.id)
        )
        .all()
    )

    def when(moment: datetime | None) -> str | None:
        return None if moment is None else local(moment, tz).isoformat()

    deliveries = [
        {
            "id": r.id,
            "unit_id": r.unit_id,
            "unit_name": r.name,
            "state": r.state,
            "secret": r.secret,
            "delivered_at": when(r.delivered_at),
            "opened_at": when(r.opened_at),
            "receive_number": r.number,
            "receive_year": r.year,
            "registered_at": when(r.registered_at),
            "returned_reason": r.returned_reason or None,
        }
        for r in rows
    ]
    counts = {
        s: sum(1 for d in deliveries if d["state"] == s) for s in ("delivered", "opened", "registered", "returned")
    }
    counts["not_registered"] = len(deliveries) - counts["registered"]
    outside = session.exec(
        select(OutgoingRecipient)
        .where(OutgoingRecipient.letter_id == letter_id, col(OutgoingRecipient.kind).in_(["post", "email"]))
        .order_by(col(OutgoingRecipient.position))
    ).all()
    return {
        "letter_id": letter_id,
        "state": outgoing.state,
        "deliveries": deliveries,
        "counts": counts,
        "outside": [outside_view(r, tz) for r in outside],
    }


# ---------------------------------------------------------------------------------------------- the recipient


def _recipient_target(delivery: Delivery, letter: Letter) -> RegistryTarget:
    kind = "secret_receive" if delivery.secret else "receive"
    return RegistryTarget(kind=kind, unit_id=delivery.unit_id, secrecy=letter.secrecy)


def _delivery(session: Session, actor: Actor, delivery_id: int, *, lock: bool = False) -> tuple[Delivery, Letter]:
    """A delivery to one of the actor's units, for its clerk (its secret registrar for a secret letter)."""
    stmt = select(Delivery).where(Delivery.id == delivery_id)
    delivery = session.exec(stmt.with_for_update() if lock else stmt).first()
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found", thai="ไม่พบหนังสือที่ส่งถึงนี้")
    try:
        letter = get_visible_letter(session, actor, delivery.letter_id)
    except NotFound as exc:
        raise NotFound(f"delivery {delivery_id} not found", thai="ไม่พบหนังสือที่ส่งถึงนี้") from exc
    why = may(actor, Action.REGISTER, _recipient_target(delivery, letter))
    if why is not None:
        raise Forbidden(
            "only the recipient unit's clerk takes in this letter",
            thai="เฉพาะเจ้าหน้าที่สารบรรณของหน่วยงานผู้รับเท่านั้นที่รับหนังสือนี้ได้",
            reason=why,
        )
    return delivery, letter


def open_delivery(
    session: Session, actor: Actor, delivery_id: int, *, now: datetime, where: audit.Where | None = None
) -> tuple[Delivery, Letter]:
    """The recipient's clerk opens the letter: the sender sees it opened (the first time is recorded)."""
    delivery, letter = _delivery(session, actor, delivery_id, lock=True)
    if delivery.state == "delivered":
        delivery.state, delivery.opened_at, delivery.opened_by = "opened", to_db(now), actor.id
        session.add(delivery)
        session.flush()
        audit.record(
            session,
            at=now,
            action="delivery_opened",
            actor=actor,
            object_type="delivery",
            object_id=delivery_id,
            letter_id=letter.id,
            where=where,
            unit_id=delivery.unit_id,
        )
    return delivery, letter


def register_delivery(
    session: Session,
    actor: Actor,
    delivery_id: int,
    *,
    registry_id: int | None = None,
    now: datetime,
    where: audit.Where | None = None,
) -> dict[str, Any]:
    """One click: the recipient's clerk enters the same letter (the sender's stored files, not copies) in the
    unit's receive register (the secret one for a secret letter) with its next number."""
    delivery, letter = _delivery(session, actor, delivery_id, lock=True)
    assert letter.id is not None
    if delivery.state == "registered":
        raise Conflict("this letter was registered already", thai="ลงทะเบียนรับหนังสือนี้แล้ว")
    if delivery.state == "returned":
        raise Conflict("this letter was returned to its sender", thai="หนังสือนี้ถูกส่งคืนผู้ส่งแล้ว")
    kind = "secret_receive" if delivery.secret else "receive"
    stmt = select(Registry).where(Registry.unit_id == delivery.unit_id, Registry.kind == kind)
    if registry_id is not None:
        stmt = stmt.where(Registry.id == registry_id)
    registry = session.exec(stmt.order_by(col(Registry.id))).first()
    if registry is None or registry.id is None:
        raise InvalidInput(
            "no receive register of the recipient unit takes this letter",
            thai="ไม่พบทะเบียนหนังสือรับของหน่วยงานผู้รับสำหรับหนังสือนี้",
        )
    plan = plan_receipt(session, actor, registry.id, letter.secrecy)
    registration = record_arrival(
        session,
        plan,
        letter_id=letter.id,
        actor=actor,
        now=now,
        where=where,
        delivery_id=delivery_id,
        channel="electronic",
    )
    delivery.state, delivery.registration_id, delivery.registered_at = "registered", registration.id, to_db(now)
    if delivery.opened_at is None:
        delivery.opened_at, delivery.opened_by = to_db(now), actor.id
    record_change(session, [letter], ARRIVE)
    session.add_all([delivery, letter])
    session.flush()
    return {
        "delivery_id": delivery_id,
        "letter_id": letter.id,
        "state": delivery.state,
        "registration": {
            "id": registration.id,
            "registry_id": registry.id,
            "registry_code": registry.code,
            "year": registration.year,
            "number": registration.number,
            "registered_at": local(registration.registered_at).isoformat(),
        },
    }


def return_delivery(
    session: Session,
    actor: Actor,
    delivery_id: int,
    *,
    reason: str,
    now: datetime,
    where: audit.Where | None = None,
) -> Delivery:
    """The recipient's clerk sends a letter back unregistered (not theirs, incomplete …) with a reason; the sender
    sees it returned."""
    delivery, letter = _delivery(session, actor, delivery_id, lock=True)
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("returning a letter needs a reason", thai="กรุณาระบุเหตุผลที่ส่งคืน")
    if delivery.state in ("registered", "returned"):
        raise Conflict(
            f"this letter was {delivery.state} already",
            thai="ลงทะเบียนรับหนังสือนี้แล้ว" if delivery.state == "registered" else "ส่งคืนหนังสือนี้แล้ว",
        )
    delivery.state, delivery.returned_at, delivery.returned_reason = "returned", to_db(now), reason[:1000]
    if delivery.opened_at is None:
        delivery.opened_at, delivery.opened_by = to_db(now), actor.id
    session.add(delivery)
    session.flush()
    audit.record(
        session,
        at=now,
        action="delivery_returned",
        actor=actor,
        object_type="delivery",
        object_id=delivery_id,
        letter_id=letter.id,
        where=where,
        unit_id=delivery.unit_id,
        reason=delivery.returned_reason,
    )
    return delivery


def paper_recipients(
    session: Session, actor: Actor, letter_id: int, *, tz: str = "Asia/Bangkok"
) -> tuple[Letter, str, list[OutgoingRecipient], str, str]:
    """What the delivery book and the address sheet print: the letter, its send number, its postal addressees,
    the sending unit's name and the day (for the sending unit's readers)."""
    outgoing, letter = outgoing_of(session, actor, letter_id)
    registry = series_of(session, outgoing)
    if may(actor, Action.READ_REGISTER, registry_target(session, registry)) is not None:
        raise Forbidden("only the sending unit prints its delivery papers", thai="เฉพาะหน่วยงานผู้ส่งเท่านั้น")
    reg = session.get(Registration, outgoing.registration_id) if outgoing.registration_id else None
    posts = session.exec(
        select(OutgoingRecipient)
        .where(OutgoingRecipient.letter_id == letter_id, OutgoingRecipient.kind == "post")
        .order_by(col(OutgoingRecipient.position))
    ).all()
    unit = session.get(Unit, outgoing.unit_id)
    moment = outgoing.sent_at or outgoing.issued_at or letter.created_at
    day = local(moment, tz).date()
    return (
        letter,
        str(reg.number) if reg is not None else "",
        list(posts),
        unit.name if unit is not None else letter.sender,
        format_thai_date(day, thai_digits=False),
    )
