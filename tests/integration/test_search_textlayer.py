"""A Thai PDF whose text layer is broken the way word processors break it is still found by its words, and its
snippet reads them whole (search/textlayer.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import fontpkg_sarabun
import pytest
from fastapi.testclient import TestClient
from fpdf import FPDF

from search.extract import extract_text
from search.textlayer import repair_text_layer
from service.app import create_app
from tests.conftest import MakeSaraban, login, need, registry_id

FONT = Path(fontpkg_sarabun.__file__).parent / "files" / "Sarabun-Regular.ttf"


@pytest.mark.parametrize(
    ("layer", "seen"),
    [
        ("ดำ เนินงาน", "ดำเนินงาน"),  # a space after ำ
        ("ผู้อำ นวยการสำ นักงาน", "ผู้อำนวยการสำนักงาน"),
        ("ดำ\nเนินงาน", "ดำเนินงาน"),  # a line break after ำ
        ("ดํ า เนินงาน", "ดำเนินงาน"),  # ำ split into ํ + า with a space, then a space after it
        ("ดําเนินงาน", "ดำเนินงาน"),  # ำ split without a space
        ("ก ่อน", "ก่อน"),  # a space before a tone mark
        ("ผู ้อำนวยการ", "ผู้อำนวยการ"),  # before a tone mark over a lower vowel
        ("ท\uf70bอง", "ท้อง"),  # old fonts' shifted-down mai tho
        ("ป\uf713า", "ป่า"),  # shifted-left mai ek
        ("\uf70fาติ", "ญาติ"),  # ญ without its tail
        ("\uf700าน", "ฐาน"),  # ฐ without its tail
        ("ก\uf710น", "กัน"),  # shifted mai han akat
        # whole words keep their spaces
        ("ทำ  งาน", "ทำ  งาน"),  # two spaces: a real gap
        ("กำหนด การ", "กำหนด การ"),
        ("ประชุม 10 ท่าน", "ประชุม 10 ท่าน"),
        ("ทำ 5 ชุด", "ทำ 5 ชุด"),  # ำ then a digit
        ("สำหรับ ABC", "สำหรับ ABC"),
        ("", ""),
    ],
)
def test_repair_text_layer(layer: str, seen: str) -> None:
    assert repair_text_layer(layer) == seen


BROKEN = "เรื่อง ขอให้ดำ เนินงานตามแผน\nเรียน ผู้อำ นวยการโรงเรียนบ้านหนองแดง\nสำ นักงานเขตพื้นที่การศึกษาขอให้ดำ เนินงาน"


def _broken_pdf(path: Path) -> None:
    """A Thai PDF whose text layer has a space after every ำ that ends a run, as Word-made PDFs do."""
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("Sarabun", "", str(FONT))
    pdf.set_font("Sarabun", size=16)
    pdf.set_text_shaping(True)
    pdf.multi_cell(0, 8, BROKEN)
    pdf.output(str(path))


def test_extraction_repairs_the_layer(tmp_path: Path) -> None:
    need(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is not installed")
    pdf = tmp_path / "broken.pdf"
    _broken_pdf(pdf)
    got = extract_text(pdf, "application/pdf", ocr=False)
    assert got.status == "ok"
    assert "ดำเนินงาน" in got.text and "ผู้อำนวยการ" in got.text and "สำนักงาน" in got.text
    assert "ดำ เนิน" not in got.text


def test_broken_layer_found_by_whole_words_with_whole_snippets(tmp_path: Path, make_saraban: MakeSaraban) -> None:
    need(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is not installed")
    pdf = tmp_path / "broken.pdf"
    _broken_pdf(pdf)
    app = make_saraban(with_indexer=True)
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        meta = {"sender": "สพฐ.", "subject": "แผนงานประจำปี"}
        r = client.post(
            f"/api/v1/registries/{registry_id(client, h, 'central')}/receive",
            headers=h,
            data={"meta": json.dumps(meta)},
            files=[("files", ("broken.pdf", pdf.read_bytes(), "application/pdf"))],
        )
        assert r.status_code == 201, r.text
        letter = r.json()["letter_id"]
        assert app.indexer is not None and app.indexer.wait_idle(120)
        for word in ("ดำเนินงาน", "ผู้อำนวยการ"):
            body = client.get("/api/v1/search", params={"q": word}, headers=h).json()
            hits = [x for x in body["results"] if x["letter_id"] == letter]
            assert hits, (word, body)
            snippet = hits[0]["snippet"].replace("<mark>", "").replace("</mark>", "")
            assert word in snippet and "ดำ เนิน" not in snippet and "อำ นวย" not in snippet, snippet
