"""Every web form's multipart text fields are checked as they stream (issue 10, finding 5 and "NUL and other
control characters refused in every text field"): a NUL, or a value over ``MAX_FIELD_BYTES``, or too many fields,
in a multipart body to any page that takes a form is a Thai refusal (422 or 413), never a 5xx, and nothing
changes — on the pages that read their own form (``request.form``), the ``Form()`` ones and the upload pages
(``kit.uploads.read_upload``) alike.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import SQLModel

from service.app import create_app
from service.context import Saraban
from service.demo import DEMO_PASSWORD
from service.edge.gate import WRITE_METHODS, _leaves
from service.kit.uploads import MAX_FIELD_BYTES, MAX_FIELDS
from tests.archive_kit import receive
from tests.conftest import MakeSaraban, login, registry_id

USERS = ("central", "group", "records", "director", "admin", "secret", "centre", "officer")
NOT_COUNTED = ("audit", "session", "token", "throttle", "idempotency")
"""Tables a refusal may write to (its audit event) or signing in does."""


def multipart(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = b""
    for name, value in fields:
        out += f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def counts(app: Saraban) -> dict[str, int]:
    with app.tx(readonly=True) as uow:
        conn = uow.session.connection()
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in SQLModel.metadata.sorted_tables
            if not any(word in t.name for word in NOT_COUNTED)
        }


def web_session(client: TestClient, username: str) -> tuple[dict[str, str], str]:
    client.cookies.clear()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    m = re.search(r'name="csrf" value="([^"]+)"', client.get("/password").text)
    assert m
    cookies = dict(client.cookies.items())
    client.cookies.clear()
    return cookies, m.group(1)


def form_pages(client: TestClient) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in _leaves(client.app.router.routes)  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and not route.path.startswith("/api/") and route.path not in ("/login",)
        for method in route.methods & WRITE_METHODS
    )


def the_office(client: TestClient) -> dict[str, str]:
    """Ids that let the right be granted on every page: a registered letter routed to a group, a case."""
    central, group = login(client, "central"), login(client, "group")
    got = receive(client, central, subject="ทดสอบแบบฟอร์ม")
    letter_id = int(got["letter_id"])
    units = {u["code"]: u["id"] for u in client.get("/api/v1/units", headers=central).json()}
    promotion = next(v for k, v in units.items() if "promotion" in str(k)) if units else None
    body: dict[str, Any] = {"instruction": "ดำเนินการ"}
    if promotion is not None:
        body["to_unit_id"] = promotion
    r = client.post(f"/api/v1/letters/{letter_id}/routes", headers=central, json=body)
    route_id = r.json()["routes"][0]["id"] if r.status_code == 201 else 1
    draft = client.post(
        "/api/v1/outgoing",
        headers=central,
        json={
            "registry_id": registry_id(client, central, "office-send"),
            "subject": "ร่าง",
            "letter_type": "external",
            "recipients": [{"name": "a", "address": "b"}],
        },
    )
    assert draft.status_code == 201, draft.text
    procs = client.get("/api/v1/procedures", headers=group).json()
    case = client.post("/api/v1/cases", headers=group, json={"procedure_id": procs[0]["id"], "year": 2569})
    case_id = case.json().get("id", 1) if case.status_code == 201 else 1
    steps = case.json().get("steps", [{}]) if case.status_code == 201 else [{}]
    return {
        "letter_id": str(letter_id),
        "draft_id": str(draft.json()["letter_id"]),
        "registration_id": str(got.get("registration_id", 1)),
        "registry_id": str(registry_id(client, central, "central")),
        "route_id": str(route_id),
        "case_id": str(case_id),
        "step_id": str(steps[0].get("id", 1)),
        "procedure_id": str(procs[0]["id"]),
        "step": "register",
        "verdict": "approve",
        "register": "x",
        "number": "1",
    }


def test_every_form_refuses_nul_long_and_too_many_fields(make_saraban: MakeSaraban, any_db: str) -> None:
    app = make_saraban(any_db)
    with TestClient(create_app(app)) as c:
        ids = the_office(c)
        sessions = {u: web_session(c, u) for u in USERS}
        before = counts(app)
        checked = 0
        for method, path in form_pages(c):
            names = {**ids, "letter_id": ids["draft_id"]} if path.startswith("/outgoing/") else ids
            target = re.sub(r"\{(\w+)\}", lambda m, names=names: names.get(m.group(1), "1"), path)
            answered: list[tuple[str, int]] = []
            for user in USERS:
                cookies, csrf = sessions[user]
                c.cookies.clear()
                c.cookies.update(cookies)
                body, ctype = multipart([("csrf", csrf), ("subject", "เรื่อง\x00ลับ"), ("reason", "x")])
                r = c.request(method, target, content=body, headers={"content-type": ctype}, follow_redirects=False)
                assert r.status_code < 500, f"{method} {path} as {user}: {r.status_code} {r.text[:300]}"
                answered.append((user, r.status_code))
                if r.status_code in (401, 403, 404):
                    continue  # not this user's page (refused before the body was read)
                assert r.status_code == 422, f"{method} {path} as {user}: {r.status_code} {r.text[:300]}"
                assert 'lang="th"' in r.text and "อักขระควบคุม" in r.text, f"{method} {path}: {r.text[:500]}"

                long_body, ctype = multipart([("csrf", csrf), ("subject", "ก" * (MAX_FIELD_BYTES // 3 + 10))])
                r = c.request(method, target, content=long_body, headers={"content-type": ctype})
                assert r.status_code == 413, f"{method} {path} as {user} (long): {r.status_code} {r.text[:300]}"
                assert "ยาวเกินไป" in r.text, f"{method} {path} (long): {r.text[:500]}"

                many_body, ctype = multipart([("csrf", csrf)] + [(f"f{i}", "x") for i in range(MAX_FIELDS + 1)])
                r = c.request(method, target, content=many_body, headers={"content-type": ctype})
                assert r.status_code == 413, f"{method} {path} as {user} (many): {r.status_code} {r.text[:300]}"
                assert "มากเกินไป" in r.text
                checked += 1
                break
            else:
                raise AssertionError(f"{method} {path}: no demo user got past the right: {answered}")
        c.cookies.clear()
        assert checked >= 50
        assert counts(app) == before
