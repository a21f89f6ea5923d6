"""Parsing the closed vocabularies of a letter: type, urgency, secrecy, channel (ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด 1
ชนิดของหนังสือ, หมวด 2 การรับและส่งหนังสือ)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import BeforeValidator

from service.access.roles import SECRECY_LABELS, URGENCY_LABELS
from service.kit.fields import OfficeDateTime
from service.kit.thai import clean_text, to_arabic_digits

LETTER_TYPES: dict[str, str] = {
    "external": "หนังสือภายนอก",
    "internal": "หนังสือภายใน",
    "stamped": "หนังสือประทับตรา",
    "directive": "หนังสือสั่งการ",
    "public_relations": "หนังสือประชาสัมพันธ์",
    "evidence": "หนังสือที่เจ้าหน้าที่ทำขึ้นหรือรับไว้เป็นหลักฐาน",
}
_TYPE_ALIASES: dict[str, str] = {
    **{code: code for code in LETTER_TYPES},
    **{label: code for code, label in LETTER_TYPES.items()},
    **{label.removeprefix("หนังสือ"): code for code, label in LETTER_TYPES.items()},
    "บันทึกข้อความ": "internal",
    "คำสั่ง": "directive",
    "ระเบียบ": "directive",
    "ข้อบังคับ": "directive",
    "ประกาศ": "public_relations",
    "แถลงการณ์": "public_relations",
    "ข่าว": "public_relations",
    "pr": "public_relations",
    "หนังสือรับรอง": "evidence",
    "รายงานการประชุม": "evidence",
    "บันทึก": "evidence",
    "1": "external",
    "2": "internal",
    "3": "stamped",
    "4": "directive",
    "5": "public_relations",
    "6": "evidence",
}
CHANNELS: dict[str, str] = {"paper": "กระดาษ", "electronic": "ระบบอิเล็กทรอนิกส์", "email": "อีเมล"}
_CHANNEL_ALIASES = {
    **{c: c for c in CHANNELS},
    **{v: k for k, v in CHANNELS.items()},
    "e-mail": "email",
    "อิเล็กทรอนิกส์": "electronic",
    "ไปรษณีย์": "paper",
    "หนังสือ": "paper",
}
_URGENCY_ALIASES = {
    **{label: i for i, label in enumerate(URGENCY_LABELS, start=1)},
    "normal": 1,
    "urgent": 2,
    "very_urgent": 3,
    "most_urgent": 4,
    **{str(i): i for i in range(1, 5)},
}
_SECRECY_ALIASES = {
    **{label: i for i, label in enumerate(SECRECY_LABELS)},
    "": 0,
    "ไม่มี": 0,
    "ปกติ": 0,
    "ปกปิด": 1,  # ปกปิด was abolished in 2544 and counts as ลับ (ระเบียบว่าด้วยการรักษาความลับของทางราชการ พ.ศ. 2544)
    "secret": 1,
    "confidential": 1,
    "top_secret": 3,
    **{str(i): i for i in range(4)},
}


def _key(value: object) -> str:
    return to_arabic_digits(clean_text(str(value))).strip().lower()


def parse_letter_type(value: object) -> str:
    key = _key(value)
    if key not in _TYPE_ALIASES:
        raise ValueError(f"unknown letter type {value!r}; one of {', '.join(LETTER_TYPES)}")
    return _TYPE_ALIASES[key]


def parse_urgency(value: object) -> int:
    key = _key(value)
    if key not in _URGENCY_ALIASES:
        raise ValueError(f"unknown urgency {value!r}; one of {', '.join(URGENCY_LABELS)}")
    return _URGENCY_ALIASES[key]


def parse_secrecy(value: object) -> int:
    key = _key(value)
    if key not in _SECRECY_ALIASES:
        raise ValueError(f"unknown secrecy {value!r}; one of {', '.join(SECRECY_LABELS)}")
    return _SECRECY_ALIASES[key]


def parse_channel(value: object) -> str:
    key = _key(value)
    if key not in _CHANNEL_ALIASES:
        raise ValueError(f"unknown channel {value!r}; one of {', '.join(CHANNELS)}")
    return _CHANNEL_ALIASES[key]


def _blank_is(default: object) -> Callable[[object], object]:
    """A form sends an empty field for "not chosen": that is the default (``None`` stays missing for secrecy)."""
    return lambda value: default if value in (None, "") else value


# The vocabularies as model fields, shared by every input model that takes them (received and outgoing letters).
LetterTypeField = Annotated[str, BeforeValidator(lambda v: parse_letter_type(_blank_is("external")(v)))]
UrgencyField = Annotated[int, BeforeValidator(lambda v: parse_urgency(_blank_is("ปกติ")(v)))]
SecrecyField = Annotated[int, BeforeValidator(lambda v: parse_secrecy(v if v is not None else "none"))]
ChannelField = Annotated[str, BeforeValidator(lambda v: parse_channel(_blank_is("paper")(v)))]
DeliverByField = Annotated[OfficeDateTime | None, BeforeValidator(_blank_is(None))]
