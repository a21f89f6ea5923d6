"""Procedures (issue 15): the templates of every process of the seeds, cases with letters at their steps, due dates
from the template, the confidential child-protection cases, the yearly report, the registers kept by processes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.context import Saraban
from service.kit.errors import InvalidInput
from service.procedures.catalog import bundled_templates, export_templates, import_templates, parse_templates
from tests.conftest import MakeSaraban, login, needs_poppler
from tests.samples import thai_letter_pdf

# Every process of the seeds and its number of steps, counted by reading the manuals (not the data file):
# seeds/000 งานทุนการศึกษา… 4.1–4.7; seeds/000+001 งานสวัสดิการ… 5 (table of 001); seeds/000 กยศ. 4.1–4.4;
# สุขภาพอนามัย 4.1–4.4; ประชาธิปไตย 4.1 (1–6), 4.2 (1–6), 4.3 (1–5); สภานักเรียน 4.1–4.6; ศาสนา 4.1–4.6;
# seeds/000+004 วิเทศสัมพันธ์ ๑–๔; seeds/004 แลกเปลี่ยน ๑–๓; seeds/001 ความเข้มแข็งของชุมชน 1–5 (table);
# seeds/002 ในระบบ ๑–๕, นอกระบบ ๑–๕, บุคคล ครอบครัว… ๑–๗, อปท. ๑–๔, ผู้พิการ ๑–๕, โควตาพิเศษ ๑–๕;
# seeds/003 สื่อ นวัตกรรม ๑–๗, วิจัย ๑–๗, ปฏิบัติงานร่วม ๑.๑–๑.๔ + ๒.๑–๒.๔; seeds/004 พระราชดำริ ๑–๖,
# แหล่งเรียนรู้ ๑–๕, ระบบดูแลช่วยเหลือ (๑)–(๕), ศูนย์ ฉก.ชน. (๑) รับเรื่อง / วิเคราะห์ / เสนอผู้บังคับบัญชา, (๒)
# คุ้มครองและช่วยเหลือ, (๓) ปฏิบัติงานร่วม, (๔) ติดตาม, (๕) สรุปผล/รายงาน = 7.
SEED_PROCESSES = {
    "งานทุนการศึกษา และการระดมทรัพยากรเพื่อการศึกษา": 7,
    "งานสวัสดิการและสงเคราะห์นักเรียน": 5,
    "งานกองทุนเงินให้กู้ยืมเพื่อการศึกษา (กยศ.)": 4,
    "งานส่งเสริมสุขภาพอนามัย": 4,
    "งานส่งเสริมกิจกรรมประชาธิปไตย และวินัยนักเรียน: ส่งเสริมให้สถานศึกษา วางแผนการจัดกิจกรรม": 6,
    "งานส่งเสริมกิจกรรมประชาธิปไตย และวินัยนักเรียน: สนับสนุนให้สถานศึกษาทำระเบียบ": 6,
    "งานส่งเสริมกิจกรรมประชาธิปไตย และวินัยนักเรียน: สนับสนุนให้สถานศึกษากำหนดแนวทางการป้องกัน": 5,
    "งานส่งเสริม พัฒนาสร้างความเข้มแข็งองค์กรสถานักเรียน เด็กและเยาวชนในสถานศึกษา": 6,
    "งานประสานส่งเสริมการศึกษาการศาสนาและการวัฒนธรรม": 6,
    "งานวิเทศสัมพันธ์": 4,
    "งานโครงการแลกเปลี่ยนนักเรียนทุนระหว่างประเทศ": 3,
    "งานประสานและส่งเสริมสถานศึกษาให้มีบทบาทในการสร้างความเข้มแข็งของชุมชน": 5,
    "การจัดการศึกษาในระบบ": 5,
    "การจัดการศึกษานอกระบบ": 5,
    "ส่งเสริมและสนับสนุนการจัดการศึกษาขั้นพื้นฐานของบุคคล ครอบครัว": 7,
    "ประสานและส่งเสริมองค์กรปกครองส่วนท้องถิ่น": 4,
    "ส่งเสริมการจัดการศึกษาสำหรับผู้พิการ ผู้ด้อยโอกาสและผู้มีความสามารถพิเศษ": 5,
    "การส่งเสริมและสนับสนุนนักเรียนในโควตาพิเศษ": 5,
    "งานส่งเสริมและพัฒนาสื่อ นวัตกรรมและเทคโนโลยีทางการศึกษา": 7,
    "งานศึกษาค้นคว้า วิเคราะห์ วิจัยการพัฒนาสื่อ นวัตกรรมและเทคโนโลยีทางการศึกษา": 7,
    "ปฏิบัติงานร่วมกับหรือสนับสนุนการปฏิบัติงานของหน่วยงานอื่น": 8,
    "งานโครงการอันเนื่องมาจากพระราชดำริ": 6,
    "งานส่งเสริมแหล่งเรียนรู้สิ่งแวดล้อมทางการศึกษาและภูมิปัญญาท้องถิ่น": 5,
    "งานพัฒนาระบบการดูแลช่วยเหลือนักเรียน": 5,
    "การดำเนินงานศูนย์เฉพาะกิจคุ้มครองและช่วยเหลือนักเรียน": 7,
}
# seeds/001's work-standard tables, step by step: (duration, quality)
WELFARE_TABLE = [("1 สัปดาห์", "-")] * 5
COMMUNITY_TABLE = [
    ("พฤษภาคม", "มีแผนงาน / โครงการ"),
    ("มิถุนายน", "มีทะเบียนคณะกรรมการการศึกษาครบทุกโรงเรียน"),
    ("สิงหาคม", "-"),
    ("กุมภาพันธ์ของปีถัดไป", "-"),
    ("มีนาคมของปีถัดไป", "-"),
]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # Monday 09.00 in Bangkok, 1 มิ.ย. 2569

    def __call__(self) -> datetime:
        return self.now


class Office:
    def __init__(self, app: Saraban, client: TestClient, clock: Clock) -> None:
        self.app, self.client, self.clock = app, client, clock
        self.h: dict[str, dict[str, str]] = {}
        self.registry: dict[str, int] = {}
        self.procedure: dict[str, int] = {}

    def advance(self, **kw: float) -> None:
        """Time passes; everyone signs in again (tokens expire)."""
        self.clock.now += timedelta(**kw)
        self.h = {u: login(self.client, u) for u in self.h}

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.client.get(path, headers=self.h[who], params=params)

    def post(self, who: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(path, headers=self.h[who], json=body)

    def receive(self, who: str, registry: str, subject: str, **meta: Any) -> int:
        r = self.client.post(
            f"/api/v1/registries/{self.registry[registry]}/receive",
            headers=self.h[who],
            data={"meta": json.dumps({"sender": "สพฐ.", "subject": subject, **meta}, ensure_ascii=False)},
            files=[("files", ("letter.pdf", thai_letter_pdf(subject=subject), "application/pdf"))],
        )
        assert r.status_code == 201, r.text
        return int(r.json()["letter_id"])

    def open(self, who: str, code: str, year: int = 2569, from_letter_id: int | None = None, **extra: Any) -> Any:
        body = {"procedure_id": self.procedure[code], "year": year, "from_letter_id": from_letter_id, **extra}
        r = self.post(who, "/api/v1/cases", body)
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture
def office(make_saraban: MakeSaraban) -> Iterator[Office]:
    yield from _office(make_saraban())


@pytest.fixture
def office_any_db(make_saraban: MakeSaraban, any_db: str) -> Iterator[Office]:
    yield from _office(make_saraban(any_db))


def _office(app: Saraban) -> Iterator[Office]:
    clock = Clock()
    app.clock = clock
    with TestClient(create_app(app)) as c:
        o = Office(app, c, clock)
        o.h = {u: login(c, u) for u in ("group", "central", "auditor", "director", "centre", "officer", "admin")}
        o.registry = {r["code"]: r["id"] for r in c.get("/api/v1/registries", headers=o.h["central"]).json()}
        o.procedure = {p["code"]: p["id"] for p in c.get("/api/v1/procedures", headers=o.h["group"]).json()}
        yield o


# ---------------------------------------------------------------------------------------------- acceptance 1


def test_every_process_of_the_seeds_is_a_template_with_all_its_steps(office: Office) -> None:
    r = office.get("group", "/api/v1/procedures")
    assert r.status_code == 200
    templates = r.json()
    for t in templates:
        assert {"id", "code", "name", "steps"} <= t.keys()
        for s in t["steps"]:
            assert {"no", "name", "duration", "letter_kind"} <= s.keys()
            assert s["letter_kind"] in ("incoming", "circular", "order", "report", "none")
        assert [s["no"] for s in t["steps"]] == list(range(1, len(t["steps"]) + 1))
    for name, steps in SEED_PROCESSES.items():
        found = [t for t in templates if t["name"].startswith(name)]
        assert len(found) == 1, f"{name}: {[t['name'] for t in found]}"
        assert len(found[0]["steps"]) == steps, name
    assert len(templates) == len(SEED_PROCESSES)


def test_the_work_standard_tables_of_seeds_001_are_kept(office: Office) -> None:
    by_code = {t["code"]: t for t in office.get("group", "/api/v1/procedures").json()}
    for code, table in (("welfare", WELFARE_TABLE), ("community", COMMUNITY_TABLE)):
        full = office.get("group", f"/api/v1/procedures/{by_code[code]['id']}").json()
        assert [(s["duration"], s["quality"]) for s in full["steps"]] == table
        assert all(s["responsible"] == "กลุ่มส่งเสริมการจัดการศึกษา" for s in full["steps"])
    welfare = by_code["welfare"]["steps"]
    assert welfare[0]["name"] == "กำหนดนโยบายแนวปฏิบัติแจ้งหน่วยงานในสังกัด"
    assert (welfare[0]["letter_kind"], welfare[2]["letter_kind"]) == ("circular", "order")
    cp = office.get("group", f"/api/v1/procedures/{office.procedure['child-protection']}").json()
    assert cp["confidential"] and "ท้องในวัยเรียน" in cp["categories"] and len(cp["categories"]) == 7


# ---------------------------------------------------------------------------------------------- cases


def test_a_case_from_a_letter_with_due_dates_letters_and_steps_done(office_any_db: Office) -> None:
    office = office_any_db
    letter = office.receive(
        "group", "promotion-receive", "แนวทางการดำเนินงานสวัสดิการนักเรียน ปี 2569", letter_no="ศธ 04006/ว 123"
    )
    case = office.open("group", "welfare", from_letter_id=letter)
    assert [s["no"] for s in case["steps"]] == [1, 2, 3, 4, 5]
    assert [s["due_on"] for s in case["steps"]] == [
        "2026-06-08",
        "2026-06-15",
        "2026-06-22",
        "2026-06-29",
        "2026-07-06",
    ]
    assert {s["state"] for s in case["steps"]} == {"pending"}
    assert [lt["letter_id"] for lt in case["steps"][0]["letters"]] == [letter]
    step1, step2 = case["steps"][0]["id"], case["steps"][1]["id"]

    # step 1 done four days late: the next steps follow from the day it was done
    office.advance(days=11)
    r = office.post("group", f"/api/v1/cases/{case['id']}/steps/{step1}/done")
    assert r.status_code == 200, r.text
    steps = r.json()["steps"]
    assert steps[0]["state"] == "done" and steps[0]["done_on"] == "2026-06-12"
    assert [s["due_on"] for s in steps[1:]] == ["2026-06-19", "2026-06-26", "2026-07-03", "2026-07-10"]

    other = office.receive("group", "promotion-receive", "รายละเอียดการจัดสรรทุน")
    r = office.post("group", f"/api/v1/cases/{case['id']}/steps/{step2}/letters", {"letter_id": other})
    assert r.status_code == 200, r.text
    again = office.post("group", f"/api/v1/cases/{case['id']}/steps/{step2}/letters", {"letter_id": other})
    assert [lt["letter_id"] for lt in again.json()["steps"][1]["letters"]] == [other]
    got = office.get("group", f"/api/v1/cases/{case['id']}").json()
    assert got["steps"][1]["letters"][0]["registrations"][0]["number"] >= 1

    # late steps on the dashboard
    office.advance(days=30)
    board = office.get("group", "/api/v1/cases/dashboard").json()
    assert board["counts"]["in_progress"] == 1
    assert {s["no"] for s in board["overdue"]} == {2, 3, 4, 5}


def test_issue_the_steps_letters_from_the_case(office: Office) -> None:
    case = office.open("group", "welfare")
    s1, s3, s4 = case["steps"][0]["id"], case["steps"][2]["id"], case["steps"][3]["id"]
    r = office.post("group", f"/api/v1/cases/{case['id']}/steps/{s1}/issue", {"subject": "แจ้งแนวปฏิบัติสวัสดิการนักเรียน"})
    assert r.status_code == 201, r.text
    assert r.json()["letter_no"] == "ศธ ๐๔๐๔๕/ว ๑"
    r = office.post("group", f"/api/v1/cases/{case['id']}/steps/{s3}/issue", {"subject": "แต่งตั้งคณะกรรมการพิจารณาจัดสรร"})
    assert r.status_code == 201, r.text
    order_id = r.json()["letter_id"]
    steps = r.json()["case"]["steps"]
    assert steps[0]["letters"][0]["letter_no"] == "ศธ ๐๔๐๔๕/ว ๑"
    assert steps[2]["letters"][0]["registrations"][0]["kind"] == "order"
    # the order is in the order register with its number
    regs = office.get("group", f"/api/v1/letters/{order_id}").json()["registrations"]
    assert [(g["registry_id"], g["number"], g["year"]) for g in regs] == [(office.registry["promotion-order"], 1, 2569)]
    # a step that expects no letter issues none; bad input changes nothing
    r = office.post("group", f"/api/v1/cases/{case['id']}/steps/{s4}/issue", {"subject": "x"})
    assert r.status_code == 422 and "ไม่มีหนังสือส่ง" in r.json()["detail_th"]
    r = office.post("group", f"/api/v1/cases/{case['id']}/steps/{s1}/issue", {"subject": ""})
    assert r.status_code == 422
    assert len(office.get("group", f"/api/v1/cases/{case['id']}").json()["steps"][0]["letters"]) == 1


def test_bad_requests_change_nothing(office: Office) -> None:
    assert office.post("group", "/api/v1/cases", {"procedure_id": 99999, "year": 2569}).status_code == 404
    r = office.post("group", "/api/v1/cases", {"procedure_id": office.procedure["welfare"], "year": 69})
    assert r.status_code == 422 and r.json()["detail_th"]
    r = office.post(
        "group", "/api/v1/cases", {"procedure_id": office.procedure["welfare"], "year": 2569, "from_letter_id": 99999}
    )
    assert r.status_code == 422
    assert (
        office.post("auditor", "/api/v1/cases", {"procedure_id": office.procedure["welfare"], "year": 2569}).status_code
        == 403
    )
    assert office.get("group", "/api/v1/cases").json()["total"] == 0
    case = office.open("group", "welfare")
    step = case["steps"][0]["id"]
    assert office.post("group", f"/api/v1/cases/{case['id']}/steps/99999/done").status_code == 404
    assert (
        office.post("group", f"/api/v1/cases/{case['id']}/steps/{step}/letters", {"letter_id": 99999}).status_code
        == 404
    )
    # a group of another unit may not work on it (and does not see it)
    assert office.post("group", f"/api/v1/cases/{case['id'] + 1}/steps/{step}/done").status_code == 404


# ---------------------------------------------------------------------------------------------- acceptance 3


def test_a_child_protection_case_exists_only_for_the_centre(office_any_db: Office) -> None:
    office = office_any_db
    incident = {
        "category": "ถูกกระทำความรุนแรง",
        "facts": "นักเรียนหญิงชั้น ป.5 ถูกทำร้ายร่างกาย",
        "first_help": "ครูพาไปโรงพยาบาล",
        "info_source": "นางสาวสมใจ",
        "reporter": "ผู้อำนวยการโรงเรียนบ้านโนนสะอาด",
    }
    case = office.open("centre", "child-protection", title="เรื่องร้องเรียนกรณีนักเรียนถูกทำร้าย", **incident)
    cid = case["id"]
    ordinary = office.open("group", "welfare")
    got = office.get("centre", f"/api/v1/cases/{cid}").json()
    assert got["incident"] == incident and got["confidential"]
    assert office.get("director", f"/api/v1/cases/{cid}").status_code == 200
    missing = office.get("group", "/api/v1/cases/999999")
    for who in ("group", "central", "auditor"):
        r = office.get(who, f"/api/v1/cases/{cid}")
        assert (r.status_code, r.json()["code"]) == (missing.status_code, missing.json()["code"]) == (404, "not_found")
        assert office.post(who, f"/api/v1/cases/{cid}/steps/{case['steps'][0]['id']}/done").status_code == 404
        listed = office.get(who, "/api/v1/cases").json()["items"]
        assert cid not in [c["id"] for c in listed]
        assert office.get(who, "/api/v1/cases", q="ทำร้าย").json()["total"] == 0
        office.advance(days=3)
        board = office.get(who, "/api/v1/cases/dashboard").json()
        assert all(s["case_id"] != cid for s in board["overdue"] + board["due_this_week"])
        assert all(c["id"] != cid for c in board["cases"])
        expected = {"group": 1, "central": 0, "auditor": 1}[who]  # the group's ordinary case only
        assert board["counts"]["in_progress"] == expected == len(listed)
        assert board["counts"]["overdue"] + board["counts"]["due_this_week"] <= 5 * expected
        pdf = office.get(who, f"/api/v1/procedures/{office.procedure['child-protection']}/report.pdf", year="2569")
        assert pdf.status_code == 200 and b"%PDF" in pdf.content[:8]
    assert ordinary["id"] in [c["id"] for c in office.get("auditor", "/api/v1/cases").json()["items"]]
    assert office.get("centre", "/api/v1/cases", q="ทำร้าย").json()["total"] == 1
    board = office.get("centre", "/api/v1/cases/dashboard").json()
    assert cid in [c["id"] for c in board["cases"]]
    # the group's clerk cannot open one either (policy), nor the auditor
    for who in ("group", "auditor", "central"):
        r = office.post(who, "/api/v1/cases", {"procedure_id": office.procedure["child-protection"], "year": 2569})
        assert r.status_code == 403


# ---------------------------------------------------------------------------------------------- acceptance 4


@needs_poppler
def test_the_yearly_report_prints_steps_dates_letters_and_status(office: Office, tmp_path: Path) -> None:
    letter = office.receive(
        "group", "promotion-receive", "แนวทางสวัสดิการนักเรียน", letter_no="ศธ 04006/ว 777", letter_date="2026-05-28"
    )
    case = office.open("group", "welfare", from_letter_id=letter)
    s1, s3 = case["steps"][0]["id"], case["steps"][2]["id"]
    office.post("group", f"/api/v1/cases/{case['id']}/steps/{s3}/issue", {"subject": "แต่งตั้งคณะกรรมการพิจารณาจัดสรร"})
    office.post("group", f"/api/v1/cases/{case['id']}/steps/{s1}/done")
    office.advance(days=20)
    r = office.get("group", f"/api/v1/procedures/{office.procedure['welfare']}/report.pdf", year="2569")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(r.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    for expected in (
        "แบบฟอร์มสรุปมาตรฐานงาน",
        "งานสวัสดิการและสงเคราะห์นักเรียน",
        "กำหนดนโยบายแนวปฏิบัติแจ้งหน่วยงานในสังกัด",
        "แต่งตั้งคณะกรรมการพิจารณาจัดสรร",
        "รายงานผลการดำเนินงาน",
        "สัปดาห์",
        "ศธ 04006/ว 777",
        "ที่ ๑/๒๕๖๙",  # the order's number (คำสั่ง ที่ ๑/๒๕๖๙)
        "๒๘ พ.ค. ๒๕๖๙",  # the received letter's date
        "๘ มิ.ย. ๒๕๖๙",  # step 1's due date
        "เสร็จแล้ว ๑ มิ.ย. ๒๕๖๙",
        "เกินกำหนด",
        "๒๕๖๙",
    ):
        assert expected in flat, expected


# ---------------------------------------------------------------------------------------------- templates as data


def test_templates_round_trip_and_an_administrator_imports_changes(office: Office) -> None:
    with office.app.tx() as uow:
        text = export_templates(uow.session)
    again = parse_templates(text)
    assert [(t.code, len(t.steps)) for t in again] == [(t.code, len(t.steps)) for t in bundled_templates()]
    changed = text.replace('"1 สัปดาห์"', '"2 สัปดาห์"', 1)
    with office.app.tx() as uow:
        result = import_templates(uow.session, None, changed, now=office.clock())
    assert "scholarship" in result["replaced"] and not result["added"]
    first = office.get("group", f"/api/v1/procedures/{office.procedure['scholarship']}").json()["steps"][0]
    assert first["duration"] == "2 สัปดาห์"


@pytest.mark.parametrize(
    "text",
    [
        "not toml [",
        "[[procedure]]\ncode='x'\nname='y'\nsteps=[]",
        "[[procedure]]\ncode='x'\nname='y'\nsteps=[{name='a', duration='เร็ว ๆ นี้'}]",
        "[[procedure]]\ncode='x'\nname='y'\nsteps=[{name='a', duration='1 วัน', letter='fax'}]",
    ],
)
def test_a_bad_template_file_is_refused_in_thai(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_templates(text)
    assert err.value.thai


# ---------------------------------------------------------------------------------------------- registers


def test_a_process_register_imports_csv_with_its_letters(office: Office) -> None:
    letter = office.receive("group", "promotion-receive", "ส่งรายชื่อคณะกรรมการสถานศึกษา")
    csv = (
        f"ปี,ชื่อ,โรงเรียน,รายละเอียด,หนังสือ\n2569,นายสมหมาย ใจดี,โรงเรียนบ้านโนนสะอาด,ประธานกรรมการ,{letter}\n"
        "2569,นางสมพร รักเรียน,โรงเรียนบ้านหนองไผ่,ผู้แทนผู้ปกครอง,\n"
    )
    r = office.client.post(
        "/api/v1/procedure-registers/school_board/import", headers=office.h["group"], content=csv.encode()
    )
    assert r.status_code == 201, r.text
    items = office.get("group", "/api/v1/procedure-registers/school_board").json()["items"]
    assert [i["name"] for i in items] == ["นายสมหมาย ใจดี", "นางสมพร รักเรียน"]
    assert items[0]["letter_subject"] == "ส่งรายชื่อคณะกรรมการสถานศึกษา"
    bad = "year,name\n2569,ก\nabc,ข\n"
    r = office.client.post(
        "/api/v1/procedure-registers/school_board/import", headers=office.h["group"], content=bad.encode()
    )
    assert r.status_code == 422 and "บรรทัดที่ 3" in r.json()["detail_th"]
    assert len(office.get("group", "/api/v1/procedure-registers/school_board").json()["items"]) == 2
    assert office.get("group", "/api/v1/procedure-registers/nothing").status_code == 404


def test_the_pages_show_the_flow(office: Office) -> None:
    case = office.open("group", "welfare")
    c = office.client
    r = c.post("/login", data={"username": "group", "password": "saraban-demo"}, follow_redirects=False)
    assert r.status_code in (302, 303)
    for path in (
        "/procedures",
        f"/procedures/{office.procedure['welfare']}",
        "/cases",
        f"/cases/{case['id']}",
        "/procedure-registers/learning_resources",
        "/cases/new",
    ):
        page = c.get(path)
        assert page.status_code == 200, path
    assert "กำหนดนโยบายแนวปฏิบัติแจ้งหน่วยงานในสังกัด" in c.get(f"/cases/{case['id']}").text
    # the centre's case does not exist on the group's pages either
    secret = office.open("centre", "child-protection", title="เรื่องร้องเรียนลับเฉพาะศูนย์", facts="ข้อเท็จจริง")
    assert c.get(f"/cases/{secret['id']}").status_code == 404
    assert "เรื่องร้องเรียนลับเฉพาะศูนย์" not in c.get("/cases").text
    assert "เรื่องร้องเรียนลับเฉพาะศูนย์" not in c.get("/cases", params={"q": "ร้องเรียน"}).text
    assert "เรื่องร้องเรียนลับเฉพาะศูนย์" not in c.get(f"/procedures/{office.procedure['child-protection']}").text


def test_a_case_shows_only_the_letters_its_reader_may_read(office: Office) -> None:
    letter = office.receive("group", "promotion-receive", "หนังสือที่เจ้าหน้าที่ผู้ปฏิบัติยังไม่ได้รับ")
    case = office.open("group", "welfare", from_letter_id=letter)
    seen = office.get("group", f"/api/v1/cases/{case['id']}").json()["steps"][0]
    assert [lt["letter_id"] for lt in seen["letters"]] == [letter] and seen["hidden_letters"] == 0
    # the group's officer works on the case but was not sent the letter: it is counted, not shown
    officer = office.get("officer", f"/api/v1/cases/{case['id']}").json()["steps"][0]
    assert officer["letters"] == [] and officer["hidden_letters"] == 1
    assert "หนังสือที่เจ้าหน้าที่ผู้ปฏิบัติยังไม่ได้รับ" not in office.get("officer", f"/api/v1/cases/{case['id']}").text
    # nor may the officer link a letter they cannot read (404, as a missing one)
    r = office.post("officer", f"/api/v1/cases/{case['id']}/steps/{seen['id']}/letters", {"letter_id": letter})
    assert r.status_code == 404


def test_an_administrator_edits_the_templates_on_a_page(office: Office) -> None:
    import re

    c = office.client
    c.post("/login", data={"username": "group", "password": "saraban-demo"}, follow_redirects=False)
    assert c.get("/admin/procedures").status_code == 403
    c.post("/login", data={"username": "admin", "password": "saraban-demo"}, follow_redirects=False)
    page = c.get("/admin/procedures")
    assert page.status_code == 200 and "งานสวัสดิการและสงเคราะห์นักเรียน" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    text = c.get("/admin/procedures/export.toml").text
    edited = text.replace('"จัดสรรตามรายละเอียดที่กำหนด"', '"จัดสรรทุนตามรายละเอียดที่กำหนด"', 1)
    r = c.post(
        "/admin/procedures/import",
        data={"csrf": csrf.group(1)},
        files={"file": ("procedures.toml", edited.encode(), "application/toml")},
    )
    assert r.status_code == 200 and "แทนที่ 25 แม่แบบ" in r.text
    steps = office.get("group", f"/api/v1/procedures/{office.procedure['welfare']}").json()["steps"]
    assert steps[3]["name"] == "จัดสรรทุนตามรายละเอียดที่กำหนด"
    bad = c.post(
        "/admin/procedures/import",
        data={"csrf": csrf.group(1)},
        files={"file": ("bad.toml", b"[[procedure]]\ncode='x'", "application/toml")},
    )
    assert bad.status_code == 422 and 'id="error"' in bad.text
    assert c.get("/api/v1/procedures", headers=office.h["group"]).json()[1]["steps"][3]["name"].startswith("จัดสรรทุน")


def test_start_up_adds_only_the_missing_templates(make_saraban: MakeSaraban) -> None:
    from sqlmodel import delete, select

    from service.models import Procedure, ProcedureStep
    from service.procedures.startup import load_templates

    app = make_saraban()
    assert load_templates(app) == []  # the demo office has them all
    with app.tx() as uow:
        pid = uow.session.exec(select(Procedure.id).where(Procedure.code == "exchange")).one()
        uow.session.exec(delete(ProcedureStep).where(ProcedureStep.procedure_id == pid))  # type: ignore[call-overload]
        uow.session.exec(delete(Procedure).where(Procedure.id == pid))  # type: ignore[call-overload]
    assert load_templates(app) == ["exchange"]
    assert load_templates(app) == []
