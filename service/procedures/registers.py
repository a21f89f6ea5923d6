"""Registers kept by a process (ทะเบียนคณะกรรมการสถานศึกษา, ทะเบียนเด็กพิการ/ด้อยโอกาส, ทะเบียนแหล่งเรียนรู้):
plain lists attached to their procedure, importable from CSV, each row with the letter that asked for or
reported it (a letter of the registers, linked — never copied)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from service import audit
from service.access.policy import Action, require
from service.access.queries import get_visible_letter
from service.access.rule import Actor
from service.kit.clock import to_db
from service.kit.errors import InvalidInput, NotFound
from service.kit.fields import InputError, check_text
from service.kit.publicids import NOWHERE, PublicIds
from service.kit.thai import clean_text, to_arabic_digits
from service.models import Letter, Procedure, RegisterEntry
from service.procedures.cases import MAX_YEAR, MIN_YEAR, _home_unit, case_target
from service.procedures.catalog import REGISTERS

MAX_ROWS = 5000


def procedure_of(session: Session, register: str) -> Procedure:
    if register not in REGISTERS:
        raise NotFound(f"register {register} not found", thai="ไม่พบทะเบียนนี้")
    p = session.exec(select(Procedure).where(Procedure.register_code == register)).first()
    if p is None:
        raise NotFound(f"no procedure keeps register {register}", thai="ไม่พบกระบวนงานที่ใช้ทะเบียนนี้")
    return p


def entry_view(row: RegisterEntry, letter: Letter | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "register": row.register_code,
        "year": row.year,
        "name": row.name,
        "school": row.school,
        "detail": row.detail,
        "letter_id": row.letter_id,
        "letter_no": letter.letter_no if letter else "",
        "letter_subject": letter.subject if letter else "",
    }


def entries(session: Session, actor: Actor, register: str, *, year: int | None = None) -> list[dict[str, Any]]:
    """The register's rows; the letter's number and subject only where the user may read the letter."""
    procedure_of(session, register)
    stmt = select(RegisterEntry).where(RegisterEntry.register_code == register)
    if year is not None:
        stmt = stmt.where(RegisterEntry.year == year)
    out = []
    for row in session.exec(stmt.order_by(col(RegisterEntry.year), col(RegisterEntry.id))):
        letter = None
        if row.letter_id is not None:
            try:
                letter = get_visible_letter(session, actor, row.letter_id)
            except NotFound:
                letter = None
        out.append(entry_view(row, letter))
    return out


def _text(value: Any, limit: int, field: str) -> str:
    text = clean_text("" if value is None else str(value)).strip()
    try:
        check_text(text, multiline=True)  # no NUL or other control character (PostgreSQL refuses NUL in text)
    except InputError as exc:
        raise InvalidInput(f"{field}: {exc}", thai=f"{field}: {exc.thai}") from exc
    if len(text) > limit:
        raise InvalidInput(f"{field} too long", thai=f"{field} ยาวเกิน {limit} ตัวอักษร")
    return text


def add_entry(
    session: Session,
    actor: Actor,
    register: str,
    data: dict[str, Any],
    *,
    now: datetime,
    where: audit.Where | None = None,
    record: bool = True,
    public_ids: PublicIds | None = None,
) -> RegisterEntry:
    """One entry; ``public_ids``: the letter is named as people see it (a form, a CSV), by its public id."""
    procedure = procedure_of(session, register)
    require(actor, Action.RUN_CASE, case_target(session, unit_id=_home_unit(actor), confidential=False))
    try:
        year = int(to_arabic_digits(str(data.get("year", ""))).strip())
    except ValueError as exc:
        raise InvalidInput("year must be a B.E. year", thai="ปี พ.ศ. ไม่ถูกต้อง") from exc
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput("year must be a B.E. year", thai="ปี พ.ศ. ไม่ถูกต้อง")
    name = _text(data.get("name"), 500, "ชื่อ")
    if not name:
        raise InvalidInput("name is required", thai="ต้องกรอกชื่อ")
    letter_id = None
    raw_letter = to_arabic_digits(str(data.get("letter_id") or "")).strip()
    if raw_letter:
        if not raw_letter.isdigit():
            raise InvalidInput("letter_id must be a number", thai="เลขหนังสือในระบบไม่ถูกต้อง")
        key = int(raw_letter) if public_ids is None else (public_ids.letters.decode(int(raw_letter)) or NOWHERE)
        try:
            letter_id = get_visible_letter(session, actor, key).id
        except NotFound as exc:
            raise InvalidInput(f"letter {raw_letter} not found", thai=f"ไม่พบหนังสือ {raw_letter}") from exc
    assert procedure.id is not None
    row = RegisterEntry(
        register_code=register,
        procedure_id=procedure.id,
        year=year,
        name=name,
        school=_text(data.get("school"), 500, "โรงเรียน"),
        detail=_text(data.get("detail"), 4000, "รายละเอียด"),
        letter_id=letter_id,
        created_at=to_db(now),
        created_by=actor.id,
    )
    session.add(row)
    session.flush()
    if record:
        audit.record(
            session,
            at=now,
            action="register_entry_added",
            actor=actor,
            object_type="procedure_register",
            object_id=register,
            letter_id=letter_id,
            where=where,
            entry=row.id,
        )
    return row


def import_csv(
    session: Session,
    actor: Actor,
    register: str,
    text: str,
    *,
    now: datetime,
    where: audit.Where | None = None,
    public_ids: PublicIds | None = None,
) -> int:
    """Rows of a CSV with the heading ``year,name,school,detail,letter_id`` (Thai headings ปี,ชื่อ,โรงเรียน,
    รายละเอียด,หนังสือ also read); all or nothing — a bad row names its line and nothing is added. The letters are
    named as people see them (``public_ids``: the installation's public id permutation)."""
    thai = {"ปี": "year", "ชื่อ": "name", "โรงเรียน": "school", "รายละเอียด": "detail", "หนังสือ": "letter_id"}
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"year", "name"} <= {thai.get(f.strip(), f.strip()) for f in reader.fieldnames}:
        raise InvalidInput(
            "the CSV needs a heading row with year and name", thai="ไฟล์ CSV ต้องมีแถวหัวตารางที่มี year (ปี) และ name (ชื่อ)"
        )
    n = 0
    for line, raw in enumerate(reader, start=2):
        if n >= MAX_ROWS:
            raise InvalidInput(f"at most {MAX_ROWS} rows", thai=f"นำเข้าได้ไม่เกิน {MAX_ROWS} แถว")
        row = {thai.get((k or "").strip(), (k or "").strip()): v for k, v in raw.items()}
        try:
            add_entry(session, actor, register, row, now=now, where=where, record=False, public_ids=public_ids)
        except InvalidInput as exc:
            raise InvalidInput(f"line {line}: {exc.detail}", thai=f"บรรทัดที่ {line}: {exc.thai}") from exc
        n += 1
    audit.record(
        session,
        at=now,
        action="register_imported",
        actor=actor,
        object_type="procedure_register",
        object_id=register,
        where=where,
        rows=n,
    )
    return n
