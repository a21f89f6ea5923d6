"""No English reaches a page (issue 14, acceptance 4): every page, as every demo user, scanned for English sentences
outside code values (``tests.pages_scan``); and the scanner itself, on a table of what it must and must not flag."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from service.app import create_app
from service.demo import DEMO_PASSWORD, USERS
from service.models import Registry, Unit
from tests.conftest import MakeSaraban, login
from tests.pages_scan import english_in, latin_sentences
from tests.samples import thai_letter_pdf


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("ลงทะเบียนรับเรียบร้อย", False),
        ("a bearer token is required", True),
        ("day is out of range for month", True),
        ("ลงวันที่: day is out of range for month", True),  # English inside a Thai sentence
        ("บันทึกการใช้งาน (Audit trail)", False),  # a two-word gloss beside the Thai is not a sentence
        ("user_created", True),
        ("indexed; scan_dengue.pdf: ocr-unavailable", True),
        ("scan_dengue.pdf", False),
        ("ศธ 04006/ว 123", False),
        ("saraban@khonkaen5.go.th", False),
        ("PDF", False),
        ("Excel (XLSX)", False),
        ("CSV", False),
        ("SHA-256 3f2a9c…", False),
        ("application/pdf", False),
        ("2568", False),
        ("central", False),  # a username, a code value
        ("Not found", True),
        ("Saraban", False),
    ],
)
def test_the_scanner(text: str, english: bool) -> None:  # noqa: FBT001
    assert (english_in(text) is not None) is english


def test_the_scanner_reads_visible_text_only() -> None:
    html = (
        "<html><head><title>สารบรรณ · Saraban</title><style>body { color: red }</style></head><body>"
        "<p>เรื่อง</p><script>var shown = 'not shown';</script><code>not_found</code>"
        '<input placeholder="type a date here"><a href="/api/v1/x">ดู</a></body></html>'
    )
    assert latin_sentences(html) == ["type a date here"]


def test_every_page_as_every_demo_user_is_thai(make_saraban: MakeSaraban) -> None:
    app = make_saraban()
    with TestClient(create_app(app)) as client:
        with app.tx() as uow:
            regs = {r.code: r.id for r in uow.session.exec(select(Registry))}
            promotion = uow.session.exec(select(Unit).where(Unit.code == "promotion")).one().id
        h = login(client, "central")
        letters = []
        for i, subject in enumerate(("แจ้งการประชุมผู้บริหาร", "ขอความอนุเคราะห์ข้อมูลนักเรียน")):
            r = client.post(
                f"/api/v1/registries/{regs['central']}/receive",
                headers=h,
                data={"meta": json.dumps({"sender": "สพฐ.", "subject": subject, "letter_no": f"ศธ 04006/{i}"})},
                files=[("files", ("letter.pdf", thai_letter_pdf(subject=subject), "application/pdf"))],
            )
            assert r.status_code == 201, r.text
            letters.append(r.json())
        lid = letters[0]["letter_id"]
        assert client.post(f"/api/v1/letters/{lid}/routes", headers=h, json={"to_unit_id": promotion}).status_code < 300
        rid = letters[1]["registration"]["id"]
        client.patch(f"/api/v1/registrations/{rid}", headers=h, json={"subject": "ขอความอนุเคราะห์ข้อมูล", "reason": "ก"})
        pages = [
            "/",
            "/inbox",
            "/search",
            "/search?q=ประชุม",
            *(f"/registers/{regs[c]}" for c in ("central", "secret", "promotion-receive", "office-send")),
            f"/registers/{regs['central']}/receive",
            f"/registers/{regs['central']}?urgency=1&routed=no",
            f"/registers/{regs['office-send']}/numbers",
            *(f"/letters/{x['letter_id']}" for x in letters),
            "/letters/999999",
            "/outgoing",
            "/outgoing/new",
            "/deliveries",
            "/audit",
            "/archive",
            "/archive/destruction",
            "/archive/loans",
            "/archive/transfer",
            "/admin/users",
            "/admin/units",
            "/admin/registries",
            "/grants",
            "/password",
        ]
        found: dict[str, list[str]] = {}
        client.cookies.clear()
        login_page = client.get("/login")
        found.update({"/login": latin_sentences(login_page.text)} if latin_sentences(login_page.text) else {})
        for username, *_ in USERS:
            client.cookies.clear()
            r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False)
            assert r.status_code == 303, r.text
            for path in pages:
                resp = client.get(path)
                if not resp.headers.get("content-type", "").startswith("text/html"):
                    continue
                bad = latin_sentences(resp.text)
                if bad:
                    found[f"{username} {path}"] = bad
        assert not found, found
