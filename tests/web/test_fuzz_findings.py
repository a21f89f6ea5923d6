"""What the long Schemathesis run (``bench/fuzz.py``, 600 s per backend) found, each kept as a regression test."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import login, registry_id

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
