"""Users, units and registries: the administrator's work (and the demo office's)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from service.auth import check_password_policy, hash_password
from service.clock import to_db
from service.errors import Conflict, InvalidInput, NotFound
from service.models import Membership, Unit, User
from service.roles import Role


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
) -> User:
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise InvalidInput("a username is one word of at most 64 characters", thai="ชื่อผู้ใช้ไม่ถูกต้อง")
    if not 0 <= clearance <= 3:
        raise InvalidInput("clearance is 0..3", thai="ระดับชั้นความลับต้องเป็น 0-3")
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"user {username!r} exists", thai=f"มีผู้ใช้ {username} อยู่แล้ว")
    if check_policy:
        check_password_policy(password)
    user = User(
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        clearance=clearance,
        created_at=to_db(now),
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    for unit_code, role in roles:
        try:
            r = Role(role)
        except ValueError as exc:
            raise InvalidInput(f"unknown role {role!r}", thai=f"ไม่รู้จักบทบาท {role}") from exc
        unit = unit_by_code(session, unit_code)
        assert unit.id is not None
        session.add(Membership(user_id=user.id, unit_id=unit.id, role=r.value))
    session.flush()
    return user
