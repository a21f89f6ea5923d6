"""A register of a whole year in the browser (issue 14, acceptance 1): a clerk pages back to number 1 of a 600-entry
year, filters by urgency, prints the filtered register as PDF and downloads it as .xlsx — with the web session only
(no API token anywhere); at 390 px wide the register and letter pages do not scroll sideways."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from sqlmodel import select

from service.auth.core import load_actor
from service.context import Saraban
from service.letters.input import LetterIn
from service.models import Registry, User
from service.receiving.record import draft_receipt, plan_receipt, record_receipt
from tests.browser.conftest import TIMEOUT_MS, NewPage, sign_in
from tests.conftest import LiveServer, MakeSaraban

pytestmark = pytest.mark.browser

ENTRIES = 600
URGENT_EVERY = 7  # every 7th letter ด่วนมาก
SHEET_NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def seed_year(app: Saraban, n: int = ENTRIES) -> int:
    """A year of ``n`` registrations through the registration's own steps (plan, draft, record) in one
    transaction: numbers 1..n; letter ``i`` carries ที่ ศธ 04006/<i, 4 digits>."""
    with app.tx() as uow:
        s = uow.session
        actor = load_actor(s, s.exec(select(User).where(User.username == "central")).one())
        registry = s.exec(select(Registry).where(Registry.code == "central")).one()
        assert registry.id is not None
        plan = plan_receipt(s, actor, registry.id, 0)
        for i in range(1, n + 1):
            data = LetterIn(
                sender="สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน" if i % 2 else "ศึกษาธิการจังหวัดขอนแก่น",
                subject=f"แจ้งการประชุมครั้งที่ {i}",
                letter_no=f"ศธ 04006/{i:04d}",
                urgency=3 if i % URGENT_EVERY == 0 else 1,
            )
            record_receipt(s, draft_receipt(plan, actor=actor, data=data, files=[], now=app.clock()))
        return registry.id


@pytest.fixture
def year_server(make_saraban: MakeSaraban) -> Iterator[tuple[LiveServer, int]]:
    app = make_saraban()
    registry_id = seed_year(app)
    server = LiveServer(app)
    yield server, registry_id
    server.stop()


def numbers_shown(page: Page) -> list[int]:
    return [int(n) for n in page.locator("table#register tbody tr").evaluate_all("rs => rs.map(r => r.dataset.number)")]


def follow(page: Page, selector: str) -> None:
    """Click a paging link and wait for the page it leads to: rows read before it has loaded are the old page's."""
    href = page.locator(selector).get_attribute("href")
    assert href and href.startswith("/")
    page.click(selector)
    page.wait_for_url(page.url.split("/registers/")[0] + href)


def test_a_year_of_600_pages_filters_prints_and_exports(year_server: tuple[LiveServer, int], new_page: NewPage) -> None:
    server, registry_id = year_server
    page = new_page()
    sign_in(page, server.url, "central")
    page.goto(f"{server.url}/registers/{registry_id}")
    expect(page.locator("#register-count")).to_contain_text(f"{ENTRIES} รายการ")
    first = numbers_shown(page)
    assert first[0] == ENTRIES and len(first) == 50  # newest first, one page
    # page back, one page at a time, then to the oldest page: number 1 is there
    follow(page, "#page-next")
    assert numbers_shown(page)[0] == ENTRIES - 50
    seen = set(first) | set(numbers_shown(page))
    while page.locator("#page-next").count():
        follow(page, "#page-next")
        seen |= set(numbers_shown(page))
    assert numbers_shown(page)[-1] == 1
    assert seen == set(range(1, ENTRIES + 1))  # every number reachable, none twice
    follow(page, "#page-first")
    assert numbers_shown(page)[0] == ENTRIES

    # filter by urgency: only the ด่วนมาก letters, newest first
    urgent = sorted((i for i in range(1, ENTRIES + 1) if i % URGENT_EVERY == 0), reverse=True)
    page.select_option("#f-urgency", "3")
    page.click("#apply-filters")
    expect(page.locator("#register-count")).to_contain_text(f"{len(urgent)} รายการ")
    shown = numbers_shown(page)
    assert shown == urgent[:50]
    badges = page.locator("table#register tbody .badge").all_inner_texts()
    assert len(badges) == len(shown) and set(badges) == {"ด่วนมาก"}
    follow(page, "#page-last")
    assert numbers_shown(page) == urgent[50:]

    # print the filtered register: the PDF holds exactly the filtered rows (the web session, no token)
    pdf_href = page.locator("#export-pdf").get_attribute("href")
    assert pdf_href and "urgency=3" in pdf_href
    r = page.request.get(server.url + pdf_href)
    assert r.status == 200 and r.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.body())).pages)
    assert {int(n) for n in re.findall(r"04006/(\d{4})", text)} == set(urgent)

    # download the filtered register as .xlsx
    with page.expect_download() as info:
        page.click("#export-xlsx")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = download.path()
    with zipfile.ZipFile(path) as z:
        assert "xl/workbook.xml" in z.namelist()
        sheet = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = [
        [
            "".join(t.text or "" for t in c.iter(f"{{{SHEET_NS['x']}}}t")) or (c.findtext("x:v", "", SHEET_NS))
            for c in row
        ]
        for row in sheet.iterfind(".//x:row", SHEET_NS)
    ]
    assert rows[0][0] == "เลขทะเบียนรับ" and "ชั้นความเร็ว" in rows[0]
    body = rows[1:]
    assert sorted(int(row[0]) for row in body) == sorted(urgent)
    col = rows[0].index("ชั้นความเร็ว")
    assert {row[col] for row in body} == {"ด่วนมาก"}


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    inner = page.evaluate("() => window.innerWidth")
    assert width <= inner, f"{page.url}: the page is {width} px wide in a {inner} px window"


def test_phone_width_has_no_sideways_scrolling(year_server: tuple[LiveServer, int], browser: Browser) -> None:
    server, registry_id = year_server
    ctx = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport={"width": 390, "height": 844})
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        page = ctx.new_page()
        sign_in(page, server.url, "central")
        page.goto(f"{server.url}/registers/{registry_id}")
        expect(page.locator("table#register")).to_be_visible()
        _no_sideways_scroll(page)
        page.locator("table#register tbody tr a").first.click()
        expect(page.locator("h1")).to_contain_text("แจ้งการประชุม")
        _no_sideways_scroll(page)
        # the dl of particulars does not squeeze to a word a line: the subject line is wider than a word
        width = page.evaluate("() => document.querySelector('dl dd').getBoundingClientRect().width")
        assert width > 250
    finally:
        ctx.close()
