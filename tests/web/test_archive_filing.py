"""Filing and legal holds over the API (real SQLite, local store, real PDFs): the file plan and retention classes,
filing a completed letter with its keep-until year and stamp, the refusals, holds placed and released."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import col, select

from service.app import create_app
from service.context import Saraban
from service.models import ArchiveItem, AuditEvent
from tests.archive_kit import complete_journey, file_letters, open_journey, receive, use_clock
from tests.conftest import MakeSaraban, login, needs_poppler

TODAY = date(2025, 6, 16)  # B.E. 2568


@pytest.fixture
def office(make_saraban: MakeSaraban) -> Iterator[tuple[Saraban, TestClient]]:
    app = make_saraban()
    use_clock(app, TODAY)
    with TestClient(create_app(app)) as client:
        yield app, client


def test_retention_classes_and_file_codes(office: tuple[Saraban, TestClient]) -> None:
    _, client = office
    h = login(client, "officer")
    classes = client.get("/api/v1/retention-classes", headers=h).json()
    assert {(c["code"], c["years"]) for c in classes} >= {("general", 10), ("permanent", None), ("routine", 1)}
    assert all(set(c) >= {"id", "code", "name", "years"} for c in classes)
    files = client.get("/api/v1/file-codes", headers=h).json()
    assert {"01", "01.01", "03.01"} <= {f["code"] for f in files}
    assert all(set(f) >= {"id", "code", "name"} for f in files)


def test_filing_a_completed_letter_stamps_its_keep_until_year(
    office: tuple[Saraban, TestClient], tmp_path: Path
) -> None:
    app, client = office
    central, records = login(client, "central"), login(client, "records")
    letter = receive(client, central, subject="ขอเชิญประชุมคณะกรรมการ")
    complete_journey(app, letter["letter_id"], date(2025, 5, 2))

    r = file_letters(client, records, [letter["letter_id"]])
    assert r.status_code == 201, r.text
    [item] = r.json()["items"]
    assert item["letter_id"] == letter["letter_id"]
    assert item["keep_until_year"] == 2578  # 31 Dec (2568 + 10)

    view = client.get(f"/api/v1/archive/items/{item['id']}", headers=records).json()
    assert view["file_code"] == "01.01" and view["retention_class"] == "general"
    assert view["completed_on"] == "2025-05-02" and view["stamp"] == "เก็บถึง พ.ศ. ๒๕๗๘"
    assert view["location"].startswith("ห้องเก็บเอกสาร")

    # the stamped copy: the receive-stamped copy with the keep-until box added; the original unchanged
    [att] = letter["attachments"]
    original = client.get(f"/api/v1/attachments/{att['id']}/content", headers=records).content
    stamped = client.get(f"/api/v1/attachments/{att['id']}/stamped", headers=records).content
    kept = client.get(f"/api/v1/archive/items/{item['id']}/stamped", headers=records)
    assert kept.status_code == 200, kept.text
    assert kept.content.startswith(stamped) and stamped.startswith(original)
    path = tmp_path / "kept.pdf"
    path.write_bytes(kept.content)
    text = PdfReader(path).pages[0].extract_text()
    assert "เก็บถึง" in text

    # บัญชีหนังสือส่งเก็บ of the file
    r = client.get("/api/v1/archive/storage-list", headers=records, params={"file_code_id": view["file_code_id"]})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    for word in ("บัญชีหนังสือส่งเก็บ", "01.01", "ขอเชิญประชุมคณะกรรมการ", "อายุการเก็บ"):
        assert word in text, word


@needs_poppler
def test_the_keep_until_stamp_is_at_the_bottom_right_of_page_1(
    office: tuple[Saraban, TestClient], tmp_path: Path
) -> None:
    app, client = office
    central, records = login(client, "central"), login(client, "records")
    letter = receive(client, central, subject="รายงานผลการดำเนินงาน")
    complete_journey(app, letter["letter_id"], date(2025, 5, 2))
    [item] = file_letters(client, records, [letter["letter_id"]], cls="permanent").json()["items"]
    assert item["keep_until_year"] is None
    path = tmp_path / "kept.pdf"
    path.write_bytes(client.get(f"/api/v1/archive/items/{item['id']}/stamped", headers=records).content)
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    page = PdfReader(path).pages[0]
    w, h = float(page.mediabox.width), float(page.mediabox.height)
    words = [line for line in out.splitlines() if "ห้ามทำลาย" in line]
    assert words, out[-2000:]
    attrs = dict(part.split("=", 1) for part in words[0].split(">")[0].split()[1:])
    x, y = float(attrs["xMin"].strip('"')), float(attrs["yMin"].strip('"'))  # pdftotext: y from the top
    assert x > w / 2 and y > h / 2


def test_filing_without_a_completed_journey_is_refused(office: tuple[Saraban, TestClient]) -> None:
    app, client = office
    central, records = login(client, "central"), login(client, "records")
    done = receive(client, central, subject="เรื่องที่เสร็จแล้ว")
    open_ = receive(client, central, subject="เรื่องที่ยังไม่เสร็จ")
    complete_journey(app, done["letter_id"], date(2025, 5, 2))
    open_journey(app, open_["letter_id"])

    r = file_letters(client, records, [done["letter_id"], open_["letter_id"]])
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "journey_not_completed" and r.json()["letter_id"] == open_["letter_id"]
    with app.tx() as uow:  # all or nothing
        assert uow.session.exec(select(ArchiveItem)).first() is None

    # an older paper matter, registered afterwards: filed with the year its matter was completed (a Thai date)
    r = file_letters(client, records, [open_["letter_id"]], cls="routine", completed_on="๑ มี.ค. ๒๕๖๗")
    assert r.status_code == 201, r.text
    assert r.json()["items"][0]["keep_until_year"] == 2568
    r = file_letters(client, records, [done["letter_id"]], completed_on="2024-03-01")
    assert r.json()["items"][0]["keep_until_year"] == 2577

    again = file_letters(client, records, [done["letter_id"]])
    assert again.status_code == 409 and again.json()["code"] == "already_filed"
    future = file_letters(
        client, records, [receive(client, central, subject="อนาคต")["letter_id"]], completed_on="2026-01-01"
    )
    assert future.status_code == 422 and future.json()["code"] == "completed_in_future"
    bad = file_letters(client, records, [open_["letter_id"]], completed_on="วันไหนก็ได้")
    assert bad.status_code == 422


def test_only_the_records_officer_files(office: tuple[Saraban, TestClient]) -> None:
    app, client = office
    central = login(client, "central")
    letter = receive(client, central, subject="ขอความร่วมมือ")
    complete_journey(app, letter["letter_id"], date(2025, 5, 2))
    for who in ("central", "director", "auditor", "admin"):
        r = file_letters(client, login(client, who), [letter["letter_id"]])
        assert r.status_code == 403, who
    assert file_letters(client, login(client, "records"), [letter["letter_id"]]).status_code == 201


def test_reclassifying_moves_the_keep_until_year(office: tuple[Saraban, TestClient]) -> None:
    app, client = office
    central, records = login(client, "central"), login(client, "records")
    letter = receive(client, central, subject="หลักฐานการเบิกจ่าย")
    complete_journey(app, letter["letter_id"], date(2025, 5, 2))
    [item] = file_letters(client, records, [letter["letter_id"]], cls="routine").json()["items"]
    assert item["keep_until_year"] == 2569
    classes = {c["code"]: c["id"] for c in client.get("/api/v1/retention-classes", headers=records).json()}
    r = client.patch(
        f"/api/v1/archive/items/{item['id']}", headers=records, json={"retention_class_id": classes["financial"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["keep_until_year"] == 2573 and r.json()["stamp"] == "เก็บถึง พ.ศ. ๒๕๗๓"
    kept = client.get(f"/api/v1/archive/items/{item['id']}/stamped", headers=records)
    assert "๒๕๗๓" in PdfReader(io.BytesIO(kept.content)).pages[0].extract_text()


def test_legal_holds(office: tuple[Saraban, TestClient]) -> None:
    app, client = office
    central, records, director = login(client, "central"), login(client, "records"), login(client, "director")
    letter = receive(client, central, subject="เรื่องร้องเรียน")
    complete_journey(app, letter["letter_id"], date(2025, 5, 2))
    [item] = file_letters(client, records, [letter["letter_id"]]).json()["items"]

    r = client.post(f"/api/v1/archive/items/{item['id']}/holds", headers=records, json={"reason": "คดีพิพาทในศาล"})
    assert r.status_code == 201, r.text
    hold = r.json()
    assert hold["reason"] == "คดีพิพาทในศาล" and hold["released_at"] is None
    assert client.get(f"/api/v1/archive/items/{item['id']}", headers=records).json()["holds"][0]["id"] == hold["id"]
    assert (
        client.post(f"/api/v1/archive/items/{item['id']}/holds", headers=central, json={"reason": "x"}).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/archive/items/{item['id']}/holds", headers=records, json={"reason": "  "}).status_code
        == 422
    )
    second = client.post(f"/api/v1/archive/items/{item['id']}/holds", headers=director, json={"reason": "สอบสวน"})
    assert second.status_code == 201

    r = client.delete(f"/api/v1/archive/holds/{hold['id']}", headers=records, params={"reason": "ศาลพิพากษาแล้ว"})
    assert r.status_code == 200 and r.json()["released_at"] is not None
    again = client.delete(f"/api/v1/archive/holds/{hold['id']}", headers=records)
    assert again.status_code == 409 and again.json()["code"] == "hold_released"
    active = client.get("/api/v1/archive/holds", headers=records).json()
    assert [h["id"] for h in active] == [second.json()["id"]]
    with app.tx() as uow:
        actions = [e.action for e in uow.session.exec(select(AuditEvent).order_by(col(AuditEvent.seq)))]
    assert actions.count("legal_hold_place") == 2 and actions.count("legal_hold_release") == 1
    assert "archive_file" in actions
