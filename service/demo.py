"""The demo office, modelled on the seeds: สพป.ขอนแก่น เขต ๕ with its groups (seeds/004)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from service.models import Registry, Unit, User
from service.users.core import create_user

DEMO_PASSWORD = "saraban-demo"
OFFICE = ("office", "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต ๕", "สพป.ขอนแก่น เขต ๕", "ศธ 04045")
GROUPS = [
    ("admin-group", "กลุ่มอำนวยการ", "กลุ่มอำนวยการ"),
    ("promotion", "กลุ่มส่งเสริมการจัดการศึกษา", "กลุ่มส่งเสริมฯ"),
    ("policy", "กลุ่มนโยบายและแผน", "กลุ่มนโยบายและแผน"),
    ("personnel", "กลุ่มบริหารงานบุคคล", "กลุ่มบริหารงานบุคคล"),
    ("finance", "กลุ่มบริหารงานการเงินและสินทรัพย์", "กลุ่มการเงินฯ"),
    ("supervision", "กลุ่มนิเทศ ติดตามและประเมินผลการจัดการศึกษา", "กลุ่มนิเทศฯ"),
]
OUTSIDE = [
    ("obec", "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน", "สพฐ."),
    ("kk-province", "ศึกษาธิการจังหวัดขอนแก่น", "ศธจ.ขอนแก่น"),
    ("ban-nong-school", "โรงเรียนบ้านหนองแวง", "รร.บ้านหนองแวง"),
]
USERS = [
    ("admin", "ผู้ดูแลระบบ", 0, [("office", "admin")]),
    ("central", "นางสาวณัฐภัสสร คำฟู", 0, [("office", "central_clerk")]),
    ("group", "นางสมศรี ใจดี", 0, [("promotion", "group_clerk")]),
    ("officer", "นายสมชาย ตั้งใจ", 0, [("promotion", "officer")]),
    ("director", "นายประเสริฐ ผู้นำ", 1, [("office", "director")]),
    ("records", "นางสาวจันทร์เพ็ญ เก็บดี", 0, [("office", "records")]),
    ("secret", "นายวิรัช รักษาลับ", 3, [("office", "secret_registrar")]),
    ("auditor", "นางอรุณี ตรวจสอบ", 0, [("office", "auditor")]),
    # a second group, so a journey through two groups can be tried (appended: earlier users keep their ids)
    ("group2", "นางวันเพ็ญ ศรีสุข", 0, [("policy", "group_clerk")]),
    ("officer2", "นายวีระ ขยันยิ่ง", 0, [("policy", "officer")]),
]


def is_empty(session: Session) -> bool:
    return session.exec(select(User)).first() is None


def seed_demo(session: Session, *, now: datetime) -> list[tuple[str, str]]:
    """Create the demo office, its registries and one user per role; returns (username, role) pairs."""
    code, name, short, letter_code = OFFICE
    office = Unit(code=code, name=name, short_name=short, letter_code=letter_code)
    session.add(office)
    session.flush()
    assert office.id is not None
    session.add(Registry(code="central", name="ทะเบียนหนังสือรับ (สารบรรณกลาง)", kind="receive", unit_id=office.id))
    session.add(Registry(code="secret", name="ทะเบียนหนังสือรับลับ", kind="secret_receive", unit_id=office.id))
    for gcode, gname, gshort in GROUPS:
        unit = Unit(code=gcode, name=gname, short_name=gshort, parent_id=office.id)
        session.add(unit)
        session.flush()
        assert unit.id is not None
        session.add(Registry(code=f"{gcode}-receive", name=f"ทะเบียนหนังสือรับ {gname}", kind="receive", unit_id=unit.id))
    for ocode, oname, oshort in OUTSIDE:
        session.add(Unit(code=ocode, name=oname, short_name=oshort, internal=False))
    session.flush()
    for username, full_name, clearance, roles in USERS:
        create_user(
            session,
            username=username,
            password=DEMO_PASSWORD,
            full_name=full_name,
            clearance=clearance,
            roles=list(roles),
            now=now,
            check_policy=False,
        )
    return [(u, ",".join(r for _, r in roles)) for u, _, _, roles in USERS]
