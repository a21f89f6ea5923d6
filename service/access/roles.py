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
UNIT_READERS = frozenset({Role.CENTRAL_CLERK, Role.GROUP_CLERK, Role.RECORDS})
SUBTREE_READERS = frozenset({Role.DIRECTOR})
# Who may register into a registry of each kind, in the registry's own unit.
REGISTRARS: dict[str, frozenset[Role]] = {
    "receive": frozenset({Role.CENTRAL_CLERK, Role.GROUP_CLERK}),
    "secret_receive": frozenset({Role.SECRET_REGISTRAR}),
}
SECRET_KINDS = frozenset({"secret_receive", "secret_send"})

SECRECY_LABELS = ("none", "ลับ", "ลับมาก", "ลับที่สุด")
URGENCY_LABELS = ("ปกติ", "ด่วน", "ด่วนมาก", "ด่วนที่สุด")  # stored 1..4 as AMSS++ does
