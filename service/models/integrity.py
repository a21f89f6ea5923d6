"""Stored objects found altered, and the first answers of creates sent with an ``Idempotency-Key``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import service.models.base  # noqa: F401  (the naming convention is set before any table)


class ObjectFault(SQLModel, table=True):
    """An object whose bytes no longer hash to its key (seen while serving it or by ``saraban verify``)."""

    __tablename__ = "object_fault"
    sha256: str = Field(primary_key=True, max_length=64)
    found_at: datetime
    detail: str = Field(default="", max_length=500)


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a create sent with an ``Idempotency-Key``: a retry by the same actor with the same key
    gets it again (the same status and body) and registers nothing new."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("actor_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(index=True)
    key: str = Field(max_length=255)
    route: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status: int
    body: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    created_at: datetime


class PublicIdKey(SQLModel, table=True):
    """The installation's key of the public id permutation (``service.kit.publicids``): one row, made at random by
    migration ``20261210_ids``, the same for every process and node sharing the database."""

    __tablename__ = "public_id_key"
    id: int = Field(default=1, primary_key=True)
    key: str = Field(max_length=64)  # 32 random bytes, hex
