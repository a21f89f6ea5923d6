"""Sending (การส่งหนังสือ): outgoing letters, their recipients, electronic deliveries, reserved and cancelled
numbers, saved recipient groups. Times are stored in UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import service.models.base  # noqa: F401  (the naming convention is set before any table)


class Outgoing(SQLModel, table=True):
    """หนังสือส่ง: a letter of this installation on its way out — drafted in a send-side series of its unit,
    numbered (its ``Registration`` in that series), delivered. The letter's own fields live in ``Letter``."""

    letter_id: int = Field(foreign_key="letter.id", primary_key=True)
    registry_id: int = Field(foreign_key="registry.id", index=True)  # the series (send, circular, order …)
    unit_id: int = Field(foreign_key="unit.id", index=True)  # the sending unit (the registry's)
    state: str = Field(default="draft", max_length=16, index=True)  # draft | issued | sent | cancelled
    replies_to_letter_id: int | None = Field(default=None, foreign_key="letter.id", index=True)
    registration_id: int | None = Field(default=None, foreign_key="registration.id")
    issued_at: datetime | None = None
    issued_by: int | None = Field(default=None, foreign_key="user.id")
    sent_at: datetime | None = None
    sent_by: int | None = Field(default=None, foreign_key="user.id")


class OutgoingRecipient(SQLModel, table=True):
    """One addressee of an outgoing letter: a unit of this installation, a saved group of them, or an outside party
    by post or e-mail (``copy``: สำเนาส่ง). Units are delivered as ``Delivery`` rows; outside parties carry their
    own state here."""

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    position: int = 0
    kind: str = Field(max_length=8)  # unit | group | post | email
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    group_id: int | None = Field(default=None, foreign_key="recipientgroup.id")
    name: str = Field(default="", max_length=500)
    address: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    email: str = Field(default="", max_length=320)
    copy_only: bool = False
    state: str = Field(default="pending", max_length=16)  # outside parties: pending | posted | emailed | recorded
    sent_at: datetime | None = None
    message_id: str = Field(default="", max_length=255)
    error: str = Field(default="", max_length=1000)


class Delivery(SQLModel, table=True):
    """การส่งทางระบบอิเล็กทรอนิกส์: an outgoing letter arriving at a unit of this installation; the unit's clerk (its
    secret registrar for ลับ/ลับมาก) opens it and registers the same letter in the unit's receive register."""

    __table_args__ = (
        UniqueConstraint("letter_id", "unit_id", name="uq_delivery_letter_unit"),
        Index("ix_delivery_unit_state", "unit_id", "state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id")
    unit_id: int = Field(foreign_key="unit.id")
    secret: bool = False  # for the recipient's secret registrar only
    state: str = Field(default="delivered", max_length=16)  # delivered | opened | registered | returned
    delivered_at: datetime
    delivered_by: int = Field(foreign_key="user.id")
    opened_at: datetime | None = None
    opened_by: int | None = Field(default=None, foreign_key="user.id")
    registration_id: int | None = Field(default=None, foreign_key="registration.id")
    registered_at: datetime | None = None
    returned_at: datetime | None = None
    returned_reason: str = Field(default="", max_length=1000)


class NumberReservation(SQLModel, table=True):
    """A number taken from a series ahead of its letter (a letter signed on paper before it is entered): who, why,
    until when; used by one letter of the same series, or left to expire. Never handed out again."""

    __table_args__ = (UniqueConstraint("registry_id", "year", "number", name="uq_numberreservation_number"),)
    id: int | None = Field(default=None, primary_key=True)
    registry_id: int = Field(foreign_key="registry.id", index=True)
    year: int  # B.E.
    number: int
    reason: str = Field(max_length=1000)
    reserved_by: int = Field(foreign_key="user.id")
    reserved_at: datetime
    expires_at: datetime
    letter_id: int | None = Field(default=None, foreign_key="letter.id")  # the letter that used it
    used_at: datetime | None = None


class NumberCancellation(SQLModel, table=True):
    """A number cancelled (issued or reserved) with its reason: it stays in the register, marked, never reissued."""

    __table_args__ = (UniqueConstraint("registry_id", "year", "number", name="uq_numbercancellation_number"),)
    id: int | None = Field(default=None, primary_key=True)
    registry_id: int = Field(foreign_key="registry.id", index=True)
    year: int  # B.E.
    number: int
    reason: str = Field(max_length=1000)
    cancelled_by: int = Field(foreign_key="user.id")
    cancelled_at: datetime
    letter_id: int | None = Field(default=None, foreign_key="letter.id")


class RecipientGroup(SQLModel, table=True):
    """A saved list of recipient units (e.g. โรงเรียนในสังกัดทั้งหมด), sent to in one action."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255)
    owner_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    created_at: datetime


class RecipientGroupMember(SQLModel, table=True):
    group_id: int = Field(foreign_key="recipientgroup.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
