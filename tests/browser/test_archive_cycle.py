"""The whole destruction cycle in a real browser (issue "Keep, lend, destroy, transfer", acceptance 2), against the
live app on a real S3 server (moto) with an injected clock: the records officer files two completed letters, draws
up the list in January, records a committee of three and the members' decisions; the director approves; the date
the list went to the National Archives is recorded; execution is refused inside the objection window; the window
passes; the list is carried out. Then, checked against the store itself: the objects are gone from the bucket;
search no longer finds the letters; the tombstones and the signed list remain; ``saraban verify`` and
``saraban audit verify`` pass."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from service.context import Saraban
from service.models import Attachment, Rendition
from storage import S3Store
from tests.archive_kit import MovableClock, complete_journey, use_clock
from tests.browser.conftest import Api, NewPage, sign_in
from tests.conftest import LiveServer
from tests.publicids import internal_id
from tests.samples import thai_letter_pdf

pytestmark = [pytest.mark.browser, pytest.mark.s3]

SUBJECTS = ("โครงการอนุรักษ์ป่าชายเลนชุมชน", "โครงการก่อสร้างฝายชะลอน้ำ")
COMMITTEE = (
    ("นายประธาน ตั้งมั่น", "นักจัดการงานทั่วไป", "ชำนาญการพิเศษ", "chair"),
    ("นางกรรมการ หนึ่ง", "นักวิชาการศึกษา", "ชำนาญการ", "member"),
    ("นายกรรมการ สอง", "เจ้าพนักงานธุรการ", "ชำนาญงาน", "member"),
)


def saraban(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from service.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def objects_of(app: Saraban, letter_ids: list[int]) -> set[str]:
    """The stored objects of the letters the API named (public ids)."""
    letter_ids = [internal_id(app, i) for i in letter_ids]
    with app.tx() as uow:
        s = uow.session
        atts = s.exec(select(Attachment).where(col(Attachment.letter_id).in_(letter_ids))).all()
        rends = s.exec(select(Rendition).where(col(Rendition.attachment_id).in_([a.id for a in atts]))).all()
        return {a.sha256 for a in atts} | {r.sha256 for r in rends}


def at(clock: MovableClock, day: date, page: Page, url: str, who: str) -> None:
    """Move the office's clock, then sign in again (sessions idle out across months)."""
    clock.set(day)
    page.context.clear_cookies()
    sign_in(page, url, who)


def test_the_destruction_cycle_in_a_browser(
    live_server: Callable[..., LiveServer],
    new_page: NewPage,
    api: Callable[[str, str], Api],
    s3_server: dict[str, str],
    tmp_path: Path,
) -> None:
    settings: dict[str, Any] = {
        "store": "s3",
        "s3_endpoint": s3_server["endpoint"],
        "s3_access_key": s3_server["access_key"],
        "s3_secret_key": s3_server["secret_key"],
        "s3_bucket": f"saraban-{uuid.uuid4().hex[:16]}",
        "s3_secure": False,
    }
    server = live_server(with_indexer=True, **settings)
    app: Saraban = server.server.config.app.state.saraban
    assert isinstance(app.store, S3Store)
    clock = use_clock(app, date(2024, 5, 1))

    central = api(server.url, "central")
    letters = [
        central.receive(
            "central",
            {"letter_no": "ศธ ๐๔๐๔๕/๑๒๓", "letter_date": "๑ เม.ย. ๒๕๖๗", "sender": "สพฐ.", "subject": s},
            thai_letter_pdf(subject=s),
        )
        for s in SUBJECTS
    ]
    ids = [x["letter_id"] for x in letters]
    for letter_id in ids:
        complete_journey(app, letter_id, date(2024, 5, 2))
    records_api = api(server.url, "records")
    records_api.wait_searchable("ป่าชายเลน")

    # filing by the records officer's page
    records = new_page()
    sign_in(records, server.url, "records")
    records.goto(f"{server.url}/archive")
    for letter_id in ids:
        records.check(f"#letter-{letter_id}")
    records.select_option("#file_code_id", label="01.01 หนังสือราชการทั่วไป")
    records.select_option("#retention_class_id", label="เรื่องธรรมดาที่ไม่สำคัญ (เก็บ ๑ ปี)")
    records.fill("#location", "ห้องเก็บเอกสาร ตู้ ๒")
    records.click("#file-submit")
    expect(records.get_by_role("status")).to_contain_text("ส่งเก็บหนังสือแล้ว")
    expect(records.locator("table#items tbody tr")).to_have_count(2)
    expect(records.locator("table#items")).to_contain_text("เก็บถึง พ.ศ. ๒๕๖๘")

    # January 2569: the list, the committee, the decisions
    at(clock, date(2026, 1, 15), records, server.url, "records")
    records.goto(f"{server.url}/archive/destruction")
    records.click("#draw-up")
    expect(records.locator("#list-state")).to_have_text("ร่างบัญชี")
    expect(records.locator("table#list-items tbody tr")).to_have_count(2)
    list_url = records.url.split("?")[0]
    for n, (name, position, level, role) in enumerate(COMMITTEE, start=1):
        records.fill(f"#name_{n}", name)
        records.fill(f"#position_{n}", position)
        records.fill(f"#level_{n}", level)
        records.select_option(f"#role_{n}", role)
    records.click("#committee-submit")
    expect(records.locator("table#committee tbody tr")).to_have_count(3)
    for subject in SUBJECTS:
        records.get_by_label(f"การพิจารณา {subject}").select_option("destroy")
    records.click("#decisions-submit")
    expect(records.locator("#list-state")).to_have_text("คณะกรรมการพิจารณาครบแล้ว")

    director = new_page()
    sign_in(director, server.url, "director")
    director.goto(list_url)
    director.click("#approve")
    expect(director.locator("#list-state")).to_have_text("หัวหน้าส่วนราชการอนุมัติแล้ว")

    records.goto(list_url)
    records.fill("#notified_on", "๑๕ ม.ค. ๒๕๖๙")
    records.click("#archives-submit")
    expect(records.locator("#list-state")).to_have_text("ส่งสำนักหอจดหมายเหตุแห่งชาติแล้ว")
    records.fill("#method", "ลบแฟ้มอิเล็กทรอนิกส์และย่อยต้นฉบับ")
    records.click("#execute")
    expect(records.get_by_role("alert")).to_contain_text("อาจทักท้วง")  # the 60 days are not over

    before = objects_of(app, ids)
    assert before and all(app.store.exists(sha) for sha in before)

    # the window has passed
    at(clock, date(2026, 3, 20), records, server.url, "records")
    records.goto(list_url)
    records.fill("#method", "ลบแฟ้มอิเล็กทรอนิกส์และย่อยต้นฉบับ")
    records.click("#execute")
    expect(records.get_by_role("status")).to_contain_text("ทำลายหนังสือ 2 ฉบับแล้ว")
    expect(records.locator("#executed")).to_contain_text("ลบแฟ้มอิเล็กทรอนิกส์และย่อยต้นฉบับ")

    # gone from the bucket, asked of the S3 server itself
    keys = set(app.store.keys())
    for sha in before:
        assert not app.store.exists(sha) and sha not in keys, sha

    # search no longer finds them
    fresh = api(server.url, "records")
    for word in ("ป่าชายเลน", "ฝายชะลอน้ำ"):
        r = fresh.client.get("/api/v1/search", params={"q": word})
        assert r.status_code == 200 and r.json()["total"] == 0, r.text

    # the tombstones remain, and the signed list
    for letter, subject in zip(letters, SUBJECTS, strict=True):
        r = fresh.client.get(f"/api/v1/letters/{letter['letter_id']}")
        assert r.status_code == 410 and r.json()["tombstone"]["subject"] == subject
        assert r.json()["tombstone"]["registrations"][0]["number"] == letter["registration"]["number"]
    records.goto(f"{server.url}/letters/{ids[0]}")
    expect(records.get_by_role("alert")).to_contain_text("ถูกทำลายแล้ว")
    got = records.context.request.get(f"{list_url}/pdf")  # with the page's session
    assert got.ok and got.headers["content-type"] == "application/pdf"
    path = tmp_path / "list.pdf"
    path.write_bytes(got.body())
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()
    for word in ("บัญชีหนังสือขอทำลาย", "นายประธาน", "ทำลายเมื่อ"):
        assert word in text, word

    # both chains hold
    env = {
        **os.environ,
        "SARABAN_DATA_DIR": str(app.settings.data_dir.resolve()),
        "SARABAN_STORE": "s3",
        "SARABAN_S3_ENDPOINT": settings["s3_endpoint"],
        "SARABAN_S3_ACCESS_KEY": settings["s3_access_key"],
        "SARABAN_S3_SECRET_KEY": settings["s3_secret_key"],
        "SARABAN_S3_BUCKET": settings["s3_bucket"],
        "SARABAN_S3_SECURE": "false",
        "NO_COLOR": "1",
        "COLUMNS": "300",
    }
    verify = saraban(env, "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "0 problem(s)" in verify.stdout
    chain = saraban(env, "audit", "verify")
    assert chain.returncode == 0, chain.stdout + chain.stderr
