"""Routing (การส่งต่อ): a letter sent on to a unit or a person. Times are stored in UTC."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

import service.models.base  # noqa: F401  (the naming convention is set before any table)


class Routing(SQLModel, table=True):
    """การส่งต่อ: a letter sent on to a unit or a person, with an instruction."""

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    from_user_id: int = Field(foreign_key="user.id")
    to_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    to_user_id: int | None = Field(default=None, foreign_key="user.id")
    instruction: str = Field(default="", max_length=2000)
    due_at: datetime | None = None
    routed_at: datetime
    acknowledged_at: datetime | None = None
    # The journey's state (sent, registered, acknowledged, returned, forwarded, completed, recalled);
    # ``completed_at`` is when the work was done (the archive files a letter from its journey's completion).
    state: str = Field(default="sent", max_length=16, index=True)
    completed_at: datetime | None = None
