"""Receiving and registering letters (domain.md §3), reading them back under the access rule."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy import bindparam, func, insert
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel, col, select

from service import audit
from service.access import Actor, RegistryPlace, RoutePlace, actor_principals, letter_principals, may_register
from service.clock import to_db
from service.db import Prepared
from service.errors import Forbidden, InvalidInput, NotFound, SecretNotAllowed
from service.models import (
    Attachment,
    Letter,
    LetterAccess,
    NumberCounter,
    Registration,
    Registry,
    Rendition,
    Routing,
    Unit,
)
from service.roles import SECRECY_LABELS, SECRET_KINDS, URGENCY_LABELS, Role
from service.thai import be_year, clean_text, local, normalise_letter_no, parse_date, text_problem
from service.vocab import LETTER_TYPES, parse_channel, parse_letter_type, parse_secrecy, parse_urgency

# ---------------------------------------------------------------------------------------------- input


class LetterIn(BaseModel):
    """A received letter's metadata as typed by the clerk; Thai dates and digits are accepted."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    letter_no: str = ""
    letter_date: date | None = None
    sender: str
    recipient: str = ""
    subject: str
    summary: str = ""
    letter_type: str = "external"
    urgency: int = 1
    deliver_by: datetime | None = None
    secrecy: int = 0
    channel: str = "paper"
    remarks: str = ""

    @field_validator("letter_no", "sender", "recipient", "subject", "summary", "remarks", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValueError("must be text")
        value = clean_text(value)
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("sender", "subject")
    @classmethod
    def _required(cls, value: str) -> str:
        if not value:
            raise ValueError("is required")
        return value

    @field_validator("subject", "sender", "recipient", "letter_no")
    @classmethod
    def _short(cls, value: str) -> str:
        if len(value) > 1000:
            raise ValueError("is too long (at most 1000 characters)")
        return value

    @field_validator("letter_date", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if isinstance(value, str):
            return parse_date(value)
        return value

    @field_validator("letter_type", mode="before")
    @classmethod
    def _type(cls, value: object) -> str:
        return parse_letter_type(value if value not in (None, "") else "external")

    @field_validator("urgency", mode="before")
    @classmethod
    def _urgency(cls, value: object) -> int:
        return parse_urgency(value if value not in (None, "") else "ปกติ")

    @field_validator("secrecy", mode="before")
    @classmethod
    def _secrecy(cls, value: object) -> int:
        return parse_secrecy(value if value is not None else "none")

    @field_validator("channel", mode="before")
    @classmethod
    def _channel(cls, value: object) -> str:
        return parse_channel(value if value not in (None, "") else "paper")

    @field_validator("deliver_by", mode="before")
    @classmethod
    def _deliver_by(cls, value: object) -> object:
        return None if value in (None, "") else value


_FIELD_TH = {
    "letter_no": "ที่",
    "letter_date": "ลงวันที่",
    "sender": "จาก",
    "recipient": "ถึง",
    "subject": "เรื่อง",
    "summary": "สาระสำคัญ",
    "letter_type": "ชนิดหนังสือ",
    "urgency": "ชั้นความเร็ว",
    "secrecy": "ชั้นความลับ",
    "channel": "ช่องทาง",
    "remarks": "หมายเหตุ",
    "deliver_by": "ส่งภายใน",
}


def parse_letter_meta(raw: str | dict[str, Any]) -> LetterIn:
    """Validate the ``meta`` JSON; every problem is named in English and Thai."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"meta is not valid JSON: {exc}", thai="ข้อมูลหนังสือ (meta) ไม่ใช่ JSON ที่ถูกต้อง") from exc
    if not isinstance(data, dict):
        raise InvalidInput("meta must be a JSON object", thai="ข้อมูลหนังสือต้องเป็นออบเจกต์ JSON")
    try:
        return LetterIn.model_validate(data)
    except ValidationError as exc:
        problems = []
        thai = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "meta"
            msg = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {msg}")
            thai.append(f"{_FIELD_TH.get(where, where)}: {_thai_msg(msg)}")
        raise InvalidInput("; ".join(problems), thai="; ".join(thai), errors=problems) from exc


def _thai_msg(msg: str) -> str:
    if "required" in msg.lower():
        return "ต้องกรอก"
    if msg.startswith("unknown"):
        return "ค่าไม่ถูกต้อง (" + msg + ")"
    if "date" in msg:
        return "อ่านวันที่ไม่ได้ (" + msg + ")"
    if "garbled" in msg:
        return "อักษรไทยเสีย (เข้ารหัสผิด)"
    return msg


# ---------------------------------------------------------------------------------------------- statements

# Plain statements for the paths every registration takes (the ORM's per-query cost showed in profiles).
_UNIT_T, _REGISTRY_T = Unit.__table__, Registry.__table__  # type: ignore[attr-defined]
_UNIT_PARENT = sql_select(_UNIT_T.c.parent_id).where(_UNIT_T.c.id == bindparam("unit_id"))
_REGISTRY_PLACE = (
    sql_select(_REGISTRY_T, _UNIT_T.c.name.label("unit_name"), _UNIT_T.c.short_name.label("unit_short_name"))
    .join(_UNIT_T, _UNIT_T.c.id == _REGISTRY_T.c.unit_id)
    .where(_REGISTRY_T.c.id == bindparam("registry_id"))
)

# ---------------------------------------------------------------------------------------------- numbering


def next_number(session: Session, *, registry_id: int, year: int) -> int:
    """Advance the (registry, year) counter in the caller's transaction and return the new number.

    domain.md §3.3: numbers run consecutively through the calendar year. A rolled-back transaction rolls the
    counter back too, so no number is lost or handed out twice (tech-notes "Running numbers").
    """
    conn = session.connection()
    return int(_advance_counter(conn.dialect.name).scalar(conn, {"registry_id": registry_id, "year": year}))


@functools.cache
def _advance_counter(dialect: str) -> Prepared:
    """``INSERT … ON CONFLICT DO UPDATE … RETURNING``, built once per dialect (it runs under the write lock)."""
    table = NumberCounter.__table__  # type: ignore[attr-defined]
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    return Prepared(
        ins.values(registry_id=bindparam("registry_id"), year=bindparam("year"), last_number=1)
        .on_conflict_do_update(index_elements=["registry_id", "year"], set_={"last_number": table.c.last_number + 1})
        .returning(table.c.last_number)
    )


# ---------------------------------------------------------------------------------------------- access


def unit_ancestors(session: Session, unit_id: int) -> list[int]:
    """The unit's parent, grandparent, … up to the root (a cycle stops the walk)."""
    conn = session.connection()
    chain: list[int] = []
    parent = conn.execute(_UNIT_PARENT, {"unit_id": unit_id}).scalar()
    while parent is not None and parent not in chain:
        chain.append(parent)
        parent = conn.execute(_UNIT_PARENT, {"unit_id": parent}).scalar()
    return chain


def letter_readers(session: Session, letter: Letter) -> set[str]:
    """A letter's principals derived from its registrations and routes (reads only)."""
    assert letter.id is not None
    places = [
        RegistryPlace(kind=reg.kind, unit_id=reg.unit_id, ancestors=unit_ancestors(session, reg.unit_id))
        for reg in session.exec(
            select(Registry)
            .join(Registration, col(Registration.registry_id) == Registry.id)
            .where(Registration.letter_id == letter.id)
        )
    ]
    routes = [
        RoutePlace(
            to_user_id=r.to_user_id,
            to_unit_id=r.to_unit_id,
            to_unit_ancestors=unit_ancestors(session, r.to_unit_id) if r.to_unit_id else (),
        )
        for r in session.exec(select(Routing).where(Routing.letter_id == letter.id))
    ]
    return letter_principals(secrecy=letter.secrecy, registries=places, routes=routes)


def refresh_access(session: Session, letter: Letter) -> set[str]:
    """Re-derive a letter's principals and store them."""
    assert letter.id is not None
    tokens = letter_readers(session, letter)
    existing = {a.principal: a for a in session.exec(select(LetterAccess).where(LetterAccess.letter_id == letter.id))}
    for token, row in existing.items():
        if token not in tokens:
            session.delete(row)
    for token in tokens - existing.keys():
        session.add(LetterAccess(letter_id=letter.id, principal=token))
    session.flush()
    return tokens


def visible_letter_ids(actor: Actor) -> Any:
    """The one query filter: a subquery of the letter ids the actor may see."""
    return select(LetterAccess.letter_id).where(col(LetterAccess.principal).in_(sorted(actor_principals(actor))))


def get_visible_letter(session: Session, actor: Actor, letter_id: int) -> Letter:
    """The one check for single objects: a letter the actor may not see does not exist (404)."""
    letter = session.get(Letter, letter_id)
    if letter is None or not _sees(session, actor, letter_id):
        raise NotFound(f"letter {letter_id} not found", thai="ไม่พบหนังสือนี้")
    return letter


def _sees(session: Session, actor: Actor, letter_id: int) -> bool:
    principals = sorted(actor_principals(actor))
    hit = session.exec(
        select(LetterAccess.letter_id).where(
            LetterAccess.letter_id == letter_id, col(LetterAccess.principal).in_(principals)
        )
    ).first()
    return hit is not None


def visible_registry(session: Session, actor: Actor, registry_id: int) -> Registry:
    """A registry the actor may know about; secret registries exist only for their registrars (and admins)."""
    registry = session.get(Registry, registry_id)
    if registry is None or _hidden(actor, registry):
        raise NotFound(f"registry {registry_id} not found", thai="ไม่พบทะเบียนนี้")
    return registry


def _hidden(actor: Actor, registry: Registry) -> bool:
    return (
        registry.kind in SECRET_KINDS
        and not actor.has_role(Role.SECRET_REGISTRAR, registry.unit_id)
        and not actor.has_role(Role.ADMIN)
    )


# ---------------------------------------------------------------------------------------------- receive


@dataclass(frozen=True)
class StoredFile:
    """An original already in object storage, ready to be recorded."""

    filename: str
    sha256: str
    size: int
    media_type: str
    kind: str
    pages: int | None


def check_may_register(session: Session, actor: Actor, registry: Registry, secrecy: int) -> None:
    assert registry.id is not None
    why = may_register(actor, registry_kind=registry.kind, registry_unit_id=registry.unit_id, secrecy=secrecy)
    if why == "secret_in_ordinary_registry":
        raise SecretNotAllowed(
            "a letter marked ลับ, ลับมาก or ลับที่สุด must be registered by the secret-document registrar "
            "in a secret registry",
            thai="หนังสือชั้นความลับต้องลงทะเบียนโดยนายทะเบียนข้อมูลข่าวสารลับในทะเบียนหนังสือลับเท่านั้น",
        )
    if why == "ordinary_in_secret_registry":
        raise InvalidInput(
            "the secret registry takes only letters marked ลับ, ลับมาก or ลับที่สุด",
            thai="ทะเบียนหนังสือลับรับเฉพาะหนังสือที่มีชั้นความลับ",
        )
    if why == "clearance_too_low":
        raise Forbidden("your clearance is below this letter's secrecy", thai="ระดับการเข้าถึงชั้นความลับไม่เพียงพอ")
    if why is not None:
        raise Forbidden(
            f"you may not register letters in registry {registry.code}",
            thai="ท่านไม่มีสิทธิ์ลงทะเบียนในทะเบียนนี้",
        )


@dataclass(frozen=True)
class Received:
    letter: Letter
    registration: Registration
    attachments: list[Attachment]


def _inserting(model: type[SQLModel]) -> Prepared:
    """``INSERT`` of every column but the id, ``RETURNING`` the id: one statement per table, compiled once."""
    table = model.__table__  # type: ignore[attr-defined]
    values = {c.name: bindparam(c.name, type_=c.type) for c in table.columns if c.name != "id"}
    return Prepared(insert(table).values(values).returning(table.c.id))


def _row_values(row: SQLModel) -> dict[str, Any]:
    """A new row's column values, model defaults applied (what ``_inserting`` takes)."""
    return {c.name: getattr(row, c.name) for c in row.__table__.columns if c.name != "id"}  # type: ignore[attr-defined]


_INSERT_LETTER, _INSERT_REGISTRATION, _INSERT_ATTACHMENT = (_inserting(m) for m in (Letter, Registration, Attachment))
_INSERT_ACCESS = Prepared(
    insert(LetterAccess.__table__).values(letter_id=bindparam("letter_id"), principal=bindparam("principal"))  # type: ignore[attr-defined]
)


@dataclass(frozen=True)
class ReceiptPlan:
    """What registering into a registry needs to know beforehand: checked, computed outside the write lock."""

    registry: Registry
    unit_name: str
    principals: frozenset[str]


def plan_receipt(session: Session, actor: Actor, registry_id: int, secrecy: int) -> ReceiptPlan:
    """Check the clerk's right to the registry and derive the new letter's readers (reads only)."""
    row = session.connection().execute(_REGISTRY_PLACE, {"registry_id": registry_id}).first()
    registry = Registry(id=row.id, code=row.code, name=row.name, kind=row.kind, unit_id=row.unit_id) if row else None
    if row is None or registry is None or _hidden(actor, registry):
        raise NotFound(f"registry {registry_id} not found", thai="ไม่พบทะเบียนนี้")
    check_may_register(session, actor, registry, secrecy)
    ancestors = unit_ancestors(session, registry.unit_id)
    place = RegistryPlace(kind=registry.kind, unit_id=registry.unit_id, ancestors=ancestors)
    return ReceiptPlan(
        registry=registry,
        unit_name=row.unit_short_name or row.unit_name,
        principals=frozenset(letter_principals(secrecy=secrecy, registries=[place], routes=[])),
    )


@dataclass(frozen=True)
class ReceiptDraft:
    """A registration ready to be written: the rows as values, all but the number and the new ids.

    Single use: :func:`record_receipt` sets the number and the ids on its models and returns them.
    """

    plan: ReceiptPlan
    actor: Actor
    now: datetime
    year: int
    letter: Letter
    registration: Registration
    attachments: list[Attachment]
    letter_values: dict[str, Any]
    registration_values: dict[str, Any]
    attachment_values: list[dict[str, Any]]


def draft_receipt(
    plan: ReceiptPlan, *, actor: Actor, data: LetterIn, files: list[StoredFile], now: datetime
) -> ReceiptDraft:
    """Build the rows of a registration (pure; done before the write lock is taken)."""
    letter = Letter(
        letter_no=data.letter_no,
        letter_no_norm=normalise_letter_no(data.letter_no),
        letter_date=data.letter_date,
        sender=data.sender,
        recipient=data.recipient,
        subject=data.subject,
        summary=data.summary,
        letter_type=data.letter_type,
        urgency=data.urgency,
        deliver_by=to_db(data.deliver_by) if data.deliver_by else None,
        secrecy=data.secrecy,
        channel=data.channel,
        remarks=data.remarks,
        created_at=to_db(now),
        created_by=actor.id,
    )
    attachments = [
        Attachment(
            letter_id=0,  # set when the letter has its id
            position=i,
            filename=f.filename,
            sha256=f.sha256,
            size=f.size,
            media_type=f.media_type,
            pages=f.pages,
            created_at=to_db(now),
        )
        for i, f in enumerate(files)
    ]
    assert plan.registry.id is not None
    year = be_year(local(now))
    registration = Registration(
        letter_id=0,  # set when the letter has its id
        registry_id=plan.registry.id,
        year=year,
        number=0,  # set under the write lock
        registered_at=to_db(now),
        registered_by=actor.id,
    )
    return ReceiptDraft(
        plan=plan,
        actor=actor,
        now=now,
        year=year,
        letter=letter,
        registration=registration,
        attachments=attachments,
        letter_values=_row_values(letter),
        registration_values=_row_values(registration),
        attachment_values=[_row_values(a) for a in attachments],
    )


def record_receipt(session: Session, draft: ReceiptDraft, *, where: audit.Where | None = None) -> Received:
    """The write: the next number of the registry for this B.E. year, the letter's rows, its readers, the audit.

    Only statements that must share the transaction, prepared (on SQLite this runs under the write lock and
    every registration of every server process queues for it).
    """
    registry, actor, now = draft.plan.registry, draft.actor, draft.now
    assert registry.id is not None
    number = next_number(session, registry_id=registry.id, year=draft.year)
    conn = session.connection()
    letter_id = int(_INSERT_LETTER.scalar(conn, draft.letter_values))
    registration_id = int(
        _INSERT_REGISTRATION.scalar(conn, {**draft.registration_values, "letter_id": letter_id, "number": number})
    )
    attachment_ids = [
        int(_INSERT_ATTACHMENT.scalar(conn, {**values, "letter_id": letter_id})) for values in draft.attachment_values
    ]
    _INSERT_ACCESS.many(conn, [{"letter_id": letter_id, "principal": p} for p in sorted(draft.plan.principals)])
    audit.record(
        session,
        at=now,
        action="register",
        actor=actor,
        object_type="registration",
        object_id=registration_id,
        letter_id=letter_id,
        where=where,
        registry=registry.code,
        year=draft.year,
        number=number,
        attachments=[a.sha256 for a in draft.attachments],
    )
    draft.letter.id = letter_id
    for att, att_id in zip(draft.attachments, attachment_ids, strict=True):
        att.id, att.letter_id = att_id, letter_id
    registration = draft.registration
    registration.id, registration.letter_id, registration.number = registration_id, letter_id, number
    return Received(letter=draft.letter, registration=registration, attachments=draft.attachments)


def receive_letter(
    session: Session,
    *,
    actor: Actor,
    registry_id: int,
    data: LetterIn,
    files: list[StoredFile],
    now: datetime,
    where: audit.Where | None = None,
) -> Received:
    """Register a received letter in one transaction (plan, draft and write together)."""
    plan = plan_receipt(session, actor, registry_id, data.secrecy)
    return record_receipt(session, draft_receipt(plan, actor=actor, data=data, files=files, now=now), where=where)


def record_rendition(
    session: Session, *, attachment_id: int, kind: str, sha256: str, size: int, media_type: str, now: datetime
) -> Rendition:
    existing = session.exec(
        select(Rendition).where(Rendition.attachment_id == attachment_id, Rendition.kind == kind)
    ).first()
    if existing is not None:
        existing.sha256, existing.size, existing.media_type = sha256, size, media_type
        session.add(existing)
        session.flush()
        return existing
    row = Rendition(
        attachment_id=attachment_id, kind=kind, sha256=sha256, size=size, media_type=media_type, created_at=to_db(now)
    )
    session.add(row)
    session.flush()
    return row


# ---------------------------------------------------------------------------------------------- read


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
        "attachments": [attachment_view(a, stamped.get(a.id or 0)) for a in atts],
        "routes": [
            {
                "id": r.id,
                "to_unit_id": r.to_unit_id,
                "to_user_id": r.to_user_id,
                "instruction": r.instruction,
                "due_at": _iso(r.due_at),
                "routed_at": _iso(r.routed_at),
                "acknowledged_at": _iso(r.acknowledged_at),
            }
            for r in routes
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else local(moment).isoformat()


def registration_view(reg: Registration, registry: Registry) -> dict[str, Any]:
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
    }


def attachment_view(a: Attachment, stamped: Rendition | None) -> dict[str, Any]:
    return {
        "id": a.id,
        "filename": a.filename,
        "sha256": a.sha256,
        "size": a.size,
        "media_type": a.media_type,
        "pages": a.pages,
        "stamped_id": stamped.id if stamped else None,
        "stamped_sha256": stamped.sha256 if stamped else None,
    }


def get_visible_attachment(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    att = session.get(Attachment, attachment_id)
    if att is None or not _sees(session, actor, att.letter_id):
        raise NotFound(f"attachment {attachment_id} not found", thai="ไม่พบไฟล์แนบนี้")
    return att


def read_letter(
    session: Session,
    actor: Actor,
    letter_id: int,
    *,
    now: datetime,
    where: audit.Where | None = None,
    tz: str = "Asia/Bangkok",
) -> dict[str, Any]:
    """Open a letter the actor may see; every reading is audited."""
    letter = get_visible_letter(session, actor, letter_id)
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
    return letter_view(session, letter, tz=tz)


def count_visible(session: Session, actor: Actor) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(Letter).where(col(Letter.id).in_(visible_letter_ids(actor)))
        ).one()
    )
