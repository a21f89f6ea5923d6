"""Stamping odd PDFs: how page 1 is read (one pass over its content), and the incremental update written."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
)

from service.pdf.content import _operations, _read_page
from service.pdf.fonts import thai_font
from service.receiving.stamp import MM, ReceiveStamp, image_to_pdf, stamp_pdf
from tests.conftest import needs_poppler
from tests.samples import thai_letter_pdf

BKK = ZoneInfo("Asia/Bangkok")
STAMP = ReceiveStamp("สพป.ขอนแก่น เขต ๕", 42, datetime(2026, 3, 23, 9, 37, tzinfo=BKK))
PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")

Box = tuple[float, float, float, float]


def _poppler(tool: str | None, *args: str) -> bytes:
    assert tool is not None
    run = subprocess.run([tool, *args], check=True, capture_output=True, timeout=60)
    assert not run.stderr, run.stderr  # poppler reports broken xrefs, objects and fonts on stderr
    return run.stdout


def _text(path: Path, page: int = 1) -> str:
    return _poppler(PDFTOTEXT, "-f", str(page), "-l", str(page), "-raw", str(path), "-").decode()


def _render(path: Path, dpi: int = 50) -> Image.Image:
    png = _poppler(PDFTOPPM, "-f", "1", "-l", "1", "-r", str(dpi), "-png", str(path))
    return Image.open(io.BytesIO(png)).convert("L")


def _changed(before: Path, after: Path, dpi: int = 50) -> Box:
    """Where page 1 changed as displayed, in points from the top-left."""
    diff = ImageChops.difference(_render(before, dpi), _render(after, dpi)).point(lambda p: 255 if p > 24 else 0)
    bbox = diff.getbbox()
    assert bbox is not None, "page 1 did not change"
    k = 72 / dpi
    return bbox[0] * k, bbox[1] * k, bbox[2] * k, bbox[3] * k


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _stream(writer: PdfWriter, data: bytes, **entries: Any) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    for key, value in entries.items():
        stream[NameObject("/" + key)] = value
    return writer._add_object(stream)


def _helvetica(writer: PdfWriter) -> DictionaryObject:
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    return DictionaryObject({NameObject("/F1"): writer._add_object(font)})


def _saved(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ----------------------------------------------------------------------------------------------------
# reading page 1


def test_tokenizer_reads_content_stream_syntax() -> None:
    content = (
        b"BT /F1 14.00 Tf 1 0 0 1 96.93 686.04 Tm (a\\(b\\051\\n) Tj [<00 01> -10 (x(y)z) 5] TJ ET\n"
        b'q 0 0 (s) " BI /W 10 /H 2 /IM true ID \x00\x01EI\xff EI Q\n'
        b"/P <</MCID 0 /X true>> BDC EMC % a comment (with a parenthesis\n"
        b"1 2 re f -.5 +.5 m <4 1> Tj /A#20B Do"
    )
    assert list(_operations(content)) == [
        ([], b"BT"),
        (["/F1", 14.0], b"Tf"),
        ([1.0, 0.0, 0.0, 1.0, 96.93, 686.04], b"Tm"),
        ([b"a(b)\n"], b"Tj"),
        ([[b"\x00\x01", -10.0, b"x(y)z", 5.0]], b"TJ"),
        ([], b"ET"),
        ([], b"q"),
        ([0.0, 0.0, b"s"], b'"'),
        ([], b"BI"),
        (["/W", 10.0, "/H", 2.0, "/IM"], b"true"),
        ([], b"INLINE IMAGE"),
        ([], b"Q"),
        (["/P", ["/MCID", 0.0, "/X", None]], b"BDC"),
        ([], b"EMC"),
        ([1.0, 2.0], b"re"),
        ([], b"f"),
        ([-0.5, 0.5], b"m"),
        ([b"A"], b"Tj"),
        (["/A B"], b"Do"),
    ]


def _text_page(tmp_path: Path) -> Path:
    """Text shown with every positioning operator, with a scaled text matrix, inside q/cm, and in a form."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    fonts = _helvetica(writer)
    form = _stream(
        writer,
        b"BT /F1 12 Tf 0 0 Td (inside the form) Tj ET",
        Type=NameObject("/XObject"),
        Subtype=NameObject("/Form"),
        BBox=ArrayObject([NumberObject(v) for v in (0, 0, 300, 100)]),
        Matrix=ArrayObject([FloatObject(v) for v in (1, 0, 0, 1, 20, 30)]),
        Resources=DictionaryObject({NameObject("/Font"): fonts}),
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): fonts, NameObject("/XObject"): DictionaryObject({NameObject("/Fm1"): form})}
    )
    content = b"""
        BT /F1 12 Tf 72 760 Td (Hello world) Tj 0 -20 Td [(Kerned) -300 (words)] TJ 14 TL T* (next line) Tj
        (quoted line) ' 2 1 (double quoted) " ET
        BT /F1 1 Tf 12 0 0 12 300 600 Tm (scaled matrix) Tj ET
        BT /F1 12 Tf 50 Tz 72 500 Td (squeezed words here) Tj ET
        q 1 0 0 1 300 300 cm BT /F1 10 Tf 0 0 Td (after cm) Tj ET Q
        BT /F1 12 Tf 72 400 Td 3 Tc 10 Tw (spaced out text) Tj ET
        BT /F1 12 Tf 72 360 Td (first) Tj 0 -30 TD (second) Tj T* (third) Tj ET
        q 1 0 0 1 250 100 cm /Fm1 Do Q
    """
    page[NameObject("/Contents")] = _stream(writer, content)
    return _write(tmp_path, "text.pdf", _saved(writer))


@needs_poppler
def test_text_boxes_cover_the_words_poppler_sees(tmp_path: Path) -> None:
    path = _text_page(tmp_path)
    html = _poppler(PDFTOTEXT, "-bbox", str(path), "-").decode()
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', html).group(1))  # type: ignore[union-attr]
    words = [
        ((float(a), float(b), float(c), float(d)), text)
        for a, b, c, d, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html
        )
    ]
    assert len(words) == 36, [text for _box, text in words]
    boxes = [(x0, height - y1, x1, height - y0) for x0, y0, x1, y1 in _read_page(PdfReader(path).pages[0]).text]
    for word, text in words:
        cx, cy = (word[0] + word[2]) / 2, (word[1] + word[3]) / 2
        assert any(b[0] - 1 <= cx <= b[2] + 1 and b[1] - 1 <= cy <= b[3] + 1 for b in boxes), (text, word, boxes)
    for box in boxes:  # and no box where there is no text
        assert any(_overlap(box, word) > 0 for word, _text in words), box


# ----------------------------------------------------------------------------------------------------
# the incremental update


def _objects_in(update: bytes) -> list[int]:
    return [int(n) for n in re.findall(rb"(?m)^(\d+) \d+ obj", update)]


def test_update_rewrites_page_1_only_and_uses_a_table_after_a_table(tmp_path: Path) -> None:
    data = thai_letter_pdf(pages=3)
    reader = PdfReader(io.BytesIO(data))
    size = int(reader.trailer["/Size"])  # type: ignore[call-overload]
    out = stamp_pdf(_write(tmp_path, "letter.pdf", data), STAMP)
    update = out[len(data) :]
    written = _objects_in(update)
    page_1 = reader.pages[0].indirect_reference
    assert page_1 is not None
    assert [n for n in written if n < size] == [page_1.idnum]
    assert sorted(n for n in written if n >= size) == list(range(size, size + len(written) - 1))
    assert b"\nxref\n" in update and b"trailer" in update and b"/XRef" not in update
    assert re.search(rb"/Prev %d\b" % reader._startxref, update)
    stamped = PdfReader(io.BytesIO(out), strict=True)  # a wrong xref offset raises in strict mode
    assert "เลขรับ ๔๒" in stamped.pages[0].extract_text()
    assert stamped.trailer["/ID"] == reader.trailer["/ID"]


@needs_poppler
def test_update_after_a_cross_reference_stream(tmp_path: Path) -> None:
    """A PDF whose last update has a cross-reference stream gets one too; stamping again keeps working."""
    data = thai_letter_pdf()
    writer = PdfWriter(PdfReader(io.BytesIO(data)), incremental=True)
    writer.add_metadata({"/Title": "updated"})
    updated = _saved(writer)
    assert b"/XRef" in updated[len(data) :]
    src = _write(tmp_path, "updated.pdf", updated)
    once = stamp_pdf(src, STAMP)
    update = once[len(updated) :]
    assert b"/Type /XRef" in update and b"\nxref\n" not in update
    assert once.startswith(updated)
    reader = PdfReader(io.BytesIO(once), strict=True)
    assert reader.metadata is not None and reader.metadata.title == "updated"
    assert "เลขรับ ๔๒" in reader.pages[0].extract_text()
    path = _write(tmp_path, "once.pdf", once)
    assert "เลขรับ ๔๒" in _text(path)
    _poppler(shutil.which("pdfinfo"), str(path))
    twice = stamp_pdf(path, ReceiveStamp("สพป.ขอนแก่น เขต ๕", 43, STAMP.received_at))
    assert twice.startswith(once)
    text = _text(_write(tmp_path, "twice.pdf", twice))
    assert "เลขรับ ๔๒" in text and "เลขรับ ๔๓" in text


@needs_poppler
def test_second_stamp_does_not_cover_the_first(tmp_path: Path) -> None:
    src = _write(tmp_path, "letter.pdf", thai_letter_pdf())
    once = _write(tmp_path, "once.pdf", stamp_pdf(src, STAMP))
    twice = _write(tmp_path, "twice.pdf", stamp_pdf(once, STAMP))
    first, second = _changed(src, once), _changed(once, twice)
    assert _overlap(first, second) == 0, (first, second)
    width = float(PdfReader(src).pages[0].mediabox.width)
    assert second[0] >= width / 2 - 2  # still in the top-right quarter


def _two_pages(*, inherited: bool) -> tuple[bytes, int]:
    """Two pages sharing one indirect resources dictionary, on each page or inherited from /Pages."""
    writer = PdfWriter()
    pages = [writer.add_blank_page(595, 842) for _ in range(2)]
    resources = writer._add_object(DictionaryObject({NameObject("/Font"): _helvetica(writer)}))
    if inherited:
        writer.root_object["/Pages"].get_object()[NameObject("/Resources")] = resources  # type: ignore[index]
    for i, page in enumerate(pages, start=1):
        if inherited:
            del page[NameObject("/Resources")]
        else:
            page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = _stream(writer, b"BT /F1 12 Tf 72 700 Td (page %d of two) Tj ET" % i)
    return _saved(writer), resources.idnum


@needs_poppler
@pytest.mark.parametrize("inherited", [False, True], ids=["shared", "inherited"])
def test_resources_of_other_pages_are_not_touched(tmp_path: Path, inherited: bool) -> None:  # noqa: FBT001
    data, resources_id = _two_pages(inherited=inherited)
    assert (b"/Resources %d 0 R" % resources_id in data) and data.count(b"/Resources") == (1 if inherited else 2)
    out = stamp_pdf(_write(tmp_path, "two.pdf", data), STAMP)
    assert resources_id not in _objects_in(out[len(data) :])  # the shared dictionary is not rewritten
    reader = PdfReader(io.BytesIO(out), strict=True)
    page_1, page_2 = reader.pages
    assert any(name.startswith("/SarabanStamp") for name in page_1["/Resources"]["/Font"])  # type: ignore[index]
    assert list(page_2["/Resources"]["/Font"]) == ["/F1"]  # type: ignore[index]
    path = _write(tmp_path, "stamped.pdf", out)
    assert "page 1 of two" in _text(path) and "เลขรับ ๔๒" in _text(path)
    assert _text(path, 2).split() == ["page", "2", "of", "two"]


@needs_poppler
def test_page_without_content(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    src = _write(tmp_path, "blank.pdf", _saved(writer))
    out = _write(tmp_path, "stamped.pdf", stamp_pdf(src, STAMP))
    assert "เลขรับ ๔๒" in _text(out)
    box = _changed(src, out)
    assert box[2] >= 595 - 12 * MM and box[1] <= 12 * MM  # the free corner


@needs_poppler
def test_content_stream_array_is_kept_in_order(tmp_path: Path) -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): _helvetica(writer)})
    parts = [b"q 1 0 0 1 72 700 cm BT /F1 12 Tf", b"0 0 Td (split across streams) Tj", b"ET Q"]
    page[NameObject("/Contents")] = ArrayObject([_stream(writer, part) for part in parts])
    data = _saved(writer)
    out = stamp_pdf(_write(tmp_path, "parts.pdf", data), STAMP)
    contents: Any = PdfReader(io.BytesIO(out)).pages[0]["/Contents"]
    original: Any = PdfReader(io.BytesIO(data)).pages[0]["/Contents"]
    assert [ref.idnum for ref in contents[1:-1]] == [ref.idnum for ref in original]
    text = _text(_write(tmp_path, "stamped.pdf", out))
    assert "split across streams" in text and "เลขรับ ๔๒" in text


# ----------------------------------------------------------------------------------------------------
# scans


def _busy_corner_scan(dpi: int, size_pt: int) -> Image.Image:
    """An A4 scan with an address block and a one-pixel rule in the top-right corner, small thin text."""
    px = dpi / 25.4
    img = Image.new("L", (round(210 * px), round(297 * px)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(thai_font()), size=round(size_pt / 72 * dpi))
    lines = ["สำนักงานเขตพื้นที่การศึกษาประถมศึกษา", "ขอนแก่น เขต ๕ ถนนมะลิวัลย์", "อำเภอชุมแพ จังหวัดขอนแก่น ๔๐๑๓๐"]
    for i, line in enumerate(lines):
        draw.text((112 * px, (10 + 6 * i) * px), line, font=font, fill=0)
    draw.line((110 * px, 40 * px, 200 * px, 40 * px), fill=0, width=1)
    return img


@needs_poppler
@pytest.mark.parametrize(("dpi", "size_pt"), [(150, 10), (200, 9), (300, 9)])
def test_jpeg_scan_stamp_avoids_a_busy_corner(tmp_path: Path, dpi: int, size_pt: int) -> None:
    img = _busy_corner_scan(dpi, size_pt)
    jpeg = io.BytesIO()
    img.convert("RGB").save(jpeg, format="JPEG", quality=85)
    src = _write(tmp_path, "scan.pdf", image_to_pdf(_write(tmp_path, "scan.jpg", jpeg.getvalue())))
    out = _write(tmp_path, "stamped.pdf", stamp_pdf(src, STAMP))
    box = _changed(src, out)
    page_w, page_h = 210 * MM, 297 * MM
    assert box[0] >= page_w / 2 - 2 and box[3] <= page_h / 2 + 2
    k = img.width / page_w
    under = img.crop(tuple(round(v * k) for v in box))  # type: ignore[arg-type]
    dark = under.point(lambda p: 255 if p < 160 else 0).histogram()[255]
    assert dark == 0, f"the stamp covers {dark} dark pixels of the scan"
