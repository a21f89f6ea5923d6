"""The archive (ระเบียบงานสารบรรณ หมวด 3): the file plan, retention classes, filed items, legal holds, destruction
lists with their committees, tombstones of what was destroyed, loans and transfer lists. Times are stored in UTC;
years are B.E.; office days are plain dates."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import service.models.base  # noqa: F401  (the naming convention is set before any table)


class RetentionClass(SQLModel, table=True):
    """A retention period under a code; ``years`` None is permanent (ห้ามทำลาย)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    name: str = Field(max_length=255)
    years: int | None = None
    note: str = Field(default="", max_length=500)


class FileCode(SQLModel, table=True):
    """รหัสแฟ้ม: a file of the office's file plan, in a tree."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=255)
    parent_id: int | None = Field(default=None, foreign_key="filecode.id", index=True)


class ArchiveItem(SQLModel, table=True):
    """A letter filed in the archive: under a file code and a retention class, kept until ``keep_until_year``."""

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", unique=True)
    file_code_id: int = Field(foreign_key="filecode.id", index=True)
    retention_class_id: int = Field(foreign_key="retentionclass.id", index=True)
    storage_kind: str = Field(default="completed", max_length=16)  # retention.keeping.StorageKind
    location: str = Field(default="", max_length=255)  # room, cabinet, shelf, box of the paper original
    completed_on: date
    keep_until_year: int | None = Field(default=None, index=True)  # B.E.; None: permanent
    filed_at: datetime
    filed_by: int = Field(foreign_key="user.id")
    state: str = Field(default="filed", max_length=16, index=True)  # filed | destroyed | transferred


class LegalHold(SQLModel, table=True):
    """A legal hold on an item: while it is not released the item is never destroyed."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="archiveitem.id", index=True)
    reason: str = Field(max_length=1000)
    placed_at: datetime
    placed_by: int = Field(foreign_key="user.id")
    released_at: datetime | None = None
    released_by: int | None = Field(default=None, foreign_key="user.id")
    release_reason: str = Field(default="", max_length=1000)


class DestructionList(SQLModel, table=True):
    """บัญชีหนังสือขอทำลาย of one year, and where it stands: committee, approval, the National Archives, execution."""

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)  # B.E. of the listing
    created_at: datetime
    created_by: int = Field(foreign_key="user.id")
    approved_at: datetime | None = None
    approved_by: int | None = Field(default=None, foreign_key="user.id")
    archives_notified_on: date | None = None
    archives_answer: str | None = Field(default=None, max_length=16)  # approved | objected
    archives_answered_on: date | None = None
    executed_at: datetime | None = None
    executed_by: int | None = Field(default=None, foreign_key="user.id")
    method: str = Field(default="", max_length=255)


class DestructionItem(SQLModel, table=True):
    """One line of a destruction list, with the committee's decision (การพิจารณา)."""

    __table_args__ = (UniqueConstraint("list_id", "item_id"),)
    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="destructionlist.id", index=True)
    item_id: int = Field(foreign_key="archiveitem.id", index=True)
    position: int  # ลำดับ
    listed_keep_until_year: int | None = None  # the keep-until year when listed
    decision: str | None = Field(default=None, max_length=16)  # destroy | keep
    keep_until_year: int | None = None  # the new year of a kept item
    remark: str = Field(default="", max_length=500)  # หมายเหตุ
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")


class CommitteeMember(SQLModel, table=True):
    """A member of a list's destruction committee; the typed name stands for the signature (ข้อ 8, 2564)."""

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="destructionlist.id", index=True)
    position_no: int  # order on the record
    name: str = Field(max_length=255)
    position: str = Field(default="", max_length=255)
    level: str = Field(max_length=64)
    role: str = Field(max_length=16)  # chair | member


class Tombstone(SQLModel, table=True):
    """What remains of a destroyed letter: enough to say what it was, when, how and by which list."""

    letter_id: int = Field(foreign_key="letter.id", primary_key=True)
    item_id: int = Field(foreign_key="archiveitem.id", index=True)
    list_id: int = Field(foreign_key="destructionlist.id", index=True)
    registrations: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))  # JSON
    letter_no: str = Field(default="", max_length=128)
    letter_date: date | None = None
    subject: str = Field(max_length=1000)
    file_code: str = Field(default="", max_length=64)
    file_name: str = Field(default="", max_length=255)
    destroyed_at: datetime
    method: str = Field(default="", max_length=255)
    objects: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))  # JSON


class Loan(SQLModel, table=True):
    """บัตรยืมหนังสือ: an item lent (request → approve → hand out → return), or an outsider's viewing or copying."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="archiveitem.id", index=True)
    kind: str = Field(default="borrow", max_length=8)  # borrow | view | copy
    borrower_kind: str = Field(default="staff", max_length=8)  # staff | outsider
    borrower_user_id: int | None = Field(default=None, foreign_key="user.id")
    borrower_name: str = Field(max_length=255)
    borrower_position: str = Field(default="", max_length=255)
    borrower_unit: str = Field(default="", max_length=255)
    purpose: str = Field(default="", max_length=1000)
    state: str = Field(max_length=16, index=True)
    requested_at: datetime
    requested_by: int = Field(foreign_key="user.id")
    approved_at: datetime | None = None
    approved_by: int | None = Field(default=None, foreign_key="user.id")
    handed_out_at: datetime | None = None
    handed_out_by: int | None = Field(default=None, foreign_key="user.id")
    due_on: date | None = None
    received_by: str = Field(default="", max_length=255)  # who took the item (ผู้รับ)
    returned_at: datetime | None = None
    returned_by: str = Field(default="", max_length=255)  # who brought it back (ผู้ส่งคืน)
    return_received_by: int | None = Field(default=None, foreign_key="user.id")


class TransferList(SQLModel, table=True):
    """บัญชีส่งมอบหนังสือครบ ๒๐ ปี (kind ``transfer``) or the keep-ourselves list (kind ``keep``) of one year."""

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)  # B.E.
    kind: str = Field(max_length=16)
    created_at: datetime
    created_by: int = Field(foreign_key="user.id")


class TransferItem(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("list_id", "item_id"),)
    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="transferlist.id", index=True)
    item_id: int = Field(foreign_key="archiveitem.id", index=True)
    position: int
