"""Acceptance 1 of "Distribute and follow up", in a real browser against the live app with the demo office:
the central registry registers and routes a letter to a group with an instruction; the group clerk finds it in the
inbox, registers it under the group's number and assigns the officer; the officer acknowledges, records the action
and completes it; the director adds an instruction and sees it printed under the receive stamp; the timeline shows
every step with its time; the central register's การปฏิบัติ column names the group. The officer's part again at
phone size (390 px)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS, Api, NewPage, settle, sign_in, submit
from tests.conftest import LiveServer, needs_poppler
from tests.samples import thai_letter_pdf

pytestmark = pytest.mark.browser

LiveServerFactory = Callable[..., LiveServer]
ApiFactory = Callable[[str, str], Api]

SUBJECT = "ขอเชิญส่งนักเรียนเข้าร่วมการแข่งขันทักษะวิชาการ ปีการศึกษา ๒๕๖๙"
GROUP = "กลุ่มส่งเสริมการจัดการศึกษา"
INSTRUCTION = "มอบกลุ่มส่งเสริมฯ พิจารณาดำเนินการ"
ACTION = "แจ้งโรงเรียนในสังกัดส่งรายชื่อนักเรียนแล้ว"
DIRECTIVE = "ทราบ ให้ดำเนินการตามเสนอ"


def _route_id(page: Page) -> int:
    """The route the page was opened at (the inbox links to /letters/N#route-M)."""
    match = re.search(r"#route-(\d+)$", page.url)
    assert match, page.url
    return int(match.group(1))


def _words(pdf: Path, page: int = 1) -> list[tuple[float, float, float, float, str]]:
    """pdftotext -bbox words of one page: (x0, y0, x1, y1, text), y down from the top."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return [
        (float(m[1]), float(m[2]), float(m[3]), float(m[4]), m[5])
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out
        )
    ]


def _officer_part(page: Page, base: str, subject: str, action: str) -> None:
    """The officer: the inbox, the letter, acknowledge, record the action, complete."""
    sign_in(page, base, "officer")
    expect(page).to_have_url(f"{base}/inbox")  # something waits: the inbox is the first page
    item = page.locator("#inbox li.item", has_text=subject)
    expect(item).to_have_attribute("data-waiting", "acknowledge")
    expect(page.locator(".tab[data-view=acknowledge] .count")).not_to_have_text("0")
    item.locator("a.subject").click()
    route = _route_id(page)
    expect(page.locator("h1")).to_contain_text(subject)
    expect(page.locator("iframe#stamped-pdf")).to_be_attached()  # the stamped letter is there to read
    submit(page, f"#acknowledge-{route}")
    expect(page.locator("#done")).to_contain_text("รับทราบเรียบร้อย")
    expect(page.locator(f"#route-{route}")).to_have_attribute("data-state", "acknowledged")
    page.fill(f"#action-{route}", action)
    submit(page, f"#complete-{route}")
    expect(page.locator("#done")).to_contain_text("บันทึกการปฏิบัติเรียบร้อย")
    expect(page.locator(f"#route-{route}")).to_have_attribute("data-state", "completed")
    expect(page.locator(f"#route-{route} .action-taken")).to_contain_text(action)
    page.goto(f"{base}/inbox")
    expect(page.locator("#inbox li.item", has_text=subject)).to_have_count(0)


@needs_poppler
def test_the_whole_journey(
    live_server: LiveServerFactory, new_page: NewPage, api: ApiFactory, browser: Browser, tmp_path: Path
) -> None:
    server = live_server()
    base = server.url

    # --- central registers the letter and routes it to the group with an instruction
    page = new_page()
    sign_in(page, base, "central")
    page.click("a#new-letter")
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(thai_letter_pdf(subject=SUBJECT))
    page.fill("#letter_no", "ศธ ๐๔๐๐๖/ว ๙๙")
    page.fill("#sender", "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน")
    page.fill("#subject", SUBJECT)
    page.select_option("#urgency", label="ด่วนมาก")
    page.set_input_files("#files", str(pdf))
    page.click("#submit")
    page.wait_for_url(re.compile(r"/letters/\d+\?registered=1$"))
    letter_url = page.url.split("?")[0]
    letter_id = int(letter_url.rsplit("/", 1)[1])
    settle(page)  # the stamped PDF's viewer has loaded (it moves the page as it loads)
    box = page.locator(f"#route-form input[name=to_unit_ids][data-name='{GROUP}']")
    box.scroll_into_view_if_needed()
    box.check()
    page.fill("#instruction", INSTRUCTION)
    submit(page, "#route-submit")
    expect(page.locator("#done")).to_contain_text("ส่งต่อเรียบร้อย")
    expect(page.locator("#journey .route")).to_have_count(1)
    expect(page.locator("#journey .route").first).to_contain_text("กลุ่มส่งเสริมฯ")
    expect(page.locator("#journey .route").first).to_have_attribute("data-state", "sent")

    # --- the group clerk: the inbox first, register under the group's number, assign the officer
    page = new_page()
    sign_in(page, base, "group")
    expect(page).to_have_url(f"{base}/inbox")
    expect(page.locator(".tab[data-view=register] .count")).to_have_text("1")
    item = page.locator("#inbox li.item", has_text=SUBJECT)
    expect(item).to_have_attribute("data-waiting", "register")
    expect(item).to_contain_text("ด่วนมาก")
    item.locator("a.subject").click()
    unit_route = _route_id(page)
    submit(page, f"#register-{unit_route}")
    expect(page.locator("#done")).to_contain_text("ลงทะเบียนรับเรียบร้อย")
    expect(page.locator(f"#route-{unit_route} .unit-number")).to_contain_text("เลขรับ 1/")
    page.select_option("#to_user_ids", label="นายสมชาย ตั้งใจ — กลุ่มส่งเสริมฯ")
    page.fill("#instruction", "ดำเนินการแจ้งโรงเรียน")
    submit(page, "#route-submit")
    expect(page.locator("#done")).to_contain_text("ส่งต่อเรียบร้อย")
    expect(page.locator(f"#route-{unit_route}")).to_have_attribute("data-state", "forwarded")
    # the group's register has it under the group's own number
    page.goto(f"{base}/inbox?view=following")
    expect(page.locator("#inbox li.item", has_text=SUBJECT)).to_contain_text("นายสมชาย ตั้งใจ")

    # --- the officer acknowledges, records the action and completes
    _officer_part(new_page(), base, SUBJECT, ACTION)

    # --- the director writes an instruction and sees it under the receive stamp
    page = new_page()
    sign_in(page, base, "director")
    page.goto(letter_url)
    expect(page.locator(f"#route-{unit_route}")).to_have_attribute("data-state", "completed")
    # the director came to instruct: with no instruction yet the form is open, no click needed
    expect(page.locator("#instruct-box")).to_have_attribute("open", "")
    expect(page.locator("#instruction-name")).to_have_value("นายประเสริฐ ผู้นำ")
    page.fill("#instruction-text", DIRECTIVE)
    submit(page, "#instruction-submit")
    expect(page.locator("#done")).to_contain_text("บันทึกการสั่งการเรียบร้อย")
    expect(page.locator(".instruction")).to_contain_text(DIRECTIVE)
    href = page.locator("a#instructed-link").get_attribute("href")
    assert href
    resp = page.request.get(base + href)
    assert resp.status == 200 and resp.headers["content-type"].startswith("application/pdf")
    instructed = tmp_path / "instructed.pdf"
    instructed.write_bytes(resp.body())
    stamped = page.request.get(base + page.locator("a#stamped-link").get_attribute("href"))  # type: ignore[operator]
    assert resp.body().startswith(stamped.body())  # the stamped copy kept, the instruction added after it
    original = page.request.get(
        base + page.locator("a#stamped-link").get_attribute("href").replace("stamped", "content")
    )  # type: ignore[union-attr]
    assert stamped.body().startswith(original.body())
    words = _words(instructed)
    (number,) = [w for w in words if w[4] == "เลขรับ"]  # the stamp's second line
    stamp_time = [w for w in words if w[4] == "เวลา" and abs(w[0] - number[0]) < 40 and w[1] > number[1]]
    assert stamp_time, words
    mine = [w for w in words if w[4] in ("ทราบ", "(นายประเสริฐ")]
    assert len(mine) >= 2, words
    for w in mine:
        assert w[1] > stamp_time[0][3], (w, stamp_time)  # under the stamp's last line
        assert w[2] > number[0] - 40, (w, number)  # and under it, not beside it on the left
    # never over the letter's text: the words the instruction added touch none of the stamped copy's
    stamped_pdf = tmp_path / "stamped.pdf"
    stamped_pdf.write_bytes(stamped.body())
    before = _words(stamped_pdf)
    added = [w for w in words if not any(w[4] == b[4] and abs(w[0] - b[0]) + abs(w[1] - b[1]) < 1 for b in before)]
    assert added
    for a in added:
        for b in before:
            assert min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[1], b[1]), (a, b)
    text = subprocess.run(["pdftotext", str(instructed), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)  # poppler splits a decomposed ำ from its consonant
    assert re.sub(r"\s+", "", DIRECTIVE) in flat and "(นายประเสริฐ" in flat, text

    # --- the timeline: every step, with its time
    rows = page.locator("table#timeline tbody tr")
    actions = [r.get_attribute("data-action") for r in rows.all()]
    assert actions == ["receive", "route", "register", "forward", "acknowledge", "complete", "complete", "instruct"], (
        actions
    )
    for row in rows.all():
        expect(row.locator("td").first).to_have_text(re.compile(r"\d+ \S+ 25\d\d \d\d\.\d\d น\."))
    expect(rows.nth(1)).to_contain_text(INSTRUCTION)
    expect(rows.nth(5)).to_contain_text(ACTION)

    # --- the central register's การปฏิบัติ column names the group
    page = new_page()
    sign_in(page, base, "central")
    page.goto(f"{base}/")
    central = api(base, "central")
    page.goto(f"{base}/registers/{central.registry_id('central')}")
    row = page.locator("table#register tbody tr", has_text=SUBJECT)
    expect(row).to_contain_text("ส่ง กลุ่มส่งเสริมฯ (ลงรับ เลขที่ 1")
    expect(row).to_contain_text("ปฏิบัติแล้ว")
    entries = central.client.get(f"/api/v1/registries/{central.registry_id('central')}/entries").json()["entries"]
    assert any(e["letter_id"] == letter_id and "กลุ่มส่งเสริมฯ" in e["action"] for e in entries)

    # --- the officer's part again, at phone size
    second = "ขอความร่วมมือประชาสัมพันธ์โครงการห้องสมุดเคลื่อนที่"
    sent = central.receive(
        "central", {"sender": "ศธจ.ขอนแก่น", "subject": second, "urgency": "ด่วน"}, thai_letter_pdf(subject=second)
    )
    people = central.client.get(f"/api/v1/letters/{sent['letter_id']}/recipients").json()["people"]
    (officer_id,) = [p["id"] for p in people if p["name"] == "นายสมชาย ตั้งใจ"]
    r = central.client.post(
        f"/api/v1/letters/{sent['letter_id']}/routes", json={"to_user_id": officer_id, "instruction": "ดำเนินการ"}
    )
    assert r.status_code == 201, r.text
    phone = browser.new_context(
        locale="th-TH",
        timezone_id="Asia/Bangkok",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    phone.set_default_timeout(TIMEOUT_MS)
    try:
        page = phone.new_page()
        _officer_part(page, base, second, "ประชาสัมพันธ์ทางเว็บไซต์แล้ว")
        page.goto(f"{base}/letters/{sent['letter_id']}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width  # nothing sticks out sideways
        page.screenshot(path=str(tmp_path / "officer-phone.png"), full_page=True)
        page.goto(f"{base}/inbox?view=all")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        phone.close()
