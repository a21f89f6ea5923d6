"""The core records (DESIGN.md "Core records"). Times are stored in UTC."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, MetaData, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# A naming convention keeps Alembic migrations reviewable and identical on SQLite and PostgreSQL.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Unit(SQLModel, table=True):
    """หน่วยงาน: the office, its groups, and outside parties, as a tree."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=255)
    short_name: str = Field(default="", max_length=128)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    internal: bool = True
    letter_code: str | None = Field(default=None, max_length=32)  # รหัสหนังสือ, e.g. "ศธ 04045"


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


class Registry(SQLModel, table=True):
    """ทะเบียน: a register owned by a unit with its own yearly running numbers."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=255)
    kind: str = Field(max_length=32)  # receive | secret_receive (send, circular, order... later)
    unit_id: int = Field(foreign_key="unit.id", index=True)


class NumberCounter(SQLModel, table=True):
    """The last number handed out per registry and B.E. year (tech-notes: counter row + unique constraint)."""

    registry_id: int = Field(foreign_key="registry.id", primary_key=True)
    year: int = Field(primary_key=True)
    last_number: int = 0


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


class Registration(SQLModel, table=True):
    """การลงทะเบียน: a letter entered in a registry under (registry, B.E. year, number)."""

    __table_args__ = (UniqueConstraint("registry_id", "year", "number", name="uq_registration_number"),)
    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    registry_id: int = Field(foreign_key="registry.id", index=True)
    year: int  # B.E.
    number: int
    registered_at: datetime
    registered_by: int = Field(foreign_key="user.id")
    action: str = Field(default="", max_length=1000)  # การปฏิบัติ
    remarks: str = Field(default="", max_length=1000)
    cancelled: bool = False


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


class LetterAccess(SQLModel, table=True):
    """Who may read a letter, as principal tokens derived by ``access.letter_principals`` (one rule)."""

    __table_args__ = (Index("ix_letter_access_principal", "principal", "letter_id"),)
    letter_id: int = Field(foreign_key="letter.id", primary_key=True)
    principal: str = Field(primary_key=True, max_length=64)


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


class AuditHead(SQLModel, table=True):
    """The chain's tip: one row, locked while an event is appended, so the chain stays linear."""

    id: int = Field(default=1, primary_key=True)
    last_seq: int = 0
    last_hash: str = Field(default="0" * 64, max_length=64)


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
