"""Issue 10, finding 17 (second half): an altered stored object is not served. The hash is checked as the file
streams; on a mismatch the download is aborted, the object marked and the event audited, the letter page says so,
and later downloads are refused at once (409 problem+json). On main the altered bytes were served with 200."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from service.demo import DEMO_PASSWORD
from service.models import AuditEvent, ObjectFault
from tests.conftest import LiveServer
from tests.samples import thai_letter_pdf


@pytest.mark.parametrize("which", ["content", "stamped"])
def test_an_altered_object_is_not_served(live_server: Callable[..., LiveServer], which: str) -> None:
    server = live_server()
    app = server.server.config.app.state.saraban  # type: ignore[union-attr]
    with httpx.Client(base_url=server.url, timeout=30) as c:
        token = c.post("/api/v1/auth/token", data={"username": "central", "password": DEMO_PASSWORD}).json()
        h = {"Authorization": f"Bearer {token['access_token']}"}
        reg = next(r["id"] for r in c.get("/api/v1/registries", headers=h).json() if r["code"] == "central")
        r = c.post(
            f"/api/v1/registries/{reg}/receive",
            headers=h,
            files=[
                ("meta", (None, json.dumps({"sender": "สพฐ.", "subject": "แก้ไขไฟล์"}))),
                ("files", ("a.pdf", thai_letter_pdf(pages=1), "application/pdf")),
            ],
        )
        assert r.status_code == 201, r.text
        att = r.json()["attachments"][0]
        sha = att["sha256"] if which == "content" else att["stamped_sha256"]
        url = f"/api/v1/attachments/{att['id']}/{which}"
        assert c.get(url, headers=h).status_code == 200

        path: Path = app.settings.store_path / sha[:2] / sha[2:4] / sha
        path.chmod(0o644)
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF  # same size: only the hash tells
        path.write_bytes(bytes(data))

        with pytest.raises(httpx.HTTPError):  # the stream is cut short: no client takes it for the file
            c.get(url, headers=h).raise_for_status()
        with app.tx() as uow:
            assert uow.session.get(ObjectFault, sha) is not None
            events = uow.session.exec(select(AuditEvent).where(AuditEvent.action == "object_altered")).all()
            assert [json.loads(e.detail)["sha256"] for e in events] == [sha]

        again = c.get(url, headers=h)
        assert again.status_code == 409
        assert again.headers["content-type"].startswith("application/problem+json")
        assert "ถูกเปลี่ยนแปลง" in again.json()["detail_th"]

        letter = c.get(f"/api/v1/letters/{r.json()['letter_id']}", headers=h).json()
        assert letter["attachments"][0]["altered"] is True
        c.post("/login", data={"username": "central", "password": DEMO_PASSWORD})
        page = c.get(f"/letters/{r.json()['letter_id']}")
        assert "ไฟล์ที่เก็บไว้ถูกเปลี่ยนแปลง" in page.text
