"""The stamp as drawn: its lines, layout, Thai shaping read back by text extraction, and its embedded font."""

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
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from PIL import ImageFont
from pypdf import PdfReader

from service.pdf.content import _operations
from service.receiving.stamp import MM, ReceiveStamp, StampLayout, render_stamp, stamp_lines
from tests.conftest import need

BKK = ZoneInfo("Asia/Bangkok")
PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.usefixtures("poppler")  # skips locally with the reason, fails under CI

# Clusters that go wrong easily: ำ decomposed (ํ + า), ligated with a tone mark (น้ำ), marks moved left over a
# tall consonant (ปิ่น, ปั้น), stacked marks (กิ่ง, ผึ้ง), consonants that lose their descender (ญู, ฐู).
TRICKY = "น้ำ สำนัก ปิ่น กิ่ง ญู ฐู ปั้น ผึ้ง"
UNIT_NAMES = [
    "สพป.ขอนแก่น เขต ๕",
    "กลุ่มส่งเสริมการจัดการศึกษา",
    "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต ๕",
    TRICKY,
    "Saraban (ทดสอบ) 1/2",
]


def _stamp(unit: str = "สพป.ขอนแก่น เขต ๕", *, thai_digits: bool = True) -> ReceiveStamp:
    return ReceiveStamp(unit, 123, datetime(2026, 3, 2, 9, 37, tzinfo=BKK), thai_digits=thai_digits)


def _pdftotext(path: Path, *args: str) -> str:
    assert PDFTOTEXT is not None
    run = subprocess.run([PDFTOTEXT, *args, str(path), "-"], check=True, capture_output=True, timeout=60)
    assert not run.stderr, run.stderr  # poppler complains about damaged fonts and objects on stderr
    return run.stdout.decode("utf-8")


def _font_objects(pdf: bytes) -> list[tuple[Any, Any]]:
    """(Type0 font, its CIDFont) of each font on the page."""
    page: Any = PdfReader(io.BytesIO(pdf)).pages[0]
    fonts = page["/Resources"]["/Font"]
    out = []
    for ref in fonts.values():
        font = ref.get_object()
        out.append((font, font["/DescendantFonts"][0].get_object()))
    return out


def test_render_stamp_is_one_page_the_size_of_the_stamp() -> None:
    layout = StampLayout(width_mm=60, height_mm=30)
    reader = PdfReader(io.BytesIO(render_stamp(_stamp(), layout)))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 60 * MM) < 0.01 and abs(float(box.height) - 30 * MM) < 0.01
    lines = [line.strip() for line in reader.pages[0].extract_text().splitlines() if line.strip()]
    assert lines == stamp_lines(_stamp())
    assert stamp_lines(_stamp()) == ["สพป.ขอนแก่น เขต ๕", "เลขรับ ๑๒๓", "วันที่ ๒ มี.ค. ๒๕๖๙", "เวลา ๐๙.๓๗ น."]


@pytest.mark.parametrize("unit", UNIT_NAMES)
def test_pypdf_reads_every_line_exactly(unit: str) -> None:
    text = PdfReader(io.BytesIO(render_stamp(_stamp(unit)))).pages[0].extract_text()
    for line in stamp_lines(_stamp(unit)):
        assert line in text, (line, text)
    assert "\x00" not in text


@needs_pdftotext
@pytest.mark.parametrize("unit", UNIT_NAMES)
def test_pdftotext_reads_every_line_exactly(tmp_path: Path, unit: str) -> None:
    path = tmp_path / "stamp.pdf"
    path.write_bytes(render_stamp(_stamp(unit)))
    text = _pdftotext(path, "-raw")
    for line in stamp_lines(_stamp(unit)):
        assert line in text, (line, text)
    assert "\x00" not in text


@needs_pdftotext
def test_lines_are_centred_and_inside_the_box(tmp_path: Path) -> None:
    path = tmp_path / "stamp.pdf"
    path.write_bytes(render_stamp(_stamp("สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต ๕ กลุ่มอำนวยการ งานสารบรรณ")))
    html = _pdftotext(path, "-bbox-layout")
    width = float(re.search(r'<page width="([\d.]+)"', html).group(1))  # type: ignore[union-attr]
    lines = re.findall(r'<line xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', html)
    assert len(lines) == 4, html
    for x0, x1 in lines:
        left, right = float(x0), float(x1)
        assert left >= 1.8 * MM - 1 and right <= width - 1.8 * MM + 1, (left, right, width)
        assert abs((left + right) / 2 - width / 2) < 3, (left, right, width)


def _text_state(pdf: bytes) -> list[tuple[float, float]]:
    """(font size, horizontal scaling) in effect at each TJ of the stamp's content."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    size, stretch, out = 0.0, 100.0, []
    for operands, op in _operations(page.get_contents().get_data()):  # type: ignore[union-attr]
        if op == b"Tf":
            size = operands[1]
        elif op == b"Tz":
            stretch = operands[0]
        elif op == b"TJ":
            out.append((size, stretch))
    return out


def test_long_unit_name_shrinks_then_squeezes() -> None:
    short = _text_state(render_stamp(_stamp()))
    assert {state for state in short} == {(12.0, 100.0)}
    medium = _text_state(render_stamp(_stamp("สำนักงานเขตพื้นที่การศึกษาประถมศึกษา")))
    assert 7.0 < medium[0][0] < 12.0 and medium[0][1] == 100.0
    long = _text_state(render_stamp(_stamp("สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต ๕")))
    assert long[0][0] == 7.0 and 60.0 < long[0][1] < 100.0
    assert {state for state in long[1:]} == {(12.0, 100.0)}  # the other lines are not squeezed
    very_long = _text_state(render_stamp(_stamp("สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต ๕ " * 3)))
    assert very_long[0] == (7.0, 40.0)  # squeezed no further than 40 %


def test_arabic_digits() -> None:
    text = PdfReader(io.BytesIO(render_stamp(_stamp(thai_digits=False)))).pages[0].extract_text()
    assert "เลขรับ 123" in text and "2 มี.ค. 2569" in text and "เวลา 09.37 น." in text


def test_embedded_fonts_are_small_valid_truetype_subsets() -> None:
    pdf = render_stamp(_stamp(TRICKY))
    fonts = _font_objects(pdf)
    assert len(fonts) == 2  # regular, and bold for the unit name
    for font, cid_font in fonts:
        assert font["/Subtype"] == "/Type0" and font["/Encoding"] == "/Identity-H"
        assert cid_font["/Subtype"] == "/CIDFontType2"
        assert re.fullmatch(r"/[A-Z]{6}\+[A-Za-z0-9_.-]+", font["/BaseFont"])
        descriptor = cid_font["/FontDescriptor"].get_object()
        program = descriptor["/FontFile2"].get_object().get_data()
        assert len(program) < 20_000  # only the glyphs in use
        tt = TTFont(io.BytesIO(program), checkChecksums=2)  # raises on a wrong table checksum
        cid_to_gid = cid_font["/CIDToGIDMap"].get_object().get_data()
        gids = [int.from_bytes(cid_to_gid[i : i + 2], "big") for i in range(2, len(cid_to_gid), 2)]
        order = tt.getGlyphOrder()
        glyf = tt["glyf"]
        for gid in gids:
            if order[gid] != "space":
                assert glyf[order[gid]].numberOfContours != 0, order[gid]  # the outline is there
        unused = [g for g in range(len(order)) if g not in gids and glyf[order[g]].numberOfContours != 0]
        assert len(unused) < 10  # .notdef and components only
        assert len(cid_font["/W"][1]) == len(gids)  # a width for every CID
        tt.save(io.BytesIO())  # fontTools can rewrite it: its tables are consistent
        ImageFont.truetype(io.BytesIO(program), 40).getbbox("ก")  # FreeType loads it


def test_to_unicode_maps_each_cid() -> None:
    texts: set[str] = set()
    for font, cid_font in _font_objects(render_stamp(_stamp(TRICKY))):
        cmap = font["/ToUnicode"].get_object().get_data().decode()
        mapped = [
            pair
            for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.DOTALL)
            for pair in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]*)>", block)
        ]
        cid_to_gid = cid_font["/CIDToGIDMap"].get_object().get_data()
        assert [int(cid, 16) for cid, _text in mapped] == list(range(1, len(cid_to_gid) // 2))  # every CID but 0
        texts |= {bytes.fromhex(hex_text).decode("utf-16-be") for _cid, hex_text in mapped}
    assert "" in texts  # the ํ of a decomposed ำ stands for nothing: its า carries the ำ
    assert "ำ" in texts


LAKSAMAN = Path("/usr/share/fonts/truetype/tlwg")


def test_fallback_font_laksaman(monkeypatch: pytest.MonkeyPatch) -> None:
    """service.pdf.fonts falls back to Laksaman (a hinted TrueType font) when Sarabun is missing: it works as well."""
    need((LAKSAMAN / "Laksaman.ttf").is_file(), "fonts-tlwg-laksaman-ttf is not installed")
    import service.pdf.drawing

    monkeypatch.setattr(
        service.pdf.drawing,
        "thai_font",
        lambda *, bold=False: LAKSAMAN / ("Laksaman-Bold.ttf" if bold else "Laksaman.ttf"),
    )
    pdf = render_stamp(_stamp(TRICKY))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for line in stamp_lines(_stamp(TRICKY)):
        assert line in text, (line, text)
    for font, cid_font in _font_objects(pdf):
        assert "Laksaman" in font["/BaseFont"]
        program = cid_font["/FontDescriptor"]["/FontFile2"].get_data()
        TTFont(io.BytesIO(program), checkChecksums=2).save(io.BytesIO())
        ImageFont.truetype(io.BytesIO(program), 40).getbbox("ก")
