"""The receive stamp on real-looking letters, scans and images; PDF checks; the printable register."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import RectangleObject

from service.kit.thai import to_thai_digits
from service.receiving.stamp import (
    MM,
    InvalidImage,
    InvalidPdf,
    ReceiveStamp,
    image_to_pdf,
    pdf_page_count,
    stamp_pdf,
)
from service.registers.printing import RegisterRow, render_register_pdf
from tests.conftest import need, needs_poppler
from tests.samples import (
    corrupt_pdf,
    encrypted_pdf,
    exe_bytes,
    letter_gif,
    letter_jpeg,
    letter_png,
    scanned_letter_pdf,
    thai_letter_pdf,
)

BKK = ZoneInfo("Asia/Bangkok")
STAMP = ReceiveStamp("สพป.ขอนแก่น เขต ๕", 1754, datetime(2022, 3, 23, 9, 26, tzinfo=BKK))
PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points, y downwards from the top (as displayed)


# ----------------------------------------------------------------------------------------------------
# helpers


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _pdftotext(path: Path, *, first: int = 1, last: int = 1, mode: str = "-layout") -> str:
    """Text of pages first..last; ``-raw`` (content order) for tables, where ``-layout`` may put Thai upper
    vowels of bold headings on a line of their own."""
    assert PDFTOTEXT is not None
    out = subprocess.run(
        [PDFTOTEXT, "-f", str(first), "-l", str(last), mode, str(path), "-"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out.stdout.decode("utf-8")


def _words(path: Path) -> tuple[float, float, list[tuple[Box, str]]]:
    """Page 1 size and word boxes as displayed, from ``pdftotext -bbox``."""
    assert PDFTOTEXT is not None
    html = subprocess.run(
        [PDFTOTEXT, "-f", "1", "-l", "1", "-bbox", str(path), "-"],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout.decode("utf-8")
    page = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html)
    assert page is not None
    words = [
        ((float(a), float(b), float(c), float(d)), text)
        for a, b, c, d, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html
        )
    ]
    return float(page.group(1)), float(page.group(2)), words


def _render(path: Path, dpi: int = 50) -> Image.Image:
    assert PDFTOPPM is not None
    png = subprocess.run(
        [PDFTOPPM, "-f", "1", "-l", "1", "-r", str(dpi), "-png", str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    return Image.open(io.BytesIO(png)).convert("RGB")


def _stamp_box(original: Path, stamped: Path, dpi: int = 50) -> Box:
    """Where page 1 changed, as displayed, in points: the stamp's box, found by comparing renderings."""
    before, after = _render(original, dpi), _render(stamped, dpi)
    assert before.size == after.size
    diff = ImageChops.difference(before, after).convert("L").point(lambda p: 255 if p > 24 else 0)
    bbox = diff.getbbox()
    assert bbox is not None, "the stamp is not visible on page 1"
    k = 72 / dpi
    return bbox[0] * k, bbox[1] * k, bbox[2] * k, bbox[3] * k


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _assert_well_placed(original: Path, stamped: Path) -> Box:
    width, height, words = _words(original)
    box = _stamp_box(original, stamped)
    tol = 72 / 50 + 0.5  # one pixel of the comparison rendering
    assert box[0] >= width / 2 - tol and box[3] <= height / 2 + tol, f"stamp {box} not in the top-right quarter"
    assert box[2] <= width - 5 * MM and box[1] >= 5 * MM, f"stamp {box} too near the page edge"
    w, h = box[2] - box[0], box[3] - box[1]
    assert 45 * MM <= w <= 52 * MM + tol and 22 * MM <= h <= 27 * MM + tol, f"stamp size {w / MM}×{h / MM} mm"
    hits = [(text, wb) for wb, text in words if _overlap(box, wb) > 0]
    assert not hits, f"the stamp {box} covers text of page 1: {hits[:5]}"
    return box


def _rotated(data: bytes) -> bytes:
    """The letter turned into a landscape page with /Rotate 90 that still displays upright."""
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter(clone_from=reader)
    for page in writer.pages:
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        page.add_transformation(Transformation().rotate(90).translate(h, 0))
        page.mediabox = RectangleObject((0, 0, h, w))
        page.cropbox = RectangleObject((0, 0, h, w))
        page.rotation = 90
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _shifted(data: bytes, dx: float = 200, dy: float = -100) -> bytes:
    """The letter with its MediaBox/CropBox origin moved away from (0, 0)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        page.add_transformation(Transformation().translate(dx, dy))
        page.mediabox = RectangleObject((dx, dy, dx + w, dy + h))
        page.cropbox = RectangleObject((dx, dy, dx + w, dy + h))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _bases(text: str) -> str:
    return re.sub(r"[\s\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]+", "", text)


# ----------------------------------------------------------------------------------------------------
# the stamp


def test_stamp_text_is_on_page_1(tmp_path: Path) -> None:
    src = _write(tmp_path, "letter.pdf", thai_letter_pdf())
    out = _write(tmp_path, "stamped.pdf", stamp_pdf(src, STAMP))
    reader = PdfReader(out)
    text = reader.pages[0].extract_text()
    for expected in ("สพป.ขอนแก่น เขต ๕", "เลขรับ ๑๗๕๔", "๒๓ มี.ค. ๒๕๖๕", "เวลา ๐๙.๒๖ น."):
        assert expected in text, (expected, text[:300])
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    positions: list[tuple[float, float]] = []

    def visitor(text: str, cm: list[float], tm: list[float], _font: object, _size: float) -> None:
        if "เลขรับ" in text or "เวลา ๐๙" in text:
            positions.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5]))

    page.extract_text(visitor_text=visitor)
    assert positions, "pypdf did not report the stamp lines' positions"
    for x, y in positions:
        assert width / 2 <= x <= width and height / 2 <= y <= height, (x, y, width, height)
    assert reader.pages[0].extract_text().count("เลขรับ") == 1
    assert len(reader.pages) == 1


@needs_poppler
def test_pdftotext_reads_the_stamp(tmp_path: Path) -> None:
    src = _write(tmp_path, "letter.pdf", thai_letter_pdf(pages=3))
    out = _write(tmp_path, "stamped.pdf", stamp_pdf(src, STAMP))
    text = _pdftotext(out)
    for expected in ("สพป.ขอนแก่น เขต ๕", "เลขรับ ๑๗๕๔", "วันที่ ๒๓ มี.ค. ๒๕๖๕", "เวลา ๐๙.๒๖ น."):
        assert expected in text
    assert "เลขรับ" not in _pdftotext(out, first=2, last=3)


@needs_poppler
@pytest.mark.parametrize("pages", [1, 5])
@pytest.mark.parametrize("body_to_margin", [False, True], ids=["normal", "body-to-margin"])
def test_stamp_in_top_right_quarter_without_covering_text(
    tmp_path: Path,
    pages: int,
    body_to_margin: bool,  # noqa: FBT001
) -> None:
    src = _write(tmp_path, "letter.pdf", thai_letter_pdf(pages=pages, body_to_margin=body_to_margin))
    out = _write(tmp_path, "stamped.pdf", stamp_pdf(src, STAMP))
    box = _assert_well_placed(src, out)
    width = float(PdfReader(src).pages[0].mediabox.width)
    if not body_to_margin:  # the top-right corner is free on an ordinary letter: use it
        assert box[2] >= width - 12 * MM and box[1] <= 12 * MM, box


@needs_poppler
def test_naive_corner_would_cover_text_on_body_to_margin_letter(tmp_path: Path) -> None:
    """The body_to_margin sample really is a trap: text sits where a fixed top-right stamp would go."""
    src = _write(tmp_path, "letter.pdf", thai_letter_pdf(body_to_margin=True))
    width, _, words = _words(src)
    corner = (width - 8 * MM - 50 * MM, 8 * MM, width - 8 * MM, 33 * MM)
    assert any(_overlap(corner, wb) > 0 for wb, _ in words)


@needs_poppler
@pytest.mark.parametrize("body_to_margin", [False, True], ids=["normal", "body-to-margin"])
def test_rotated_page(tmp_path: Path, body_to_margin: bool) -> None:  # noqa: FBT001
    src = _write(tmp_path, "rotated.pdf", _rotated(thai_letter_pdf(pages=2, body_to_margin=body_to_margin)))
    assert PdfReader(src).pages[0].rotation == 90
    out = _write(tmp_path, "stamped.pdf", stamp_pdf(src, STAMP))
    _assert_well_placed(src, out)
    assert "เลขรับ ๑๗๕๔" in _pdftotext(out)  # upright as displayed: poppler reads it as a line


@needs_poppler
def test_page_with_shifted_origin(tmp_path: Path) -> None:
    src = _write(tmp_path, "shifted.pdf", _shifted(thai_letter_pdf(body_to_margin=True)))
    out = _write(tmp_path, "stamped.pdf", stamp_pdf(src, STAMP))
    _assert_well_placed(src, out)


def test_incremental_write_keeps_original_bytes(tmp_path: Path) -> None:
    data = thai_letter_pdf(pages=5)
    src = _write(tmp_path, "letter.pdf", data)
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    out = stamp_pdf(src, STAMP)
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
    assert out.startswith(data)
    assert len(out) > len(data)
    assert out.rstrip().endswith(b"%%EOF")


def test_pages_after_the_first_are_unchanged(tmp_path: Path) -> None:
    src = _write(tmp_path, "letter.pdf", thai_letter_pdf(pages=5))
    original = PdfReader(src)
    stamped = PdfReader(io.BytesIO(stamp_pdf(src, STAMP)))
    assert len(stamped.pages) == 5
    for i in range(1, 5):
        before, after = original.pages[i], stamped.pages[i]
        assert before.get_contents().get_data() == after.get_contents().get_data()  # type: ignore[union-attr]
        assert before.get_object()["/Contents"] == after.get_object()["/Contents"]  # same objects, not copies
    assert original.pages[0].get_contents().get_data() != stamped.pages[0].get_contents().get_data()  # type: ignore[union-attr]


@needs_poppler
def test_arabic_digits(tmp_path: Path) -> None:
    src = _write(tmp_path, "letter.pdf", thai_letter_pdf())
    stamp = ReceiveStamp("สพป.ขอนแก่น เขต 5", 7, datetime(2023, 1, 2, 16, 5, tzinfo=BKK), thai_digits=False)
    text = _pdftotext(_write(tmp_path, "stamped.pdf", stamp_pdf(src, stamp)))
    for expected in ("เลขรับ 7", "วันที่ 2 ม.ค. 2566", "เวลา 16.05 น."):
        assert expected in text


@needs_poppler
def test_long_unit_name_fits_in_the_box(tmp_path: Path) -> None:
    name = "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต ๕ กลุ่มอำนวยการ งานสารบรรณ"
    src = _write(tmp_path, "letter.pdf", thai_letter_pdf())
    stamp = ReceiveStamp(name, 12345, datetime(2022, 12, 31, 23, 59, tzinfo=BKK))
    out = _write(tmp_path, "stamped.pdf", stamp_pdf(src, stamp))
    _assert_well_placed(src, out)  # includes the 50 mm width: the name did not spill out of the box
    # squeezed text: poppler may put a tone mark after the next consonant (ที่ก, ทีก่): compare bases
    assert _bases(name) in _bases(_pdftotext(out))
    assert "เลขรับ ๑๒๓๔๕" in _pdftotext(out)


def test_stamp_time_is_shown_as_given(tmp_path: Path) -> None:
    """received_at is already local: 23:59 on 31 December stays on that date (year boundary)."""
    src = _write(tmp_path, "letter.pdf", thai_letter_pdf())
    stamp = ReceiveStamp("สพป.ขอนแก่น เขต ๕", 1, datetime(2022, 12, 31, 23, 59, tzinfo=BKK), thai_digits=False)
    text = PdfReader(io.BytesIO(stamp_pdf(src, stamp))).pages[0].extract_text()
    assert "31 ธ.ค. 2565" in text and "23.59" in text


def test_stamping_twice_appends_again(tmp_path: Path) -> None:
    src = _write(tmp_path, "letter.pdf", thai_letter_pdf())
    once = stamp_pdf(src, STAMP)
    twice = stamp_pdf(_write(tmp_path, "once.pdf", once), STAMP)
    assert twice.startswith(once)


# ----------------------------------------------------------------------------------------------------
# scans and images


@needs_poppler
def test_scanned_page_stamp_lands_on_white_paper(tmp_path: Path) -> None:
    src = _write(tmp_path, "scan.pdf", scanned_letter_pdf())
    out = _write(tmp_path, "stamped.pdf", stamp_pdf(src, STAMP))
    box = _stamp_box(src, out)
    page = _render(src)
    k = 50 / 72
    under = page.convert("L").crop(tuple(round(v * k) for v in box))  # type: ignore[arg-type]
    dark = under.point(lambda p: 255 if p < 128 else 0).histogram()[255]
    assert dark == 0, f"the stamp covers {dark} dark pixels of the scan"
    assert box[0] >= page.width / k / 2 - 2 and box[3] <= page.height / k / 2 + 2


@pytest.mark.parametrize(
    ("name", "make"), [("letter.png", letter_png), ("letter.jpg", letter_jpeg), ("letter.gif", letter_gif)]
)
def test_image_to_pdf_then_stamp(tmp_path: Path, name: str, make: object) -> None:
    src = _write(tmp_path, name, make())  # type: ignore[operator]
    pdf = _write(tmp_path, "image.pdf", image_to_pdf(src))
    assert pdf_page_count(pdf) == 1
    page = PdfReader(pdf).pages[0]
    assert abs(float(page.mediabox.width) - 210 * MM) < 1 and abs(float(page.mediabox.height) - 297 * MM) < 1
    assert len(page.images) == 1
    out = stamp_pdf(pdf, STAMP)
    assert out.startswith(pdf.read_bytes())
    assert "เลขรับ ๑๗๕๔" in PdfReader(io.BytesIO(out)).pages[0].extract_text()


def test_landscape_image_gets_a_landscape_page(tmp_path: Path) -> None:
    img = Image.new("RGB", (1200, 600), "white")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    page = PdfReader(io.BytesIO(image_to_pdf(_write(tmp_path, "wide.png", buf.getvalue())))).pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)


def test_image_to_pdf_rejects_non_images(tmp_path: Path) -> None:
    with pytest.raises(InvalidImage):
        image_to_pdf(_write(tmp_path, "fake.jpg", b"not an image at all"))
    with pytest.raises(InvalidImage):
        image_to_pdf(_write(tmp_path, "letter.pdf", thai_letter_pdf()))


# ----------------------------------------------------------------------------------------------------
# invalid PDFs


def test_page_count(tmp_path: Path) -> None:
    assert pdf_page_count(_write(tmp_path, "a.pdf", thai_letter_pdf(pages=5))) == 5
    assert pdf_page_count(_write(tmp_path, "b.pdf", scanned_letter_pdf())) == 1


@pytest.mark.parametrize(
    "data",
    [corrupt_pdf(), exe_bytes(), b"", b"%PDF-1.4\n", thai_letter_pdf()[:1500]],
    ids=["corrupt", "exe-renamed", "empty", "header-only", "truncated"],
)
def test_invalid_pdfs_are_rejected(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path, "upload.pdf", data)
    with pytest.raises(InvalidPdf):
        pdf_page_count(path)
    with pytest.raises(InvalidPdf):
        stamp_pdf(path, STAMP)


def test_zero_page_pdf_is_rejected(tmp_path: Path) -> None:
    buf = io.BytesIO()
    PdfWriter().write(buf)
    with pytest.raises(InvalidPdf):
        pdf_page_count(_write(tmp_path, "empty.pdf", buf.getvalue()))


def test_password_protected_pdf_is_rejected(tmp_path: Path) -> None:
    from service.receiving.stamp import PasswordProtectedPdf

    with pytest.raises(PasswordProtectedPdf):
        pdf_page_count(_write(tmp_path, "locked.pdf", encrypted_pdf("secret")))


def test_encrypted_with_empty_password_can_be_counted(tmp_path: Path) -> None:
    path = _write(tmp_path, "open.pdf", encrypted_pdf(""))
    assert pdf_page_count(path) == 2


@needs_poppler
def test_encrypted_with_empty_password_is_stamped_on_a_decrypted_copy(tmp_path: Path) -> None:
    """An owner password only ("no editing"): the stamped copy is a decrypted rewrite carrying the stamp,
    with the letter's pages and text; the file the stamp was made from is not touched."""
    original = encrypted_pdf("")
    path = _write(tmp_path, "open.pdf", original)
    out = _write(tmp_path, "stamped.pdf", stamp_pdf(path, STAMP))
    assert path.read_bytes() == original
    reader = PdfReader(out)
    assert not reader.is_encrypted and len(reader.pages) == 2
    first = _squash(_pdftotext(out, first=1, last=1))
    assert _squash("เลขรับ ๑๗๕๔") in first and _squash("วันที่ ๒๓ มี.ค. ๒๕๖๕") in first
    second = PdfReader(io.BytesIO(thai_letter_pdf(pages=2))).pages[1].extract_text()
    assert _squash(reader.pages[1].extract_text()) == _squash(second)


def test_encrypted_pdf_above_the_rewrite_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.pdf import update

    monkeypatch.setattr(update, "ENCRYPTED_MAX_BYTES", 1000)
    with pytest.raises(InvalidPdf, match="encrypted PDF above"):
        stamp_pdf(_write(tmp_path, "open.pdf", encrypted_pdf("")), STAMP)


# ----------------------------------------------------------------------------------------------------
# the register


LONG = " ซึ่งเป็นเรื่องที่มีรายละเอียดยาวมากและต้องตัดบรรทัดหลายครั้ง"


def _subject(i: int) -> str:
    return f"ขอความอนุเคราะห์ข้อมูลนักเรียนทุนการศึกษา ประจำปีการศึกษา ๒๕๖๔ รายการที่ {i}" + LONG * (i % 3)


def _rows(n: int, subject: Callable[[int], str] = _subject) -> list[RegisterRow]:
    return [
        RegisterRow(
            number=i,
            letter_no=f"ศธ ๐๔๐๔๕/{i}",
            letter_date="๒๓ มี.ค. ๒๕๖๕",
            sender="สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน",
            recipient="ผู้อำนวยการ สพป.ขอนแก่น เขต ๕",
            subject=subject(i),
            action="ส่งกลุ่มส่งเสริมการจัดการศึกษา",
            remarks="ด่วนที่สุด" if i % 7 == 0 else "",
            registered_at="๒๓ มี.ค. ๒๕๖๕ ๐๙.๒๖ น.",
        )
        for i in range(1, n + 1)
    ]


HEADINGS = ("เลขทะเบียนรับ", "ที่", "ลงวันที่", "จาก", "ถึง", "เรื่อง", "การปฏิบัติ", "หมายเหตุ", "ลงทะเบียนเมื่อ")


@pytest.mark.parametrize("n", [0, 300])
def test_register_pdf_renders(tmp_path: Path, n: int) -> None:
    data = render_register_pdf(title="ทะเบียนหนังสือรับ", unit_name="สพป.ขอนแก่น เขต ๕", year_be=2565, rows=_rows(n))
    path = _write(tmp_path, "register.pdf", data)
    reader = PdfReader(path)
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    if n == 0:
        assert len(reader.pages) == 1
    else:
        assert len(reader.pages) > 5
    need(PDFTOTEXT is not None, "pdftotext (poppler-utils) is not installed")
    first = _pdftotext(path, mode="-raw")
    assert "ทะเบียนหนังสือรับ" in first and "๒๕๖๕" in first
    for heading in HEADINGS:
        assert heading in first, heading
    last_page = len(reader.pages)
    last = _pdftotext(path, first=last_page, last=last_page, mode="-raw")
    for heading in HEADINGS:  # repeated on every page
        assert heading in last, heading
    assert f"หน้า {str(last_page).translate(str.maketrans('0123456789', '๐๑๒๓๔๕๖๗๘๙'))}" in last
    if n:
        everything = _squash(_pdftotext(path, first=1, last=last_page, mode="-raw"))
        assert _squash("ขอความอนุเคราะห์ข้อมูลนักเรียนทุนการศึกษา ประจำปีการศึกษา ๒๕๖๔ รายการที่ 300") in everything
        assert "๓๐๐" in everything


def _register_pages(
    tmp_path: Path, rows: list[RegisterRow], *, thai_digits: bool = True
) -> tuple[PdfReader, list[str]]:
    """The register read back: pypdf's reader, and each page's text as pdftotext gives it (content order)."""
    data = render_register_pdf(
        title="ทะเบียนหนังสือรับ", unit_name="สพป.ขอนแก่น เขต ๕", year_be=2565, rows=rows, thai_digits=thai_digits
    )
    path = _write(tmp_path, "register.pdf", data)
    reader = PdfReader(path)
    assert PDFTOTEXT is not None
    run = subprocess.run([PDFTOTEXT, "-raw", str(path), "-"], check=True, capture_output=True, timeout=60)
    assert not run.stderr, run.stderr  # poppler complains about damaged fonts and objects on stderr
    pages = run.stdout.decode("utf-8").split("\f")[: len(reader.pages)]
    assert len(pages) == len(reader.pages)
    return reader, pages


@needs_poppler
def test_register_rows_never_split_across_pages(tmp_path: Path) -> None:
    rows = _rows(120, lambda i: f"BEGIN{i}X" + LONG * (i % 6) + f" END{i}X")
    reader, pages = _register_pages(tmp_path, rows)
    assert len(reader.pages) > 10
    seen: list[int] = []
    for number, text in enumerate(pages, start=1):
        starts = [int(m) for m in re.findall(r"BEGIN(\d+)X", text)]
        ends = [int(m) for m in re.findall(r"END(\d+)X", text)]
        assert starts and starts == ends, (number, starts, ends)  # every row whole on its page
        seen += starts
        assert "ทะเบียนหนังสือรับ" in text and "การปฏิบัติ" in text
        assert f"หน้า {to_thai_digits(str(number))}" in text
        page = reader.pages[number - 1]
        assert float(page.mediabox.width) > float(page.mediabox.height)
        assert "เลขทะเบียนรับ" in _squash(page.extract_text())
    assert seen == list(range(1, 121))


@needs_poppler
def test_register_wrapping_keeps_every_word(tmp_path: Path) -> None:
    words = [f"คำที่{i}" if i % 4 else f"ถ้อยคำภาษาไทยที่ค่อนข้างยาว{i}" for i in range(1, 40)]
    unbroken = "ก" * 20 + "ขอความอนุเคราะห์ข้อมูลนักเรียนทุนการศึกษาประจำปีการศึกษา" * 2  # wider than its cell
    rows = [
        RegisterRow(1, "ที่ ๑/๒๕๖๕", "๑ ม.ค. ๒๕๖๕", unbroken, "ผู้อำนวยการ", " ".join(words), "ทราบ", "", "-"),
        RegisterRow(
            2, "Latin text", "1 Jan 2022", "Office of the Basic Education Commission", "x", "น้ำ สำนัก", "", "", ""
        ),
    ]
    _reader, pages = _register_pages(tmp_path, rows, thai_digits=False)
    text = pages[0]
    lines = text.splitlines()
    assert _squash(" ".join(words)) in _squash(text)
    for word in words:  # spaces are where lines break: no word is cut
        assert any(word in line.split() for line in lines), word
    assert _squash(unbroken) in _squash(text)  # cut inside, at safe points, but every letter kept
    assert not any(
        line.startswith(tuple("\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e47\u0e48\u0e49\u0e4a\u0e4b"))
        for line in lines
    )
    assert _squash("Office of the Basic Education Commission") in _squash(text)
    assert "หน้า 1" in text  # arabic page numbers when thai_digits is off
    assert "พ.ศ. 2565" in text


def test_register_very_tall_cell_is_cut_and_fits_one_page() -> None:
    subject = " ".join(["เรื่องยาวมาก"] * 600)
    rows = [RegisterRow(i, f"ที่ {i}", "", "", "", subject, "", "", "") for i in (1, 2, 3)]
    data = render_register_pdf(title="ทะเบียนหนังสือรับ", unit_name="หน่วย", year_be=2565, rows=rows)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 3  # each row cut to 32 lines, so that it fits a page of its own
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"ที่ {number}" in text and "…" in text
        assert 20 < _squash(text).count("เรื่องยาวมาก") < 600


@needs_poppler
def test_register_breaks_unspaced_thai_between_words(tmp_path: Path) -> None:
    """Thai runs words together without spaces; a run wider than its cell breaks between dictionary words
    (ผู้อำนวยการ|สำนักงาน…), not inside one (การศึ|กษา), as the old character rule did."""
    from search.thai import word_starts

    recipient = "ผู้อำนวยการสำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่นเขตห้า"
    sender = "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน"
    rows = [RegisterRow(1, "ที่ ๑", "", sender, recipient, "ขอเชิญประชุม", "", "", "")]
    _reader, pages = _register_pages(tmp_path, rows)
    # pdftotext -raw gives each line's cells side by side: follow the cell's text through the page's words
    words = [w.replace("\u0e4d\u0e32", "\u0e33") for w in pages[0].split()]  # poppler writes ำ as ํา
    for text in (recipient, sender):
        pieces: list[str] = []
        at = 0
        for word in words:
            if at < len(text) and text.startswith(word, at):
                pieces.append(word)
                at += len(word)
        assert "".join(pieces) == text, (text, pieces)  # every letter kept
        assert len(pieces) > 1  # wider than its cell: wrapped
        boundaries = set(word_starts(text))
        at = 0
        for piece in pieces[:-1]:
            at += len(piece)
            assert at in boundaries, (text[:at], text[at:])


@needs_poppler
@pytest.mark.parametrize("thai_digits", [True, False])
def test_register_dates_follow_the_digit_setting(tmp_path: Path, *, thai_digits: bool) -> None:
    """The register's data comes with Arabic digits (as JSON and CSV give it); the printed register shows the
    receive number and both dates in the office's digits, and the letter's own number as the letter has it."""
    row = RegisterRow(5, "ศธ 04045/12", "21 พ.ย. 2569", "สพฐ.", "", "เรื่อง", "", "", "21 พ.ย. 2569 14.34 น.")
    _reader, pages = _register_pages(tmp_path, [row], thai_digits=thai_digits)
    text = _squash(pages[0])
    assert _squash("ศธ 04045/12") in text
    if thai_digits:
        assert _squash("๒๑ พ.ย. ๒๕๖๙") in text and _squash("๑๔.๓๔ น.") in text and "2569" not in text
    else:
        assert _squash("21 พ.ย. 2569") in text and _squash("14.34 น.") in text and "๒๕๖๙" not in text
