"""The PDF toolkit's overlay: text boxes laid over any page of an existing PDF near an anchor, in an incremental
update (the original an exact byte prefix, the other pages untouched)."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from service.pdf.drawing import TextBox, TextLine
from service.pdf.geometry import MM, Rect
from service.pdf.placement import Anchor
from service.pdf.update import Overlay, overlay_pdf_to
from tests.conftest import needs_poppler
from tests.samples import thai_letter_pdf

KEEP_UNTIL = TextBox(lines=["เก็บถึง พ.ศ. ๒๕๗๕"], size_pt=14, colour=(0, 0, 0), border=True)
URGENT = TextBox(lines=[TextLine("ด่วนที่สุด", bold=True)], size_pt=32, colour=(220, 0, 0), border=False)
INSTRUCTION = TextBox(lines=["มอบ กลุ่มส่งเสริมฯ", "ดำเนินการ"], size_pt=12, colour=(0, 0, 160))
STAMP_LIKE = TextBox(
    lines=[TextLine("สพป.ขอนแก่น เขต ๕", bold=True, min_size_pt=7), "เลขรับ ๑", "วันที่ ๑ ม.ค. ๒๕๖๘", "เวลา ๐๙.๐๐ น."],
    line_height_pt=5.5 * MM,
    width_pt=50 * MM,
    height_pt=25 * MM,
    colour=(200, 16, 46),
)


def _overlay(tmp_path: Path, data: bytes, overlays: list[Overlay]) -> tuple[Path, Path, list[tuple[int, Rect]]]:
    src = tmp_path / "letter.pdf"
    src.write_bytes(data)
    out = io.BytesIO()
    placed = overlay_pdf_to(src, out, overlays)
    dst = tmp_path / "overlaid.pdf"
    dst.write_bytes(out.getvalue())
    assert placed.length == len(out.getvalue())
    return src, dst, list(placed.rects)


Word = tuple[float, float, float, float, str]  # display space: x0, y0, x1, y1 (y upwards), text


def _words(pdf: Path, page: int) -> tuple[float, float, list[Word]]:
    """pdftotext -bbox's words of page ``page`` (1-based), turned to display space with y upwards."""
    out = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    size = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', out)
    assert size, out[:300]
    w, h = float(size.group(1)), float(size.group(2))
    found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out)
    return w, h, [(float(a), h - float(d), float(c), h - float(b), t) for a, b, c, d, t in found]


def _refs(obj: object) -> str:
    """``obj`` as text, its indirect references without the reader they belong to."""
    return re.sub(r"IndirectObject\((\d+), (\d+), \d+\)", r"\1 \2 R", repr(obj))


def _bases(text: str) -> str:
    """Thai text without spaces, vowel signs above/below and tone marks."""
    return re.sub(r"[\s\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]+", "", text)


def _inside(word: Word, rect: Rect, slack: float = 1.0) -> bool:
    return (
        word[0] >= rect[0] - slack
        and word[2] <= rect[2] + slack
        and word[1] >= rect[1] - slack
        and word[3] <= rect[3] + slack
    )


def _overlaps(word: Word, rect: Rect) -> bool:
    return min(word[2], rect[2]) > max(word[0], rect[0]) and min(word[3], rect[3]) > max(word[1], rect[1])


def _render(pdf: Path, page: int, tmp_path: Path, tag: str) -> Image.Image:
    prefix = tmp_path / f"{tag}-{page}"
    subprocess.run(
        ["pdftoppm", "-r", "50", "-f", str(page), "-l", str(page), "-png", "-singlefile", str(pdf), str(prefix)],
        check=True,
    )
    return Image.open(f"{prefix}.png").convert("RGB")


@needs_poppler
def test_bottom_right_box_on_page_2_of_3(tmp_path: Path) -> None:
    src, dst, rects = _overlay(
        tmp_path, thai_letter_pdf(pages=3), [Overlay(KEEP_UNTIL, page=1, anchor=Anchor.BOTTOM_RIGHT)]
    )
    original, result = src.read_bytes(), dst.read_bytes()
    assert result.startswith(original) and len(result) > len(original)

    before, after = PdfReader(src), PdfReader(dst)
    assert len(after.pages) == 3
    for i in (0, 2):
        ref_before, ref_after = before.pages[i].indirect_reference, after.pages[i].indirect_reference
        assert ref_before is not None and ref_after is not None
        assert (ref_after.idnum, ref_after.generation) == (ref_before.idnum, ref_before.generation)
        assert after.pages[i].get_contents().get_data() == before.pages[i].get_contents().get_data()  # type: ignore[union-attr]
        assert _refs(after.pages[i]["/Resources"]) == _refs(before.pages[i]["/Resources"])
        assert (
            ImageChops.difference(_render(src, i + 1, tmp_path, "a"), _render(dst, i + 1, tmp_path, "b")).getbbox()
            is None
        )
    assert ImageChops.difference(_render(src, 2, tmp_path, "a"), _render(dst, 2, tmp_path, "b")).getbbox() is not None

    page_w, page_h, words = _words(dst, 2)
    mine = [w for w in words if w[4] in ("เก็บถึง", "พ.ศ.", "๒๕๗๕")]
    assert {w[4] for w in mine} == {"เก็บถึง", "พ.ศ.", "๒๕๗๕"}, words
    for word in mine:
        assert word[0] >= page_w / 2 and word[3] <= page_h / 2, word  # the bottom-right quarter
    ((page, rect),) = rects
    assert page == 1 and all(_inside(word, rect) for word in mine)
    text = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(dst), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "เก็บถึง พ.ศ. ๒๕๗๕" in text


def _region_ok(anchor: str, rect: Rect, page_w: float, page_h: float, stamp: Rect | None) -> bool:
    cx, cy = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    if anchor == "top_right":
        return cx >= page_w / 2 and cy >= page_h / 2
    if anchor == "bottom_right":
        return cx >= page_w / 2 and cy <= page_h / 2
    if anchor == "top_centre":
        return page_w / 4 <= cx <= 3 * page_w / 4 and cy >= 3 * page_h / 4
    assert stamp is not None  # below: under the stamp, overlapping it horizontally
    return rect[3] <= stamp[1] and min(rect[2], stamp[2]) > max(rect[0], stamp[0])


@needs_poppler
@pytest.mark.parametrize("anchor", ["top_right", "bottom_right", "top_centre", "below"])
@pytest.mark.parametrize("body_to_margin", [False, True], ids=["normal", "body-to-margin"])
def test_each_anchor_lands_in_its_region_clear_of_text(tmp_path: Path, anchor: str, body_to_margin: bool) -> None:  # noqa: FBT001
    data = thai_letter_pdf(pages=2, body_to_margin=body_to_margin)
    box = {"top_right": STAMP_LIKE, "bottom_right": KEEP_UNTIL, "top_centre": URGENT, "below": INSTRUCTION}[anchor]
    if anchor == "below":
        overlays = [Overlay(STAMP_LIKE, anchor=Anchor.TOP_RIGHT), Overlay(INSTRUCTION, below_previous=True)]
    else:
        overlays = [Overlay(box, anchor=Anchor.parse(anchor))]
    src, dst, rects = _overlay(tmp_path, data, overlays)
    assert dst.read_bytes().startswith(src.read_bytes())
    page_w, page_h, words = _words(src, 1)
    (_, rect) = rects[-1]
    stamp = rects[0][1] if anchor == "below" else None
    assert _region_ok(anchor, rect, page_w, page_h, stamp), (anchor, rect)
    assert rect[0] >= 8 * MM - 0.01 and rect[2] <= page_w - 8 * MM + 0.01 and rect[1] >= 8 * MM - 0.01
    covered = [w for w in words if _overlaps(w, rect)]
    if not (body_to_margin and anchor == "top_centre"):  # there, text fills the whole band: the least is taken
        assert not covered, covered
    # and the box's own text is there, inside the box
    _w, _h, after = _words(dst, 1)
    # (poppler may split a big Thai word and misorder its marks: compare the base characters)
    drawn = "".join(line if isinstance(line, str) else line.text for line in box.lines)
    inside = "".join(w[4] for w in after if _inside(w, rect))
    assert sorted(_bases(inside)) == sorted(_bases(drawn)), (inside, drawn, rect)


def test_anchor_parse_and_str() -> None:
    assert Anchor.parse("top_right") == Anchor.TOP_RIGHT
    assert Anchor.parse("bottom_right") is not Anchor.TOP_RIGHT
    below = Anchor.parse("below:10,20,30.5,40")
    assert below == Anchor.below((10, 20, 30.5, 40)) and str(below) == "below:10,20,30.5,40"
    for bad in ("left", "below:1,2,3", "top_right:1"):
        with pytest.raises(ValueError):
            Anchor.parse(bad)


def test_page_index_out_of_range(tmp_path: Path) -> None:
    src = tmp_path / "a.pdf"
    src.write_bytes(thai_letter_pdf())
    with pytest.raises(ValueError, match="outside"):
        overlay_pdf_to(src, io.BytesIO(), [Overlay(KEEP_UNTIL, page=3)])
