"""Users, units and registries: the administrator's work (and the demo office's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from service import audit
from service.access.policy import Action, may, require
from service.access.roles import ROLE_TH, Role
from service.access.rule import Actor, sees_account_name
from service.auth.core import check_password_policy, hash_password, revoke_all
from service.kit.clock import to_db
from service.kit.errors import Conflict, InvalidInput, NotFound
from service.models import Membership, Unit, User
from service.users.grants import (
    SECRET_ROLES,
    is_cleared,
    is_secret_grant,
    request_grant,
    request_password_reset,
)


def unit_by_code(session: Session, code: str | int) -> Unit:
    unit = (
        session.get(Unit, code)
        if isinstance(code, int)
        else session.exec(select(Unit).where(Unit.code == code)).first()
    )
    if unit is None:
        raise NotFound(f"no unit {code!r}", thai=f"ไม่พบหน่วยงาน {code}")
    return unit


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    full_name: str = "",
    clearance: int = 0,
    roles: list[tuple[str | int, str]],
    now: datetime,
    check_policy: bool = True,
    actor: Actor | None = None,
    actor_name: str = "",
    where: audit.Where | None = None,
) -> User:
    """Create a user with roles in units. ``actor`` is the administrator (None: the operator at the command line)."""
    if actor is not None:
        require(actor, Action.MANAGE_USERS)
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise InvalidInput("a username is one word of at most 64 characters", thai="ชื่อผู้ใช้ไม่ถูกต้อง")
    if not 0 <= clearance <= 3:
        raise InvalidInput("clearance is 0..3", thai="ระดับชั้นความลับต้องเป็น 0-3")
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"user {username!r} exists", thai=f"มีผู้ใช้ {username} อยู่แล้ว")
    if check_policy:
        check_password_policy(password)
    parsed: list[tuple[int, Role]] = []
    for unit_code, role in roles:
        try:
            r = Role(role)
        except ValueError as exc:
            raise InvalidInput(f"unknown role {role!r}", thai=f"ไม่รู้จักบทบาท {role}") from exc
        unit = unit_by_code(session, unit_code)
        assert unit.id is not None
        parsed.append((unit.id, r))
    # Two-person rule: an administrator's grant of clearance or a secret role waits for the head's approval.
    direct = not (actor is not None and is_secret_grant(clearance, parsed))
    now_roles = [(u, r) for u, r in parsed if direct or r not in SECRET_ROLES]
    user = User(
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        clearance=clearance if direct else 0,
        created_at=to_db(now),
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    for unit_id, r in now_roles:
        session.add(Membership(user_id=user.id, unit_id=unit_id, role=r.value))
    session.flush()
    audit.record(
        session,
        at=now,
        action="user_created",
        actor=actor,
        actor_name=actor_name,
        object_type="user",
        object_id=user.id,
        where=where,
        username=username,
        clearance=user.clearance,
        roles=[f"{u}:{r.value}" for u, r in now_roles],
    )
    if not direct:
        assert actor is not None
        secret_roles = [(u, r) for u, r in parsed if r in SECRET_ROLES]
        request_grant(session, actor=actor, user=user, clearance=clearance, roles=secret_roles, now=now, where=where)
    return user


def reset_password(
    session: Session,
    *,
    user_id: int,
    password: str,
    now: datetime,
    actor: Actor | None = None,
    actor_name: str = "",
    where: audit.Where | None = None,
) -> int | None:
    """An administrator sets a new password: the account is unlocked and its sessions and tokens are revoked.

    A cleared account's new password waits for the head's approval (two-person rule): the request's id is
    returned, and nothing changes yet. ``None``: done.
    """
    if actor is not None:
        require(actor, Action.MANAGE_USERS)
    user = user_by_id(session, user_id)
    check_password_policy(password)
    assert user.id is not None
    if actor is not None and is_cleared(session, user):
        req = request_password_reset(
            session, actor=actor, user=user, password_hash=hash_password(password), now=now, where=where
        )
        return req.id
    user.password_hash, user.failed_logins, user.locked_until = hash_password(password), 0, None
    session.add(user)
    revoke_all(session, user_id=user.id, now=now)
    audit.record(
        session,
        at=now,
        action="password_reset",
        actor=actor,
        actor_name=actor_name,
        object_type="user",
        object_id=user.id,
        where=where,
    )
    return None


def user_by_id(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user", thai="ไม่พบผู้ใช้")
    return user


def user_list(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Administrators: every account, with roles and clearance. Everyone else: their own name and the names of the
    people they may route letters to (active, in a role that receives routed letters); the secret registrar is
    known by name only to those who route secret letters, and people who route nothing see only themselves."""
    details = may(actor, Action.SEE_ACCOUNTS) is None
    members = session.exec(select(Membership)).all()
    roles_of: dict[int, set[str]] = {}
    for m in members:
        roles_of.setdefault(m.user_id, set()).add(m.role)

    def listed(u: User) -> bool:
        uid = u.id or 0
        return details or sees_account_name(actor, user_id=uid, active=u.active, roles=roles_of.get(uid, ()))

    return [
        {
            "id": u.id,
            "username": u.username,
            "full_name": u.full_name,
            **(
                {
                    "clearance": u.clearance,
                    "active": u.active,
                    "roles": [
                        {"unit_id": m.unit_id, "role": m.role, "membership_id": m.id}
                        for m in members
                        if m.user_id == u.id
                    ],
                }
                if details
                else {}
            ),
        }
        for u in session.exec(select(User).order_by(col(User.id)))
        if listed(u)
    ]


def unit_list(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "id": u.id,
            "code": u.code,
            "name": u.name,
            "short_name": u.short_name,
            "parent_id": u.parent_id,
            "internal": u.internal,
            "letter_code": u.letter_code,
            "kind": u.kind,
            "address": u.address,
        }
        for u in session.exec(select(Unit).order_by(col(Unit.id)))
    ]


def accounts_overview(session: Session, actor: Actor) -> tuple[list[tuple[User, list[str]]], list[Unit]]:
    """The administrator's page: each user with their roles in Thai, and the office's own units."""
    require(actor, Action.MANAGE_USERS)
    units = session.exec(select(Unit).where(Unit.internal == True).order_by(col(Unit.id))).all()  # noqa: E712
    names = {u.id: u.short_name or u.name for u in units}
    users = [
        (
            u,
            [
                f"{ROLE_TH.get(Role(m.role), m.role)} · {names.get(m.unit_id, m.unit_id)}"
                for m in session.exec(select(Membership).where(Membership.user_id == u.id))
            ],
        )
        for u in session.exec(select(User).order_by(col(User.id)))
    ]
    return users, list(units)
