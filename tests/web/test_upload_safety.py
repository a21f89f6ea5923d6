"""Issue 10: what an upload can carry in (findings 5, 7, 15, 18): the right checked before the body, form fields
bounded, file names cleaned for display (the original kept in the audit), ``filename*=`` accepted, a damaged image
refused, PDFs with active content flagged on the letter page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.context import Saraban
from tests.bombs import active_pdf, flate_bomb_pdf, pixel_bomb_png
from tests.conftest import MakeSaraban, login, registry_id
from tests.samples import letter_png, thai_letter_pdf


def meta(**overrides: Any) -> str:
    base = {"sender": "สพฐ.", "subject": "ทดสอบการแนบไฟล์", "letter_type": "external", "channel": "paper"}
    base.update(overrides)
    return json.dumps(base, ensure_ascii=False)


def multipart(parts: list[tuple[bytes, bytes]], boundary: str = "XyZbound") -> tuple[bytes, dict[str, str]]:
    """A multipart body from (Content-Disposition value, data) pairs, written by hand."""
    out = b""
    for disposition, data in parts:
        out += b"--" + boundary.encode() + b"\r\nContent-Disposition: " + disposition + b"\r\n"
        if b"filename" in disposition:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + data + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return out, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture
def clerk(client: TestClient) -> tuple[TestClient, dict[str, str], int]:
    h = login(client, "central")
    return client, h, registry_id(client, h, "central")


def test_files_from_someone_without_the_right_are_refused_with_403_not_415(
    clerk: tuple[TestClient, dict[str, str], int],
) -> None:
    client, _, reg = clerk
    auditor = login(client, "auditor")
    r = client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=auditor,
        data={"meta": meta()},
        files=[("files", ("x.exe", b"MZ" + b"\0" * 1000, "application/octet-stream"))],
    )
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_form_fields_are_limited_in_number(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = clerk
    body, headers = multipart([(b'form-data; name="f%d"' % i, b"x") for i in range(500)])
    r = client.post(f"/api/v1/registries/{reg}/receive", headers={**h, **headers}, content=body)
    assert r.status_code == 413, r.text
    assert r.json()["detail_th"] == "แบบฟอร์มมีช่องข้อมูลมากเกินไป"


def test_form_fields_are_limited_in_total_size(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = clerk
    body, headers = multipart([(b'form-data; name="f%d"' % i, b"x" * 200_000) for i in range(8)])
    r = client.post(f"/api/v1/registries/{reg}/receive", headers={**h, **headers}, content=body)
    assert r.status_code == 413, r.text


def test_a_file_name_is_cleaned_for_display_and_kept_as_sent_in_the_audit(
    clerk: tuple[TestClient, dict[str, str], int], saraban: Saraban
) -> None:
    client, h, reg = clerk
    sent = "../invoice\u202efdp\x7f.exe.pdf"
    body, headers = multipart(
        [
            (b'form-data; name="meta"', meta().encode()),
            (b'form-data; name="files"; filename="' + sent.encode() + b'"', thai_letter_pdf(pages=1)),
        ]
    )
    r = client.post(f"/api/v1/registries/{reg}/receive", headers={**h, **headers}, content=body)
    assert r.status_code == 201, r.text
    assert r.json()["attachments"][0]["filename"] == "invoicefdp.exe.pdf"
    auditor = login(client, "auditor")
    letter_id = r.json()["letter_id"]
    events = client.get(f"/api/v1/audit/events?letter_id={letter_id}", headers=auditor).json()
    details = [e["detail"] if isinstance(e["detail"], dict) else json.loads(e["detail"]) for e in events]
    assert any(d.get("original_filenames") == [sent] for d in details), details


@pytest.mark.parametrize("name", ["..", "a\\..\\..", "\u202e\u2066", "\x01\x02"])
def test_nothing_of_a_hostile_name_survives(clerk: tuple[TestClient, dict[str, str], int], name: str) -> None:
    client, h, reg = clerk
    body, headers = multipart(
        [
            (b'form-data; name="meta"', meta().encode()),
            (b'form-data; name="files"; filename="' + name.encode() + b'"', thai_letter_pdf(pages=1)),
        ]
    )
    r = client.post(f"/api/v1/registries/{reg}/receive", headers={**h, **headers}, content=body)
    assert r.status_code == 201, r.text
    shown = r.json()["attachments"][0]["filename"]
    assert shown == "file"


def test_a_part_with_only_filename_star_is_a_file(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = clerk
    body, headers = multipart(
        [
            (b'form-data; name="meta"', meta().encode()),
            (b"form-data; name=\"files\"; filename*=UTF-8''%E0%B8%AB%E0%B8%99%E0%B8%B1.pdf", thai_letter_pdf(pages=1)),
        ]
    )
    r = client.post(f"/api/v1/registries/{reg}/receive", headers={**h, **headers}, content=body)
    assert r.status_code == 201, r.text
    assert r.json()["attachments"][0]["filename"] == "หนั.pdf"


def test_an_image_that_is_only_a_png_signature_is_refused(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = clerk
    r = client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=h,
        data={"meta": meta()},
        files=[("files", ("scan.png", b"\x89PNG\r\n\x1a\n", "image/png"))],
    )
    assert r.status_code == 415, r.text
    assert "เสียหาย" in r.json()["detail_th"]


def test_a_good_image_is_still_stamped(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = clerk
    r = client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=h,
        data={"meta": meta()},
        files=[("files", ("scan.png", letter_png(), "image/png"))],
    )
    assert r.status_code == 201, r.text
    assert r.json()["attachments"][0]["stamp_status"] == "stamped"


@pytest.mark.parametrize(
    ("pdf", "flag"),
    [
        (active_pdf(), "javascript"),
        (active_pdf(javascript=False, launch=True), "launch"),
        (active_pdf(javascript=False, embedded=True), "embedded_file"),
    ],
)
def test_a_pdf_with_active_content_is_flagged_on_the_letter_page(
    clerk: tuple[TestClient, dict[str, str], int], pdf: bytes, flag: str
) -> None:
    client, h, reg = clerk
    r = client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=h,
        data={"meta": meta()},
        files=[("files", ("active.pdf", pdf, "application/pdf"))],
    )
    assert r.status_code == 201, r.text
    letter_id = r.json()["letter_id"]
    assert r.json()["attachments"][0]["active_content"] == [flag]
    assert client.get(f"/api/v1/letters/{letter_id}", headers=h).json()["attachments"][0]["active_content"] == [flag]
    client.post("/login", data={"username": "central", "password": "saraban-demo"})
    page = client.get(f"/letters/{letter_id}")
    assert page.status_code == 200
    assert "คำเตือน: ไฟล์ PDF นี้มีส่วนที่ทำงานได้เอง" in page.text


def test_an_ordinary_pdf_is_not_flagged(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = clerk
    r = client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=h,
        data={"meta": meta()},
        files=[("files", ("letter.pdf", thai_letter_pdf(pages=1), "application/pdf"))],
    )
    assert r.json()["attachments"][0]["active_content"] == []


def test_a_bomb_is_registered_unstamped_and_the_letter_page_says_why(
    clerk: tuple[TestClient, dict[str, str], int],
) -> None:
    client, h, reg = clerk
    r = client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=h,
        data={"meta": meta()},
        files=[("files", ("bomb.pdf", flate_bomb_pdf(40), "application/pdf"))],
    )
    assert r.status_code == 201, r.text
    att = r.json()["attachments"][0]
    assert (att["stamp_status"], att["stamped_id"]) == ("too_complex", None)
    client.post("/login", data={"username": "central", "password": "saraban-demo"})
    page = client.get(f"/letters/{r.json()['letter_id']}")
    assert "ไม่ได้ประทับตรา: เอกสารซับซ้อนเกินไป" in page.text


def test_the_budgets_come_from_the_settings_and_repair_keeps_them(make_saraban: MakeSaraban, tmp_path: Path) -> None:
    """A letter over SARABAN_STAMP_MAX_OPERATORS is registered unstamped; `verify --repair` tries again within the
    same budgets (still too complex), and stamps it once the budget allows."""
    app = make_saraban(stamp_max_operators=20)
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        r = client.post(
            f"/api/v1/registries/{reg}/receive",
            headers=h,
            data={"meta": meta()},
            files=[("files", ("letter.pdf", thai_letter_pdf(pages=1), "application/pdf"))],
        )
    assert r.json()["attachments"][0]["stamp_status"] == "too_complex"
    run = verify_with(app, tmp_path, "--repair", SARABAN_STAMP_MAX_OPERATORS="20")
    assert "re-stamped 0 attachment(s), 1 could not be stamped" in run.out, run.out
    assert "too_complex" in run.out
    env_budget = verify_with(app, tmp_path, "--repair", SARABAN_STAMP_MAX_OPERATORS="300000")
    assert "re-stamped 1 attachment(s), 0 could not be stamped" in env_budget.out, env_budget.out


def verify_with(app: Saraban, cwd: Path, *args: str, **settings: str) -> Any:
    from tests.cli import run_saraban

    env = {
        "SARABAN_DATA_DIR": str(app.settings.data_dir.resolve()),
        "SARABAN_DATABASE_URL": "",
        "COLUMNS": "400",
        "NO_COLOR": "1",
        **settings,
    }
    p = run_saraban(["verify", *args], env=env, cwd=cwd)
    return type("Run", (), {"code": p.returncode, "out": p.stdout + p.stderr})


def test_the_web_receive_form_refuses_someone_without_the_right(client: TestClient) -> None:
    h = login(client, "central")
    reg = registry_id(client, h, "central")
    client.post("/login", data={"username": "auditor", "password": "saraban-demo"})
    r = client.post(
        f"/registers/{reg}/receive",
        data={"subject": "x", "csrf": "whatever"},
        files=[("files", ("x.exe", b"MZ" + b"\0" * 1000, "application/octet-stream"))],
    )
    assert r.status_code == 403, r.text


def test_a_large_form_is_refused_before_it_is_read(client: TestClient) -> None:
    """Forms and JSON parsed by the framework (the archive's forms, sign-in, routing) are bounded too (for someone
    with the right: the others are refused before the body, ``tests/web/test_write_gate.py``)."""
    client.post("/login", data={"username": "records", "password": "saraban-demo"})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = client.post("/archive/file", content=b"a=" + b"x" * (2 * 1024 * 1024), headers=form)
    assert r.status_code == 413
    h = login(client, "central")
    big = b'{"a": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    r = client.post("/api/v1/outgoing", headers={**h, "Content-Type": "application/json"}, content=big)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_large_form_sent_chunked_is_cut_off(client: TestClient) -> None:
    client.post("/login", data={"username": "records", "password": "saraban-demo"})

    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 65536

    r = client.post("/archive/file", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_files_for_an_outgoing_letter_from_someone_without_the_right_are_refused_first(
    clerk: tuple[TestClient, dict[str, str], int],
) -> None:
    client, h, _ = clerk
    send = registry_id(client, h, "office-send")
    body = {
        "registry_id": send,
        "subject": "ร่าง",
        "letter_type": "external",
        "recipients": [{"name": "a", "address": "b"}],
    }
    letter = client.post("/api/v1/outgoing", headers=h, json=body).json()["letter_id"]
    auditor = login(client, "auditor")
    r = client.post(
        f"/api/v1/outgoing/{letter}/files",
        headers=auditor,
        files=[("files", ("x.exe", b"MZ" + b"\0" * 1000, "application/octet-stream"))],
    )
    assert r.status_code in (403, 404), r.text


def test_a_second_image_over_the_pixel_budget_is_kept_but_not_read(
    clerk: tuple[TestClient, dict[str, str], int],
) -> None:
    """Only the main document is stamped; any other image over the pixel budget is marked too complex at upload, so
    the indexer does not decode it either."""
    client, h, reg = clerk
    r = client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=h,
        data={"meta": meta()},
        files=[
            ("files", ("letter.pdf", thai_letter_pdf(pages=1), "application/pdf")),
            ("files", ("bomb.png", pixel_bomb_png(13000), "image/png")),
        ],
    )
    assert r.status_code == 201, r.text
    main, second = r.json()["attachments"]
    assert main["stamp_status"] == "stamped"
    assert second["stamp_status"] == "too_complex"


def test_a_form_that_takes_no_files_refuses_them_as_they_arrive(client: TestClient) -> None:
    client.post("/login", data={"username": "central", "password": "saraban-demo"})
    r = client.post(
        "/outgoing/new",
        data={"subject": "ร่าง", "csrf": "x"},
        files=[("files", ("big.pdf", b"%PDF-1.4\n" + b"x" * 200_000, "application/pdf"))],
    )
    assert r.status_code == 413
