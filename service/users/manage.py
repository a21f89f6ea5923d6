"""The administrator's changes to an existing account: deactivate/reactivate (never delete), unlock, name and
clearance, roles in several units. Every change is audited; what reaches secrets (raising clearance, the secret
registrar's role) goes through the two-person rule of ``service.users.grants`` and waits for the head's approval.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from service import audit
from service.access.policy import Action, require
from service.access.roles import ROLE_TH, Role
from service.access.rule import Actor
from service.auth.core import BEARER_CACHE, revoke_all
from service.kit.clock import from_db
from service.kit.errors import Conflict, InvalidInput, NotFound
from service.models import Membership, Unit, User
from service.users.core import unit_by_code, user_by_id
from service.users.grants import SECRET_ROLES, request_grant


def _admins_left(session: Session, *, without: int) -> int:
    """How many active administrators remain when membership ``without`` (or the user of that id) is gone."""
    rows = session.exec(
        select(Membership.id, User.id)
        .join(User, col(User.id) == Membership.user_id)
        .where(Membership.role == Role.ADMIN.value, col(User.active).is_(True))
    ).all()
    return len({uid for mid, uid in rows if mid != without})


def set_active(
    session: Session, *, actor: Actor, user_id: int, active: bool, now: datetime, where: audit.Where | None = None
) -> User:
    """Deactivate (the account stays, its sessions and tokens end, it cannot sign in) or reactivate a user."""
    require(actor, Action.MANAGE_USERS)
    user = user_by_id(session, user_id)
    assert user.id is not None
    if user.active == active:
        return user
    if not active and user.id == actor.id:
        raise Conflict("an administrator may not deactivate themselves", thai="ไม่สามารถระงับบัญชีของตนเองได้")
    user.active = active
    session.add(user)
    if not active:
        revoke_all(session, user_id=user.id, now=now)
    audit.record(
        session,
        at=now,
        action="user_reactivated" if active else "user_deactivated",
        actor=actor,
        object_type="user",
        object_id=user.id,
        where=where,
        username=user.username,
    )
    return user


def unlock(session: Session, *, actor: Actor, user_id: int, now: datetime, where: audit.Where | None = None) -> User:
    """Lift a lock-out after too many failed sign-ins (the password stays)."""
    require(actor, Action.MANAGE_USERS)
    user = user_by_id(session, user_id)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    audit.record(
        session, at=now, action="user_unlocked", actor=actor, object_type="user", object_id=user.id or 0, where=where
    )
    return user


def update_user(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    full_name: str | None = None,
    clearance: int | None = None,
    now: datetime,
    where: audit.Where | None = None,
) -> int | None:
    """Change the full name and the clearance. Lowering clearance takes effect now; raising it is a request to the
    head of the office (two-person rule), whose id is returned (``None``: nothing waits)."""
    require(actor, Action.MANAGE_USERS)
    user = user_by_id(session, user_id)
    assert user.id is not None
    changes: dict[str, Any] = {}
    if full_name is not None and full_name.strip() != user.full_name:
        name = full_name.strip()
        if len(name) > 255:
            raise InvalidInput("a full name has at most 255 characters", thai="ชื่อ-สกุลยาวเกิน 255 ตัวอักษร")
        changes["full_name"] = [user.full_name, name]
        user.full_name = name
    pending: int | None = None
    if clearance is not None and clearance != user.clearance:
        if not 0 <= clearance <= 3:
            raise InvalidInput("clearance is 0..3", thai="ระดับชั้นความลับต้องเป็น 0-3")
        if clearance < user.clearance:
            changes["clearance"] = [user.clearance, clearance]
            user.clearance = clearance
            BEARER_CACHE.clear()
        else:
            pending = request_grant(
                session, actor=actor, user=user, clearance=clearance, roles=[], now=now, where=where
            ).id
    if changes:
        session.add(user)
        audit.record(
            session, at=now, action="user_updated", actor=actor, object_type="user", object_id=user.id, where=where,
            changes=changes,
        )  # fmt: skip
    return pending


def add_membership(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    unit: str | int,
    role: str,
    now: datetime,
    where: audit.Where | None = None,
) -> int | None:
    """Give a user a role in a unit (one person may hold several: a group clerk who is also an officer). The secret
    registrar's role waits for the head's approval: the request's id is returned (``None``: granted now)."""
    require(actor, Action.MANAGE_USERS)
    user = user_by_id(session, user_id)
    assert user.id is not None
    try:
        r = Role(role)
    except ValueError as exc:
        raise InvalidInput(f"unknown role {role!r}", thai=f"ไม่รู้จักบทบาท {role}") from exc
    target = unit_by_code(session, unit)
    assert target.id is not None
    held = session.exec(
        select(Membership).where(
            Membership.user_id == user.id, Membership.unit_id == target.id, Membership.role == r.value
        )
    ).first()
    if held is not None:
        raise Conflict("the user holds this role already", thai="ผู้ใช้มีบทบาทนี้ในหน่วยงานนี้อยู่แล้ว")
    if r in SECRET_ROLES:
        req = request_grant(session, actor=actor, user=user, clearance=0, roles=[(target.id, r)], now=now, where=where)
        return req.id
    session.add(Membership(user_id=user.id, unit_id=target.id, role=r.value))
    BEARER_CACHE.clear()
    audit.record(
        session, at=now, action="membership_added", actor=actor, object_type="user", object_id=user.id, where=where,
        unit_id=target.id, role=r.value,
    )  # fmt: skip
    return None


def remove_membership(
    session: Session, *, actor: Actor, user_id: int, membership_id: int, now: datetime, where: audit.Where | None = None
) -> None:
    """Take a role away (the account and its other roles stay). The last administrator's role is kept."""
    require(actor, Action.MANAGE_USERS)
    m = session.get(Membership, membership_id)
    if m is None or m.user_id != user_id:
        raise NotFound("no such role of this user", thai="ไม่พบบทบาทนี้ของผู้ใช้")
    if m.role == Role.ADMIN.value and _admins_left(session, without=membership_id) == 0:
        raise Conflict("the last administrator's role stays", thai="ต้องมีผู้ดูแลระบบอย่างน้อยหนึ่งคน")
    unit_id, role = m.unit_id, m.role
    session.delete(m)
    BEARER_CACHE.clear()
    audit.record(
        session, at=now, action="membership_removed", actor=actor, object_type="user", object_id=user_id, where=where,
        unit_id=unit_id, role=role,
    )  # fmt: skip


def user_detail(session: Session, *, actor: Actor, user_id: int, now: datetime) -> dict[str, Any]:
    """One account for the administrator's page: its state, roles (with their ids, to remove one)."""
    require(actor, Action.MANAGE_USERS)
    user = user_by_id(session, user_id)
    units = {u.id: u for u in session.exec(select(Unit))}
    members = session.exec(select(Membership).where(Membership.user_id == user.id).order_by(col(Membership.id))).all()
    locked = user.locked_until is not None and from_db(user.locked_until) > now
    return {
        "user": user,
        "locked": locked,
        "memberships": [
            {
                "id": m.id,
                "unit": units[m.unit_id].name if m.unit_id in units else m.unit_id,
                "role": m.role,
                "role_th": ROLE_TH.get(Role(m.role), m.role),
            }
            for m in members
        ],
    }
