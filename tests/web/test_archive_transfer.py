"""The 20-year transfer: the transfer list and the keep-ourselves list, the BagIt package streamed as a tar that
validates with ``bagit`` (every file's SHA-256 matches the manifest and the hash recorded on receipt), its metadata
listing every item of the list in JSON and CSV with Thai field names."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tarfile
from datetime import date
from pathlib import Path

import bagit
from fastapi.testclient import TestClient
from pypdf import PdfReader

from service.app import create_app
from service.archive.transfer import FIELDS
from tests.archive_kit import complete_journey, file_letters, receive, use_clock
from tests.conftest import MakeSaraban, login
from tests.samples import thai_letter_pdf


def test_transfer_lists_and_a_valid_package(make_saraban: MakeSaraban, tmp_path: Path) -> None:
    app = make_saraban()
    use_clock(app, date(2026, 1, 10))  # January 2569: what reached 20 years by the end of 2568 (2025)
    with TestClient(create_app(app)) as client:
        central, records = login(client, "central"), login(client, "records")
        old = [
            receive(
                client,
                central,
                subject=f"แผนพัฒนาการศึกษา ฉบับที่ {n}",
                letter_date="๑ มิ.ย. ๒๕๔๘",
                pdf=thai_letter_pdf(subject=f"แผนพัฒนาการศึกษา ฉบับที่ {n}", pages=n),
            )
            for n in (1, 2, 3)
        ]
        young = receive(client, central, subject="แผนปฏิบัติการประจำปี", letter_date="๑ มิ.ย. ๒๕๕๐")
        for x in (*old, young):
            complete_journey(app, x["letter_id"], date(2025, 6, 1))
        items = file_letters(client, records, [x["letter_id"] for x in (*old, young)], cls="permanent").json()["items"]
        by_letter = {i["letter_id"]: i["id"] for i in items}
        keep = by_letter[old[2]["letter_id"]]

        assert client.post("/api/v1/archive/transfer-lists", headers=central, json={}).status_code == 403
        r = client.post("/api/v1/archive/transfer-lists", headers=records, json={"keep_item_ids": [keep]})
        assert r.status_code == 201, r.text
        lists = r.json()
        sent = [i["item_id"] for i in lists["transfer"]["items"]]
        assert sorted(sent) == sorted(by_letter[x["letter_id"]] for x in old[:2])  # not the young one
        assert [i["item_id"] for i in lists["keep"]["items"]] == [keep]
        again = client.post("/api/v1/archive/transfer-lists", headers=records, json={})
        assert again.status_code == 409 and again.json()["code"] == "nothing_to_transfer"

        pdf = client.get(f"/api/v1/archive/transfer-lists/{lists['transfer']['id']}/pdf", headers=records)
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "บัญชีส่งมอบหนังสือครบ" in text and "แผนพัฒนาการศึกษา" in text

        with client.stream(
            "GET", f"/api/v1/archive/transfer-lists/{lists['transfer']['id']}/package", headers=records
        ) as resp:
            assert resp.status_code == 200, resp.read()
            assert resp.headers["content-type"] == "application/x-tar"
            tar_path = tmp_path / "package.tar"
            with tar_path.open("wb") as out:
                for chunk in resp.iter_bytes():
                    out.write(chunk)
    with tarfile.open(tar_path) as tar:
        tar.extractall(tmp_path / "x", filter="data")
    [root] = list((tmp_path / "x").iterdir())
    bag = bagit.Bag(str(root))
    bag.validate()  # every payload file's SHA-256 matches manifest-sha256.txt
    assert (root / "manifest-sha256.txt").is_file()
    manifest = bag.payload_entries()
    originals = {a["sha256"]: a for x in old[:2] for a in x["attachments"]}
    files = [p for p in manifest if p.startswith("data/files/")]
    assert len(files) == 2
    for path in files:
        data = (root / path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == manifest[path]["sha256"]
        assert manifest[path]["sha256"] in originals  # the originals, byte for byte

    meta = json.loads((root / "data/metadata/metadata.json").read_text(encoding="utf-8"))
    listed = {rec["รหัสรายการ"] for rec in meta["รายการ"]}
    assert listed == set(sent)
    assert {rec["เรื่อง"] for rec in meta["รายการ"]} == {"แผนพัฒนาการศึกษา ฉบับที่ 1", "แผนพัฒนาการศึกษา ฉบับที่ 2"}
    assert all(rec["ไฟล์"][0]["SHA-256"] in originals for rec in meta["รายการ"])
    with (root / "data/metadata/metadata.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [name for name, _ in FIELDS]
    assert {int(r["รหัสรายการ"]) for r in rows} == set(sent)
    readme = (root / "data/metadata/README.txt").read_text(encoding="utf-8")
    assert all(name in readme for name, _ in FIELDS)
