"""The archive's Thai pages through the ASGI client: filing from the form, a hold placed and released, the whole
destruction cycle by its forms (records, the committee's decisions, the director's approval, the Archives, the
execution after the objection window), a loan by its forms, the printed forms; a forged form is refused."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from service.app import create_app
from service.demo import DEMO_PASSWORD
from tests.archive_kit import complete_journey, receive, use_clock
from tests.conftest import MakeSaraban, login


def sign_in(client: TestClient, username: str) -> str:
    client.cookies.clear()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    m = re.search(r'name="csrf" value="([^"]+)"', client.get("/password").text)
    assert m
    return m.group(1)


def post(client: TestClient, path: str, csrf: str, data: dict[str, Any] | None = None) -> str:
    """Post a form, follow the 303 back, return the page (asserting the outcome was not an error)."""
    r = client.post(path, data={"csrf": csrf, **(data or {})}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert 'class="error"' not in page.text, re.findall(r'role="alert">([^<]*)', page.text)
    return page.text


def test_the_archive_by_its_pages(make_saraban: MakeSaraban) -> None:
    app = make_saraban()
    clock = use_clock(app, date(2024, 5, 1))
    with TestClient(create_app(app)) as client:
        central = login(client, "central")
        a = receive(client, central, subject="โครงการปลูกป่าชายเลน")
        b = receive(client, central, subject="โครงการฝายชะลอน้ำ")
        for x in (a, b):
            complete_journey(app, x["letter_id"], date(2024, 5, 2))

        csrf = sign_in(client, "records")
        page = client.get("/archive").text
        assert "ส่งเก็บหนังสือ" in page and "โครงการปลูกป่าชายเลน" in page
        forged = client.post("/archive/file", data={"csrf": "forged", "letter_id": a["letter_id"]})
        assert forged.status_code == 403
        files = {m[1]: m[0] for m in re.findall(r'<option value="(\d+)">([\d.]+) ', page)}
        classes = {c["code"]: c["id"] for c in client.get("/api/v1/retention-classes", headers=central).json()}
        text = post(
            client,
            "/archive/file",
            csrf,
            {
                "letter_id": [str(a["letter_id"]), str(b["letter_id"]), ""],  # the empty "older file" field too
                "file_code_id": files["01.01"],
                "retention_class_id": classes["routine"],
                "storage_kind": "completed",
                "location": "ตู้ ๑",
                "completed_on": "",
            },
        )
        assert "ส่งเก็บหนังสือแล้ว" in text and "เก็บถึง พ.ศ. ๒๕๖๘" in text
        items = [int(i) for i in re.findall(r'href="/archive/items/(\d+)"', text)]
        assert len(set(items)) == 2

        item = items[0]
        text = post(client, f"/archive/items/{item}/holds", csrf, {"reason": "รอผลการสอบสวน"})
        assert "รอผลการสอบสวน" in text
        hold = re.search(r'action="/archive/holds/(\d+)/release"', text)
        assert hold
        text = post(client, f"/archive/holds/{hold.group(1)}/release", csrf, {"item_id": item, "reason": "สิ้นสุด"})
        assert "ไม่มีการระงับการทำลาย" in text
        assert client.get(f"/archive/items/{item}/stamped.pdf").headers["content-type"] == "application/pdf"
        assert client.get("/archive/storage-list.pdf").status_code == 200

        # a loan by its forms
        text = post(client, f"/archive/items/{item}/loans", csrf, {"position": "เจ้าพนักงาน", "purpose": "ตรวจ"})
        loan = re.search(r'id="loan-(\d+)"', text)
        assert loan
        dcsrf = sign_in(client, "director")
        assert "อนุมัติ" in post(client, f"/archive/loans/{loan.group(1)}/approve", dcsrf)
        csrf = sign_in(client, "records")
        text = post(client, f"/archive/loans/{loan.group(1)}/hand-out", csrf, {"due_on": "8 พ.ค. 2567", "person": ""})
        assert "ยืมออกไป" in text
        text = post(client, f"/archive/loans/{loan.group(1)}/return", csrf, {"person": ""})
        assert "ส่งคืนแล้ว" in text
        assert client.get(f"/archive/items/{item}/loan-card.pdf").status_code == 200

        # the destruction cycle
        clock.set(date(2026, 1, 15))
        csrf = sign_in(client, "records")
        r = client.post("/archive/destruction", data={"csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303 and "/archive/destruction/" in r.headers["location"]
        list_path = r.headers["location"].split("?")[0]
        text = client.get(list_path).text
        assert "ร่างบัญชี" in text and "โครงการฝายชะลอน้ำ" in text
        # a committee of two is refused with the regulation's reason
        r = client.post(
            f"{list_path}/committee",
            data={
                "csrf": csrf,
                "name_1": "นายประธาน",
                "level_1": "ชำนาญการ",
                "role_1": "chair",
                "name_2": "นางหนึ่ง",
                "level_2": "ชำนาญงาน",
                "role_2": "member",
            },
            follow_redirects=True,
        )
        assert "คณะกรรมการไม่เป็นไปตามระเบียบ" in r.text
        post(
            client,
            f"{list_path}/committee",
            csrf,
            {
                "name_1": "นายประธาน",
                "position_1": "นักจัดการงานทั่วไป",
                "level_1": "ชำนาญการพิเศษ",
                "role_1": "chair",
                "name_2": "นางหนึ่ง",
                "position_2": "นักวิชาการศึกษา",
                "level_2": "ชำนาญการ",
                "role_2": "member",
                "name_3": "นายสอง",
                "position_3": "เจ้าพนักงานธุรการ",
                "level_3": "ชำนาญงาน",
                "role_3": "member",
            },
        )
        decisions = {f"decision_{i}": "destroy" for i in items}
        text = post(client, f"{list_path}/decisions", csrf, decisions)
        assert "คณะกรรมการพิจารณาครบแล้ว" in text
        dcsrf = sign_in(client, "director")
        text = post(client, f"{list_path}/approve", dcsrf)
        assert "หัวหน้าส่วนราชการอนุมัติแล้ว" in text
        csrf = sign_in(client, "records")
        text = post(client, f"{list_path}/archives", csrf, {"notified_on": "15 ม.ค. 2569", "answer": ""})
        assert "รอทักท้วงได้ถึง" in text
        r = client.post(f"{list_path}/execute", data={"csrf": csrf}, follow_redirects=True)
        assert "ยังอยู่ในระยะเวลาที่สำนักหอจดหมายเหตุแห่งชาติอาจทักท้วง" in r.text

        clock.set(date(2026, 3, 20))
        csrf = sign_in(client, "records")
        text = post(client, f"{list_path}/execute", csrf, {"method": "ลบไฟล์และย่อยเอกสาร"})
        assert "ทำลายหนังสือ 2 ฉบับแล้ว" in text and "ทำลายแล้วเมื่อ" in text
        assert client.get(f"{list_path}/pdf").headers["content-type"] == "application/pdf"
        gone = client.get(f"/letters/{a['letter_id']}")
        assert gone.status_code == 410 and "ถูกทำลายแล้ว" in gone.text

        for path in ("/archive/loans", "/archive/destruction", "/archive/transfer"):
            assert client.get(path).status_code == 200, path
        # the archive is not for everyone; a refused act is the 403 page (and audited)
        ocsrf = sign_in(client, "officer")
        assert client.get("/archive").status_code == 403
        assert client.post(f"{list_path}/approve", data={"csrf": ocsrf}).status_code == 403
