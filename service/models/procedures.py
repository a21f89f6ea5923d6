"""The office's work processes (กระบวนงาน): templates with their steps, the yearly cases run from them with the
registered letters at each step, the registers some processes keep, and the members of confidential bodies (the
child-protection centre). Times are stored in UTC; due dates are plain dates."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import service.models.base  # noqa: F401  (the naming convention is set before any table)


class Procedure(SQLModel, table=True):
    """แม่แบบกระบวนงาน: one work process of a manual (synced from ``service/procedures/data``)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=500)
    objective: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    group_name: str = Field(default="", max_length=255)  # ผู้รับผิดชอบ (the group)
    source: str = Field(default="", max_length=255)
    duration_from: str = Field(default="", max_length=32)  # seeds/001 | office
    confidential: bool = False  # the child-protection centre's cases
    register_code: str = Field(default="", max_length=64)  # the register this process keeps, if any
    forms: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))  # JSON list
    references: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))  # JSON list
    categories: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))  # JSON list
    active: bool = True
    updated_at: datetime | None = None


class ProcedureStep(SQLModel, table=True):
    """One numbered step of a template, with its standard duration and the letter that carries it."""

    __table_args__ = (UniqueConstraint("procedure_id", "no", name="uq_procedurestep_no"),)
    id: int | None = Field(default=None, primary_key=True)
    procedure_id: int = Field(foreign_key="procedure.id", index=True)
    no: int
    name: str = Field(sa_column=Column(Text, nullable=False))
    duration: str = Field(max_length=64)  # "1 สัปดาห์" | "พฤษภาคม" | "มีนาคมของปีถัดไป"
    quality: str = Field(default="-", max_length=500)
    responsible: str = Field(default="", max_length=255)
    letter_kind: str = Field(default="none", max_length=16)  # incoming | circular | order | report | none
    forms: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))


class ProcedureCase(SQLModel, table=True):
    """A process run for one B.E. year by a group, usually opened from a registered letter."""

    __table_args__ = (Index("ix_procedurecase_unit_state", "unit_id", "state"),)
    id: int | None = Field(default=None, primary_key=True)
    procedure_id: int = Field(foreign_key="procedure.id", index=True)
    year: int  # B.E. (fiscal or academic)
    unit_id: int = Field(foreign_key="unit.id")  # the group that runs it
    title: str = Field(default="", max_length=500)
    confidential: bool = False
    state: str = Field(default="open", max_length=16)  # open | done
    start_on: date
    from_letter_id: int | None = Field(default=None, foreign_key="letter.id")
    opened_at: datetime
    opened_by: int = Field(foreign_key="user.id")
    closed_at: datetime | None = None
    # the child-protection centre's incident report (seeds/004 แบบฟอร์มการรายงานข้อมูลเกิดเหตุเบื้องต้น)
    category: str = Field(default="", max_length=255)
    facts: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    first_help: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    info_source: str = Field(default="", max_length=500)
    reporter: str = Field(default="", max_length=500)


class CaseStep(SQLModel, table=True):
    """A case's copy of a template step: its due date and whether it is done."""

    __table_args__ = (UniqueConstraint("case_id", "no", name="uq_casestep_no"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="procedurecase.id", index=True)
    no: int
    name: str = Field(sa_column=Column(Text, nullable=False))
    duration: str = Field(max_length=64)
    quality: str = Field(default="-", max_length=500)
    responsible: str = Field(default="", max_length=255)
    letter_kind: str = Field(default="none", max_length=16)
    due_on: date
    state: str = Field(default="pending", max_length=16)  # pending | done
    done_on: date | None = None
    done_at: datetime | None = None
    done_by: int | None = Field(default=None, foreign_key="user.id")


class CaseLetter(SQLModel, table=True):
    """A registered letter at a step of a case (a link to the register's letter, never a copy)."""

    __table_args__ = (UniqueConstraint("step_id", "letter_id", name="uq_caseletter_step_letter"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="procedurecase.id", index=True)
    step_id: int = Field(foreign_key="casestep.id", index=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    how: str = Field(default="attached", max_length=16)  # opened (the letter the case started from) | attached | issued
    linked_at: datetime
    linked_by: int = Field(foreign_key="user.id")


class BodyMember(SQLModel, table=True):
    """A member of a named body whose items only its members see (``child-protection``: ศูนย์ ฉก.ชน.)."""

    body: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", primary_key=True)


class RegisterEntry(SQLModel, table=True):
    """One row of a register kept by a process (ทะเบียนคณะกรรมการสถานศึกษา, ทะเบียนเด็กพิการ/ด้อยโอกาส,
    ทะเบียนแหล่งเรียนรู้), with the letter that asked for or reported it."""

    id: int | None = Field(default=None, primary_key=True)
    register_code: str = Field(max_length=64, index=True)
    procedure_id: int = Field(foreign_key="procedure.id")
    year: int
    name: str = Field(max_length=500)
    school: str = Field(default="", max_length=500)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    letter_id: int | None = Field(default=None, foreign_key="letter.id")
    created_at: datetime
    created_by: int = Field(foreign_key="user.id")
