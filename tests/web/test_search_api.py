"""Search through the API: indexing after commit, attachment text, the access rule on results and counts."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from service.app import create_app
from service.indexing.indexer import index_letters
from tests.conftest import MakeSaraban, login, registry_id
from tests.publicids import internal_id
from tests.samples import thai_letter_pdf


def _receive(client: TestClient, h: dict[str, str], reg: int, meta: dict[str, str], pdf: bytes | None = None) -> int:
    files = [("files", ("a.pdf", pdf, "application/pdf"))] if pdf else None
    r = client.post(f"/api/v1/registries/{reg}/receive", headers=h, data={"meta": json.dumps(meta)}, files=files)
    assert r.status_code == 201, r.text
    return int(r.json()["letter_id"])


def test_a_batch_keeps_each_letter_its_own_attachment_text(make_saraban: MakeSaraban) -> None:
    """Seven letters with files indexed in one round: each is found by the words of its own file, and by no other
    letter's."""
    app = make_saraban()  # no index thread: the batch is indexed below, in one round
    words = ["ช้างเผือก", "ปลาทู", "มะม่วง", "ทุเรียน", "กระต่าย", "นกยูง", "ผีเสื้อ"]
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        public = [
            _receive(
                client,
                h,
                reg,
                {"sender": "สพฐ.", "subject": "ขอเชิญประชุม", "letter_no": f"ศธ ๐๔๐๐๒/{i + 1}"},
                thai_letter_pdf(extra_body=f"ตัวอย่าง {word} ท้ายหนังสือ"),
            )
            for i, word in enumerate(words)
        ]
        assert index_letters(app, app.search_index(), [internal_id(app, p) for p in public]) == len(words)
        for letter_id, word in zip(public, words, strict=True):
            body = client.get("/api/v1/search", params={"q": word}, headers=h).json()
            assert [r["letter_id"] for r in body["results"]] == [letter_id], word


def test_search_finds_attachment_words_and_hides_secrets(make_saraban: MakeSaraban) -> None:
    app = make_saraban(with_indexer=True)
    with TestClient(create_app(app)) as client:
        central, secret, auditor = login(client, "central"), login(client, "secret"), login(client, "auditor")
        plain = _receive(
            client,
            central,
            registry_id(client, central, "central"),
            {"sender": "สพฐ.", "subject": "ขอเชิญประชุม", "letter_no": "ศธ ๐๔๐๐๒/๑๒๓"},
            thai_letter_pdf(extra_body="โครงการป้องกันการจมน้ำในเด็กนักเรียน"),
        )
        hidden = _receive(
            client,
            secret,
            registry_id(client, secret, "secret"),
            {"sender": "สพฐ.", "subject": "การสอบสวนวินัยร้ายแรงจมน้ำ", "secrecy": "ลับ"},
        )
        assert app.indexer is not None and app.indexer.wait_idle(60)
        for who in (central, auditor):
            body = client.get("/api/v1/search", params={"q": "จมน้ำ"}, headers=who).json()
            assert [r["letter_id"] for r in body["results"]] == [plain]
            assert body["total"] == 1
            assert "วินัย" not in json.dumps(body, ensure_ascii=False)
            assert "<mark>" in body["results"][0]["snippet"]
        mine = client.get("/api/v1/search", params={"q": "จมน้ำ"}, headers=secret).json()
        assert [r["letter_id"] for r in mine["results"]] == [hidden]
        by_no = client.get("/api/v1/search", params={"q": "ศธ04002/123"}, headers=auditor).json()
        assert [r["letter_id"] for r in by_no["results"]] == [plain]
