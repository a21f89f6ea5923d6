"""A clerk's corrections, cancellations and the duplicate warning in a real browser (README "A clerk's day").

The clerk corrects a registration on the letter page (Thai text, a Thai date in Thai digits) and sees the earlier
values in its history with B.E. dates and Thai month names, and the register marks the row แก้ไขแล้ว; a wrong date
is refused in Thai and changes nothing; a cancelled number stays in the register, marked, and the letter is gone for
others. On the receive page the same ที่ from the same sender, or the same file, is shown with the earlier
registration and registered again only with the confirm box ticked. One live server for the module, with the
duplicate check on (most fixtures turn it off).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from service.kit.thai import MONTHS_ABBR
from tests.browser.conftest import Api, NewPage, module_server, sign_in
from tests.conftest import DatabaseTemplates, LiveServer
from tests.samples import thai_letter_pdf

pytestmark = pytest.mark.browser

ApiFactory = Callable[[str, str], Api]
SENDER = "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน"
THAI_DATE = re.compile(rf"\d{{1,2}} (?:{'|'.join(re.escape(m) for m in MONTHS_ABBR)}) 25\d\d")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_templates: DatabaseTemplates) -> Iterator[LiveServer]:
    yield from module_server(tmp_path_factory, database_templates, duplicate_check=True)


def no_sideways_scroll(page: Page) -> None:
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url}: the page is {width} px wide in a {inner} px window"


def open_change_form(page: Page) -> None:
    page.locator("details[id^=change-] summary").click()
    expect(page.locator("form[id^=correct-form-]")).to_be_visible()


# ---------------------------------------------------------------------------------------------- corrections


def test_a_clerk_corrects_a_registration(server: LiveServer, new_page: NewPage, api: ApiFactory) -> None:
    base = server.url
    central = api(base, "central")
    letter = central.receive(
        "central",
        {"letter_no": "ศธ 04006/ว 1501", "letter_date": "2569-01-05", "sender": SENDER, "subject": "ขอเชิญประชุมครู"},
    )
    letter_id, number = letter["letter_id"], letter["registration"]["number"]
    page = new_page()
    sign_in(page, base, "central")
    page.goto(f"{base}/letters/{letter_id}")
    expect(page.locator("h1")).to_have_text("ขอเชิญประชุมครู")

    # a date that does not exist: refused in Thai, nothing changed
    open_change_form(page)
    page.locator("input[id^=c-letter_date-]").fill("๓๑ ก.พ. ๒๕๖๙")
    page.locator("input[id^=c-reason-]").fill("แก้วันที่")
    page.locator("button[id^=correct-submit-]").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("ทำรายการไม่สำเร็จ")
    assert re.search(r"วัน|วันที่", alert.inner_text()), alert.inner_text()
    # the way back leads to the letter page
    page.get_by_role("link", name="ย้อนกลับ").click()
    expect(page).to_have_url(re.compile(rf"/letters/{letter_id}"))
    page.goto(f"{base}/letters/{letter_id}")
    expect(page.locator("dl")).to_contain_text("5 ม.ค. 2569")
    expect(page.locator("#correction-history")).to_have_count(0)

    # the real correction: a new subject, the date in Thai digits and a full month name, urgency ด่วน
    open_change_form(page)
    page.locator("input[id^=c-subject-]").fill("ขอเชิญประชุมครูและบุคลากรทางการศึกษา ครั้งที่ ๑/๒๕๖๙")
    page.locator("input[id^=c-letter_date-]").fill("๖ มกราคม ๒๕๖๙")
    page.locator("select[id^=c-urgency-]").select_option(label="ด่วน")
    page.locator("input[id^=c-reason-]").fill("พิมพ์เรื่องและวันที่ผิดจากต้นฉบับ")
    page.locator("button[id^=correct-submit-]").click()
    expect(page).to_have_url(re.compile(rf"/letters/{letter_id}\?changed=corrected"))
    expect(page.locator("#changed")).to_have_text("แก้ไขการลงทะเบียนแล้ว (ข้อมูลเดิมเก็บไว้ในประวัติการแก้ไข)")
    expect(page.locator("h1")).to_contain_text("ขอเชิญประชุมครูและบุคลากรทางการศึกษา ครั้งที่ ๑/๒๕๖๙")
    expect(page.locator("h1 .badge")).to_have_text("ด่วน")
    expect(page.locator("dl")).to_contain_text("6 ม.ค. 2569")
    history = page.locator("#correction-history tbody")
    subject_row = history.locator("tr", has_text="แก้ไขเรื่อง")
    expect(subject_row.locator(".before")).to_have_text("ขอเชิญประชุมครู")
    expect(subject_row).to_contain_text("พิมพ์เรื่องและวันที่ผิดจากต้นฉบับ")
    date_row = history.locator("tr", has_text="แก้ไขลงวันที่")
    expect(date_row.locator(".before")).to_have_text(re.compile("5 ม.ค. 2569|๕ ม.ค. ๒๕๖๙"))
    expect(date_row.locator(".after")).to_have_text(re.compile("6 ม.ค. 2569|๖ ม.ค. ๒๕๖๙"))
    when = subject_row.locator("td").first.inner_text()
    assert THAI_DATE.search(when), when  # B.E. with a Thai month, e.g. 30 พ.ย. 2569 09.26 น.
    expect(subject_row).to_contain_text("นางสาวณัฐภัสสร คำฟู")

    # on a phone the page with its history and the open form does not scroll sideways
    page.set_viewport_size({"width": 390, "height": 844})
    open_change_form(page)
    no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 1000})

    # the register prints the current values and marks the row
    page.goto(f"{base}/")
    row = page.locator(f"table#register tbody tr[data-number='{number}']")
    expect(row).to_contain_text("ครั้งที่ ๑/๒๕๖๙")
    expect(row.locator(".badge.corrected")).to_have_text("แก้ไขแล้ว")

    # once routed onward the letter page says why it can no longer be corrected, and offers no form
    units = central.client.get("/api/v1/units").json()
    (promotion,) = [u["id"] for u in units if u["code"] == "promotion"]
    routed = central.client.post(f"/api/v1/letters/{letter_id}/routes", json={"to_unit_id": promotion})
    assert routed.status_code == 201, routed.text
    page.goto(f"{base}/letters/{letter_id}")
    expect(page.locator("details[id^=change-]")).to_have_count(0)
    expect(page.locator("[id^=change-refused-]")).to_contain_text("หนังสือนี้ส่งต่อแล้ว จึงแก้ไขหรือยกเลิกการลงทะเบียนไม่ได้")


def test_a_clerk_cancels_a_number(server: LiveServer, new_page: NewPage, api: ApiFactory) -> None:
    base = server.url
    letter = api(base, "central").receive(
        "central", {"letter_no": "ศธ 04006/ว 1502", "sender": SENDER, "subject": "ลงทะเบียนซ้ำโดยพลั้งเผลอ"}
    )
    letter_id, number, year = letter["letter_id"], letter["registration"]["number"], letter["registration"]["year"]
    page = new_page()
    sign_in(page, base, "central")
    page.goto(f"{base}/letters/{letter_id}")
    open_change_form(page)
    # no reason, no cancellation: the browser asks for one
    page.locator("button[id^=cancel-submit-]").click()
    assert page.locator("input[id^=x-reason-]").evaluate("el => !el.validity.valid")
    expect(page.locator(".registration .badge")).to_have_count(0)
    page.locator("input[id^=x-reason-]").fill("ลงทะเบียนซ้ำกับเลขรับก่อนหน้า")
    page.locator("button[id^=cancel-submit-]").click()
    expect(page).to_have_url(re.compile(rf"/letters/{letter_id}\?changed=cancelled"))
    expect(page.locator("#changed")).to_have_text("ยกเลิกเลขทะเบียนแล้ว")
    expect(page.locator(".registration")).to_contain_text("ยกเลิกแล้ว")
    expect(page.locator("#correction-history tr.cancellation")).to_contain_text(f"ยกเลิกเลขรับ {number}/{year}")
    expect(page.locator("#correction-history tr.cancellation")).to_contain_text("ลงทะเบียนซ้ำกับเลขรับก่อนหน้า")
    expect(page.locator("details[id^=change-]")).to_have_count(0)  # nothing more to change

    # the number stays in the clerk's register, marked
    page.goto(f"{base}/")
    row = page.locator(f"table#register tbody tr[data-number='{number}']")
    expect(row).to_have_class(re.compile("status-cancelled"))
    expect(row).to_contain_text("ลงทะเบียนซ้ำกับเลขรับก่อนหน้า")

    # for the director the letter is gone: a Thai not-found page
    director = new_page()
    sign_in(director, base, "director")
    response = director.goto(f"{base}/letters/{letter_id}")
    assert response is not None and response.status == 404
    expect(director.get_by_role("alert")).to_contain_text("ไม่พบ")


# ---------------------------------------------------------------------------------------------- duplicates


def fill_receive(page: Page, *, letter_no: str, subject: str, files: list[Path]) -> None:
    page.fill("#letter_no", letter_no)
    page.fill("#letter_date", "๑๐ พฤศจิกายน ๒๕๖๙")
    page.fill("#sender", SENDER)
    page.fill("#subject", subject)
    page.set_input_files("#files", [str(f) for f in files])


def test_the_receive_page_warns_of_a_duplicate(
    server: LiveServer, new_page: NewPage, api: ApiFactory, tmp_path: Path
) -> None:
    base = server.url
    first_pdf = thai_letter_pdf(subject="แจ้งกำหนดการสอบ O-NET ปีการศึกษา ๒๕๖๙")
    earlier = api(base, "central").receive(
        "central",
        {"letter_no": "ศธ 04006/ว 1503", "sender": SENDER, "subject": "แจ้งกำหนดการสอบระดับชาติ"},
        pdf=first_pdf,
    )
    earlier_no = f"{earlier['registration']['number']}/{earlier['registration']['year']}"
    other = tmp_path / "หนังสือฉบับใหม่.pdf"
    other.write_bytes(thai_letter_pdf(subject="แจ้งกำหนดการสอบ ฉบับแก้ไข"))
    same = tmp_path / "สำเนาฉบับเดิม.pdf"
    same.write_bytes(first_pdf)

    page = new_page()
    sign_in(page, base, "central")
    page.click("a#new-letter")
    # the same ที่ (typed in Thai digits) from the same sender
    fill_receive(page, letter_no="ศธ ๐๔๐๐๖/ว ๑๕๐๓", subject="แจ้งกำหนดการสอบระดับชาติ (ฉบับติดตาม)", files=[other])
    page.click("#submit")
    warning = page.locator("#duplicate-warning")
    expect(warning).to_be_visible()
    expect(page.locator("#form-error")).to_be_visible()
    earlier_item = warning.locator("li", has_text=f"เลขรับ {earlier_no}")
    expect(earlier_item).to_contain_text("ที่และผู้ส่งเดียวกัน")
    expect(earlier_item).to_contain_text("แจ้งกำหนดการสอบระดับชาติ")
    assert THAI_DATE.search(earlier_item.inner_text()), earlier_item.inner_text()
    # what was typed is kept; the file must be attached again
    expect(page.locator("#subject")).to_have_value("แจ้งกำหนดการสอบระดับชาติ (ฉบับติดตาม)")
    expect(page.locator("#letter_no")).to_have_value("ศธ ๐๔๐๐๖/ว ๑๕๐๓")
    page.set_viewport_size({"width": 390, "height": 844})
    no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 1000})

    # sent again without the tick: still only the warning
    page.set_input_files("#files", [str(other)])
    page.click("#submit")
    expect(page.locator("#duplicate-warning")).to_be_visible()
    expect(page.locator("#confirm_duplicate")).not_to_be_checked()

    # ticked: registered, with the next number
    page.set_input_files("#files", [str(other)])
    page.check("#confirm_duplicate")
    page.click("#submit")
    expect(page.locator("#registered")).to_contain_text("ลงทะเบียนรับเรียบร้อย")
    expect(page.locator("#receive-no")).to_have_text(str(earlier["registration"]["number"] + 1))

    # the same file under another ที่: warned as the same file
    page.goto(f"{base}/")
    page.click("a#new-letter")
    fill_receive(page, letter_no="ศธ ๐๔๐๐๖/ว ๑๖๐๐", subject="ส่งสำเนาแจ้งกำหนดการสอบ", files=[same])
    page.click("#submit")
    same_item = page.locator("#duplicate-warning li", has_text=f"เลขรับ {earlier_no}")
    expect(same_item).to_contain_text("ไฟล์เดียวกัน")
    # the earlier registration opens from the warning (in a new tab)
    with page.context.expect_page() as opened:
        same_item.locator("a").click()
    tab = opened.value
    expect(tab.locator("h1")).to_have_text("แจ้งกำหนดการสอบระดับชาติ")
    tab.close()
    # the clerk decides not to register it: the register holds no such letter
    page.get_by_role("link", name="ยกเลิก").click()
    expect(page.locator("table#register")).not_to_contain_text("ส่งสำเนาแจ้งกำหนดการสอบ")
