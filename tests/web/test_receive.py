"""POST /api/v1/registries/{id}/receive over the real app (SQLite, local object store, real PDFs and images).

Happy paths, the stamped copy (acceptance: text and position read back with ``pdftotext -bbox``), bad input
that must leave no trace (no number, no object, no temp file), and the register export.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from service.app import create_app
from service.context import Saraban
from service.registers.entries import COLUMNS, COLUMNS_TH
from tests.conftest import MakeSaraban, login, needs_poppler, registry_id
from tests.samples import corrupt_pdf, encrypted_pdf, exe_bytes, letter_jpeg, letter_png, thai_letter_pdf

BANGKOK = ZoneInfo("Asia/Bangkok")
NOW = datetime(2025, 6, 16, 10, 30, tzinfo=BANGKOK)  # B.E. 2568
NOW_BE = 2568
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


FileSpec = tuple[str, tuple[str, bytes, str]]


def meta(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "letter_no": "ศธ ๐๔๐๔๕/๑๒๓",
        "letter_date": "๒๓ มีนาคม ๒๕๖๕",
        "sender": "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน",
        "recipient": "ผู้อำนวยการสำนักงานเขตพื้นที่การศึกษา",
        "subject": "ขอความอนุเคราะห์ข้อมูลนักเรียนทุนการศึกษา",
        "summary": "ขอให้รายงานข้อมูลนักเรียนทุน",
        "letter_type": "external",
        "urgency": "ด่วน",
        "secrecy": "",
        "channel": "paper",
        "remarks": "",
    }
    base.update(overrides)
    return base


def pdf_part(data: bytes, name: str = "letter.pdf") -> FileSpec:
    return ("files", (name, data, "application/pdf"))


def receive(
    client: TestClient,
    headers: dict[str, str],
    reg: int,
    m: dict[str, Any] | None = None,
    files: list[FileSpec] | None = None,
) -> httpx.Response:
    parts = [meta_part(m if m is not None else meta()), *(files or [])]
    return client.post(f"/api/v1/registries/{reg}/receive", headers=headers, files=parts)


def meta_part(m: dict[str, Any] | str) -> tuple[str, tuple[None, str]]:
    """The meta JSON as a plain multipart field (no file name)."""
    return ("meta", (None, m if isinstance(m, str) else json.dumps(m, ensure_ascii=False)))


def ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def fixed(saraban: Saraban) -> Saraban:
    saraban.clock = lambda: NOW
    return saraban


@pytest.fixture
def clerk(fixed: Saraban, client: TestClient) -> tuple[TestClient, dict[str, str], int]:
    h = login(client, "central")
    return client, h, registry_id(client, h, "central")


# ---------------------------------------------------------------------------------------------- happy paths


def test_metadata_only(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = clerk
    body = ok(receive(client, h, reg))
    assert body["attachments"] == []
    registration = body["registration"]
    assert registration["registry_id"] == reg
    assert registration["number"] == 1
    assert registration["year"] == NOW_BE  # Buddhist era, from the clock in Bangkok time
    assert registration["registered_at"].startswith("2025-06-16T10:30")
    letter = client.get(f"/api/v1/letters/{body['letter_id']}", headers=h).json()
    assert letter["subject"] == "ขอความอนุเคราะห์ข้อมูลนักเรียนทุนการศึกษา"
    assert letter["urgency_level"] == 2
    assert letter["secrecy_level"] == 0
    assert letter["letter_date"] == "2022-03-23"
    assert ok(receive(client, h, reg))["registration"]["number"] == 2


def test_pdf_is_stored_verbatim_and_stamped(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = clerk
    original = thai_letter_pdf(pages=2)
    body = ok(receive(client, h, reg, files=[pdf_part(original)]))
    [att] = body["attachments"]
    assert att["sha256"] == sha(original)
    assert att["size"] == len(original)
    assert att["media_type"] == "application/pdf"
    assert att["pages"] == 2
    assert att["stamped_id"] is not None
    content = client.get(f"/api/v1/attachments/{att['id']}/content", headers=h)
    assert content.status_code == 200
    assert sha(content.content) == sha(original)
    stamped = client.get(f"/api/v1/attachments/{att['id']}/stamped", headers=h)
    assert stamped.status_code == 200
    assert stamped.headers["content-type"] == "application/pdf"
    assert stamped.content.startswith(b"%PDF") and stamped.content != original
    assert len(PdfReader(io.BytesIO(stamped.content)).pages) == 2


def test_password_pdf_is_refused_with_the_reason(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = clerk
    r = receive(client, h, reg, files=[pdf_part(encrypted_pdf("secret"))])
    assert r.status_code == 415 and r.headers["content-type"].startswith("application/problem+json")
    assert "password" in r.json()["detail"]


def test_owner_password_pdf_is_kept_and_stamped(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    """Issued PDFs often carry "no editing" restrictions (an owner password, no user password): registered,
    kept byte for byte, and stamped on a decrypted copy."""
    client, h, reg = clerk
    original = encrypted_pdf("")
    [att] = ok(receive(client, h, reg, files=[pdf_part(original)]))["attachments"]
    assert att["sha256"] == sha(original) and att["pages"] == 2
    assert att["stamped_id"] is not None
    assert sha(client.get(f"/api/v1/attachments/{att['id']}/content", headers=h).content) == sha(original)
    stamped = client.get(f"/api/v1/attachments/{att['id']}/stamped", headers=h)
    assert stamped.status_code == 200
    reader = PdfReader(io.BytesIO(stamped.content))
    assert not reader.is_encrypted and len(reader.pages) == 2


@pytest.mark.parametrize(
    ("make", "name", "ctype", "media"),
    [
        (letter_png, "scan.png", "image/png", "image/png"),
        (letter_jpeg, "scan.jpg", "image/jpeg", "image/jpeg"),
    ],
)
def test_image_gets_a_stamped_pdf(
    clerk: tuple[TestClient, dict[str, str], int], make: Callable[[], bytes], name: str, ctype: str, media: str
) -> None:
    client, h, reg = clerk
    image = make()
    body = ok(receive(client, h, reg, files=[("files", (name, image, ctype))]))
    [att] = body["attachments"]
    assert att["media_type"] == media
    assert att["sha256"] == sha(image)
    assert att["stamped_id"] is not None
    assert sha(client.get(f"/api/v1/attachments/{att['id']}/content", headers=h).content) == sha(image)
    stamped = client.get(f"/api/v1/attachments/{att['id']}/stamped", headers=h)
    assert stamped.status_code == 200
    assert stamped.content.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(stamped.content)).pages) == 1


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("รายชื่อนักเรียน.txt", "ชื่อ นามสกุล\n")
    return buf.getvalue()


def test_multiple_files_only_first_pdf_or_image_is_stamped(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = clerk
    parts = [
        ("files", ("list.zip", _zip_bytes(), "application/zip")),
        pdf_part(thai_letter_pdf(pages=1), "main.pdf"),
        ("files", ("scan.png", letter_png(), "image/png")),
        pdf_part(thai_letter_pdf(pages=3), "annex.pdf"),
    ]
    body = ok(receive(client, h, reg, files=parts))
    atts = body["attachments"]
    assert [a["filename"] for a in atts] == ["list.zip", "main.pdf", "scan.png", "annex.pdf"]
    assert [a["media_type"] for a in atts] == ["application/zip", "application/pdf", "image/png", "application/pdf"]
    assert [a["stamped_id"] is not None for a in atts] == [False, True, False, False]
    for a, (_, (_, data, _)) in zip(atts, parts, strict=True):
        assert a["sha256"] == sha(data)
        assert client.get(f"/api/v1/attachments/{a['id']}/content", headers=h).content == data
    assert client.get(f"/api/v1/attachments/{atts[2]['id']}/stamped", headers=h).status_code == 404


@pytest.mark.parametrize("raw", ["23 มี.ค. 2565", "๒๓ มีนาคม ๒๕๖๕", "2022-03-23", "๒๓ มี.ค. ๒๕๖๕", "23/3/2565"])
def test_thai_dates_are_the_same_date(clerk: tuple[TestClient, dict[str, str], int], raw: str) -> None:
    client, h, reg = clerk
    body = ok(receive(client, h, reg, meta(letter_date=raw)))
    letter = client.get(f"/api/v1/letters/{body['letter_id']}", headers=h).json()
    assert letter["letter_date"] == date(2022, 3, 23).isoformat()


def test_letter_numbers_in_thai_and_arabic_digits_compare_equal(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = clerk
    views = []
    for raw in ("ศธ ๐๔๐๔๕/๑๒๓", "ศธ04045/123", "ศธ 04045 / 123"):
        body = ok(receive(client, h, reg, meta(letter_no=raw)))
        views.append(client.get(f"/api/v1/letters/{body['letter_id']}", headers=h).json())
    assert views[0]["letter_no"] == "ศธ ๐๔๐๔๕/๑๒๓"  # as typed
    assert views[1]["letter_no"] == "ศธ04045/123"
    norms = {v["letter_no_normalised"] for v in views}
    assert norms == {"ศธ04045/123"}


# ---------------------------------------------------------------------------------------------- the stamp


@dataclass(frozen=True)
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def bbox_words(pdf: Path, page: int) -> tuple[float, float, list[Word]]:
    out = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    size = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', out)
    assert size, out[:500]
    words = [
        Word(float(a), float(b), float(c), float(d), t)
        for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out
        )
    ]
    return float(size.group(1)), float(size.group(2)), words


def page_text(pdf: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@needs_poppler
@pytest.mark.parametrize("layout", ["standard", "body-to-margin"])
def test_stamped_pdf_acceptance(clerk: tuple[TestClient, dict[str, str], int], tmp_path: Path, layout: str) -> None:
    client, h, reg = clerk
    for _ in range(6):  # the stamp must show a number of its own, not 1 by chance
        ok(receive(client, h, reg))
    original = thai_letter_pdf(pages=3, body_to_margin=layout == "body-to-margin")
    body = ok(receive(client, h, reg, files=[pdf_part(original)]))
    number = body["registration"]["number"]
    assert number == 7
    [att] = body["attachments"]
    stamped = client.get(f"/api/v1/attachments/{att['id']}/stamped", headers=h).content
    src, out = tmp_path / "original.pdf", tmp_path / "stamped.pdf"
    src.write_bytes(original)
    out.write_bytes(stamped)

    # Page 1 carries เลขรับ and the number in Thai digits, inside the top-right quarter.
    width, height, words = bbox_words(out, 1)
    labels = [i for i, w in enumerate(words) if w.text == "เลขรับ"]
    assert len(labels) == 1, [w.text for w in words][:40]
    label = words[labels[0]]
    value = words[labels[0] + 1]
    assert value.text == str(number).translate(THAI_DIGITS)
    assert abs(value.y0 - label.y0) < 2  # the same line
    for w in (label, value):
        assert w.x0 >= width / 2 and w.x1 <= width, (w, width)
        assert w.y0 >= 0 and w.y1 <= height / 2, (w, height)
    # The stamp's date line shows the receive date (Thai digits, B.E.).
    assert "๑๖ มิ.ย. ๒๕๖๘" in page_text(out, 1)
    assert "เลขรับ" not in page_text(src, 1)

    # Pages 2..N are unchanged: same text, same content streams, same boxes.
    before, after = PdfReader(src), PdfReader(out)
    assert len(after.pages) == len(before.pages) == 3
    for i in range(1, 3):
        assert page_text(out, i + 1) == page_text(src, i + 1)
        assert after.pages[i].get_contents().get_data() == before.pages[i].get_contents().get_data()  # type: ignore[union-attr]
        assert list(after.pages[i].mediabox) == list(before.pages[i].mediabox)
    # Page 1 keeps all its own text: the stamp is added, nothing is removed.
    original_words = {w for w in page_text(src, 1).split() if len(w) > 3}
    stamped_words = set(page_text(out, 1).split())
    assert len(original_words - stamped_words) <= 2, original_words - stamped_words

    # The original stays byte for byte what was uploaded.
    got = client.get(f"/api/v1/attachments/{att['id']}/content", headers=h).content
    assert sha(got) == sha(original) == att["sha256"]
    assert stamped.startswith(original)  # written incrementally: signatures on the original stay valid


@needs_poppler
def test_stamped_scan_carries_the_number(clerk: tuple[TestClient, dict[str, str], int], tmp_path: Path) -> None:
    client, h, reg = clerk
    ok(receive(client, h, reg))
    body = ok(receive(client, h, reg, files=[("files", ("scan.jpg", letter_jpeg(), "image/jpeg"))]))
    stamped = client.get(f"/api/v1/attachments/{body['attachments'][0]['id']}/stamped", headers=h).content
    out = tmp_path / "stamped.pdf"
    out.write_bytes(stamped)
    width, height, words = bbox_words(out, 1)
    i = next(i for i, w in enumerate(words) if w.text == "เลขรับ")
    assert words[i + 1].text == "๒"
    assert words[i].x0 >= width / 2 and words[i].y1 <= height / 2


# ---------------------------------------------------------------------------------------------- bad input

MAX_FILE_MB = 1
MAX_FILES = 3


@dataclass
class Office:
    app: Saraban
    client: TestClient
    headers: dict[str, str]
    reg: int

    def numbers(self) -> list[int]:
        r = self.client.get(f"/api/v1/registries/{self.reg}/entries", params={"year": NOW_BE}, headers=self.headers)
        assert r.status_code == 200, r.text
        return [e["number"] for e in r.json()["entries"]]

    def tmp_files(self) -> list[Path]:
        return sorted(self.app.tmp_dir.rglob("*")) if self.app.tmp_dir.exists() else []


@pytest.fixture
def small_office(make_saraban: MakeSaraban) -> Iterator[Office]:
    app = make_saraban(max_file_mb=MAX_FILE_MB, max_files=MAX_FILES)
    app.clock = lambda: NOW
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        yield Office(app, client, h, registry_id(client, h, "central"))


Send = Callable[[Office], httpx.Response]


def _post(
    m: dict[str, Any] | None = None,
    files: list[FileSpec] | None = None,
    *,
    raw_meta: str | None = None,
    no_meta: bool = False,
    headers: dict[str, str] | None = None,
) -> Send:
    def send(o: Office) -> httpx.Response:
        parts: list[Any] = [] if no_meta else [meta_part(raw_meta if raw_meta is not None else (m or meta()))]
        parts += files or [("remarks", (None, "no meta here"))]
        return o.client.post(
            f"/api/v1/registries/{o.reg}/receive", files=parts, headers=o.headers if headers is None else headers
        )

    return send


def _bad_password(o: Office) -> httpx.Response:
    return o.client.post("/api/v1/auth/token", data={"username": "central", "password": "wrong-password"})


def _oversized() -> bytes:
    return b"%PDF-1.7\n" + bytes(range(256)) * (MAX_FILE_MB * 4096 + 64)  # a little over the limit


def _missing(key: str) -> dict[str, Any]:
    m = meta()
    del m[key]
    return m


@dataclass(frozen=True)
class Bad:
    id: str
    send: Send
    status: int
    code: str
    stages: bool = field(default=False)


BAD = [
    Bad("corrupt-pdf", _post(files=[pdf_part(corrupt_pdf())]), 415, "invalid_file"),
    Bad("exe-renamed-pdf", _post(files=[pdf_part(exe_bytes(), "letter.pdf")]), 415, "invalid_file"),
    Bad("password-pdf", _post(files=[pdf_part(encrypted_pdf("secret"))]), 415, "invalid_file"),
    Bad(
        "good-pdf-then-corrupt",
        _post(files=[pdf_part(thai_letter_pdf()), pdf_part(corrupt_pdf(), "b.pdf")]),
        415,
        "invalid_file",
    ),
    Bad("empty-file", _post(files=[pdf_part(b"", "empty.pdf")]), 415, "invalid_file"),
    Bad("oversized", _post(files=[pdf_part(_oversized(), "big.pdf")]), 413, "too_large"),
    Bad(
        "good-then-oversized",
        _post(files=[pdf_part(thai_letter_pdf()), pdf_part(_oversized(), "big.pdf")]),
        413,
        "too_large",
    ),
    Bad(
        "too-many-files",
        _post(files=[pdf_part(thai_letter_pdf(), f"{i}.pdf") for i in range(MAX_FILES + 1)]),
        413,
        "too_large",
    ),
    Bad("missing-subject", _post(_missing("subject")), 422, "invalid_input"),
    Bad("empty-subject", _post(meta(subject="   ")), 422, "invalid_input"),
    Bad("missing-sender", _post(_missing("sender")), 422, "invalid_input"),
    Bad("unknown-urgency", _post(meta(urgency="ด่วนมากๆ")), 422, "invalid_input"),
    Bad("unknown-letter-type", _post(meta(letter_type="จดหมายรัก")), 422, "invalid_input"),
    Bad("bad-date", _post(meta(letter_date="๓๒ มีนาคม ๒๕๖๕")), 422, "invalid_input"),
    Bad("unknown-field", _post(meta(colour="red")), 422, "invalid_input"),
    Bad(
        "secret-in-central",
        _post(meta(secrecy="ลับ"), [pdf_part(thai_letter_pdf())]),
        422,
        "secret_requires_secret_registry",
    ),
    Bad("legacy-pokpit-in-central", _post(meta(secrecy="ปกปิด")), 422, "secret_requires_secret_registry"),
    Bad("garbled-thai", _post(meta(subject="à¸—à¸”à¸ªà¸­à¸š")), 422, "invalid_input"),
    Bad("meta-not-json", _post(raw_meta="{subject: ทดสอบ"), 422, "invalid_input"),
    Bad("meta-not-object", _post(raw_meta='["ทดสอบ"]'), 422, "invalid_input"),
    Bad("missing-meta", _post(no_meta=True, files=[pdf_part(thai_letter_pdf())]), 422, "invalid_input"),
    Bad("wrong-password", _bad_password, 401, "bad_credentials"),
    Bad("no-token", _post(files=[pdf_part(thai_letter_pdf())], headers={}), 401, "unauthenticated"),
    Bad(
        "bad-token",
        _post(files=[pdf_part(thai_letter_pdf())], headers={"Authorization": "Bearer not-a-token"}),
        401,
        "token_invalid",
    ),
]


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_bad_input_leaves_no_trace(small_office: Office, case: Bad) -> None:
    o = small_office
    ok(receive(o.client, o.headers, o.reg))
    numbers = o.numbers()
    assert numbers == [1]
    keys = set(o.app.store.keys())

    r = case.send(o)

    assert r.status_code == case.status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == case.code, problem
    assert problem["status"] == case.status
    assert {"type", "title", "detail"} <= problem.keys()
    assert problem["detail"]
    assert o.numbers() == numbers  # no new register entry
    assert set(o.app.store.keys()) == keys  # no new object
    assert o.tmp_files() == []  # no staged upload left behind

    # The next good registration takes the next number: the failure consumed none.
    body = ok(receive(o.client, o.headers, o.reg, files=[pdf_part(thai_letter_pdf())]))
    assert body["registration"]["number"] == 2
    assert o.numbers() == [1, 2]
    assert o.tmp_files() == []


def test_secret_letter_goes_to_the_secret_registry(small_office: Office) -> None:
    o = small_office
    h = login(o.client, "secret")
    secret_reg = registry_id(o.client, h, "secret")
    body = ok(receive(o.client, h, secret_reg, meta(secrecy="ปกปิด")))  # abolished label, counts as ลับ
    assert body["registration"]["number"] == 1
    assert o.client.get(f"/api/v1/letters/{body['letter_id']}", headers=h).json()["secrecy_level"] == 1
    # the central clerk neither sees that registry nor can register into it
    r = receive(o.client, o.headers, secret_reg, meta(secrecy="ลับ"))
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert o.numbers() == []


def test_declared_oversized_body_is_refused_before_reading(small_office: Office) -> None:
    o = small_office
    big = b"%PDF-1.7\n" + b"\0" * ((MAX_FILES * MAX_FILE_MB + 5) * 1024 * 1024)
    r = receive(o.client, o.headers, o.reg, files=[pdf_part(big)])
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    assert list(o.app.store.keys()) == [] and o.tmp_files() == []
    assert ok(receive(o.client, o.headers, o.reg))["registration"]["number"] == 1


# ---------------------------------------------------------------------------------------------- register export


SUBJECTS = ("ขอเชิญประชุมคณะกรรมการ", "รายงานผลการดำเนินงาน", "ขอความอนุเคราะห์ข้อมูล")


@pytest.fixture
def registered(clerk: tuple[TestClient, dict[str, str], int]) -> tuple[TestClient, dict[str, str], int]:
    client, h, reg = clerk
    for i, subject in enumerate(SUBJECTS, start=1):
        ok(receive(client, h, reg, meta(subject=subject, letter_no=f"ศธ ๐๔๐๔๕/{i}")))
    return clerk


def test_register_json(registered: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = registered
    r = client.get(f"/api/v1/registries/{reg}/entries", params={"year": NOW_BE, "format": "json"}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["year"] == NOW_BE
    rows = body["entries"]
    assert [e["number"] for e in rows] == [1, 2, 3]
    assert [e["subject"] for e in rows] == list(SUBJECTS)
    for e in rows:
        assert set(COLUMNS) <= e.keys()
        assert e["letter_date"] == "23 มี.ค. 2565"
        assert e["sender"] == "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน"
    # the year may be given in Thai digits or C.E.; another year is empty
    thai = client.get(f"/api/v1/registries/{reg}/entries", params={"year": "๒๕๖๘"}, headers=h).json()
    assert [e["number"] for e in thai["entries"]] == [1, 2, 3]
    assert client.get(f"/api/v1/registries/{reg}/entries", params={"year": 2025}, headers=h).json()["year"] == NOW_BE
    assert client.get(f"/api/v1/registries/{reg}/entries", params={"year": 2567}, headers=h).json()["entries"] == []


def test_register_csv(registered: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = registered
    r = client.get(f"/api/v1/registries/{reg}/entries", params={"year": NOW_BE, "format": "csv"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8")  # opens as UTF-8 (with a BOM for Excel)
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == list(COLUMNS_TH)
    assert rows[0][0] == "เลขทะเบียนรับ"
    assert [row[0] for row in rows[1:]] == ["1", "2", "3"]
    assert [row[COLUMNS.index("subject")] for row in rows[1:]] == list(SUBJECTS)


@needs_poppler
def test_register_pdf(registered: tuple[TestClient, dict[str, str], int], tmp_path: Path) -> None:
    client, h, reg = registered
    r = client.get(f"/api/v1/registries/{reg}/entries", params={"year": NOW_BE, "format": "pdf"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    out = tmp_path / "register.pdf"
    out.write_bytes(r.content)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    # poppler puts a space inside สำ/ดำ (the SARA AM glyph pair): compare without white space
    squeezed = re.sub(r"\s+", "", text)
    assert "เลขทะเบียนรับ" in squeezed
    for subject in SUBJECTS:
        assert re.sub(r"\s+", "", subject) in squeezed, text
