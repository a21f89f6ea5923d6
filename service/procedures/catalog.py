"""The procedure templates as data: read and checked from TOML (``data/procedures.toml`` in the repository, or a
file an administrator imports), synced into the ``procedure`` tables, written back out as TOML.

At start-up only templates the database lacks are added (what an administrator imported is kept); ``import``
replaces the templates it names. Cases copy their steps when opened, so a changed template never changes a case
already running.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, delete, select

from service import audit
from service.access.policy import Action, require
from service.access.rule import Actor
from service.kit.clock import to_db
from service.kit.errors import InvalidInput
from service.models import Procedure, ProcedureStep
from service.procedures.schedule import parse_duration

DATA_FILE = Path(__file__).parent / "data" / "procedures.toml"
LETTER_KINDS = ("incoming", "circular", "order", "report", "none")
LETTER_KIND_TH = {
    "incoming": "หนังสือรับ",
    "circular": "หนังสือเวียนถึงสถานศึกษา",
    "order": "คำสั่ง",
    "report": "หนังสือส่ง (รายงาน)",
    "none": "-",
}
REGISTERS = {
    "school_board": "ทะเบียนคณะกรรมการสถานศึกษา",
    "disadvantaged_children": "ทะเบียนเด็กพิการ/ด้อยโอกาส",
    "learning_resources": "ทะเบียนแหล่งเรียนรู้",
}


@dataclass(frozen=True)
class StepIn:
    no: int
    name: str
    duration: str
    quality: str = "-"
    responsible: str = ""
    letter: str = "none"
    forms: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TemplateIn:
    code: str
    name: str
    steps: list[StepIn]
    objective: str = ""
    group: str = ""
    source: str = ""
    duration_from: str = ""
    confidential: bool = False
    register: str = ""
    forms: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def _texts(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{where} must be a list of text", thai=f"{where} ต้องเป็นรายการข้อความ")
    return list(value)


def parse_templates(text: str) -> list[TemplateIn]:
    """Read and check templates; every problem names the template and step (English and Thai)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"not TOML: {exc}", thai=f"ไฟล์แม่แบบไม่ใช่ TOML ที่ถูกต้อง: {exc}") from exc
    items = data.get("procedure")
    if not isinstance(items, list) or not items:
        raise InvalidInput("no [[procedure]] in the file", thai="ไม่พบแม่แบบกระบวนงาน ([[procedure]]) ในไฟล์")
    result: list[TemplateIn] = []
    seen: set[str] = set()
    for i, raw in enumerate(items, start=1):
        code, name = str(raw.get("code", "")).strip(), str(raw.get("name", "")).strip()
        where = f"procedure {i} ({code or '?'})"
        if not code or not name:
            raise InvalidInput(f"{where}: code and name are required", thai=f"แม่แบบที่ {i}: ต้องมี code และ name")
        if code in seen:
            raise InvalidInput(f"{where}: code used twice", thai=f"แม่แบบ {code}: รหัสซ้ำ")
        seen.add(code)
        register = str(raw.get("register", ""))
        if register and register not in REGISTERS:
            raise InvalidInput(f"{where}: unknown register {register!r}", thai=f"แม่แบบ {code}: ไม่รู้จักทะเบียน {register}")
        steps_raw = raw.get("steps")
        if not isinstance(steps_raw, list) or not steps_raw:
            raise InvalidInput(f"{where}: no steps", thai=f"แม่แบบ {code}: ไม่มีขั้นตอน")
        steps = []
        for n, s in enumerate(steps_raw, start=1):
            sname, duration = str(s.get("name", "")).strip(), str(s.get("duration", "")).strip()
            letter = str(s.get("letter", "none"))
            if not sname:
                raise InvalidInput(f"{where} step {n}: no name", thai=f"แม่แบบ {code} ขั้นตอนที่ {n}: ไม่มีชื่อขั้นตอน")
            try:
                parse_duration(duration)
            except ValueError as exc:
                raise InvalidInput(
                    f"{where} step {n}: {exc}",
                    thai=f"แม่แบบ {code} ขั้นตอนที่ {n}: เวลาดำเนินการ '{duration}' ต้องเป็น เช่น '1 สัปดาห์' หรือชื่อเดือน",
                ) from exc
            if letter not in LETTER_KINDS:
                raise InvalidInput(
                    f"{where} step {n}: letter must be one of {', '.join(LETTER_KINDS)}",
                    thai=f"แม่แบบ {code} ขั้นตอนที่ {n}: ชนิดหนังสือไม่ถูกต้อง ({letter})",
                )
            steps.append(
                StepIn(
                    no=n,
                    name=sname,
                    duration=duration,
                    quality=str(s.get("quality", "-")) or "-",
                    responsible=str(s.get("responsible", raw.get("group", ""))),
                    letter=letter,
                    forms=_texts(s.get("forms"), f"{where} step {n} forms"),
                )
            )
        result.append(
            TemplateIn(
                code=code,
                name=name,
                steps=steps,
                objective=str(raw.get("objective", "")),
                group=str(raw.get("group", "")),
                source=str(raw.get("source", "")),
                duration_from=str(raw.get("duration_from", "")),
                confidential=bool(raw.get("confidential", False)),
                register=register,
                forms=_texts(raw.get("forms"), f"{where} forms"),
                references=_texts(raw.get("references"), f"{where} references"),
                categories=_texts(raw.get("categories"), f"{where} categories"),
            )
        )
    return result


def bundled_templates() -> list[TemplateIn]:
    return parse_templates(DATA_FILE.read_text(encoding="utf-8"))


def _store(session: Session, t: TemplateIn, row: Procedure | None, now: datetime) -> Procedure:
    if row is None:
        row = Procedure(code=t.code, name=t.name)
    row.name, row.objective, row.group_name, row.source = t.name, t.objective, t.group, t.source
    row.duration_from, row.confidential, row.register_code = t.duration_from, t.confidential, t.register
    row.forms = json.dumps(t.forms, ensure_ascii=False)
    row.references = json.dumps(t.references, ensure_ascii=False)
    row.categories = json.dumps(t.categories, ensure_ascii=False)
    row.active, row.updated_at = True, to_db(now)
    session.add(row)
    session.flush()
    assert row.id is not None
    session.exec(delete(ProcedureStep).where(col(ProcedureStep.procedure_id) == row.id))
    for s in t.steps:
        session.add(
            ProcedureStep(
                procedure_id=row.id,
                no=s.no,
                name=s.name,
                duration=s.duration,
                quality=s.quality,
                responsible=s.responsible,
                letter_kind=s.letter,
                forms=json.dumps(s.forms, ensure_ascii=False),
            )
        )
    session.flush()
    return row


def sync_missing(session: Session, templates: list[TemplateIn], *, now: datetime) -> list[str]:
    """Add the templates whose code the database lacks (start-up); returns their codes."""
    have = set(session.exec(select(Procedure.code)))
    added = [t for t in templates if t.code not in have]
    for t in added:
        _store(session, t, None, now)
    return [t.code for t in added]


def import_templates(
    session: Session, actor: Actor | None, text: str, *, now: datetime, where: audit.Where | None = None
) -> dict[str, list[str]]:
    """An administrator's import: the file's templates replace those of the same code, new ones are added;
    audited. ``actor`` None: the command line run by the installation's operator."""
    if actor is not None:
        require(actor, Action.MANAGE_PROCEDURES)
    templates = parse_templates(text)
    existing = {p.code: p for p in session.exec(select(Procedure))}
    added: list[str] = []
    replaced: list[str] = []
    for t in templates:
        (replaced if t.code in existing else added).append(t.code)
        _store(session, t, existing.get(t.code), now)
    audit.record(
        session,
        at=now,
        action="procedures_imported",
        actor=actor,
        actor_name="" if actor else "cli",
        object_type="procedure",
        where=where,
        added=added,
        replaced=replaced,
    )
    return {"added": added, "replaced": replaced}


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def export_templates(session: Session) -> str:
    """The database's templates as TOML, readable by ``parse_templates`` (round trip)."""
    out = ["# แม่แบบกระบวนงาน exported by `saraban procedures export`", ""]
    for p in session.exec(select(Procedure).order_by(col(Procedure.id))):
        steps = session.exec(
            select(ProcedureStep).where(ProcedureStep.procedure_id == p.id).order_by(col(ProcedureStep.no))
        ).all()
        out.append("[[procedure]]")
        for key, value in (
            ("code", p.code),
            ("name", p.name),
            ("source", p.source),
            ("objective", p.objective),
            ("group", p.group_name),
            ("duration_from", p.duration_from),
            ("register", p.register_code),
        ):
            out.append(f"{key} = {_toml_str(value)}")
        out.append(f"confidential = {'true' if p.confidential else 'false'}")
        for key, raw in (("forms", p.forms), ("references", p.references), ("categories", p.categories)):
            out.append(f"{key} = {_toml_list(json.loads(raw))}")
        out.append("steps = [")
        for s in steps:
            fields = [
                f"name = {_toml_str(s.name)}",
                f"duration = {_toml_str(s.duration)}",
                f"quality = {_toml_str(s.quality)}",
                f"responsible = {_toml_str(s.responsible)}",
                f"letter = {_toml_str(s.letter_kind)}",
                f"forms = {_toml_list(json.loads(s.forms))}",
            ]
            out.append("  { " + ", ".join(fields) + " },")
        out.append("]")
        out.append("")
    return "\n".join(out)
