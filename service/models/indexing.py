"""The search index's change log and the nodes that follow it (README "Scale-out"). Times are stored in UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Integer, func
from sqlmodel import Field, SQLModel

import service.models.base  # noqa: F401  (the naming convention is set before any table)

# BIGINT on PostgreSQL (a log that outlives 2^31 changes); on SQLite the INTEGER that is the rowid, declared
# AUTOINCREMENT so that an id is never handed out twice even after the log was trimmed to nothing.
LOG_ID = BigInteger().with_variant(Integer(), "sqlite")


class IndexChange(SQLModel, table=True):
    """One change that affects what the search index holds of a letter, appended in the change's transaction.

    ``id`` is the log's order; every node's index worker follows it from its own cursor. ``at`` is the
    database's clock when the row was written (the replicas' lag in seconds is measured against it)."""

    __tablename__ = "index_change"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, sa_column=Column(LOG_ID, primary_key=True, autoincrement=True))
    letter_id: int = Field(sa_column=Column(Integer, nullable=False))  # no FK: the insert stays one cheap row
    reason: str = Field(default="", max_length=16)
    at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )


class IndexNode(SQLModel, table=True):
    """An app node's index replica: how far it has applied the log, and when it last said so."""

    __tablename__ = "index_node"
    node_id: str = Field(primary_key=True, max_length=64)
    cursor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    applied: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    host: str = Field(default="", max_length=255)
    index_path: str = Field(default="", max_length=1000)
    started_at: datetime
    heartbeat: datetime
