"""The Thai sending pages over the real app: draft, files, issue, send and follow; the school clerk's incoming
letters and one-click registration; reservations and cancellations on the number report page; refusals shown on
the page with the typed values kept."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from service.app import create_app
from service.context import Saraban
from service.demo import DEMO_PASSWORD
from service.kit.thai import be_year, local
from tests.samples import thai_letter_pdf


def browser(app: Saraban, username: str) -> TestClient:
    client = TestClient(create_app(app))
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def found(pattern: str, html: str) -> list[str]:
    return re.findall(pattern, html)


def test_sending_through_the_pages(saraban: Saraban) -> None:
    year = str(be_year(local(saraban.clock())))
    group = browser(saraban, "group")
    page = group.get("/outgoing/new")
    assert page.status_code == 200 and "ร่างหนังสือส่ง" in page.text
    token = csrf(page.text)
    series = dict((name, rid) for rid, name in found(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page.text))
    send_reg = series["ทะเบียนหนังสือส่ง กลุ่มส่งเสริมการจัดการศึกษา"]
    schools = found(r'name="unit_(\d+)"', page.text)[-30:]
    assert "โรงเรียนในสังกัดทั้งหมด (30 หน่วยงาน)" in page.text

    # a refusal keeps what was typed and ticked
    r = group.post(
        "/outgoing/new",
        data={
            "csrf": token,
            "registry_id": send_reg,
            "subject": "",
            f"unit_{schools[0]}": "on",
            "outside": "บริษัท ก | a@example.org",
        },
    )
    assert r.status_code == 422 and "เรื่อง: ต้องกรอก" in r.text
    assert f'name="unit_{schools[0]}" style="width:auto" checked' in r.text and "บริษัท ก | a@example.org" in r.text
    r = group.post("/outgoing/new", data={"csrf": token, "registry_id": send_reg, "subject": "x", "outside": "ไม่มีที่อยู่"})
    assert r.status_code == 422 and "บรรทัดที่ 1" in r.text

    r = group.post(
        "/outgoing/new",
        data={
            "csrf": token,
            "registry_id": send_reg,
            "subject": "ขอเชิญประชุมครู",
            f"unit_{schools[0]}": "on",
            f"unit_{schools[1]}": "on",
            "outside": "บริษัท ตัวอย่าง จำกัด | info@example.co.th\nนายสมชาย | ๑๒ ถนนมะลิวัลย์",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    letter_url = r.headers["location"].split("?")[0]
    letter_id = int(letter_url.rsplit("/", 1)[1])
    r = group.post(
        f"{letter_url}/files",
        data={"csrf": token},
        files=[("files", ("ลงนามแล้ว.pdf", thai_letter_pdf(), "application/pdf"))],
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert group.post(f"{letter_url}/issue", data={"csrf": token}, follow_redirects=False).status_code == 303
    again = group.post(f"{letter_url}/issue", data={"csrf": token})
    assert again.status_code == 409 and "หนังสือนี้ออกเลขแล้ว (ศธ ๐๔๐๔๕/๑)" in again.text
    assert group.post(f"{letter_url}/send", data={"csrf": token}, follow_redirects=False).status_code == 303
    page = group.get(letter_url)
    assert found(r'id="letter-no">([^<]+)', page.text) == ["ศธ ๐๔๐๔๕/๑"]
    assert found(r'id="count-registered">(\d+)', page.text) == ["0"]
    assert found(r'id="count-waiting">(\d+)', page.text) == ["2"]
    assert "บันทึกส่งทางไปรษณีย์แล้ว" in page.text and "ลงนามแล้ว.pdf" in page.text

    school = browser(saraban, "school1")
    inbox = school.get("/deliveries")
    [delivery] = found(r'href="/deliveries/(\d+)"', inbox.text)
    opened = school.get(f"/deliveries/{delivery}")
    assert "ศธ ๐๔๐๔๕/๑" in opened.text and "ลงทะเบียนรับ" in opened.text
    done = school.post(f"/deliveries/{delivery}/register", data={"csrf": csrf(opened.text)})
    assert found(r'id="receive-no">(\d+)', done.text) == ["1"]
    assert found(r'href="/deliveries/(\d+)"', school.get("/deliveries").text) == []

    page = group.get(letter_url)
    assert found(r'id="count-registered">(\d+)', page.text) == ["1"]
    assert "ลงทะเบียนรับแล้ว" in page.text and f">1/{year}<" in page.text
    assert 'id="outgoing-page"' in group.get(f"/letters/{letter_id}").text

    # the number report: reserve, a cancellation needs its reason, then cancel
    report = group.get(f"/registers/{send_reg}/numbers")
    assert report.status_code == 200 and "เลขต่อเนื่อง" in report.text
    r = group.post(f"/registers/{send_reg}/reservations", data={"csrf": token, "reason": "หนังสือลงนามในกระดาษ"})
    assert found(r'id="message">([^<]+)', r.text) == ["จองเลข 2 แล้ว"]
    r = group.post(f"/registers/{send_reg}/numbers/2/cancel", data={"csrf": token, "reason": "", "year": year})
    assert r.status_code == 422 and "กรุณาระบุเหตุผลที่ยกเลิกเลข" in r.text
    r = group.post(f"/registers/{send_reg}/numbers/2/cancel", data={"csrf": token, "reason": "ไม่ใช้แล้ว", "year": year})
    assert found(r'id="message">([^<]+)', r.text) == ["ยกเลิกเลข 2 แล้ว"]
    register = group.get(f"/registers/{send_reg}")
    assert "เลขทะเบียนส่ง" in register.text and "ยกเลิก: ไม่ใช้แล้ว" in register.text
    # a forged form is refused
    assert group.post(f"{letter_url}/send", data={"csrf": "forged"}).status_code == 403


def test_reply_link_from_a_received_letter(saraban: Saraban) -> None:
    group = browser(saraban, "group")
    page = group.get("/outgoing/new?reply_to=999999")  # not a letter the clerk may see: an ordinary draft
    assert page.status_code == 200 and 'id="replying"' not in page.text
    school = browser(saraban, "school1")
    assert school.get("/outgoing/new").text.count("ท่านไม่มีทะเบียนหนังสือส่งที่ออกเลขได้") == 1
