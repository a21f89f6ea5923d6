"""Letters (หนังสือ), their attachments, derived renditions and readers. Times are stored in UTC."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import service.models.base  # noqa: F401  (the naming convention is set before any table)


class Letter(SQLModel, table=True):
    """หนังสือ: one document as received or sent."""

    id: int | None = Field(default=None, primary_key=True)
    letter_no: str = Field(default="", max_length=128)  # ที่, verbatim
    letter_no_norm: str = Field(default="", max_length=128, index=True)
    letter_date: date | None = None
    sender: str = Field(max_length=500)
    recipient: str = Field(default="", max_length=500)
    subject: str = Field(max_length=1000)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    letter_type: str = Field(max_length=32)
    urgency: int = 1  # 1 ปกติ, 2 ด่วน, 3 ด่วนมาก, 4 ด่วนที่สุด (as AMSS++)
    deliver_by: datetime | None = None
    secrecy: int = 0  # 0 none, 1 ลับ, 2 ลับมาก, 3 ลับที่สุด
    channel: str = Field(max_length=16)
    remarks: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime
    created_by: int = Field(foreign_key="user.id")
    index_status: str = Field(default="pending", max_length=255)


class Attachment(SQLModel, table=True):
    """An original file as received, kept byte-for-byte in object storage under its SHA-256."""

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    position: int = 0
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64, index=True)
    size: int
    media_type: str = Field(max_length=128)
    pages: int | None = None
    created_at: datetime
    # why the main document carries no receive stamp: "" (stamped, or not the main document), "too_complex"
    # (over a budget: content, decompression, pixels, time), "unstampable" (the file cannot take a stamp),
    # "deferred" (above SARABAN_STAMP_MAX_MB: stamped by `saraban verify --repair`)
    stamp_status: str = Field(default="", max_length=32)
    # the stamp job's claim on a "too_complex" attachment (``receiving.stampjob.claim``): which job holds it and
    # until when; several nodes each run the job, and a crashed node's claim lapses so another one takes it over
    stamp_claimed_by: str = Field(default="", max_length=64)
    stamp_claimed_until: datetime | None = None
    # active content found in a PDF at registration (comma-separated: javascript, launch, embedded_file, …)
    active_content: str = Field(default="", max_length=255)


class Rendition(SQLModel, table=True):
    """A derived file (the receive-stamped copy, extracted text): rebuildable from the original."""

    __table_args__ = (UniqueConstraint("attachment_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    attachment_id: int = Field(foreign_key="attachment.id", index=True)
    kind: str = Field(max_length=32)  # stamped | text
    sha256: str = Field(max_length=64, index=True)
    size: int
    media_type: str = Field(max_length=128)
    created_at: datetime


class LetterAccess(SQLModel, table=True):
    """Who may read a letter, as principal tokens derived by ``access.letter_principals`` (one rule)."""

    __table_args__ = (Index("ix_letter_access_principal", "principal", "letter_id"),)
    letter_id: int = Field(foreign_key="letter.id", primary_key=True)
    principal: str = Field(primary_key=True, max_length=64)
