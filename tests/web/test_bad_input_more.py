"""Bad input on search and routing: a clear problem+json, and nothing changes."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.conftest import login, registry_id


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": "ทุน", "date": "31/13/2565"}, "invalid_input"),
        ({"q": "ทุน", "date": "ไม่ใช่วันที่"}, "invalid_input"),
        ({"q": "ทุน", "urgency": "เร็วมาก"}, "invalid_input"),
        ({"q": "ทุน", "letter_type": "จดหมายรัก"}, "invalid_input"),
        ({"q": "ทุน", "page": "0"}, "invalid_request"),
        ({"q": "ทุน", "per_page": "1000"}, "invalid_request"),
    ],
)
def test_search_bad_filters(client: TestClient, params: dict[str, str], code: str) -> None:
    h = login(client, "auditor")
    r = client.get("/api/v1/search", params=params, headers=h)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code


def test_search_needs_a_token(client: TestClient) -> None:
    r = client.get("/api/v1/search", params={"q": "ทุน"})
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"to_unit_id": 2, "to_user_id": 3, "instruction": "x"}, 422),  # both at once
        ({"instruction": "x"}, 422),  # neither
        ({"to_unit_id": 9999}, 404),
        ({"to_user_id": 9999}, 404),
        ({"to_unit_id": "สอง"}, 422),
    ],
)
def test_route_bad_input_changes_nothing(client: TestClient, body: dict[str, object], status: int) -> None:
    h = login(client, "central")
    r = client.post(
        f"/api/v1/registries/{registry_id(client, h, 'central')}/receive",
        headers=h,
        data={"meta": json.dumps({"sender": "สพฐ.", "subject": "ทดสอบการส่งต่อ"})},
    )
    letter_id = r.json()["letter_id"]
    bad = client.post(f"/api/v1/letters/{letter_id}/routes", headers=h, json=body)
    assert bad.status_code == status, bad.text
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/api/v1/letters/{letter_id}", headers=h).json()["routes"] == []
