"""Registering a received letter (ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด 2 ส่วนที่ 1 การรับหนังสือ): plan (reads), draft
(pure), record (the write, under the lock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import bindparam, insert
from sqlalchemy import select as sql_select
from sqlmodel import Session, SQLModel

from service import audit
from service.access.policy import Action, RegistryTarget, may
from service.access.queries import grant_readers, hidden_registry, unit_ancestors
from service.access.roles import SECRET_KINDS
from service.access.rule import Actor, RegistryPlace, letter_principals
from service.indexing.changes import RECEIVE, record_change
from service.kit.clock import to_db
from service.kit.db import Prepared
from service.kit.errors import Forbidden, InvalidInput, NotFound, SecretNotAllowed
from service.kit.thai import be_year, local, normalise_letter_no
from service.letters.input import LetterIn
from service.models import Attachment, Letter, LetterAccess, Registration, Registry, Unit
from service.registers.numbering import next_number

# Plain statements for the paths every registration takes (the ORM's per-query cost showed in profiles).
_UNIT_T, _REGISTRY_T = Unit.__table__, Registry.__table__  # type: ignore[attr-defined]
_REGISTRY_PLACE = Prepared(
    sql_select(
        _REGISTRY_T.c.id,
        _REGISTRY_T.c.code,
        _REGISTRY_T.c.name,
        _REGISTRY_T.c.kind,
        _REGISTRY_T.c.unit_id,
        _UNIT_T.c.name,
        _UNIT_T.c.short_name,
    )
    .join(_UNIT_T, _UNIT_T.c.id == _REGISTRY_T.c.unit_id)
    .where(_REGISTRY_T.c.id == bindparam("registry_id"))
)


@dataclass(frozen=True)
class StoredFile:
    """An original already in object storage, ready to be recorded."""

    filename: str
    sha256: str
    size: int
    media_type: str
    kind: str
    pages: int | None
    active_content: tuple[str, ...] = ()
    original_name: str = ""
    """The name as sent when it was cleaned for display (``filename``): kept in the audit trail only."""
    too_complex: bool = False
    """Over the pixel budget: kept, but neither stamped nor read for the index."""


@dataclass(frozen=True)
class RegistryRow:
    """A registry as a registration reads it: plain values (an ORM object cost more to build than to read)."""

    id: int
    code: str
    name: str
    kind: str
    unit_id: int


def original_names(files: list[StoredFile]) -> dict[str, Any]:
    """For the audit: the names as sent, when any was cleaned for display (bidi controls, control characters,
    paths)."""
    if not any(f.original_name for f in files):
        return {}
    return {"original_filenames": [f.original_name or f.filename for f in files]}


def check_may_register(session: Session, actor: Actor, registry: Registry | RegistryRow, secrecy: int) -> None:
    refuse_registering(actor, registry, secrecy)


def refuse_registering(actor: Actor, registry: Registry | RegistryRow, secrecy: int) -> None:
    """Raise unless ``actor`` may register a letter of ``secrecy`` in ``registry`` (pure)."""
    assert registry.id is not None
    target = RegistryTarget(kind=registry.kind, unit_id=registry.unit_id, secrecy=secrecy)
    why = may(actor, Action.REGISTER, target)
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
class NewRegistration:
    """A registration just written, as plain values (what its view shows)."""

    id: int
    registry_id: int
    year: int
    number: int
    registered_at: datetime
    action: str
    remarks: str
    cancelled: bool


@dataclass(frozen=True)
class Received:
    """What :func:`record_receipt` wrote: the new ids and the rows' values. The models (``letter``,
    ``registration``) are built only when asked for: constructing them cost more than writing the rows."""

    letter_id: int
    registered: NewRegistration
    attachments: list[Attachment]
    letter_values: dict[str, Any]
    registration_values: dict[str, Any]

    @cached_property
    def letter(self) -> Letter:
        return Letter(id=self.letter_id, **self.letter_values)

    @cached_property
    def registration(self) -> Registration:
        return Registration(id=self.registered.id, **self.registration_values)


def _inserting(model: type[SQLModel]) -> Prepared:
    """``INSERT`` of every column but the id, ``RETURNING`` the id: one statement per table, compiled once."""
    table = model.__table__  # type: ignore[attr-defined]
    values = {c.name: bindparam(c.name, type_=c.type) for c in table.columns if c.name != "id"}
    return Prepared(insert(table).values(values).returning(table.c.id))


def _row_values(row: SQLModel) -> dict[str, Any]:
    """A new row's column values, model defaults applied (what ``_inserting`` takes)."""
    return {c.name: getattr(row, c.name) for c in row.__table__.columns if c.name != "id"}  # type: ignore[attr-defined]


def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    """The values a new row of ``model`` takes for the columns it is not given (what its constructor would set:
    table models do not validate): for :func:`_new_row`, which spares building the model."""
    defaults: dict[str, Any] = {}
    for column in model.__table__.columns:  # type: ignore[attr-defined]
        field = model.model_fields.get(column.name)
        if column.name == "id" or field is None:
            continue
        if field.default_factory is not None:  # not a constant: _new_row would share one value between rows
            raise TypeError(f"{model.__name__}.{column.name}: a default factory; build the model instead")
        if field.default is not PydanticUndefined:
            defaults[column.name] = field.default
    return defaults


def _new_row(defaults: dict[str, Any], columns: frozenset[str], **values: Any) -> dict[str, Any]:
    """A new row's column values: ``values`` over the model's defaults; every column must have one."""
    row = {**defaults, **values}
    if row.keys() != columns:
        raise TypeError(f"columns missing or unknown: {sorted(columns ^ row.keys())}")
    return row


def _columns(model: type[SQLModel]) -> frozenset[str]:
    return frozenset(c.name for c in model.__table__.columns if c.name != "id")  # type: ignore[attr-defined]


_LETTER_DEFAULTS, _REGISTRATION_DEFAULTS = _defaults(Letter), _defaults(Registration)
_LETTER_COLUMNS, _REGISTRATION_COLUMNS = _columns(Letter), _columns(Registration)


_INSERT_LETTER, _INSERT_REGISTRATION, _INSERT_ATTACHMENT = (_inserting(m) for m in (Letter, Registration, Attachment))
_INSERT_ACCESS = Prepared(
    insert(LetterAccess.__table__).values(letter_id=bindparam("letter_id"), principal=bindparam("principal"))  # type: ignore[attr-defined]
)


@dataclass(frozen=True)
class ReceiptPlan:
    """What registering into a registry needs to know beforehand: checked, computed outside the write lock."""

    registry: RegistryRow
    unit_name: str
    principals: frozenset[str]


def plan_receipt(session: Session, actor: Actor, registry_id: int, secrecy: int) -> ReceiptPlan:
    """Check the clerk's right to the registry and derive the new letter's readers (reads only)."""
    found = read_registry(session, registry_id)
    registry = _visible(actor, found[0] if found else None, registry_id)
    check_may_register(session, actor, registry, secrecy)
    ancestors = unit_ancestors(session, registry.unit_id)
    place = RegistryPlace(kind=registry.kind, unit_id=registry.unit_id, ancestors=ancestors)
    assert found is not None
    return ReceiptPlan(
        registry=registry,
        unit_name=found[1],
        principals=frozenset(letter_principals(secrecy=secrecy, registries=[place], routes=[])),
    )


def read_registry(session: Session, registry_id: int) -> tuple[RegistryRow, str] | None:
    """The registry and its unit's name as the receive stamp shows it; None if there is none."""
    rows = _REGISTRY_PLACE.rows(session.connection(), {"registry_id": registry_id})
    if not rows:
        return None
    id_, code, name, kind, unit_id, unit_name, unit_short_name = rows[0]
    return RegistryRow(id=id_, code=code, name=name, kind=kind, unit_id=unit_id), unit_short_name or unit_name


def _visible(actor: Actor, registry: RegistryRow | None, registry_id: int) -> RegistryRow:
    if registry is None or hidden_registry(actor, registry):
        raise NotFound(f"registry {registry_id} not found", thai="ไม่พบทะเบียนนี้")
    return registry


def precheck_registry(actor: Actor, registry: RegistryRow | None, registry_id: int) -> None:
    """Before a byte of the upload is read: the registry exists for the actor and the actor registers in it (at
    the least secrecy the registry takes; the letter's own secrecy is checked again once it is known). Pure: the
    registry as read by :func:`read_registry` (or ``None``: there is none)."""
    registry = _visible(actor, registry, registry_id)
    refuse_registering(actor, registry, 1 if registry.kind in SECRET_KINDS else 0)


def precheck_receipt(session: Session, actor: Actor, registry_id: int) -> RegistryRow:
    """:func:`precheck_registry` on the registry as the database has it now; the registry, for a cache."""
    found = read_registry(session, registry_id)
    precheck_registry(actor, found[0] if found else None, registry_id)
    assert found is not None
    return found[0]


@dataclass(frozen=True)
class ReceiptDraft:
    """A registration ready to be written: the rows as values, all but the number and the new ids.

    Single use: :func:`record_receipt` sets the ids on its attachments.
    """

    plan: ReceiptPlan
    actor: Actor
    now: datetime
    year: int
    attachments: list[Attachment]
    letter_values: dict[str, Any]
    registration_values: dict[str, Any]
    attachment_values: list[dict[str, Any]]
    files: list[StoredFile]


def draft_receipt(
    plan: ReceiptPlan, *, actor: Actor, data: LetterIn, files: list[StoredFile], now: datetime
) -> ReceiptDraft:
    """Build the rows of a registration (pure; done before the write lock is taken)."""
    letter_values = _new_row(
        _LETTER_DEFAULTS,
        _LETTER_COLUMNS,
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
            active_content=",".join(f.active_content),
            stamp_status="too_complex" if f.too_complex else "",
        )
        for i, f in enumerate(files)
    ]
    assert plan.registry.id is not None
    year = be_year(local(now))
    registration_values = _new_row(
        _REGISTRATION_DEFAULTS,
        _REGISTRATION_COLUMNS,
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
        attachments=attachments,
        letter_values=letter_values,
        registration_values=registration_values,
        attachment_values=[_row_values(a) for a in attachments],
        files=files,
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
    record_change(session, [letter_id], RECEIVE)  # one INSERT: the index log, in the registration's transaction
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
        **original_names(draft.files),
    )
    for att, att_id in zip(draft.attachments, attachment_ids, strict=True):
        att.id, att.letter_id = att_id, letter_id
    values = {**draft.registration_values, "letter_id": letter_id, "number": number}
    return Received(
        letter_id=letter_id,
        registered=NewRegistration(
            id=registration_id,
            registry_id=values["registry_id"],
            year=values["year"],
            number=number,
            registered_at=values["registered_at"],
            action=values["action"],
            remarks=values["remarks"],
            cancelled=values["cancelled"],
        ),
        attachments=draft.attachments,
        letter_values=draft.letter_values,
        registration_values=values,
    )


def record_arrival(
    session: Session,
    plan: ReceiptPlan,
    *,
    letter_id: int,
    actor: Actor,
    now: datetime,
    where: audit.Where | None = None,
    **detail: Any,
) -> Registration:
    """A letter already in this installation (an electronic delivery) entered in the recipient's receive register:
    the next number of the registry for this B.E. year and the registry's readers — the letter and its files are
    the sender's, not copies. ``plan`` comes from :func:`plan_receipt` with the letter's secrecy."""
    registry = plan.registry
    assert registry.id is not None
    year = be_year(local(now))
    number = next_number(session, registry_id=registry.id, year=year)
    registration = Registration(
        letter_id=letter_id,
        registry_id=registry.id,
        year=year,
        number=number,
        registered_at=to_db(now),
        registered_by=actor.id,
    )
    registration.id = int(_INSERT_REGISTRATION.scalar(session.connection(), _row_values(registration)))
    grant_readers(session, [(letter_id, p) for p in sorted(plan.principals)])
    audit.record(
        session,
        at=now,
        action="register",
        actor=actor,
        object_type="registration",
        object_id=registration.id,
        letter_id=letter_id,
        where=where,
        registry=registry.code,
        year=year,
        number=number,
        **detail,
    )
    return registration
