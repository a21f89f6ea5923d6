"""The letter page tells the clerk, in Thai, when an attachment's words cannot be searched and how to fix it."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from service.app import create_app
from service.demo import DEMO_PASSWORD
from tests.conftest import MakeSaraban, login, registry_id
from tests.samples import scanned_letter_pdf


def test_a_scan_without_text_is_explained(make_saraban: MakeSaraban) -> None:
    app = make_saraban(with_indexer=True, ocr="off")
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        sent = client.post(
            f"/api/v1/registries/{registry_id(client, h, 'central')}/receive",
            headers=h,
            data={"meta": json.dumps({"sender": "รร.บ้านหนองแวง", "subject": "รายงานผล"})},
            files=[("files", ("scan.pdf", scanned_letter_pdf(), "application/pdf"))],
        )
        assert sent.status_code == 201, sent.text
        assert app.indexer is not None and app.indexer.wait_idle(120)
        r = client.post("/login", data={"username": "central", "password": DEMO_PASSWORD}, follow_redirects=False)
        assert r.status_code == 303
        page = client.get(f"/letters/{sent.json()['letter_id']}")
        assert page.status_code == 200
        assert "จัดทำดัชนีแล้ว" in page.text
        assert "ค้นหาได้จากข้อมูลทะเบียนเท่านั้น" in page.text
