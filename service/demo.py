"""The demo office, modelled on the seeds: สพป.ขอนแก่น เขต ๕ with its groups (seeds/004)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, select

from service.access.rule import CHILD_PROTECTION
from service.models import BodyMember, FileCode, RecipientGroup, RecipientGroupMember, Registry, Unit, User
from service.procedures.catalog import bundled_templates, sync_missing
from service.users.core import create_user

UserRow = tuple[str, str, int, Sequence[tuple[str, str]]]
"""username, full name, clearance, (unit code, role) pairs"""

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
# A small file plan (รหัสแฟ้ม) in a tree: (code, name, parent code).
FILE_PLAN = [
    ("01", "งานบริหารทั่วไป", None),
    ("01.01", "หนังสือราชการทั่วไป", "01"),
    ("01.02", "คำสั่งและประกาศ", "01"),
    ("02", "งานส่งเสริมการจัดการศึกษา", None),
    ("02.01", "ทุนการศึกษา", "02"),
    ("03", "งานการเงินและสินทรัพย์", None),
    ("03.01", "หลักฐานการเบิกจ่าย", "03"),
    ("04", "งานบริหารงานบุคคล", None),
]


# --- sending (appended: the rows above keep their ids) -------------------------------------------------------------
# The schools of the area are units of this installation (``internal``: they receive electronically, with their own
# receive register and clerk), each its own root — not under the office — so the office's heads do not read the
# schools' registers; what the office sends them they hold through the delivery and their own registration.
SCHOOLS = [
    "บ้านโนนสะอาด",
    "บ้านหนองไผ่",
    "บ้านโคกสูง",
    "บ้านนาหนองทุ่ม",
    "บ้านวังโพน",
    "บ้านหนองเขียด",
    "บ้านโนนหัน",
    "บ้านห้วยซาง",
    "บ้านดงเย็น",
    "บ้านโคกมน",
    "บ้านหนองแดง",
    "บ้านนาจาน",
    "บ้านสีชมพู",
    "บ้านภูผาม่าน",
    "บ้านโนนคอม",
    "บ้านหนองสองห้อง",
    "บ้านซำจำปา",
    "บ้านบ่อน้ำ",
    "บ้านหนองบัว",
    "บ้านโนนทอง",
    "บ้านวังหินซา",
    "บ้านนาเพียง",
    "บ้านโคกกลาง",
    "บ้านหนองตานา",
    "บ้านห้วยยาง",
    "บ้านป่าหวาย",
    "บ้านทุ่งใหญ่",
    "บ้านดอนหัน",
    "บ้านหนองหญ้าปล้อง",
    "บ้านโนนสว่าง",
]
SCHOOL_USERS = [
    ("school1", "นางสาวพิมพ์ใจ ธุรการดี", 0, [("school-01", "central_clerk")]),
    ("school2", "นายธนากร รับหนังสือ", 0, [("school-02", "central_clerk")]),
]
ALL_SCHOOLS_GROUP = "โรงเรียนในสังกัดทั้งหมด"
# The send-side series (ทะเบียนหนังสือส่ง, หนังสือเวียน ว, คำสั่ง, ประกาศ) of the office and of one group; a group has
# no letter code of its own and prints the office's (the nearest one up the tree).
SEND_SERIES = [
    ("send", "ทะเบียนหนังสือส่ง"),
    ("circular", "ทะเบียนหนังสือเวียน (ว)"),
    ("order", "ทะเบียนคำสั่ง"),
    ("announcement", "ทะเบียนประกาศ"),
]


def _seed_sending(session: Session, *, office: Unit, now: datetime) -> list[tuple[str, str]]:
    """The schools with their receive registers and two clerks, the group of all schools, the send series."""
    assert office.id is not None
    schools = []
    for i, name in enumerate(SCHOOLS, start=1):
        school = Unit(code=f"school-{i:02d}", name=f"โรงเรียน{name}", short_name=f"รร.{name}", internal=True)
        session.add(school)
        schools.append(school)
    session.flush()
    for school in schools:
        assert school.id is not None
        session.add(
            Registry(
                code=f"{school.code}-receive", name=f"ทะเบียนหนังสือรับ {school.name}", kind="receive", unit_id=school.id
            )
        )
    promotion = session.exec(select(Unit).where(Unit.code == "promotion")).one()
    assert promotion.id is not None
    for kind, label in SEND_SERIES:
        session.add(Registry(code=f"office-{kind}", name=f"{label} (สารบรรณกลาง)", kind=kind, unit_id=office.id))
    session.add(Registry(code="office-secret-send", name="ทะเบียนหนังสือส่งลับ", kind="secret_send", unit_id=office.id))
    for kind, label in SEND_SERIES:
        session.add(
            Registry(code=f"promotion-{kind}", name=f"{label} {promotion.name}", kind=kind, unit_id=promotion.id)
        )
    group = RecipientGroup(name=ALL_SCHOOLS_GROUP, owner_unit_id=office.id, created_at=now)
    session.add(group)
    session.flush()
    assert group.id is not None
    for school in schools:
        assert school.id is not None
        session.add(RecipientGroupMember(group_id=group.id, unit_id=school.id))
    session.flush()
    _create_users(session, SCHOOL_USERS, now=now)
    return [(u, ",".join(f"{r}@{unit}" for unit, r in roles)) for u, _, _, roles in SCHOOL_USERS]


# --- procedures (appended: the rows above keep their ids) ------------------------------------------------------------
# The child-protection centre (ศูนย์ ฉก.ชน., seeds/004): its cases are read by its members only. The centre's officer
# (a school psychologist of the office) and the director, to whom the centre proposes (เสนอผู้บังคับบัญชา).
CENTRE_USERS = [
    ("centre", "นางสาวกัญญารัตน์ บำราชเชื้อ", 0, [("promotion", "officer")]),
]
CENTRE_MEMBERS = ("centre", "director")


def _seed_procedures(session: Session, *, now: datetime) -> list[tuple[str, str]]:
    """The procedure templates of the seeds and the centre's members."""
    sync_missing(session, bundled_templates(), now=now)
    _create_users(session, CENTRE_USERS, now=now)
    session.flush()
    for username in CENTRE_MEMBERS:
        user = session.exec(select(User).where(User.username == username)).one()
        assert user.id is not None
        session.add(BodyMember(body=CHILD_PROTECTION, user_id=user.id))
    session.flush()
    return [(u, ",".join(f"{r}@{unit}" for unit, r in roles)) for u, _, _, roles in CENTRE_USERS]


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
    codes: dict[str, int] = {}
    for fcode, fname, parent in FILE_PLAN:
        row = FileCode(code=fcode, name=fname, parent_id=codes[parent] if parent else None)
        session.add(row)
        session.flush()
        assert row.id is not None
        codes[fcode] = row.id
    _create_users(session, USERS, now=now)
    seeded = [(u, ",".join(r for _, r in roles)) for u, _, _, roles in USERS]
    seeded += _seed_sending(session, office=office, now=now)
    return seeded + _seed_procedures(session, now=now)


def _create_users(session: Session, rows: Sequence[UserRow], *, now: datetime) -> None:
    """The demo's accounts, all with the demo password (seeding skips the password policy, which refuses it)."""
    for username, full_name, clearance, roles in rows:
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
