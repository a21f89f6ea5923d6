"""Units (หน่วยงาน): the office, its groups and outside parties. Times are stored in UTC."""

from __future__ import annotations

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

import service.models.base  # noqa: F401  (the naming convention is set before any table)


class Unit(SQLModel, table=True):
    """หน่วยงาน: the office, its groups, and outside parties, as a tree."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=255)
    short_name: str = Field(default="", max_length=128)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    internal: bool = True
    letter_code: str | None = Field(default=None, max_length=32)  # รหัสหนังสือ, e.g. "ศธ 04045"
    # office | group | outside | school ("": as seeded before the administration screens; ``internal`` still says
    # whether the unit works in this installation)
    kind: str = Field(default="", max_length=16)
    address: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
