"""The office's units and registries, as the administrator keeps them: groups, outside parties and the schools of
the area with their letter codes (รหัสหนังสือ) and addresses; registries created, renamed, and their years closed.
Nothing is deleted (registrations and routings refer to units and registries); every change is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from service import audit
from service.access.policy import Action, require
from service.access.roles import KIND_TH, SECRET_KINDS
from service.access.rule import Actor
from service.kit.errors import Conflict, InvalidInput, NotFound
from service.models import NumberCounter, Registry, Unit
from service.users.core import unit_by_code

UNIT_KINDS = {"office": "สำนักงาน", "group": "กลุ่มภายในสำนักงาน", "outside": "หน่วยงานภายนอก", "school": "โรงเรียนในสังกัด"}
REGISTRY_KINDS = KIND_TH  # the kinds of registry, in Thai (one table)


def unit_kind_th(unit: Unit) -> str:
    if unit.kind in UNIT_KINDS:
        return UNIT_KINDS[unit.kind]
    return "หน่วยงานภายใน" if unit.internal else "หน่วยงานภายนอก"


def _code(code: str) -> str:
    code = code.strip()
    if not code or len(code) > 64 or any(c.isspace() for c in code):
        raise InvalidInput(
            "a code is one word of at most 64 characters", thai="รหัสต้องเป็นคำเดียว ไม่มีช่องว่าง ยาวไม่เกิน 64 ตัวอักษร"
        )
    return code


def _name(name: str, what: str = "ชื่อ") -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("a name is required", thai=f"กรุณากรอก{what}")
    if len(name) > 255:
        raise InvalidInput("a name has at most 255 characters", thai=f"{what}ยาวเกิน 255 ตัวอักษร")
    return name


def create_unit(
    session: Session,
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    short_name: str = "",
    letter_code: str = "",
    address: str = "",
    parent: str = "",
    internal: bool | None = None,
    now: datetime,
    where: audit.Where | None = None,
) -> Unit:
    """A group of the office (under the office), an outside party, or a school of the area. A school that works in
    this installation (``internal``) receives electronically with its own register; by default it does."""
    require(actor, Action.MANAGE_UNITS)
    if kind not in UNIT_KINDS:
        raise InvalidInput(f"unknown unit kind {kind!r}", thai="ประเภทหน่วยงานไม่ถูกต้อง")
    code, name = _code(code), _name(name)
    if session.exec(select(Unit).where(Unit.code == code)).first() is not None:
        raise Conflict(f"unit {code!r} exists", thai=f"มีหน่วยงานรหัส {code} อยู่แล้ว")
    parent_id = unit_by_code(session, parent.strip()).id if parent.strip() else None
    unit = Unit(
        code=code,
        name=name,
        short_name=short_name.strip()[:128],
        kind=kind,
        letter_code=letter_code.strip()[:32] or None,
        address=address.strip(),
        parent_id=parent_id,
        internal=(internal is not False) if kind == "school" else kind in ("office", "group"),
    )
    session.add(unit)
    session.flush()
    assert unit.id is not None
    audit.record(
        session, at=now, action="unit_created", actor=actor, object_type="unit", object_id=unit.id, where=where,
        code=code, kind=kind,
    )  # fmt: skip
    return unit


def update_unit(
    session: Session,
    *,
    actor: Actor,
    unit_id: int,
    name: str,
    short_name: str = "",
    letter_code: str = "",
    address: str = "",
    now: datetime,
    where: audit.Where | None = None,
) -> Unit:
    """Rename a unit, change its letter code and address (its code stays: other records name it)."""
    require(actor, Action.MANAGE_UNITS)
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("no such unit", thai="ไม่พบหน่วยงาน")
    after = {
        "name": _name(name),
        "short_name": short_name.strip()[:128],
        "letter_code": letter_code.strip()[:32] or None,
        "address": address.strip(),
    }
    changes = {k: [getattr(unit, k), v] for k, v in after.items() if getattr(unit, k) != v}
    for k, v in after.items():
        setattr(unit, k, v)
    session.add(unit)
    if changes:
        audit.record(
            session, at=now, action="unit_updated", actor=actor, object_type="unit", object_id=unit_id, where=where,
            changes=changes,
        )  # fmt: skip
    return unit


def units_overview(session: Session, actor: Actor) -> list[dict[str, Any]]:
    require(actor, Action.MANAGE_UNITS)
    units = session.exec(select(Unit).order_by(col(Unit.id))).all()
    names = {u.id: u.short_name or u.name for u in units}
    return [
        {"unit": u, "kind_th": unit_kind_th(u), "parent": names.get(u.parent_id, "") if u.parent_id else ""}
        for u in units
    ]


# ---------------------------------------------------------------------------------------------- registries


def create_registry(
    session: Session,
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    unit: str | int,
    now: datetime,
    where: audit.Where | None = None,
) -> Registry:
    require(actor, Action.MANAGE_REGISTRIES)
    if kind not in REGISTRY_KINDS:
        raise InvalidInput(f"unknown registry kind {kind!r}", thai="ประเภททะเบียนไม่ถูกต้อง")
    code, name = _code(code), _name(name, "ชื่อทะเบียน")
    if session.exec(select(Registry).where(Registry.code == code)).first() is not None:
        raise Conflict(f"registry {code!r} exists", thai=f"มีทะเบียนรหัส {code} อยู่แล้ว")
    owner = unit_by_code(session, unit)
    if not owner.internal:
        raise InvalidInput("an outside party keeps no registry here", thai="หน่วยงานภายนอกไม่มีทะเบียนในระบบนี้")
    assert owner.id is not None
    registry = Registry(code=code, name=name, kind=kind, unit_id=owner.id)
    session.add(registry)
    session.flush()
    assert registry.id is not None
    audit.record(
        session, at=now, action="registry_created", actor=actor, object_type="registry", object_id=registry.id,
        where=where, code=code, kind=kind, unit_id=owner.id,
    )  # fmt: skip
    return registry


def _registry(session: Session, registry_id: int) -> Registry:
    registry = session.get(Registry, registry_id)
    if registry is None:
        raise NotFound("no such registry", thai="ไม่พบทะเบียน")
    return registry


def rename_registry(
    session: Session, *, actor: Actor, registry_id: int, name: str, now: datetime, where: audit.Where | None = None
) -> Registry:
    require(actor, Action.MANAGE_REGISTRIES)
    registry = _registry(session, registry_id)
    new = _name(name, "ชื่อทะเบียน")
    if new != registry.name:
        audit.record(
            session, at=now, action="registry_renamed", actor=actor, object_type="registry", object_id=registry_id,
            where=where, before=registry.name, after=new,
        )  # fmt: skip
        registry.name = new
        session.add(registry)
    return registry


def close_year(
    session: Session, *, actor: Actor, registry_id: int, year: int, now: datetime, where: audit.Where | None = None
) -> NumberCounter:
    """Close a registry's B.E. year: its numbers stay, no more are handed out (``next_number`` answers 409)."""
    require(actor, Action.MANAGE_REGISTRIES)
    _registry(session, registry_id)
    counter = session.get(NumberCounter, (registry_id, year))
    if counter is None:
        counter = NumberCounter(registry_id=registry_id, year=year, last_number=0)
    elif counter.closed:
        raise Conflict("this year is closed already", thai=f"ปิดทะเบียนประจำปี พ.ศ. {year} ไว้แล้ว")
    counter.closed = True
    session.add(counter)
    audit.record(
        session, at=now, action="registry_year_closed", actor=actor, object_type="registry", object_id=registry_id,
        where=where, year=year, last_number=counter.last_number,
    )  # fmt: skip
    return counter


def registries_overview(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Every registry (the administrator knows secret registries exist; their letters stay unreadable) with its
    unit and the years it has numbers in, closed or not."""
    require(actor, Action.MANAGE_REGISTRIES)
    units = {u.id: u.short_name or u.name for u in session.exec(select(Unit))}
    counters: dict[int, list[NumberCounter]] = {}
    for c in session.exec(select(NumberCounter).order_by(col(NumberCounter.year).desc())):
        counters.setdefault(c.registry_id, []).append(c)
    return [
        {
            "id": r.id,
            "code": r.code,
            "name": r.name,
            "kind": r.kind,
            "kind_th": REGISTRY_KINDS.get(r.kind, r.kind),
            "secret": r.kind in SECRET_KINDS,
            "unit_id": r.unit_id,
            "unit": units.get(r.unit_id, ""),
            "years": [
                {"year": c.year, "last_number": c.last_number, "closed": c.closed} for c in counters.get(r.id or 0, [])
            ],
        }
        for r in session.exec(select(Registry).order_by(col(Registry.id)))
    ]
