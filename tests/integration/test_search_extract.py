"""Text extraction from real generated files: a Thai text PDF (fpdf2 + shaping) and a scanned PDF / image (OCR)."""

from __future__ import annotations

from pathlib import Path

import fontpkg_sarabun
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from search.extract import extract_text, ocr_available
from search.thai import normalize
from tests.conftest import need

FONT = Path(fontpkg_sarabun.__file__).parent / "files" / "Sarabun-Regular.ttf"
BODY = "ขอเชิญส่งนักเรียนเข้ารับทุนการศึกษา ประจำปี ๒๕๖๕"


def _text_pdf(path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("Sarabun", "", str(FONT))
    pdf.set_font("Sarabun", size=16)
    pdf.set_text_shaping(True)
    pdf.multi_cell(0, 8, f"ที่ ศธ ๐๔๐๒๙/๑๒๓\nเรื่อง {BODY}\nเรียน ผู้อำนวยการโรงเรียนบ้านหนองแดง")
    pdf.output(str(path))


def _scan_image(path: Path) -> None:
    # A4 at ~200 dpi, large clean Thai text
    img = Image.new("L", (1654, 700), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), 56)
    draw.text((100, 100), "เรื่อง ทุนการศึกษา", font=font, fill=0)
    draw.text((100, 250), "โรงเรียนบ้านหนองแดง ขอรายงานผล", font=font, fill=0)
    img.save(path, dpi=(200, 200))


def test_text_pdf(tmp_path: Path) -> None:
    pdf = tmp_path / "letter.pdf"
    _text_pdf(pdf)
    got = extract_text(pdf, "application/pdf")
    assert got.status == "ok"
    text = normalize(got.text)
    assert "ทุนการศึกษา" in text
    assert "04029/123" in text
    assert "หนองแดง" in text


def test_unknown_type_and_broken_file(tmp_path: Path) -> None:
    f = tmp_path / "x.bin"
    f.write_bytes(b"\x00\x01")
    assert extract_text(f, "application/octet-stream").status == "no-text"
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    got = extract_text(bad, "application/pdf", ocr=False)
    assert got.status in {"no-text", "ok"} or got.status.startswith("error")


def test_ocr_scanned_pdf_and_image(tmp_path: Path) -> None:
    need(ocr_available(), "tesseract with the Thai model (tha) is not installed")
    png = tmp_path / "scan.png"
    _scan_image(png)
    got = extract_text(png, "image/png")
    assert got.status == "ocr", got
    assert "ทุน" in normalize(got.text) or "หนองแดง" in normalize(got.text), got.text

    pdf = tmp_path / "scan.pdf"
    with Image.open(png) as im:
        im.convert("RGB").save(pdf, "PDF", resolution=200.0)
    got = extract_text(pdf, "application/pdf")
    assert got.status == "ocr", got
    text = normalize(got.text).replace(" ", "")
    assert "ทุนการศึกษา" in text or "หนองแดง" in text, got.text
    assert extract_text(pdf, "application/pdf", ocr=False).status == "no-text"
