"""Roles, clearance and urgency vocabularies (ระเบียบงานสารบรรณ: ชั้นความเร็ว;
ระเบียบว่าด้วยการรักษาความลับของทางราชการ พ.ศ. 2544: ชั้นความลับ)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CENTRAL_CLERK = "central_clerk"  # เจ้าหน้าที่สารบรรณกลาง
    GROUP_CLERK = "group_clerk"  # ธุรการกลุ่ม
    OFFICER = "officer"  # เจ้าหน้าที่ผู้ปฏิบัติ
    DIRECTOR = "director"  # ผู้อำนวยการ / ผอ.กลุ่ม
    RECORDS = "records"  # เจ้าหน้าที่เก็บรักษา
    SECRET_REGISTRAR = "secret_registrar"  # นายทะเบียนข้อมูลข่าวสารลับ
    AUDITOR = "auditor"  # ผู้ตรวจสอบ
    ADMIN = "admin"  # ผู้ดูแลระบบ


ROLE_TH: dict[Role, str] = {
    Role.CENTRAL_CLERK: "เจ้าหน้าที่สารบรรณกลาง",
    Role.GROUP_CLERK: "ธุรการกลุ่ม",
    Role.OFFICER: "เจ้าหน้าที่ผู้ปฏิบัติ",
    Role.DIRECTOR: "ผู้อำนวยการ / หัวหน้า",
    Role.RECORDS: "เจ้าหน้าที่เก็บรักษา",
    Role.SECRET_REGISTRAR: "นายทะเบียนข้อมูลข่าวสารลับ",
    Role.AUDITOR: "ผู้ตรวจสอบ",
    Role.ADMIN: "ผู้ดูแลระบบ",
}

# Which roles read the registers of their own unit, and which also those of the units below it.
# Who routed letters go to: the people who act on them.
ROUTABLE_ROLES = (Role.OFFICER, Role.GROUP_CLERK, Role.CENTRAL_CLERK, Role.DIRECTOR)
UNIT_READERS = frozenset({Role.CENTRAL_CLERK, Role.GROUP_CLERK, Role.RECORDS})
SUBTREE_READERS = frozenset({Role.DIRECTOR})
# The kinds of registry: receive registers (ทะเบียนหนังสือรับ) and the send-side series of a unit, each with its
# own running numbers (ทะเบียนหนังสือส่ง; หนังสือเวียน ว; คำสั่ง; ประกาศ; the secret send register).
RECEIVE_KINDS = frozenset({"receive", "secret_receive"})
SEND_KINDS = frozenset({"send", "circular", "order", "announcement", "secret_send"})
KIND_TH: dict[str, str] = {
    "receive": "ทะเบียนหนังสือรับ",
    "secret_receive": "ทะเบียนหนังสือรับลับ",
    "send": "ทะเบียนหนังสือส่ง",
    "circular": "ทะเบียนหนังสือเวียน (ว)",
    "order": "ทะเบียนคำสั่ง",
    "announcement": "ทะเบียนประกาศ",
    "secret_send": "ทะเบียนหนังสือส่งลับ",
}
# Who may register into (receive kinds) or issue numbers from (send kinds) a registry, in the registry's own unit:
# the unit's clerks; the secret registers only the secret registrar.
_CLERKS = frozenset({Role.CENTRAL_CLERK, Role.GROUP_CLERK})
REGISTRARS: dict[str, frozenset[Role]] = {
    "receive": _CLERKS,
    "secret_receive": frozenset({Role.SECRET_REGISTRAR}),
    "send": _CLERKS,
    "circular": _CLERKS,
    "order": _CLERKS,
    "announcement": _CLERKS,
    "secret_send": frozenset({Role.SECRET_REGISTRAR}),
}
SECRET_KINDS = frozenset({"secret_receive", "secret_send"})

SECRECY_LABELS = ("none", "ลับ", "ลับมาก", "ลับที่สุด")
URGENCY_LABELS = ("ปกติ", "ด่วน", "ด่วนมาก", "ด่วนที่สุด")  # stored 1..4 as AMSS++ does
