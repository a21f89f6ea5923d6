from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.conftest import login, registry_id
from tests.samples import thai_letter_pdf


def test_receive_pdf_is_numbered_and_stamped(client: TestClient) -> None:
    h = login(client, "central")
    reg = registry_id(client, h, "central")
    meta = {"letter_no": "ศธ ๐๔๐๒๙/๒๐๒", "letter_date": "๒๓ มีนาคม ๒๕๖๙", "sender": "สพฐ.", "subject": "ทุนการศึกษา"}
    r = client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=h,
        data={"meta": json.dumps(meta)},
        files=[("files", ("letter.pdf", thai_letter_pdf(pages=2), "application/pdf"))],
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["registration"]["number"] == 1
    att = body["attachments"][0]
    assert att["pages"] == 2 and att["stamped_id"]
    stamped = client.get(f"/api/v1/attachments/{att['id']}/stamped", headers=h)
    assert stamped.status_code == 200 and stamped.content.startswith(b"%PDF")
