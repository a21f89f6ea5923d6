"""An outgoing letter as the clerk drafts it, and its addressees: validated, Thai text and digits accepted."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from service.kit.errors import InvalidInput
from service.kit.fields import Id, own_thai
from service.kit.thai import clean_text, text_problem, to_arabic_digits
from service.letters.vocab import DeliverByField, LetterTypeField, SecrecyField, UrgencyField

_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")
MAX_RECIPIENTS = 10_000


def _clean(value: object) -> object:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("must be text")
    value = clean_text(value).strip()
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class RecipientIn(BaseModel):
    """One addressee: ``{unit_id}`` (a unit of this installation), ``{group_id}`` (a saved group of them),
    ``{name, address}`` (an outside party by post) or ``{name, email}`` (by e-mail); ``copy``: สำเนาส่ง."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    unit_id: Id | None = None
    group_id: Id | None = None
    name: str = ""
    address: str = ""
    email: str = ""
    copy_only: bool = Field(default=False, alias="copy")

    @field_validator("name", "address", "email", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return _clean(value)

    @model_validator(mode="after")
    def _one_kind(self) -> RecipientIn:
        given = [self.unit_id is not None, self.group_id is not None, bool(self.address), bool(self.email)]
        if sum(given) != 1:
            raise ValueError("a recipient is one of {unit_id}, {group_id}, {name, address} or {name, email}")
        if (self.address or self.email) and not self.name:
            raise ValueError("an outside party needs a name")
        if self.email and not _EMAIL.fullmatch(self.email):
            raise ValueError(f"{self.email!r} is not an e-mail address")
        return self

    @property
    def kind(self) -> str:
        if self.unit_id is not None:
            return "unit"
        if self.group_id is not None:
            return "group"
        return "email" if self.email else "post"


class OutgoingIn(BaseModel):
    """A draft: the series it will be numbered in, what it is, to whom, and the received letter it answers."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    registry_id: Id
    subject: str
    recipients: list[RecipientIn]
    letter_type: LetterTypeField = "external"
    urgency: UrgencyField = 1
    secrecy: SecrecyField = 0
    summary: str = ""
    remarks: str = ""
    recipient: str = ""  # the เรียน line as printed; built from the recipients when empty
    deliver_by: DeliverByField = None
    replies_to_letter_id: Id | None = None

    @field_validator("subject", "summary", "remarks", "recipient", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return _clean(value)

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        if not value:
            raise ValueError("is required")
        if len(value) > 1000:
            raise ValueError("is too long (at most 1000 characters)")
        return value

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, value: list[RecipientIn]) -> list[RecipientIn]:
        if not value:
            raise ValueError("is required: at least one recipient")
        if len(value) > MAX_RECIPIENTS:
            raise ValueError(f"at most {MAX_RECIPIENTS} recipients (use a saved group)")
        return value

    @field_validator("registry_id", "replies_to_letter_id", mode="before")
    @classmethod
    def _id(cls, value: object) -> object:
        return to_arabic_digits(value).strip() if isinstance(value, str) else value


_FIELD_TH = {
    "registry_id": "ทะเบียน",
    "subject": "เรื่อง",
    "recipients": "ผู้รับ",
    "letter_type": "ชนิดหนังสือ",
    "urgency": "ชั้นความเร็ว",
    "secrecy": "ชั้นความลับ",
    "summary": "สาระสำคัญ",
    "remarks": "หมายเหตุ",
    "recipient": "เรียน",
    "deliver_by": "ส่งภายใน",
    "replies_to_letter_id": "หนังสือที่ตอบ",
}


def parse_outgoing(data: Any) -> OutgoingIn:
    """Validate a draft; every problem is named in English and Thai."""
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", thai="ข้อมูลต้องเป็นออบเจกต์ JSON")
    try:
        return OutgoingIn.model_validate(data)
    except ValidationError as exc:
        problems, thai = [], []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "body"
            msg = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {msg}")
            head = str(err["loc"][0]) if err["loc"] else where
            thai.append(f"{_FIELD_TH.get(head, head)}{where.removeprefix(head)}: {own_thai(err) or _thai_msg(msg)}")
        raise InvalidInput("; ".join(problems), thai="; ".join(thai), errors=problems) from exc


def _thai_msg(msg: str) -> str:
    low = msg.lower()
    if "required" in low:
        return "ต้องกรอก"
    if "recipient is one of" in low:
        return "ผู้รับแต่ละรายต้องเป็นหน่วยงาน กลุ่มผู้รับ หรือบุคคลภายนอกพร้อมที่อยู่หรืออีเมล อย่างใดอย่างหนึ่ง"
    if "needs a name" in low:
        return "บุคคลภายนอกต้องมีชื่อ"
    if "e-mail" in low:
        return "อีเมลไม่ถูกต้อง (" + msg + ")"
    if msg.startswith("unknown"):
        return "ค่าไม่ถูกต้อง (" + msg + ")"
    return msg
