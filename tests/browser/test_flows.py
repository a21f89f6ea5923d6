"""End-to-end flows in a real browser (headless Chromium) against the live app with the demo office.

Issues covered: "Receive, register and stamp", "Who may see what", "Find any letter".
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from service.demo import DEMO_PASSWORD
from tests.browser.conftest import Api, NewPage, sign_in
from tests.conftest import LiveServer
from tests.samples import thai_letter_pdf

pytestmark = pytest.mark.browser

LiveServerFactory = Callable[..., LiveServer]
ApiFactory = Callable[[str, str], Api]

SUBJECT = "ขอความอนุเคราะห์ข้อมูลนักเรียนทุนการศึกษา ปีการศึกษา ๒๕๖๘"
SENDER = "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน"


def pdftotext(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60)
    return out.stdout.decode("utf-8")


def register_rows(page: Page) -> list[str]:
    return [row.inner_text() for row in page.locator("table#register tbody tr").all()]


# ---------------------------------------------------------------------------------------------- 1. receive


def test_receive_register_and_stamp(live_server: LiveServerFactory, new_page: NewPage, tmp_path: Path) -> None:
    server = live_server()
    page = new_page()
    sign_in(page, server.url, "central")
    # "/" sends a clerk to the first register they may read: the central one.
    expect(page).to_have_url(re.compile(r"/registers/\d+$"))
    expect(page.locator("h1")).to_contain_text("ทะเบียนหนังสือรับ (สารบรรณกลาง)")
    expect(page.locator("table#register tbody")).to_contain_text("ยังไม่มีหนังสือในทะเบียนปีนี้")
    register_url = page.url

    page.click("a#new-letter")
    expect(page.locator("#receive-form")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("ลงทะเบียนรับหนังสือ")

    # An empty subject is refused with a Thai message, the typed values survive, and no number is used.
    page.fill("#letter_no", "ศธ ๐๔๐๐๖/ว ๑๒๓")
    page.fill("#sender", SENDER)
    page.click("#submit")
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("เรื่อง")
    expect(alert).to_contain_text("ต้องกรอก")
    expect(page.locator("#sender")).to_have_value(SENDER)
    expect(page.locator("#letter_no")).to_have_value("ศธ ๐๔๐๐๖/ว ๑๒๓")
    page.goto(register_url)
    expect(page.locator("table#register tbody")).to_contain_text("ยังไม่มีหนังสือในทะเบียนปีนี้")
    assert len(register_rows(page)) == 1

    # The real thing: Thai text everywhere, urgency ด่วน, one PDF.
    pdf_path = tmp_path / "หนังสือทุนการศึกษา.pdf"
    pdf_path.write_bytes(thai_letter_pdf())
    page.click("a#new-letter")
    page.fill("#letter_no", "ศธ ๐๔๐๐๖/ว ๑๒๓")
    page.fill("#letter_date", "๒๓ มีนาคม ๒๕๖๙")
    page.fill("#sender", SENDER)
    page.fill("#subject", SUBJECT)
    page.select_option("#urgency", label="ด่วน")
    page.set_input_files("#files", str(pdf_path))
    page.click("#submit")

    page.wait_for_url(re.compile(r"/letters/\d+\?registered=1$"))
    expect(page.locator("#registered")).to_contain_text("ลงทะเบียนรับเรียบร้อย")
    expect(page.locator("#receive-no")).to_have_text("1")
    expect(page.locator("h1")).to_contain_text(SUBJECT)
    expect(page.locator("h1 .badge")).to_have_text("ด่วน")
    expect(page.locator("main")).to_contain_text(SENDER)
    letter_url = page.url.split("?")[0]

    # The stamped PDF: shown in the iframe, served to the signed-in browser (session cookie) as a PDF.
    iframe = page.locator("iframe#stamped-pdf")
    expect(iframe).to_be_visible()
    src = iframe.get_attribute("src")
    assert src
    assert page.locator("a#stamped-link").get_attribute("href") == src
    resp = page.request.get(server.url + src)
    assert resp.status == 200
    assert resp.headers["content-type"].startswith("application/pdf")
    body = resp.body()
    assert body.startswith(b"%PDF")
    stamped = tmp_path / "stamped.pdf"
    stamped.write_bytes(body)
    text = pdftotext(stamped)
    assert "เลขรับ" in text
    assert "เลขรับ ๑" in re.sub(r"\s+", " ", text)
    # the letter itself is still there under the stamp
    assert "ทุนการศึกษา" in text

    # Let Chromium's PDF viewer draw the iframe, then keep a picture to look at.
    page.wait_for_timeout(2000)
    page.screenshot(path=str(tmp_path / "letter-page.png"), full_page=True)

    # The register lists the letter, number 1, with its urgency badge, linking to the letter.
    page.goto(register_url)
    rows = page.locator("table#register tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row.locator("td").first).to_have_text("1")
    expect(row).to_contain_text(SUBJECT)
    expect(row).to_contain_text(SENDER)
    expect(row.locator(".badge")).to_have_text("ด่วน")
    row.get_by_role("link", name=SUBJECT).click()
    page.wait_for_url(letter_url)
    expect(page.locator("h1")).to_contain_text(SUBJECT)
    expect(page.locator("#registered")).to_have_count(0)


# ---------------------------------------------------------------------------------------------- 2. access


def test_who_may_see_what(live_server: LiveServerFactory, new_page: NewPage, api: ApiFactory, tmp_path: Path) -> None:
    server = live_server()
    central, group, secret = api(server.url, "central"), api(server.url, "group"), api(server.url, "secret")
    central_subject = "ขอเชิญประชุมผู้บริหารสถานศึกษา ประจำเดือนมีนาคม"
    group_subject = "แจ้งผลการคัดเลือกนักเรียนรับทุนพระราชทาน"
    secret_subject = "การสอบสวนวินัยร้ายแรงข้าราชการครู"
    central_letter = central.receive("central", {"sender": "สพฐ.", "subject": central_subject}, thai_letter_pdf())
    group_letter = group.receive(
        "promotion-receive", {"sender": "ศธจ.ขอนแก่น", "subject": group_subject, "urgency": "ด่วนมาก"}
    )
    secret_letter = secret.receive("secret", {"sender": "สพฐ.", "subject": secret_subject, "secrecy": "ลับ"})
    assert len({central_letter["letter_id"], group_letter["letter_id"], secret_letter["letter_id"]}) == 3

    # --- the group clerk sees the group's letters only
    page = new_page()
    sign_in(page, server.url, "group")
    expect(page.locator("h1")).to_contain_text("ทะเบียนหนังสือรับ กลุ่มส่งเสริมการจัดการศึกษา")
    expect(page.locator("table#register")).to_contain_text(group_subject)
    expect(page.locator("table#register .badge")).to_have_text("ด่วนมาก")
    expect(page.locator("a#new-letter")).to_be_visible()
    seen = page.content()
    assert central_subject not in seen and secret_subject not in seen
    # no link to the central or the secret register
    links = [a.get_attribute("href") for a in page.locator("main a").all()]
    assert f"/registers/{central.registry_id('central')}" not in links
    assert f"/registers/{secret.registry_id('secret')}" not in links

    # someone else's letter does not exist for the group clerk
    resp = page.goto(f"{server.url}/letters/{central_letter['letter_id']}")
    assert resp is not None and resp.status == 404
    expect(page.get_by_role("alert")).to_contain_text("ไม่พบหนังสือนี้")
    assert central_subject not in page.content()
    resp = page.goto(f"{server.url}/letters/{secret_letter['letter_id']}")
    assert resp is not None and resp.status == 404
    expect(page.get_by_role("alert")).to_contain_text("ไม่พบหนังสือนี้")
    assert secret_subject not in page.content()
    # nor its attachment, even by guessing the URL
    att = central_letter["attachments"][0]["id"]
    assert page.request.get(f"{server.url}/attachments/{att}/stamped").status == 404
    # the registers the group clerk may not open
    for code, who in (("central", central), ("secret", secret)):
        resp = page.goto(f"{server.url}/registers/{who.registry_id(code)}")
        assert resp is not None and resp.status in (403, 404), (code, resp.status)
        content = page.content()
        assert central_subject not in content and secret_subject not in content
    # the group's own letter opens
    page.goto(f"{server.url}/letters/{group_letter['letter_id']}")
    expect(page.locator("h1")).to_contain_text(group_subject)

    # --- the auditor exports today's audit trail as CSV (asked for /audit first: sign-in leads back there)
    page = new_page()
    page.goto(f"{server.url}/audit")
    page.wait_for_url(re.compile(r"/login\?next=(/|%2F)audit"))
    page.fill("#username", "auditor")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/audit")
    expect(page.locator("h1")).to_contain_text("บันทึกการใช้งาน")
    today = page.locator("#since").input_value()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", today), today
    expect(page.locator("#until")).to_have_value(today)
    expect(page.locator("table#events")).to_contain_text("เข้าสู่ระบบ")  # the action in Thai (its code in the export)
    assert secret_subject not in page.content()
    with page.expect_download() as info:
        page.click("a#export-csv")
    download = info.value
    assert download.suggested_filename == f"audit-{today}-{today}.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Thai correctly
    rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows, "empty export"
    assert list(rows[0]) == [
        "seq",
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "letter_id",
        "ip",
        "detail",
        "hash",
    ]
    actions = {r["action"] for r in rows}
    assert "sign_in" in actions
    assert {"central", "group", "secret", "auditor"} <= {r["actor"] for r in rows if r["action"] == "sign_in"}
    registered = {r["letter_id"] for r in rows if r["action"] == "register"}
    assert registered == {str(central_letter["letter_id"]), str(group_letter["letter_id"])}
    assert {"view", "audit_export"} <= actions
    seqs = [int(r["seq"]) for r in rows]
    assert seqs == sorted(seqs)
    # events about the secret letter stay hidden from the auditor, who lacks the clearance
    assert not [r for r in rows if r["letter_id"] == str(secret_letter["letter_id"])]
    assert secret_subject not in raw.decode("utf-8-sig")


# ---------------------------------------------------------------------------------------------- 3. search


def test_find_any_letter(live_server: LiveServerFactory, new_page: NewPage, api: ApiFactory, tmp_path: Path) -> None:
    server = live_server(with_indexer=True)
    central = api(server.url, "central")
    subject = "ขอความร่วมมือจัดกิจกรรมวันเด็กแห่งชาติ"
    word = "อนุรักษ์"
    assert word not in subject
    letter = central.receive(
        "central",
        {"sender": "ศธจ.ขอนแก่น", "subject": subject, "letter_no": "ศธ ๐๒๘๗/๔๕๖"},
        thai_letter_pdf(extra_body="โครงการอนุรักษ์ช้างไทยในโรงเรียน"),
    )
    found = api(server.url, "auditor").wait_searchable(word)
    assert [r["letter_id"] for r in found["results"]] == [letter["letter_id"]]

    page = new_page()
    sign_in(page, server.url, "auditor")
    page.goto(f"{server.url}/search")
    page.fill("#q", word)
    page.click("#search-button")
    page.wait_for_url(re.compile(r"/search\?.*q="))
    expect(page.locator("#total")).to_contain_text("พบ 1 รายการ")
    results = page.locator("ol#results li.result")
    expect(results).to_have_count(1)
    result = results.first
    expect(result.locator("a.result-link")).to_contain_text(subject)
    marks = result.locator(".snippet mark")
    expect(marks.first).to_be_visible()
    assert word in " ".join(marks.all_inner_texts())
    expect(result.locator(".snippet")).to_contain_text("ช้างไทย")
    expect(page.locator("#q")).to_have_value(word)
    page.screenshot(path=str(tmp_path / "search-results.png"), full_page=True)

    result.locator("a.result-link").click()
    page.wait_for_url(f"{server.url}/letters/{letter['letter_id']}")
    expect(page.locator("h1")).to_contain_text(subject)
    expect(page.locator("iframe#stamped-pdf")).to_be_visible()
