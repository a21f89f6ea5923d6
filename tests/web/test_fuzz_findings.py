"""What the long Schemathesis run (``bench/fuzz.py``, 600 s per backend) found, each kept as a regression test."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.app import create_app
from tests.conftest import MakeSaraban, login, registry_id

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_register_as_xlsx_is_documented_with_its_media_type(client: TestClient) -> None:
    """[Undocumented Content-Type] GET /api/v1/registries/{id}/entries?format=xlsx answered a spreadsheet that the
    OpenAPI did not list."""
    h = login(client, "central")
    r = client.get(
        f"/api/v1/registries/{registry_id(client, h, 'central')}/entries", params={"format": "xlsx"}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == XLSX
    doc = client.get("/openapi.json").json()
    documented = doc["paths"]["/api/v1/registries/{registry_id}/entries"]["get"]["responses"]["200"]["content"]
    assert XLSX in documented


def test_a_throttled_sign_in_is_documented(make_saraban: MakeSaraban) -> None:
    """[Undocumented status code] POST /api/v1/auth/token answered 429 (the per-source throttle, after the fuzzer's
    wrong sign-ins) where the OpenAPI listed no 429."""
    with TestClient(create_app(make_saraban(login_source_max_failures=3))) as client:
        answers = [
            client.post("/api/v1/auth/token", data={"username": f"nobody{i}", "password": "wrong-password"})
            for i in range(5)
        ]
        last = answers[-1]
        assert last.status_code == 429, [a.status_code for a in answers]
        assert last.headers["content-type"].startswith("application/problem+json") and "detail_th" in last.json()
        doc = client.get("/openapi.json").json()
    documented = doc["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert "429" in documented and "application/problem+json" in documented["429"]["content"]
