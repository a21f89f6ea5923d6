"""Sending in a real browser (issue "Send", acceptance 5): the group clerk drafts a reply to a received letter,
issues its number, uploads the signed PDF and sends it to two schools; a school clerk registers it with one click;
the group sees it registered with the school's receive number."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from service.kit.thai import be_year, local
from tests.browser.conftest import Api, NewPage, sign_in
from tests.conftest import LiveServer
from tests.samples import thai_letter_pdf

pytestmark = pytest.mark.browser

SUBJECT = "ขอข้อมูลนักเรียนที่ได้รับทุนการศึกษา"


def test_group_replies_to_two_schools_and_sees_them_register(
    live_server: Callable[..., LiveServer], new_page: NewPage, api: Callable[[str, str], Api], tmp_path: Path
) -> None:
    server = live_server()
    year = be_year(local(datetime.now(UTC)))
    received = api(server.url, "group").receive(
        "promotion-receive",
        {"sender": "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน", "subject": SUBJECT, "letter_no": "ศธ ๐๔๐๐๖/ว ๕๖๗"},
    )

    group = new_page()
    sign_in(group, server.url, "group")
    group.goto(f"{server.url}/letters/{received['letter_id']}")
    group.click("a#reply")
    expect(group.locator("h1")).to_contain_text("ร่างหนังสือตอบ")
    expect(group.locator("#replying")).to_contain_text(SUBJECT)
    expect(group.locator("#subject")).to_have_value(SUBJECT)
    group.select_option("#registry_id", label="ทะเบียนหนังสือส่ง กลุ่มส่งเสริมการจัดการศึกษา")
    group.fill("#subject", f"ส่งข้อมูล{SUBJECT}")
    group.locator("#units summary").click()
    group.check("#unit-school-01")
    group.check("#unit-school-02")
    group.click("#save-draft")
    expect(group.locator("#done")).to_contain_text("บันทึกร่างหนังสือแล้ว")
    expect(group.locator("#state")).to_have_text("ร่าง")
    expect(group.locator("#replies-to")).to_contain_text(SUBJECT)
    outgoing_url = group.url.split("?")[0]

    group.click("#issue")
    expect(group.locator("#letter-no")).to_have_text("ศธ ๐๔๐๔๕/๑")
    signed = tmp_path / "หนังสือตอบ-ลงนามแล้ว.pdf"
    signed.write_bytes(thai_letter_pdf())
    group.set_input_files("#files", str(signed))
    group.click("#upload")
    expect(group.locator(".attachment")).to_contain_text("หนังสือตอบ-ลงนามแล้ว.pdf")
    group.click("#send")
    expect(group.locator("#state")).to_have_text("ส่งแล้ว")
    expect(group.locator("#count-waiting")).to_have_text("2")
    expect(group.locator("#count-registered")).to_have_text("0")
    expect(group.locator("table#deliveries tbody tr")).to_have_count(2)

    school = new_page()
    sign_in(school, server.url, "school1")
    school.click("#nav-deliveries")
    expect(school.locator("table#incoming")).to_contain_text("ศธ ๐๔๐๔๕/๑")
    school.locator("table#incoming a", has_text=SUBJECT).click()
    expect(school.locator("#delivery-state")).to_have_text("เปิดอ่านแล้ว")
    school.click("#register")
    expect(school.locator("#receive-no")).to_have_text("1")
    school.goto(f"{server.url}/deliveries")
    expect(school.locator("table#incoming")).to_contain_text("ไม่มีหนังสือรอลงทะเบียนรับ")

    group.goto(outgoing_url)
    expect(group.locator("#count-registered")).to_have_text("1")
    expect(group.locator("#count-waiting")).to_have_text("1")
    row = group.locator("table#deliveries tr.delivery-registered")
    expect(row).to_contain_text("โรงเรียนบ้านโนนสะอาด")
    expect(row).to_contain_text("ลงทะเบียนรับแล้ว")
    expect(row).to_contain_text(f"1/{year}")
    waiting = group.locator("table#deliveries tr.delivery-delivered")
    expect(waiting).to_contain_text("โรงเรียนบ้านหนองไผ่")
    expect(waiting).to_contain_text("ส่งถึงแล้ว (ยังไม่เปิด)")
    # the received letter shows its reply
    group.goto(f"{server.url}/letters/{received['letter_id']}")
    expect(group.locator(".replied-by")).to_contain_text("ศธ ๐๔๐๔๕/๑")
