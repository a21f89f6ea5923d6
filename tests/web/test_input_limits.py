"""Input limits at the edge (issue 10, findings 4, 10, 13 and the 5xx list): every answer a clean problem+json with a
Thai ``detail_th``, nothing stored, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import update

from service.app import create_app
from service.context import Saraban
from service.demo import DEMO_PASSWORD
from service.models import Letter, Routing
from tests.conftest import MakeSaraban, login, registry_id
from tests.publicids import internal_id
from tests.web.test_auth import web_login

_THAI = re.compile(r"[\u0e00-\u0e7f]")


@pytest.fixture
def api(make_saraban: MakeSaraban, any_db: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_saraban(any_db)), raise_server_exceptions=False) as c:
        yield c


def _problem(r: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    wanted = status if isinstance(status, tuple) else (status,)
    assert r.status_code in wanted, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
    body: dict[str, Any] = r.json()
    assert _THAI.search(body["detail_th"]), body
    return body


def _receive(c: TestClient, h: dict[str, str], **meta: Any) -> Any:
    reg = registry_id(c, h, "central")
    return c.post(
        f"/api/v1/registries/{reg}/receive",
        headers=h,
        data={"meta": json.dumps({"sender": "สพฐ.", "subject": "ทดสอบขอบเขตข้อมูล", **meta})},
    )


def _letter_count(c: TestClient, h: dict[str, str]) -> int:
    return int(c.get("/api/v1/letters", headers=h, params={"limit": 500}).json()["total"])


# ---------------------------------------------------------------------------------------------- dates (4, 13)


@pytest.mark.parametrize("deliver_by", ["9999-12-31T23:59:59", "0001-01-01T00:00:00", "1/1/200", "31/2/2569"])
def test_receive_refuses_out_of_range_deliver_by(api: TestClient, deliver_by: str) -> None:
    h = login(api, "central")
    before = _letter_count(api, h)
    body = _problem(_receive(api, h, deliver_by=deliver_by), 422)
    assert "ส่งภายใน" in body["detail_th"]
    assert _letter_count(api, h) == before


@pytest.mark.parametrize("letter_date", ["1/1/2400", "9999-12-31", "0000-01-01", "1/1/200"])
def test_receive_letter_date_by_the_one_rule(api: TestClient, letter_date: str) -> None:
    h = login(api, "central")
    r = _receive(api, h, letter_date=letter_date)
    if letter_date == "1/1/2400":  # B.E. 2400: the first year of the range, C.E. 1857 — once the clerk confirms it
        assert _problem(r, 422)["code"] == "date_needs_confirmation"
        r = _receive(api, h, letter_date=letter_date, confirm_date=True)
        assert r.status_code == 201, r.text
        letter = api.get(f"/api/v1/letters/{r.json()['letter_id']}", headers=h).json()
        assert letter["letter_date"] == "1857-01-01"
    else:
        _problem(r, 422)


def test_route_refuses_a_far_due_date_and_stores_nothing(api: TestClient) -> None:
    h = login(api, "central")
    letter_id = _receive(api, h).json()["letter_id"]
    units = {u["code"]: u["id"] for u in api.get("/api/v1/units", headers=h).json()}
    target = next(iter(units.values()))
    r = api.post(
        f"/api/v1/letters/{letter_id}/routes",
        headers=h,
        json={"to_unit_id": target, "instruction": "ดำเนินการ", "due_at": "9999-12-31T23:59:59"},
    )
    _problem(r, 422)
    assert api.get(f"/api/v1/letters/{letter_id}", headers=h).json()["routes"] == []


def test_a_stored_out_of_range_moment_does_not_break_the_letter(make_saraban: MakeSaraban, any_db: str) -> None:
    """Written before dates were checked: the letter still reads, for the API and the page."""
    app = make_saraban(any_db)
    with TestClient(create_app(app), raise_server_exceptions=False) as c:
        h = login(c, "central")
        letter_id = _receive(c, h).json()["letter_id"]
        units = c.get("/api/v1/units", headers=h).json()
        c.post(
            f"/api/v1/letters/{letter_id}/routes", headers=h, json={"to_unit_id": units[0]["id"], "instruction": "x"}
        )
        key = internal_id(app, letter_id)  # the database's own key behind the public id
        with app.tx() as uow:
            far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
            uow.session.execute(update(Letter).where(Letter.id == key).values(deliver_by=far))
            uow.session.execute(update(Routing).where(Routing.letter_id == key).values(due_at=far))
        assert c.get(f"/api/v1/letters/{letter_id}", headers=h).status_code == 200
        assert c.get(f"/api/v1/letters/{letter_id}/timeline", headers=h).status_code == 200
        for view in ("all", "overdue", "following"):
            assert c.get("/api/v1/inbox", headers=h, params={"view": view}).status_code == 200
        c.post("/login", data={"username": "central", "password": DEMO_PASSWORD}, follow_redirects=False)
        page = c.get(f"/letters/{letter_id}")
        assert page.status_code == 200, page.text[:300]


@pytest.mark.parametrize(
    ("since", "until"), [("9999-12-31", ""), ("0001-01-01", ""), ("", "9999-12-31"), ("1/1/200", "")]
)
def test_audit_period_out_of_range(api: TestClient, since: str, until: str) -> None:
    h = login(api, "auditor")
    r = api.get("/api/v1/audit/events", headers=h, params={k: v for k, v in (("since", since), ("until", until)) if v})
    _problem(r, 422)


def test_search_takes_thai_month_names(api: TestClient) -> None:
    h = login(api, "auditor")
    for date in ("๑ พ.ย. ๒๕๖๙-๓๐ พ.ย. ๒๕๖๙", "18 พ.ย. 2569"):
        r = api.get("/api/v1/search", headers=h, params={"q": "ทุน", "date": date})
        assert r.status_code == 200, r.text
    _problem(api.get("/api/v1/search", headers=h, params={"q": "ทุน", "date": "1/1/9999"}), 422)


# ---------------------------------------------------------------------------------------------- numbers (10)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/letters/2147483648",
        "/api/v1/letters/9223372036854775808",
        "/api/v1/letters/99999999999999999999999999",
        "/api/v1/letters?offset=2147483648",
        "/api/v1/inbox?offset=9223372036854775808",
        "/api/v1/attachments/2147483648/content",
        "/api/v1/routes/2147483648",
        "/api/v1/registries/2147483648/entries",
        "/api/v1/registries/1/entries?year=99999999999",
        "/api/v1/audit/events?letter_id=2147483648",
    ],
)
def test_huge_numbers_are_422(api: TestClient, path: str) -> None:
    h = login(api, "auditor" if "audit" in path else "central")
    _problem(api.get(path, headers=h), (404, 422))


def test_huge_recipient_id_is_422(api: TestClient) -> None:
    h = login(api, "central")
    letter_id = _receive(api, h).json()["letter_id"]
    r = api.post(f"/api/v1/letters/{letter_id}/routes", headers=h, json={"to_user_id": 2**31, "instruction": "x"})
    _problem(r, 422)


# ---------------------------------------------------------------------------------------------- JSON shape


def test_deep_json_is_refused_before_the_models(api: TestClient) -> None:
    h = login(api, "central")
    deep = "[" * 1000 + "]" * 1000
    r = api.post("/api/v1/outgoing", headers={**h, "content-type": "application/json"}, content=deep)
    _problem(r, 422)
    r = _receive(api, h, remarks=json.loads("[" * 40 + "]" * 40))
    _problem(r, 422)


def test_huge_integer_is_refused(api: TestClient) -> None:
    h = login(api, "central")
    body = '{"registry_id": ' + "9" * 5001 + ', "subject": "x", "recipients": []}'
    _problem(api.post("/api/v1/outgoing", headers={**h, "content-type": "application/json"}, content=body), 422)


def test_roles_must_be_unit_and_role(api: TestClient) -> None:
    h = login(api, "admin")
    r = api.post("/api/v1/users", headers=h, json={"username": "newbie", "password": "x" * 16, "roles": [{}]})
    _problem(r, 422)


# ---------------------------------------------------------------------------------------------- control characters


def test_nul_at_sign_in_is_refused_not_a_server_error(api: TestClient) -> None:
    r = api.post("/api/v1/auth/token", data={"username": "cent\x00ral", "password": "x"})
    _problem(r, (401, 422))
    r = api.post("/login", data={"username": "cent\x00ral", "password": "x"})
    assert r.status_code in (401, 422), r.status_code
    assert r.headers["content-type"].startswith("text/html") and "อักขระควบคุม" in r.text


def test_nul_in_a_route_instruction_and_a_full_name(api: TestClient) -> None:
    h = login(api, "central")
    letter_id = _receive(api, h).json()["letter_id"]
    units = api.get("/api/v1/units", headers=h).json()
    r = api.post(
        f"/api/v1/letters/{letter_id}/routes", headers=h, json={"to_unit_id": units[0]["id"], "instruction": "a\x00b"}
    )
    _problem(r, 422)
    assert api.get(f"/api/v1/letters/{letter_id}", headers=h).json()["routes"] == []
    admin = login(api, "admin")
    r = api.post("/api/v1/users", headers=admin, json={"username": "nul", "password": "x" * 16, "full_name": "a\x00"})
    _problem(r, 422)
    r = _receive(api, h, subject="เรื่อง\x01ลับ")
    _problem(r, 422)
    _problem(api.get("/api/v1/search", headers=h, params={"q": "ทุน\x00"}), 422)


# ---------------------------------------------------------------------------------------------- error shapes


def test_405_says_what_is_allowed(api: TestClient) -> None:
    h = login(api, "central")
    r = api.delete("/api/v1/letters", headers=h)
    _problem(r, 405)
    assert "GET" in r.headers["allow"]


def test_unknown_api_route_is_problem_json(api: TestClient) -> None:
    _problem(api.get("/api/v1/no-such-thing"), 404)


def test_every_api_operation_documents_its_problems(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if not path.startswith("/api/"):
                continue
            for status in ("401", "404", "422"):
                assert "application/problem+json" in op["responses"][status]["content"], (method, path, status)
            assert "application/json" not in op["responses"]["422"]["content"], (method, path)
    assert not any(p.startswith(("/letters", "/registers", "/login")) for p in schema["paths"]), "web pages are not API"


# ---------------------------------------------------------------------------------------------- the web form


@pytest.mark.parametrize(
    ("letter_date", "reason"),
    [
        ("31/2/2568", "ไม่มีในเดือนกุมภาพันธ์"),
        ("1/13/2568", "เดือนต้องเป็น"),
        ("1/1/2575", "เกินหนึ่งปีข้างหน้า"),  # within the office's range, but asked to be confirmed
        ("1/1/2568", None),
        ("1/1/9999", "นอกช่วง"),
    ],
)
def test_receive_form_says_why_a_date_is_refused_in_thai(
    saraban: Saraban, client: TestClient, letter_date: str, reason: str | None
) -> None:
    # "more than a year ahead" depends on today: the office's clock is set, not the machine's (B.E. 2569)
    saraban.clock = lambda: datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    csrf = web_login(client, "central")
    reg = registry_id(client, login(client, "central"), "central")
    r = client.post(
        f"/registers/{reg}/receive",
        data={"csrf": csrf, "sender": "สพฐ.", "subject": "ทดสอบวันที่", "letter_date": letter_date},
        files={"files": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )
    if reason is None:
        assert r.status_code == 303, r.text[:300]
        return
    assert r.status_code == 422, r.text[:300]
    assert reason in r.text
    assert "out of range" not in r.text and "must be" not in r.text


def test_a_deep_meta_is_refused(api: TestClient) -> None:
    h = login(api, "central")
    reg = registry_id(api, h, "central")
    for meta in ("[" * 100_000 + "]" * 100_000, '{"sender": "ส", "subject": "ท", "urgency": ' + "9" * 5001 + "}"):
        _problem(api.post(f"/api/v1/registries/{reg}/receive", headers=h, data={"meta": meta}), 422)


def test_nul_in_an_imported_csv_is_refused(api: TestClient) -> None:
    h = login(api, "group")
    csv = "year,name,school,detail\n2569,นาย\x00ก,โรงเรียน,\n"
    r = api.post("/api/v1/procedure-registers/school_board/import", headers=h, content=csv.encode())
    _problem(r, 422)
    assert api.get("/api/v1/procedure-registers/school_board", headers=h).json()["items"] == []
