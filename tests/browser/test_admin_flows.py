"""The administrator's pages in a real browser, walked as people walk them (README "Security", issue 14).

Accounts (create, deactivate and reactivate, unlock, clearance, roles), units (a group, an outside party, a school),
registries (create, rename, close a B.E. year) and the two-person rule: an administrator's grant of clearance or
reset of a cleared account's password waits on the grant page until the director approves it there. Refusals are
shown in Thai: a clerk on the admin pages, an administrator approving their own request, a registration in a closed
year. At 390 px wide no admin list scrolls sideways. One live server for the module; each test has its own accounts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from service.demo import DEMO_PASSWORD
from service.kit.thai import MONTHS_ABBR
from tests.browser.conftest import TIMEOUT_MS, NewPage, module_server, sign_in
from tests.conftest import DatabaseTemplates, LiveServer

pytestmark = pytest.mark.browser

# a password a person might choose: Thai letters and Thai digits, more than 10 characters
THAI_PASSWORD = "สวนดอกไม้๑๒๓๔๕"
# a moment as the pages show it: B.E. year, Thai month, e.g. 30 พ.ย. 2569 09.26 น.
THAI_DATE = re.compile(rf"\d{{1,2}} (?:{'|'.join(re.escape(m) for m in MONTHS_ABBR)}) 25\d\d \d\d\.\d\d น\.")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_templates: DatabaseTemplates) -> Iterator[LiveServer]:
    # a low lock-out limit, so locking an account takes three wrong passwords
    yield from module_server(tmp_path_factory, database_templates, login_max_failures=3)


def open_user(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/users")
    page.locator("table#users tbody tr td:first-child a", has_text=re.compile(f"^{re.escape(username)}$")).click()
    expect(page.locator("h1")).to_have_text(f"ผู้ใช้ {username}")


def create_user(page: Page, username: str, full_name: str, unit: str, role: str, clearance: str = "0") -> None:
    """Fill the new-user form on /admin/users (the page must be open) and wait for the Thai confirmation."""
    form = page.locator("#new-user")
    form.locator("#username").fill(username)
    form.locator("#full_name").fill(full_name)
    form.locator("#password").fill(THAI_PASSWORD)
    form.locator("#unit").select_option(unit)
    form.locator("#role").select_option(role)
    form.locator("#clearance").select_option(clearance)
    form.locator("button").click()
    expect(page.get_by_role("status")).to_contain_text(f"สร้างผู้ใช้ {username} แล้ว")


def sign_in_refused(page: Page, base: str, username: str, password: str) -> str:
    """Try to sign in; return the Thai message the login page shows."""
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    assert "/login" in page.url
    return alert.inner_text()


# ---------------------------------------------------------------------------------------------- refusals


def test_a_clerk_on_the_admin_pages_is_refused_in_thai(server: LiveServer, new_page: NewPage) -> None:
    page = new_page()
    sign_in(page, server.url, "central")
    expect(page.locator("header")).not_to_contain_text("ผู้ใช้")  # no admin link for a clerk
    for path in ("/admin/users", "/admin/units", "/admin/registries", "/admin/users/1"):
        response = page.goto(f"{server.url}{path}")
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("alert")).to_contain_text("เฉพาะผู้ดูแลระบบ")
    # the grant page is the head's and the administrators'
    response = page.goto(f"{server.url}/grants")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("ทำรายการไม่สำเร็จ")


# ---------------------------------------------------------------------------------------------- accounts


def test_admin_creates_deactivates_unlocks_and_gives_roles(server: LiveServer, new_page: NewPage) -> None:
    base = server.url
    admin = new_page()
    sign_in(admin, base, "admin")
    admin.click("header >> text=ผู้ใช้")
    expect(admin.locator("h1")).to_have_text("ผู้ใช้ระบบ")

    # a password that is too short: refused in Thai, no account made
    form = admin.locator("#new-user")
    form.locator("#username").fill("somying")
    form.locator("#full_name").fill("นางสาวสมหญิง ใจงาม")
    form.locator("#password").fill("๑๒๓๔")
    form.locator("#unit").select_option("promotion")
    form.locator("button").click()
    expect(admin.get_by_role("alert")).to_contain_text("รหัสผ่าน")
    expect(admin.locator("table#users")).not_to_contain_text("somying")

    create_user(admin, "somying", "นางสาวสมหญิง ใจงาม", "promotion", "officer")
    row = admin.locator("table#users tbody tr", has_text="somying")
    expect(row).to_contain_text("นางสาวสมหญิง ใจงาม")
    expect(row).to_contain_text("ใช้งานได้")
    expect(row.locator("td").nth(3)).to_have_text("ไม่มี")
    # the same username again: a Thai refusal
    create_user_again = admin.locator("#new-user")
    create_user_again.locator("#username").fill("somying")
    create_user_again.locator("#password").fill(THAI_PASSWORD)
    create_user_again.locator("button").click()
    expect(admin.get_by_role("alert")).to_contain_text("somying")
    expect(admin.get_by_role("alert")).not_to_contain_text("already")

    # she signs in with her Thai password
    her = new_page()
    sign_in(her, base, "somying", THAI_PASSWORD)
    expect(her.locator("header .who")).to_contain_text("นางสาวสมหญิง ใจงาม")

    # deactivated: her open session ends and she cannot sign in; reactivated: she can
    open_user(admin, base, "somying")
    expect(admin.locator("#user-state")).to_contain_text("ใช้งานได้")
    admin.locator("#deactivate button").click()
    expect(admin.get_by_role("status")).to_contain_text("ระงับบัญชีแล้ว")
    expect(admin.locator("#user-state")).to_contain_text("ถูกระงับ")
    her.goto(f"{base}/inbox")
    expect(her).to_have_url(re.compile(r"/login"))
    assert re.search(r"[\u0e00-\u0e7f]", sign_in_refused(her, base, "somying", THAI_PASSWORD))
    admin.goto(f"{base}/admin/users")
    expect(admin.locator("table#users tbody tr", has_text="somying")).to_contain_text("ถูกระงับ")
    open_user(admin, base, "somying")
    admin.locator("#reactivate button").click()
    expect(admin.get_by_role("status")).to_contain_text("เปิดใช้บัญชีแล้ว")
    sign_in(her, base, "somying", THAI_PASSWORD)

    # three wrong passwords lock her out; the administrator sees it and unlocks her
    her.context.clear_cookies()
    for _ in range(3):
        sign_in_refused(her, base, "somying", "ผิดรหัส๑๒๓๔๕๖")
    message = sign_in_refused(her, base, "somying", THAI_PASSWORD)
    assert "ผิดหลายครั้ง" in message, message
    open_user(admin, base, "somying")
    expect(admin.locator("#user-state")).to_contain_text("ถูกล็อกชั่วคราว")
    admin.locator("#unlock button").click()
    expect(admin.get_by_role("status")).to_contain_text("ปลดล็อกบัญชีแล้ว")
    expect(admin.locator("#user-state")).not_to_contain_text("ถูกล็อก")
    sign_in(her, base, "somying", THAI_PASSWORD)

    # a second role in another group, then taken away again
    open_user(admin, base, "somying")
    admin.locator("#add-role #unit").select_option("policy")
    admin.locator("#add-role #role").select_option("group_clerk")
    admin.locator("#add-role button").click()
    expect(admin.get_by_role("status")).to_contain_text("เพิ่มบทบาทแล้ว")
    added = admin.locator("table#memberships tbody tr", has_text="กลุ่มนโยบายและแผน")
    expect(added).to_contain_text("ธุรการกลุ่ม")
    added.locator("button").click()
    expect(admin.get_by_role("status")).to_contain_text("นำบทบาทออกแล้ว")
    expect(admin.locator("table#memberships")).not_to_contain_text("กลุ่มนโยบายและแผน")

    # her name corrected: no approval needed, shown at once
    admin.fill("#edit-user #full_name", "นางสมหญิง ใจงาม")
    admin.locator("#edit-user button").click()
    expect(admin.get_by_role("status")).to_contain_text("บันทึกการแก้ไขแล้ว")
    expect(admin.locator("#edit-user #full_name")).to_have_value("นางสมหญิง ใจงาม")


# ---------------------------------------------------------------------------------------------- two-person rule


def test_clearance_and_a_cleared_password_wait_for_the_director(server: LiveServer, new_page: NewPage) -> None:
    base = server.url
    admin = new_page()
    sign_in(admin, base, "admin")
    admin.goto(f"{base}/admin/users")
    create_user(admin, "wichai", "นายวิชัย รอบคอบ", "personnel", "officer")
    # a second administrator who is also a director of the office: still may not approve what they asked for
    create_user(admin, "prathan", "นายประธาน สองบทบาท", "office", "admin")
    open_user(admin, base, "prathan")
    admin.locator("#add-role #unit").select_option("office")
    admin.locator("#add-role #role").select_option("director")
    admin.locator("#add-role button").click()
    # the director's role approves these requests, so it is a request too (else one administrator could approve
    # their own grant through a second account): the director of the office approves it first
    expect(admin.get_by_role("status")).to_contain_text("รอหัวหน้าส่วนราชการอนุมัติ")
    director = new_page()
    sign_in(director, base, "director")
    director.goto(f"{base}/grants")
    director.locator("table#grant-requests tbody tr", has_text="นายประธาน สองบทบาท").get_by_role(
        "button", name="อนุมัติ", exact=True
    ).click()
    expect(director.get_by_role("status")).to_have_text("อนุมัติแล้ว")

    # the administrator raises wichai's clearance to ลับ: a request, not yet in effect
    open_user(admin, base, "wichai")
    admin.locator("#edit-user #clearance").select_option(label="ลับ")
    admin.locator("#edit-user button").click()
    expect(admin.get_by_role("status")).to_contain_text("รอหัวหน้าส่วนราชการอนุมัติ")
    expect(admin.locator("#user-state")).to_contain_text("มีคำขอสิทธิ์ด้านความลับรอหัวหน้าส่วนราชการอนุมัติ")
    admin.goto(f"{base}/admin/users")
    expect(admin.locator("table#users tbody tr", has_text="wichai").locator("td").nth(3)).to_have_text("ไม่มี")
    expect(admin.locator("#pending-requests")).to_contain_text("นายวิชัย รอบคอบ: ชั้นความลับ ลับ")

    # and resets the password of the secret registrar (a cleared account): a request too
    new_password = "ความลับใหม่๒๕๖๙ก"
    admin.locator("table#users tbody tr", has_text="secret").locator("input[name=password]").fill(new_password)
    admin.locator("table#users tbody tr", has_text="secret").locator("button").click()
    expect(admin.get_by_role("status")).to_contain_text("รอหัวหน้าส่วนราชการอนุมัติ")
    secret = new_page()
    assert sign_in_refused(secret, base, "secret", new_password)  # not yet
    sign_in(secret, base, "secret", DEMO_PASSWORD)  # the old one still works

    # the administrator follows the request but has nothing to approve it with; it was asked today (B.E.)
    admin.goto(f"{base}/grants")
    wichai_row = admin.locator("table#grant-requests tbody tr", has_text="นายวิชัย รอบคอบ")
    expect(wichai_row).to_contain_text("รออนุมัติ")
    expect(wichai_row).to_contain_text("รอหัวหน้าส่วนราชการพิจารณา")
    expect(wichai_row.get_by_role("button")).to_have_count(0)
    asked = wichai_row.locator(".requested-at").inner_text()
    assert THAI_DATE.fullmatch(asked), asked

    # the administrator-director asks for a clearance for someone else and may not approve it themself
    prathan = new_page()
    sign_in(prathan, base, "prathan", THAI_PASSWORD)
    open_user(prathan, base, "officer2")
    prathan.locator("#edit-user #clearance").select_option(label="ลับมาก")
    prathan.locator("#edit-user button").click()
    expect(prathan.get_by_role("status")).to_contain_text("รอหัวหน้าส่วนราชการอนุมัติ")
    prathan.goto(f"{base}/grants")
    own = prathan.locator("table#grant-requests tbody tr", has_text="ลับมาก")
    own.get_by_role("button", name="อนุมัติ", exact=True).click()
    expect(prathan.get_by_role("alert")).to_contain_text("ผู้ขอไม่สามารถอนุมัติคำขอของตนเองได้")

    # the director approves wichai's clearance and the password; refuses officer2's
    director.goto(f"{base}/")
    director.click("header >> text=คำขอสิทธิ์ด้านความลับ")
    expect(director.locator("h1")).to_have_text("คำขอสิทธิ์ด้านความลับ")
    table = director.locator("table#grant-requests tbody")
    table.locator("tr", has_text="นายวิชัย รอบคอบ").get_by_role("button", name="อนุมัติ", exact=True).click()
    expect(director.get_by_role("status")).to_have_text("อนุมัติแล้ว")
    expect(table.locator("tr", has_text="นายวิชัย รอบคอบ")).to_contain_text("อนุมัติแล้ว (นายประเสริฐ ผู้นำ)")
    # back on the list after deciding: reloading asks nothing again
    expect(director).to_have_url(re.compile(r"/grants\?decided=approve$"))
    director.reload()
    expect(director.get_by_role("alert")).to_have_count(0)
    expect(director.locator("h1")).to_have_text("คำขอสิทธิ์ด้านความลับ")
    reset_row = table.locator("tr", has_text="ตั้งรหัสผ่านใหม่")
    expect(reset_row).to_contain_text("นายวิรัช รักษาลับ")
    reset_row.get_by_role("button", name="อนุมัติ", exact=True).click()
    expect(director.get_by_role("status")).to_have_text("อนุมัติแล้ว")
    table.locator("tr", has_text="ลับมาก").get_by_role("button", name="ไม่อนุมัติ").click()
    expect(director.get_by_role("status")).to_have_text("ไม่อนุมัติ")
    expect(table.locator("tr", has_text="ลับมาก")).to_contain_text("ไม่อนุมัติ (นายประเสริฐ ผู้นำ)")

    # only now: wichai is cleared, the secret registrar signs in with the new password, officer2 is not cleared
    admin.goto(f"{base}/admin/users")
    expect(admin.locator("table#users tbody tr", has_text="wichai").locator("td").nth(3)).to_have_text("ลับ")
    expect(admin.locator("table#users tbody tr", has_text="officer2").locator("td").nth(3)).to_have_text("ไม่มี")
    expect(admin.locator("#pending-requests")).to_have_count(0)
    secret.context.clear_cookies()
    assert sign_in_refused(secret, base, "secret", DEMO_PASSWORD)
    sign_in(secret, base, "secret", new_password)


# ---------------------------------------------------------------------------------------------- units, registries


def test_admin_adds_units_and_keeps_registries(server: LiveServer, new_page: NewPage) -> None:
    base = server.url
    admin = new_page()
    sign_in(admin, base, "admin")
    admin.goto(f"{base}/admin/users")
    admin.click("#nav-units")
    expect(admin.locator("h1")).to_have_text("หน่วยงาน")

    def add_unit(code: str, name: str, kind: str, *, letter_code: str = "", address: str = "", **extra: str) -> None:
        form = admin.locator("#new-unit")
        form.locator("#code").fill(code)
        form.locator("#name").fill(name)
        form.locator("#kind").select_option(kind)
        form.locator("#letter_code").fill(letter_code)
        form.locator("#address").fill(address)
        if "short_name" in extra:
            form.locator("#short_name").fill(extra["short_name"])
        if "parent" in extra:
            form.locator("#parent").select_option(extra["parent"])
        if extra.get("internal"):
            form.locator("input[name=internal]").check()
        form.get_by_role("button", name="เพิ่มหน่วยงาน").click()
        expect(admin.get_by_role("status")).to_contain_text(f"เพิ่มหน่วยงาน {name} แล้ว")

    add_unit("law", "กลุ่มกฎหมายและคดี", "group", short_name="กลุ่มกฎหมายฯ", parent="office")
    add_unit("kku", "มหาวิทยาลัยขอนแก่น", "outside", letter_code="อว 660301", address="๑๒๓ ถ.มิตรภาพ อ.เมือง จ.ขอนแก่น ๔๐๐๐๒")
    add_unit(
        "school-nongkung",
        "โรงเรียนบ้านหนองกุง",
        "school",
        letter_code="ศธ 04045.๑๒๓",
        address="๔๕ หมู่ ๖ ต.หนองกุง อ.น้ำพอง จ.ขอนแก่น ๔๐๑๔๐",
        internal="1",
    )
    units = admin.locator("table#units tbody")
    expect(units.locator("tr", has_text="กลุ่มกฎหมายและคดี")).to_contain_text("กลุ่มภายในสำนักงาน")
    expect(units.locator("tr", has_text="มหาวิทยาลัยขอนแก่น")).to_contain_text("หน่วยงานภายนอก")
    school = units.locator("tr", has_text="โรงเรียนบ้านหนองกุง")
    expect(school).to_contain_text("โรงเรียนในสังกัด")
    expect(school).to_contain_text("๔๕ หมู่ ๖ ต.หนองกุง")
    # a code already used: a Thai refusal, what was typed is not lost to a 500
    form = admin.locator("#new-unit")
    form.locator("#code").fill("law")
    form.locator("#name").fill("กลุ่มซ้ำ")
    form.get_by_role("button", name="เพิ่มหน่วยงาน").click()
    expect(admin.get_by_role("alert")).to_contain_text("law")

    # the school's address corrected on its own page
    school.locator("a").click()
    expect(admin.locator("h1")).to_have_text("โรงเรียนบ้านหนองกุง")
    admin.fill("#edit-unit #address", "๔๕/๑ หมู่ ๖ ต.หนองกุง อ.น้ำพอง จ.ขอนแก่น ๔๐๑๔๐")
    admin.locator("#edit-unit button").click()
    expect(admin.get_by_role("status")).to_have_text("บันทึกการแก้ไขแล้ว")
    expect(admin.locator("#edit-unit #address")).to_have_value("๔๕/๑ หมู่ ๖ ต.หนองกุง อ.น้ำพอง จ.ขอนแก่น ๔๐๑๔๐")

    # a register for the new group, renamed
    admin.goto(f"{base}/admin/units")
    admin.click("text=ทะเบียน")
    expect(admin.locator("h1")).to_have_text("ทะเบียน")
    new = admin.locator("#new-registry")
    new.locator("#code").fill("law-receive")
    new.locator("#name").fill("ทะเบียนหนังสือรับ กลุ่มกฎหมาย")
    new.locator("#kind").select_option("receive")
    new.locator("#unit").select_option("law")
    new.get_by_role("button", name="สร้างทะเบียน").click()
    expect(admin.get_by_role("status")).to_have_text("สร้างทะเบียนหนังสือรับ กลุ่มกฎหมายแล้ว")
    row = admin.locator("table#registries tbody tr", has_text="law-receive")
    expect(row).to_contain_text("กลุ่มกฎหมายฯ")
    row.locator("input[name=name]").fill("ทะเบียนหนังสือรับ กลุ่มกฎหมายและคดี")
    row.get_by_role("button", name="เปลี่ยนชื่อ").click()
    expect(admin.get_by_role("status")).to_have_text("เปลี่ยนชื่อทะเบียนแล้ว")
    renamed = admin.locator("table#registries tbody tr", has_text="law-receive").locator("input[name=name]")
    expect(renamed).to_have_value("ทะเบียนหนังสือรับ กลุ่มกฎหมายและคดี")


def test_a_closed_year_refuses_a_registration_in_thai(server: LiveServer, new_page: NewPage) -> None:
    """The central register's year closed (typed in Thai digits): the clerk's registration is refused in Thai."""
    base = server.url
    admin = new_page()
    sign_in(admin, base, "admin")
    admin.goto(f"{base}/admin/registries")
    row = admin.locator("table#registries tbody tr").filter(
        has=admin.locator("td:first-child", has_text=re.compile("^central$"))
    )
    be_year = int(row.locator("input[name=year]").input_value())  # this year, filled in
    thai_year = str(be_year).translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    # a slip of the keyboard: the year refused in Thai words only, and the way back leads to the form
    row.locator("input[name=year]").fill(f"{thai_year}ๆ")
    row.locator("input[name=confirm]").check()
    row.get_by_role("button", name="ปิดปี").click()
    alert = admin.get_by_role("alert")
    expect(alert).to_contain_text("ปี พ.ศ.: ปี พ.ศ. ไม่ถูกต้อง")
    assert not re.search("[A-Za-z]", alert.inner_text()), alert.inner_text()
    admin.get_by_role("link", name="ย้อนกลับ").click()
    expect(admin).to_have_url(re.compile(r"/admin/registries$"))
    admin.reload()
    row.locator("input[name=year]").fill(thai_year)
    # closing cannot be undone: without the tick the browser does not send the form
    row.get_by_role("button", name="ปิดปี").click()
    assert row.locator("input[name=confirm]").evaluate("el => !el.validity.valid")
    expect(admin.get_by_role("status")).to_have_count(0)
    years = row.locator("td").nth(4)  # ปี (เลขล่าสุด)
    expect(years).to_have_text("-")
    row.locator("input[name=confirm]").check()
    row.get_by_role("button", name="ปิดปี").click()
    expect(admin.get_by_role("status")).to_have_text(f"ปิดทะเบียนประจำปี พ.ศ. {be_year} แล้ว")
    expect(years).to_have_text(f"{be_year} (0) ปิดแล้ว")

    clerk = new_page()
    sign_in(clerk, base, "central")
    clerk.click("a#new-letter")
    clerk.fill("#letter_no", "ศธ ๐๔๐๐๖/ว ๗๘๙")
    clerk.fill("#letter_date", f"๓ มกราคม {thai_year}")
    clerk.fill("#sender", "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน")
    clerk.fill("#subject", "ขอเชิญประชุมผู้บริหารสถานศึกษา")
    clerk.click("#submit")
    alert = clerk.get_by_role("alert")
    expect(alert).to_contain_text(f"ปิดทะเบียนประจำปี พ.ศ. {be_year} แล้ว")
    expect(clerk.locator("#subject")).to_have_value("ขอเชิญประชุมผู้บริหารสถานศึกษา")


# ---------------------------------------------------------------------------------------------- phone width


def test_admin_lists_fit_a_phone(server: LiveServer, browser: Browser) -> None:
    ctx = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport={"width": 390, "height": 844})
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        page = ctx.new_page()
        sign_in(page, server.url, "admin")
        for path, shown in (
            ("/admin/users", "table#users"),
            ("/admin/units", "table#units"),
            ("/admin/registries", "table#registries"),
            ("/grants", "table#grant-requests"),
            ("/admin/users/2", "table#memberships"),
            ("/admin/units/1", "form#edit-unit"),
        ):
            page.goto(f"{server.url}{path}")
            expect(page.locator(shown)).to_be_visible()
            width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert width <= inner, f"{path}: the page is {width} px wide in a {inner} px window"
    finally:
        ctx.close()
