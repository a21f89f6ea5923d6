"""Sign-in throttling and the two-person rule for secrets. Times are stored in UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

import service.models.base  # noqa: F401  (the naming convention is set before any table)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted per key (``acct:<username>`` or ``src:<ip>``) in a window, shared by every server
    process and node: updated only by one atomic upsert (``service.auth.throttle``)."""

    key: str = Field(primary_key=True, max_length=160)
    failures: int = 0
    window_start: datetime
    blocked_until: datetime | None = None


class GrantRequest(SQLModel, table=True):
    """An administrator's request that reaches secrets (clearance, the secret registrar's role, a cleared account's
    password); it takes effect only when the head of the office approves (two-person rule)."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # grant | reset_password
    user_id: int = Field(foreign_key="user.id", index=True)
    clearance: int | None = None  # the clearance to grant (grant)
    roles: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))  # JSON [[unit_id, role]]
    password_hash: str = Field(default="", max_length=255)  # the new password's hash (reset_password)
    state: str = Field(default="pending", max_length=16)  # pending | approved | refused
    requested_by: int = Field(foreign_key="user.id")
    requested_at: datetime
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
