"""Users, their roles in units, and their sign-in tokens. Times are stored in UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

import service.models.base  # noqa: F401  (the naming convention is set before any table)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    full_name: str = Field(default="", max_length=255)
    password_hash: str = Field(max_length=255)
    clearance: int = 0  # 0 none, 1 ลับ, 2 ลับมาก, 3 ลับที่สุด
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = None
    created_at: datetime


class Membership(SQLModel, table=True):
    """A user's role in a unit; a user may hold several."""

    __table_args__ = (UniqueConstraint("user_id", "unit_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: str = Field(max_length=32)


class AuthToken(SQLModel, table=True):
    """An API bearer token or a web session; only the SHA-256 of the secret is stored."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=16)  # api | session
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None = None
    csrf_token: str = Field(default="", max_length=64)
