"""The file plan (รหัสแฟ้ม) and the retention classes: the vocabularies filing chooses from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from retention.keeping import keep_until_stamp, retention_problem
from service import audit
from service.access.policy import Action, require
from service.access.rule import Actor
from service.archive.errors import refused
from service.kit.errors import InvalidInput, NotFound
from service.models import FileCode, RetentionClass


def retention_class_view(c: RetentionClass) -> dict[str, Any]:
    return {"id": c.id, "code": c.code, "name": c.name, "years": c.years, "note": c.note}


def file_code_view(f: FileCode) -> dict[str, Any]:
    return {"id": f.id, "code": f.code, "name": f.name, "parent_id": f.parent_id}


def list_retention_classes(session: Session) -> list[dict[str, Any]]:
    return [retention_class_view(c) for c in session.exec(select(RetentionClass).order_by(col(RetentionClass.id)))]


def list_file_codes(session: Session) -> list[dict[str, Any]]:
    return [file_code_view(f) for f in session.exec(select(FileCode).order_by(col(FileCode.code)))]


def get_retention_class(session: Session, class_id: int) -> RetentionClass:
    c = session.get(RetentionClass, class_id)
    if c is None:
        raise NotFound(f"retention class {class_id} not found", thai="ไม่พบประเภทอายุการเก็บนี้")
    return c


def get_file_code(session: Session, file_code_id: int) -> FileCode:
    f = session.get(FileCode, file_code_id)
    if f is None:
        raise NotFound(f"file code {file_code_id} not found", thai="ไม่พบรหัสแฟ้มนี้")
    return f


def add_file_code(
    session: Session,
    *,
    actor: Actor,
    code: str,
    name: str,
    parent_id: int | None = None,
    now: datetime,
    where: audit.Where | None = None,
) -> FileCode:
    """A new file of the office's file plan (under ``parent_id``)."""
    require(actor, Action.MANAGE_FILE_PLAN)
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise InvalidInput("a file code needs a code and a name", thai="ระบุรหัสแฟ้มและชื่อแฟ้ม")
    if parent_id is not None:
        get_file_code(session, parent_id)
    if session.exec(select(FileCode).where(FileCode.code == code)).first() is not None:
        raise refused("file_code_taken", file_code=code)
    row = FileCode(code=code, name=name, parent_id=parent_id)
    session.add(row)
    session.flush()
    audit.record(
        session,
        at=now,
        action="file_code_add",
        actor=actor,
        object_type="file_code",
        object_id=row.id or 0,
        where=where,
        code=code,
        name=name,
    )
    return row


def set_retention_years(
    session: Session, *, actor: Actor, class_id: int, years: int | None, now: datetime, where: audit.Where | None = None
) -> RetentionClass:
    """Change a class's period (e.g. financial documents per the finance rules). Items already filed keep the year
    they were stamped with."""
    require(actor, Action.MANAGE_FILE_PLAN)
    c = get_retention_class(session, class_id)
    problem = retention_problem(years)
    if problem is not None:
        raise refused(problem)
    before, c.years = c.years, years
    session.add(c)
    audit.record(
        session,
        at=now,
        action="retention_class_change",
        actor=actor,
        object_type="retention_class",
        object_id=class_id,
        where=where,
        before=before,
        after=years,
    )
    return c


def stamp_text(year_be: int | None, *, thai_digits: bool = True) -> str:
    return keep_until_stamp(year_be, digits="thai" if thai_digits else "arabic")
