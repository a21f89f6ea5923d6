"""The two-person rule for secrets: what reaches secret letters takes effect only when the head approves.

Granting clearance (any level from ลับ up), the secret registrar's role or the director's (who approves), and
resetting the password of a cleared account or a director's, are made by an administrator as requests; the head of
the office (the director of a top unit) approves or refuses them; both steps are audited. The operator at the
command line (``saraban user …``) and the demo seed act directly: they hold the database already.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from service import audit
from service.access.policy import Action, GrantTarget, require
from service.access.roles import ROLE_TH, Role
from service.access.rule import Actor
from service.auth.core import revoke_all
from service.kit.clock import to_db
from service.kit.errors import Conflict, NotFound
from service.models import GrantRequest, Membership, Unit, User

# The roles that reach secrets — and the director's, whose holder approves these requests: granting it, or taking
# over a director's account by a password reset, would let one administrator approve their own request through a
# second account, so it waits for an existing director like the rest (the operator's CLI and the seed act directly).
SECRET_ROLES = frozenset({Role.SECRET_REGISTRAR, Role.DIRECTOR})


def is_secret_grant(clearance: int, roles: list[tuple[int, Role]]) -> bool:
    return clearance > 0 or any(r in SECRET_ROLES for _, r in roles)


def is_cleared(session: Session, user: User) -> bool:
    """An account that reaches secrets: cleared, or holding a secret role."""
    if user.clearance > 0:
        return True
    held = session.exec(select(Membership.role).where(Membership.user_id == user.id)).all()
    return any(r in {s.value for s in SECRET_ROLES} for r in held)


def request_grant(
    session: Session,
    *,
    actor: Actor,
    user: User,
    clearance: int,
    roles: list[tuple[int, Role]],
    now: datetime,
    where: audit.Where | None = None,
) -> GrantRequest:
    """The administrator's half: clearance and secret roles for ``user``, waiting for the head's approval."""
    require(actor, Action.MANAGE_USERS)
    assert user.id is not None
    req = GrantRequest(
        kind="grant",
        user_id=user.id,
        clearance=clearance or None,
        roles=json.dumps([[u, r.value] for u, r in roles]),
        requested_by=actor.id,
        requested_at=to_db(now),
    )
    session.add(req)
    session.flush()
    audit.record(
        session,
        at=now,
        action="grant_requested",
        actor=actor,
        object_type="user",
        object_id=user.id,
        where=where,
        request_id=req.id,
        clearance=clearance,
        roles=[f"{u}:{r.value}" for u, r in roles],
    )
    return req


def request_password_reset(
    session: Session, *, actor: Actor, user: User, password_hash: str, now: datetime, where: audit.Where | None = None
) -> GrantRequest:
    """The administrator's half of resetting a cleared account's password (only the new hash is kept)."""
    require(actor, Action.MANAGE_USERS)
    assert user.id is not None
    req = GrantRequest(
        kind="reset_password",
        user_id=user.id,
        password_hash=password_hash,
        requested_by=actor.id,
        requested_at=to_db(now),
    )
    session.add(req)
    session.flush()
    audit.record(
        session,
        at=now,
        action="password_reset_requested",
        actor=actor,
        object_type="user",
        object_id=user.id,
        where=where,
        request_id=req.id,
    )
    return req


def _office_units(session: Session) -> frozenset[int]:
    rows = session.exec(select(Unit.id).where(col(Unit.parent_id).is_(None), col(Unit.internal).is_(True))).all()
    return frozenset(u for u in rows if u is not None)


def _pending(session: Session, request_id: int) -> GrantRequest:
    req = session.get(GrantRequest, request_id)
    if req is None:
        raise NotFound("no such request", thai="ไม่พบคำขอนี้")
    if req.state != "pending":
        raise Conflict("this request was already decided", thai="คำขอนี้ได้รับการพิจารณาแล้ว")
    return req


def decide(
    session: Session,
    *,
    actor: Actor,
    request_id: int,
    approve: bool,
    now: datetime,
    where: audit.Where | None = None,
) -> GrantRequest:
    """The head's half: approve (the grant or the new password takes effect now) or refuse; audited either way."""
    req = _pending(session, request_id)
    require(actor, Action.APPROVE_SECRET_GRANT, GrantTarget(req.requested_by, _office_units(session)))
    user = session.get(User, req.user_id)
    if user is None:
        raise NotFound("no such user", thai="ไม่พบผู้ใช้")
    if approve:
        if req.kind == "grant":
            if req.clearance is not None:
                user.clearance = max(user.clearance, req.clearance)
            for unit_id, role in json.loads(req.roles):
                have = session.exec(
                    select(Membership).where(
                        Membership.user_id == user.id, Membership.unit_id == unit_id, Membership.role == role
                    )
                ).first()
                if have is None:
                    session.add(Membership(user_id=req.user_id, unit_id=unit_id, role=role))
        else:
            user.password_hash, user.failed_logins, user.locked_until = req.password_hash, 0, None
            revoke_all(session, user_id=req.user_id, now=now)
        session.add(user)
    req.state = "approved" if approve else "refused"
    req.decided_by, req.decided_at = actor.id, to_db(now)
    req.password_hash = req.password_hash if approve else ""
    session.add(req)
    session.flush()
    audit.record(
        session,
        at=now,
        action="grant_approved" if approve else "grant_refused",
        actor=actor,
        object_type="user",
        object_id=req.user_id,
        where=where,
        request_id=req.id,
        kind=req.kind,
    )
    return req


def grant_requests(session: Session, actor: Actor, *, pending_only: bool = False) -> list[dict[str, Any]]:
    """The requests (newest first) for the administrators and the head."""
    require(actor, Action.SEE_SECRET_GRANTS)
    stmt = select(GrantRequest).order_by(col(GrantRequest.id).desc()).limit(200)
    if pending_only:
        stmt = stmt.where(GrantRequest.state == "pending")
    rows = session.exec(stmt).all()
    names = {u.id: u.full_name or u.username for u in session.exec(select(User))}
    units = {u.id: u.short_name or u.name for u in session.exec(select(Unit))}
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "user_id": r.user_id,
            "user": names.get(r.user_id, ""),
            "clearance": r.clearance,
            "roles": [{"unit_id": u, "role": role} for u, role in json.loads(r.roles)],
            "roles_th": [f"{ROLE_TH.get(Role(role), role)} · {units.get(u, u)}" for u, role in json.loads(r.roles)],
            "state": r.state,
            "requested_by": names.get(r.requested_by, ""),
            "requested_at": r.requested_at.isoformat(),
            "decided_by": names.get(r.decided_by, "") if r.decided_by else None,
        }
        for r in rows
    ]


def pending_of(session: Session, user_id: int) -> list[int]:
    rows = session.exec(
        select(GrantRequest.id).where(GrantRequest.user_id == user_id, GrantRequest.state == "pending")
    ).all()
    return [r for r in rows if r is not None]
