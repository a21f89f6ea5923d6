"""Registries (ทะเบียน), their yearly counters and the registrations they number. Times are stored in UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import service.models.base  # noqa: F401  (the naming convention is set before any table)


class Registry(SQLModel, table=True):
    """ทะเบียน: a register owned by a unit with its own yearly running numbers."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=255)
    kind: str = Field(max_length=32)  # receive | secret_receive | send | circular | order | announcement | secret_send
    unit_id: int = Field(foreign_key="unit.id", index=True)


class NumberCounter(SQLModel, table=True):
    """The last number handed out per registry and B.E. year (a counter row + a unique constraint: gap-free, no
    duplicates)."""

    registry_id: int = Field(foreign_key="registry.id", primary_key=True)
    year: int = Field(primary_key=True)
    last_number: int = 0
    closed: bool = False  # the year is closed by the administrator: no more numbers (``next_number`` refuses)


class Registration(SQLModel, table=True):
    """การลงทะเบียน: a letter entered in a registry under (registry, B.E. year, number)."""

    __table_args__ = (UniqueConstraint("registry_id", "year", "number", name="uq_registration_number"),)
    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    registry_id: int = Field(foreign_key="registry.id")  # looked up through uq_registration_number, led by it
    year: int  # B.E.
    number: int
    registered_at: datetime
    registered_by: int = Field(foreign_key="user.id")
    action: str = Field(default="", max_length=1000)  # การปฏิบัติ
    remarks: str = Field(default="", max_length=1000)
    cancelled: bool = False


class RegistrationCorrection(SQLModel, table=True):
    """การแก้ไขการลงทะเบียน: one correction of a registered letter's particulars by the registry's clerk; the values
    before and after (JSON objects of the changed fields only), so every earlier version can be read back."""

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id", index=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    corrected_at: datetime
    corrected_by: int = Field(foreign_key="user.id")
    reason: str = Field(max_length=1000)
    before: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    after: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
