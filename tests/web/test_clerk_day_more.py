"""The rest of a clerk's day (issue 14): a cancelled registration's letter leaves lists and search for everyone but
the registry's own clerks; far dates on a received letter need confirming; failed sign-ins name the username tried;
index statuses in Thai."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from service.app import create_app
from service.demo import DEMO_PASSWORD
from service.letters.index_status import FILE_STATUS_TH, index_status_th
from service.models import Letter, User
from service.receiving.dates import unlikely_date
from tests.conftest import MakeSaraban, login, registry_id
from tests.publicids import internal_id
from tests.samples import thai_letter_pdf


def _receive(
    client: TestClient, h: dict[str, str], reg: int, subject: str, pdf: bytes | None = None, **meta: Any
) -> Any:
    body = {"sender": "สพฐ.", "subject": subject, "letter_no": "ศธ ๐๔๐๐๖/๙", **meta}
    files = [("files", ("letter.pdf", pdf, "application/pdf"))] if pdf else None
    return client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=h,
        data={"meta": json.dumps(body, ensure_ascii=False)},
        files=files,
    )


# ------------------------------------------------------------------------------------------- 1. cancelled letters


def test_a_cancelled_letter_leaves_everyone_but_the_registry_clerks(make_saraban: MakeSaraban) -> None:
    app = make_saraban(with_indexer=True)
    with TestClient(create_app(app)) as client:
        central = login(client, "central")
        others = {who: login(client, who) for who in ("officer", "director", "auditor")}
        reg = registry_id(client, central, "central")
        r = _receive(client, central, reg, "หนังสือลงผิดเล่มทดสอบ", thai_letter_pdf(extra_body="คำค้นพิเศษกระเรียน"))
        assert r.status_code == 201, r.text
        lid, rid, number = r.json()["letter_id"], r.json()["registration"]["id"], r.json()["registration"]["number"]
        with app.tx() as uow:
            officer_id = uow.session.exec(select(User.id).where(User.username == "officer")).one()
        # routed to the officer, who sends it back: the officer still reads it (a returned route), so the test
        # shows the cancellation — not the return — takes it away
        routed = client.post(f"/api/v1/letters/{lid}/routes", headers=central, json={"to_user_id": officer_id})
        assert routed.status_code == 201, routed.text
        back = client.post(
            f"/api/v1/routes/{routed.json()['id']}/return", headers=others["officer"], json={"reason": "ไม่ใช่งานของกลุ่ม"}
        )
        assert back.status_code == 200, back.text
        assert app.indexer is not None and app.indexer.wait_idle(60)
        for who, h in others.items():
            assert client.get(f"/api/v1/letters/{lid}", headers=h).status_code == 200, who
            found = client.get("/api/v1/search", params={"q": "กระเรียน"}, headers=h).json()
            assert [x["letter_id"] for x in found["results"]] == [lid], who

        r = client.post(f"/api/v1/registrations/{rid}/cancel", headers=central, json={"reason": "ลงผิดเล่ม"})
        assert r.status_code == 200, r.text
        assert app.indexer.wait_idle(60)

        for who, h in others.items():
            got = client.get(f"/api/v1/letters/{lid}", headers=h)
            assert got.status_code == 404, who  # as if it never existed
            assert got.json()["detail_th"]
            listed = client.get("/api/v1/letters", headers=h, params={"limit": 500}).json()
            assert lid not in [x["id"] for x in listed["letters"]], who
            found = client.get("/api/v1/search", params={"q": "กระเรียน"}, headers=h).json()
            assert found["results"] == [] and found["total"] == 0, who
            inbox = client.get("/api/v1/inbox", headers=h).json()
            assert lid not in [x.get("letter_id") for x in inbox["items"]], who
        # the registry's own clerk: the letter, the search hit, and the register row marked cancelled with its reason
        assert client.get(f"/api/v1/letters/{lid}", headers=central).status_code == 200
        found = client.get("/api/v1/search", params={"q": "กระเรียน"}, headers=central).json()
        assert [x["letter_id"] for x in found["results"]] == [lid]
        rows = client.get(f"/api/v1/registries/{reg}/entries", headers=central).json()["entries"]
        row = next(x for x in rows if x["number"] == number)
        assert row["status"] == "cancelled" and "ลงผิดเล่ม" in row["remarks"]
        # nor is it routed again: its recipient could not read it (409, Thai)
        again = client.post(f"/api/v1/letters/{lid}/routes", headers=central, json={"to_user_id": officer_id})
        assert (
            again.status_code == 409 and again.json()["reason"] == "cancelled" and "ยกเลิก" in again.json()["detail_th"]
        )


# ------------------------------------------------------------------------------------ 2. dates that need confirming


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 11, 29), None),
        (date(2027, 11, 29), None),  # a year ahead to the day
        (date(2027, 11, 30), "ahead"),
        (date(2032, 1, 1), "ahead"),  # 1/1/2575
        (date(1957, 1, 1), None),  # B.E. 2500
        (date(1956, 12, 31), "old"),  # B.E. 2499
    ],
)
def test_unlikely_dates(d: date, expected: str | None) -> None:
    assert unlikely_date(d, date(2026, 11, 29)) == expected
    assert unlikely_date(date(2028, 3, 1), date(2028, 2, 29)) is None  # 29 Feb: a year ahead is 28 Feb … or so
    assert unlikely_date(date(2029, 3, 1), date(2028, 2, 29)) == "ahead"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("letter_date", "1/1/2575"),
        ("letter_date", "๑ ม.ค. ๒๔๙๙"),
        ("deliver_by", "2032-01-01T10:00"),
    ],
)
def test_far_dates_need_confirming_api(make_saraban: MakeSaraban, field: str, value: str) -> None:
    app = make_saraban()
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        before = client.get(f"/api/v1/registries/{reg}/entries", headers=h).json()["entries"]
        r = _receive(client, h, reg, "หนังสือวันที่แปลก", **{field: value})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["code"] == "date_needs_confirmation" and problem["field"] == field
        assert "ยืนยัน" in problem["detail_th"] and ("ลงวันที่" in problem["detail_th"] or "ส่งภายใน" in problem["detail_th"])
        assert client.get(f"/api/v1/registries/{reg}/entries", headers=h).json()["entries"] == before  # nothing
        r = _receive(client, h, reg, "หนังสือวันที่แปลก", confirm_date=True, **{field: value})
        assert r.status_code == 201, r.text


def test_far_date_on_the_receive_form(make_saraban: MakeSaraban) -> None:
    app = make_saraban()
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        client.cookies.clear()
        assert client.post("/login", data={"username": "central", "password": DEMO_PASSWORD}).status_code == 200
        page = client.get(f"/registers/{reg}/receive").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None and 'id="confirm_date"' not in page
        form = {"csrf": csrf.group(1), "sender": "สพฐ.", "subject": "ประชุมปีหน้า", "letter_date": "๑/๑/๒๕๗๕"}
        r = client.post(f"/registers/{reg}/receive", data=form, follow_redirects=False)
        assert r.status_code == 422
        assert "เกินหนึ่งปีข้างหน้า" in r.text and 'id="confirm_date"' in r.text
        assert "๑ ม.ค. ๒๕๗๕" in r.text or "1 ม.ค. 2575" in r.text
        r = client.post(f"/registers/{reg}/receive", data={**form, "confirm_date": "1"}, follow_redirects=False)
        assert r.status_code == 303, r.text


# ------------------------------------------------------------------- 3. failed sign-ins and index statuses in Thai


def test_failed_sign_ins_show_the_username_tried(make_saraban: MakeSaraban) -> None:
    app = make_saraban()
    with TestClient(create_app(app)) as client:
        for username in ("no-such-user", "central"):
            r = client.post("/login", data={"username": username, "password": "ผิดแน่นอน"}, follow_redirects=False)
            assert r.status_code in (200, 401), r.status_code
        r = client.post("/api/v1/auth/token", json={"username": "<b>ผู้บุกรุก</b>", "password": "x"})
        assert r.status_code in (401, 422)
        client.cookies.clear()
        assert client.post("/login", data={"username": "auditor", "password": DEMO_PASSWORD}).status_code == 200
        page = client.get("/audit").text
        rows = [row for row in page.split("<tr>") if "เข้าสู่ระบบไม่สำเร็จ" in row]
        assert any("ชื่อผู้ใช้ที่ใช้: no-such-user" in row and "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in row for row in rows)
        assert any("ชื่อผู้ใช้ที่ใช้: central" in row and "ทางหน้าเว็บ" in row for row in rows)
        assert "<b>ผู้บุกรุก</b>" not in page  # escaped, never markup
        assert "ผิดแน่นอน" not in page  # the password tried is never recorded, let alone shown


@pytest.mark.parametrize(
    ("raw", "label", "files"),
    [
        ("pending", "รอจัดทำดัชนี", []),
        ("indexing", "กำลังจัดทำดัชนี", []),
        ("indexed", "จัดทำดัชนีแล้ว", []),
        ("removed", "นำออกจากดัชนีแล้ว", []),
        (
            "indexed; scan_dengue.pdf: ocr-unavailable",
            "จัดทำดัชนีแล้ว",
            [("scan_dengue.pdf", FILE_STATUS_TH["ocr-unavailable"])],
        ),
        (
            "indexed; a: b.pdf: no-text; c.jpg: ocr; d.pdf: error: PdfReadError: EOF marker not found",
            "จัดทำดัชนีแล้ว",
            [("a: b.pdf", "ไม่มีข้อความให้อ่าน"), ("c.jpg", FILE_STATUS_TH["ocr"]), ("d.pdf", FILE_STATUS_TH["error"])],
        ),
        ("indexed; cut-short.pd", "จัดทำดัชนีแล้ว", [("cut-short.pd", "สถานะไม่ทราบ")]),
        ("", "สถานะไม่ทราบ", []),
    ],
)
def test_index_status_labels(raw: str, label: str, files: list[tuple[str, str]]) -> None:
    view = index_status_th(raw)
    assert view.label == label and view.files == files
    assert view.ocr_unavailable == ("ocr-unavailable" in raw)


def test_the_letter_page_shows_the_index_status_in_thai(make_saraban: MakeSaraban) -> None:
    app = make_saraban()
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        r = _receive(client, h, registry_id(client, h, "central"), "หนังสือสแกน")
        lid = r.json()["letter_id"]
        with app.tx() as uow:
            letter = uow.session.get(Letter, internal_id(app, lid))
            assert letter is not None
            letter.index_status = "indexed; scan_dengue.pdf: ocr-unavailable; notes.docx: no-text"
            uow.session.add(letter)
        client.cookies.clear()
        assert client.post("/login", data={"username": "central", "password": DEMO_PASSWORD}).status_code == 200
        page = client.get(f"/letters/{lid}").text
        cell = page[page.index('id="index-status"') :].split("</dd>")[0]
        text = re.sub(r"<[^>]+>", " ", cell.split(">", 1)[1])
        assert "จัดทำดัชนีแล้ว" in text and "scan_dengue.pdf: เป็นภาพสแกนที่ยังอ่านข้อความไม่ได้" in text
        assert "notes.docx: ไม่มีข้อความให้อ่าน" in text and "tesseract-ocr-tha" in text
        assert "ocr-unavailable" not in text and "no-text" not in text and "indexed" not in text
