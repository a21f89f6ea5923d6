"""A send-side series as the rules see it: who may issue from it, the letter code it prints."""

from __future__ import annotations

from sqlmodel import Session, col, select

from service.access.policy import Action, RegistryTarget, may
from service.access.queries import registry_target, visible_registry
from service.access.roles import SECRET_KINDS, SEND_KINDS
from service.access.rule import Actor
from service.kit.errors import Forbidden, InvalidInput, NotFound, SecretNotAllowed
from service.models import Registry, Unit


def series_target(session: Session, registry: Registry, secrecy: int | None = None) -> RegistryTarget:
    """The registry for ``may(…, ISSUE, …)``; without a letter, a secret series is taken at its lowest level."""
    level = secrecy if secrecy is not None else (1 if registry.kind in SECRET_KINDS else 0)
    return registry_target(session, registry, secrecy=level)


def send_registry(session: Session, actor: Actor, registry_id: int) -> Registry:
    """A send-side registry the actor may know (secret ones only for their registrars)."""
    registry = visible_registry(session, actor, registry_id)
    if registry.kind not in SEND_KINDS:
        raise InvalidInput(
            f"registry {registry.code} is a {registry.kind} registry, not a send-side series",
            thai="ทะเบียนนี้ไม่ใช่ทะเบียนหนังสือส่ง (ส่ง หนังสือเวียน คำสั่ง ประกาศ หรือหนังสือส่งลับ)",
        )
    return registry


def require_issuer(session: Session, actor: Actor, registry: Registry, secrecy: int | None = None) -> None:
    """The unit's clerks issue from its series; the secret series only its registrar, cleared for the letter."""
    why = may(actor, Action.ISSUE, series_target(session, registry, secrecy))
    if why is None:
        return
    if why == "secret_in_ordinary_registry":
        raise SecretNotAllowed(
            "a letter marked ลับ, ลับมาก or ลับที่สุด is numbered in the secret send register by its registrar",
            thai="หนังสือชั้นความลับต้องออกเลขในทะเบียนหนังสือส่งลับโดยนายทะเบียนข้อมูลข่าวสารลับเท่านั้น",
        )
    if why == "ordinary_in_secret_registry":
        raise InvalidInput(
            "the secret send register takes only letters marked ลับ, ลับมาก or ลับที่สุด",
            thai="ทะเบียนหนังสือส่งลับใช้เฉพาะหนังสือที่มีชั้นความลับ",
        )
    if why == "clearance_too_low":
        raise Forbidden("your clearance is below this letter's secrecy", thai="ระดับการเข้าถึงชั้นความลับไม่เพียงพอ")
    raise Forbidden(
        f"you may not issue numbers from registry {registry.code}", thai="ท่านไม่มีสิทธิ์ออกเลขจากทะเบียนนี้", reason=why
    )


def may_issue(session: Session, actor: Actor, registry: Registry) -> bool:
    return may(actor, Action.ISSUE, series_target(session, registry)) is None


def issuing_registries(session: Session, actor: Actor) -> list[Registry]:
    """The send-side series the actor may issue from."""
    rows = session.exec(
        select(Registry).where(col(Registry.kind).in_(sorted(SEND_KINDS))).order_by(col(Registry.id))
    ).all()
    return [r for r in rows if may_issue(session, actor, r)]


def letter_code_of(session: Session, unit_id: int) -> str | None:
    """The unit's letter code (รหัสหนังสือ), or its nearest ancestor's (a group prints its office's)."""
    seen: set[int] = set()
    current: int | None = unit_id
    while current is not None and current not in seen:
        seen.add(current)
        unit = session.get(Unit, current)
        if unit is None:
            return None
        if unit.letter_code:
            return unit.letter_code
        current = unit.parent_id
    return None


def unit_name(session: Session, unit_id: int) -> str:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"unit {unit_id} not found", thai="ไม่พบหน่วยงาน")
    return unit.name
