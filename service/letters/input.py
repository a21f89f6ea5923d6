"""A letter's metadata as a clerk types it (ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด 1 ชนิดของหนังสือ): validated, Thai
dates and digits accepted."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from service.kit.errors import InvalidInput
from service.kit.fields import InputError, OfficeDate, load_json, own_thai
from service.kit.thai import clean_text, text_problem
from service.letters.vocab import ChannelField, DeliverByField, LetterTypeField, SecrecyField, UrgencyField


class LetterIn(BaseModel):
    """A received letter's metadata as typed by the clerk; Thai dates and digits are accepted."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    letter_no: str = ""
    letter_date: OfficeDate | None = None
    sender: str
    recipient: str = ""
    subject: str
    summary: str = ""
    letter_type: LetterTypeField = "external"
    urgency: UrgencyField = 1
    deliver_by: DeliverByField = None
    secrecy: SecrecyField = 0
    channel: ChannelField = "paper"
    remarks: str = ""

    @field_validator("letter_no", "sender", "recipient", "subject", "summary", "remarks", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValueError("must be text")
        value = clean_text(value)
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("sender", "subject")
    @classmethod
    def _required(cls, value: str) -> str:
        if not value:
            raise ValueError("is required")
        return value

    @field_validator("subject", "sender", "recipient", "letter_no")
    @classmethod
    def _short(cls, value: str) -> str:
        if len(value) > 1000:
            raise ValueError("is too long (at most 1000 characters)")
        return value

    @field_validator("letter_date", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        return None if value in (None, "") else value  # then the one date rule (OfficeDate)


_FIELD_TH = {
    "letter_no": "ที่",
    "letter_date": "ลงวันที่",
    "sender": "จาก",
    "recipient": "ถึง",
    "subject": "เรื่อง",
    "summary": "สาระสำคัญ",
    "letter_type": "ชนิดหนังสือ",
    "urgency": "ชั้นความเร็ว",
    "secrecy": "ชั้นความลับ",
    "channel": "ช่องทาง",
    "remarks": "หมายเหตุ",
    "deliver_by": "ส่งภายใน",
}


def parse_letter_meta(raw: str | dict[str, Any]) -> LetterIn:
    """Validate the ``meta`` JSON; every problem is named in English and Thai."""
    try:
        data = load_json(raw) if isinstance(raw, str) else raw  # depth and number size bounded first
    except InputError as exc:
        raise InvalidInput(f"meta: {exc}", thai=f"ข้อมูลหนังสือ (meta): {exc.thai}") from exc
    if not isinstance(data, dict):
        raise InvalidInput("meta must be a JSON object", thai="ข้อมูลหนังสือต้องเป็นออบเจกต์ JSON")
    try:
        return LetterIn.model_validate(data)
    except ValidationError as exc:
        problems = []
        thai = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "meta"
            msg = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {msg}")
            thai.append(f"{_FIELD_TH.get(where, where)}: {own_thai(err) or _thai_msg(msg)}")
        raise InvalidInput("; ".join(problems), thai="; ".join(thai), errors=problems) from exc


def _thai_msg(msg: str) -> str:
    if "required" in msg.lower():
        return "ต้องกรอก"
    if msg.startswith("unknown"):
        return "ค่าไม่ถูกต้อง (" + msg + ")"
    if "date" in msg:
        return "อ่านวันที่ไม่ได้ (" + msg + ")"
    if "garbled" in msg:
        return "อักษรไทยเสีย (เข้ารหัสผิด)"
    return msg
