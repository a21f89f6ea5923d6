"""The journey's Thai pages through the ASGI client: the inbox as the first page, its tabs and counts, the letter
page's forms with their CSRF token, a refusal shown as a Thai page that changes nothing."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import select

from service.app import create_app
from service.demo import DEMO_PASSWORD
from service.models import Routing, Unit
from tests.conftest import MakeSaraban, login, registry_id
from tests.publicids import internal_id


def _web(app: object, username: str) -> TestClient:
    c = TestClient(create_app(app))  # type: ignore[arg-type]
    r = c.post("/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def test_inbox_first_and_the_letter_page_forms(make_saraban: MakeSaraban) -> None:
    app = make_saraban(token_ttl_minutes=60 * 24 * 365 * 10)
    app.clock = lambda: datetime(2026, 3, 23, 3, 0, tzinfo=UTC)  # Monday 10.00 in Bangkok
    with app.tx() as uow:
        promotion = uow.session.exec(select(Unit).where(Unit.code == "promotion")).one().id
    api = TestClient(create_app(app))
    h = login(api, "central")
    r = api.post(
        f"/api/v1/registries/{registry_id(api, h, 'central')}/receive",
        headers=h,
        data={"meta": json.dumps({"sender": "สพฐ.", "subject": "ขอเชิญประชุมครูวิชาการ", "urgency": "ด่วนที่สุด"})},
    )
    letter = r.json()["letter_id"]

    # the central clerk routes it from the letter page's form
    central = _web(app, "central")
    assert central.get("/", follow_redirects=False).headers["location"].startswith("/registers/")  # nothing waits
    page = central.get(f"/letters/{letter}").text
    assert 'id="route-form"' in page and 'id="instruction-form"' not in page  # a clerk routes; a head instructs
    r = central.post(f"/letters/{letter}/routes", data={"to_unit_ids": [promotion], "instruction": "ดำเนินการ"})
    assert r.status_code == 403  # no CSRF token: refused, nothing routed
    with app.tx() as uow:
        assert uow.session.exec(select(Routing).where(Routing.letter_id == internal_id(app, letter))).first() is None
    r = central.post(
        f"/letters/{letter}/routes",
        data={"csrf": _csrf(page), "to_unit_ids": [promotion], "instruction": "ดำเนินการ", "due_date": "๒๕ มี.ค. ๒๕๖๙"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/letters/{letter}?done=route#journey"
    with app.tx() as uow:
        route = uow.session.exec(select(Routing).where(Routing.letter_id == internal_id(app, letter))).one()
    assert route.due_at is not None and route.due_at.isoformat().startswith("2026-03-25T09:30")  # 16.30 Bangkok

    # the group clerk lands on the inbox, registers from the letter page
    group = _web(app, "group")
    assert group.get("/", follow_redirects=False).headers["location"] == "/inbox"
    inbox = group.get("/inbox").text
    assert "ขอเชิญประชุมครูวิชาการ" in inbox and 'data-waiting="register"' in inbox
    assert re.search(r'data-view="register" href="[^"]*">รอลงทะเบียนรับ <span class="count">1</span>', inbox)
    page = group.get(f"/letters/{letter}").text
    assert 'id="waiting-for-me"' in page and f'id="register-{route.id}"' in page
    r = group.post(f"/routes/{route.id}/register", data={"csrf": _csrf(page)}, follow_redirects=False)
    assert r.status_code == 303
    done = group.get(r.headers["location"]).text
    assert "ลงทะเบียนรับเรียบร้อย" in done and 'เลขรับ <span class="num">1/2569</span>' in done
    # twice: a Thai refusal page, nothing changed
    r = group.post(f"/routes/{route.id}/register", data={"csrf": _csrf(page)})
    assert r.status_code == 409 and "หน่วยงานลงทะเบียนรับหนังสือนี้แล้ว" in r.text
    # the central clerk follows it up: who holds it
    following = central.get("/inbox?view=following").text
    assert 'id="holders"' in following and "กลุ่มส่งเสริมฯ" in following
