"""Routing (การส่งต่อ): a letter's journey through units and people, and the instructions written on it
(เกษียณหนังสือ). Times are stored in UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

import service.models.base  # noqa: F401  (the naming convention is set before any table)


class Routing(SQLModel, table=True):
    """การส่งต่อ: one step of a letter's journey — sent to a unit or a person, with an instruction — and what the
    recipient did with it. Each transition happens at most once per route, so its time and actor are columns (the
    timeline is read from them); ``state`` is where the route stands now (``service.routing.rules``)."""

    __table_args__ = (
        Index("ix_routing_to_unit_state", "to_unit_id", "state"),
        Index("ix_routing_to_user_state", "to_user_id", "state"),
        Index("ix_routing_from_unit_state", "from_unit_id", "state"),
        Index("ix_routing_from_user_state", "from_user_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    from_user_id: int = Field(foreign_key="user.id")
    # the desk it was sent from (the registry unit of the clerk who sent it, the unit that forwarded it): where a
    # returned letter goes back to; None for a person's own forward
    from_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    # the route this one was forwarded from (a group's route, to the officer the group clerk assigned)
    parent_id: int | None = Field(default=None, foreign_key="routing.id", index=True)
    to_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    to_user_id: int | None = Field(default=None, foreign_key="user.id")
    instruction: str = Field(default="", max_length=2000)
    due_at: datetime | None = None
    routed_at: datetime
    # The journey's state (sent, registered, acknowledged, returned, forwarded, completed, recalled);
    # ``completed_at`` is when the work was done (the archive files a letter from its journey's completion).
    state: str = Field(default="sent", max_length=16, index=True)
    state_at: datetime | None = None  # when the state last changed
    registered_at: datetime | None = None
    registered_by: int | None = Field(default=None, foreign_key="user.id")
    registration_id: int | None = Field(default=None, foreign_key="registration.id")  # the unit's own number
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = Field(default=None, foreign_key="user.id")
    returned_at: datetime | None = None
    returned_by: int | None = Field(default=None, foreign_key="user.id")
    returned_reason: str = Field(default="", max_length=1000)
    forwarded_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by: int | None = Field(default=None, foreign_key="user.id")
    action_taken: str = Field(default="", max_length=2000)  # การปฏิบัติ
    recalled_at: datetime | None = None
    recalled_by: int | None = Field(default=None, foreign_key="user.id")


class Instruction(SQLModel, table=True):
    """เกษียณหนังสือ / สั่งการ: a head's instruction written on a letter, with the typed name and position that
    stand for the signature (ระเบียบงานสารบรรณ as amended in 2564: with identity verification a typed name is a
    signature)."""

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    route_id: int | None = Field(default=None, foreign_key="routing.id")
    author_id: int = Field(foreign_key="user.id")
    author_name: str = Field(max_length=255)
    author_position: str = Field(default="", max_length=255)
    text: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime
