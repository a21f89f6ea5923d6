"""A work process in a real browser (issue 15, acceptance 2): the group clerk opens "งานสวัสดิการและสงเคราะห์นักเรียน"
for 2569 from an incoming letter, issues the circular to the schools (step 1, "กำหนดนโยบายแนวปฏิบัติแจ้งหน่วยงานใน
สังกัด") and the order appointing the committee (step 3, "แต่งตั้งคณะกรรมการพิจารณาจัดสรร") from the case — both land
in the registers with their numbers and are linked to their steps — marks steps done; with the injected clock a
month later, the late step shows as overdue on the group's dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api, NewPage, sign_in
from tests.conftest import LiveServer, MakeSaraban

pytestmark = pytest.mark.browser

POLICY = "แนวทางการดำเนินงานสวัสดิการและสงเคราะห์นักเรียน ปีการศึกษา ๒๕๖๙"
CIRCULAR = "แจ้งแนวปฏิบัติการจัดสวัสดิการนักเรียน"
ORDER = "แต่งตั้งคณะกรรมการพิจารณาจัดสรรทุนสวัสดิการนักเรียน"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # Monday 1 มิ.ย. 2569, 09.00 in Bangkok

    def __call__(self) -> datetime:
        return self.now


def test_group_runs_the_welfare_process_from_a_letter(
    make_saraban: MakeSaraban, new_page: NewPage, api: Callable[[str, str], Api]
) -> None:
    app = make_saraban()
    clock = Clock()
    app.clock = clock
    server = LiveServer(app)
    try:
        _run(server, clock, new_page, api)
    finally:
        server.stop()


def _run(server: LiveServer, clock: Clock, new_page: NewPage, api: Callable[[str, str], Api]) -> None:
    group_api = api(server.url, "group")
    received = group_api.receive(
        "promotion-receive",
        {"sender": "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน", "subject": POLICY, "letter_no": "ศธ ๐๔๐๐๖/ว ๒๓๔"},
    )
    circular_reg, order_reg = group_api.registry_id("promotion-circular"), group_api.registry_id("promotion-order")

    page = new_page()
    sign_in(page, server.url, "group")
    page.click("#nav-cases")
    expect(page.locator("h1")).to_contain_text("ติดตามกระบวนงาน")
    page.goto(f"{server.url}/letters/{received['letter_id']}")
    page.click("a#open-case")
    expect(page.locator("#from-letter")).to_contain_text(POLICY)
    page.locator("#choose a", has_text="งานสวัสดิการและสงเคราะห์นักเรียน").click()
    expect(page.locator("#from-letter")).to_contain_text("ศธ ๐๔๐๐๖/ว ๒๓๔")
    expect(page.locator("#steps tbody tr")).to_have_count(5)
    page.fill("#year", "๒๕๖๙")
    page.click("#open")
    expect(page.locator("#done")).to_have_text("เปิดเรื่องแล้ว")
    expect(page.locator("h1")).to_contain_text("งานสวัสดิการและสงเคราะห์นักเรียน ปี 2569")
    step1, step3 = page.locator("#step-1"), page.locator("#step-3")
    expect(step1.locator(".letter")).to_contain_text("ศธ ๐๔๐๐๖/ว ๒๓๔")
    expect(step1.locator(".due")).to_have_text("8 มิ.ย. 2569")
    case_url = page.url.split("?")[0]

    # step 1: the circular to the schools, from the case
    step1.locator(".issue-box summary").click()
    step1.locator(".subject-input").fill(CIRCULAR)
    step1.locator(".group").select_option(label="โรงเรียนในสังกัดทั้งหมด")
    step1.locator(".issue-button").click()
    expect(page.locator("#done")).to_have_text("ออกเลขหนังสือแล้ว")
    expect(step1.locator(".letter", has_text=CIRCULAR)).to_contain_text("ศธ ๐๔๐๔๕/ว ๑")
    expect(step1.locator(".letter", has_text=CIRCULAR).locator(".reg")).to_contain_text("ทะเบียนหนังสือเวียน")

    # step 3: the order appointing the committee
    step3.locator(".issue-box summary").click()
    step3.locator(".subject-input").fill(ORDER)
    step3.locator(".issue-button").click()
    expect(page.locator("#done")).to_have_text("ออกเลขหนังสือแล้ว")
    expect(step3.locator(".letter", has_text=ORDER)).to_contain_text("๑/๒๕๖๙")
    expect(step3.locator(".letter", has_text=ORDER).locator(".reg")).to_contain_text("ทะเบียนคำสั่ง")

    # both are in their registers with their numbers
    page.goto(f"{server.url}/registers/{circular_reg}")
    expect(page.locator("body")).to_contain_text(CIRCULAR)
    expect(page.locator("body")).to_contain_text("ศธ ๐๔๐๔๕/ว ๑")
    page.goto(f"{server.url}/registers/{order_reg}")
    expect(page.locator("body")).to_contain_text(ORDER)

    # steps 1 and 2 done (today); step 3 is due a week after step 2
    page.goto(case_url)
    step1.locator(".mark-done").click()
    expect(page.locator("#done")).to_have_text("บันทึกว่าขั้นตอนเสร็จแล้ว")
    expect(step1.locator(".state")).to_have_text("เสร็จแล้ว")
    page.locator("#step-2 .mark-done").click()
    expect(page.locator("#step-2 .state")).to_have_text("เสร็จแล้ว")
    expect(step3.locator(".due")).to_have_text("8 มิ.ย. 2569")
    page.click("#nav-cases")
    expect(page.locator("#count-in-progress")).to_have_text("1")
    expect(page.locator("#count-overdue")).to_have_text("0")
    expect(page.locator("#due-week")).to_contain_text("ขั้นตอนที่ 3")

    # a month later (the injected clock): step 3 and after are late
    clock.now += timedelta(days=30)
    later = new_page()
    sign_in(later, server.url, "group")
    later.goto(f"{server.url}/cases")
    expect(later.locator("#count-overdue")).to_have_text("3")
    late = later.locator("#overdue li", has_text="ขั้นตอนที่ 3")
    expect(late).to_contain_text("เกินกำหนด 23 วัน")
    expect(late).to_contain_text("แต่งตั้งคณะกรรมการพิจารณาจัดสรร")
    late.locator("a").click()
    expect(later.locator("#step-3 .state")).to_have_text("เกินกำหนด")
    expect(later.locator("#step-1 .state")).to_have_text("เสร็จแล้ว")
