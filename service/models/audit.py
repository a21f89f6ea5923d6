"""The append-only, hash-chained audit trail. Times are stored in UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

import service.models.base  # noqa: F401  (the naming convention is set before any table)


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained event log. The database refuses UPDATE and DELETE (triggers)."""

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(index=True)
    actor_id: int | None = None
    actor: str = Field(default="", max_length=64)
    action: str = Field(max_length=64)
    object_type: str = Field(default="", max_length=32)
    object_id: str = Field(default="", max_length=64)
    letter_id: int | None = Field(default=None, index=True)
    ip: str = Field(default="", max_length=64)
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    mac: str | None = Field(default=None, max_length=64)  # HMAC of seq and hash with the key outside the database


class AuditHead(SQLModel, table=True):
    """The chain's tip: one row, locked while an event is appended, so the chain stays linear."""

    id: int = Field(default=1, primary_key=True)
    last_seq: int = 0
    last_hash: str = Field(default="0" * 64, max_length=64)
    mac: str | None = Field(default=None, max_length=64)  # HMAC of last_seq and last_hash (the keyed checkpoint)
