"""Realistic test documents: Thai official letters as text PDFs, scans (images), broken files.

Importable by every test: ``from tests.samples import thai_letter_pdf, scanned_letter_pdf, ...``.
Everything is generated in memory with fpdf2 (HarfBuzz shaping) and Pillow (raqm) using the Thai font from
``service.pdf.fonts``; the functions are deterministic (same arguments, same content; fpdf2 stamps no dates
because ``creation_date`` is fixed).
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont, features

from service.pdf.fonts import thai_font

FIXED_DATE = datetime(2022, 3, 23, 9, 0, tzinfo=UTC)

LETTER_NO = "ที่ ศธ ๐๔๐๔๕/๑๒๓"
OFFICE_LINES = (
    "สำนักงานเขตพื้นที่การศึกษา",
    "ประถมศึกษาขอนแก่น เขต ๕",
    "ถนนมะลิวัลย์ อำเภอชุมแพ",
    "จังหวัดขอนแก่น ๔๐๑๓๐",
)
WIDE_OFFICE_LINES = (
    "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต ๕",
    "กลุ่มส่งเสริมการจัดการศึกษา งานทุนการศึกษาและกองทุน",
    "เลขที่ ๑๒๓ หมู่ ๔ ถนนมะลิวัลย์ ตำบลชุมแพ อำเภอชุมแพ",
    "จังหวัดขอนแก่น ๔๐๑๓๐ โทรศัพท์ ๐ ๔๓๓๑ ๑๒๓๔",
    "โทรสาร ๐ ๔๓๓๑ ๑๒๓๕ อีเมล saraban@khonkaen5.go.th",
)
LETTER_DATE = "๒๓ มีนาคม ๒๕๖๕"
TO = "ผู้อำนวยการโรงเรียนบ้านโนนสวรรค์"
REFERENCE = "หนังสือสำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน ที่ ศธ ๐๔๐๐๖/ว ๕๖๗ ลงวันที่ ๑ มีนาคม ๒๕๖๕"
ENCLOSURE = "แบบรายงานข้อมูลนักเรียน จำนวน ๑ ฉบับ"
SIGNER = "(นายสมชาย ใจดี)"
SIGNER_POSITION = "ผู้อำนวยการสำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต ๕"

PARAGRAPHS = (
    "ตามหนังสือที่อ้างถึง สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐานได้แจ้งให้สำนักงานเขตพื้นที่การศึกษา "
    "สำรวจข้อมูลนักเรียน ที่ได้รับทุนการศึกษาในปีการศึกษา ๒๕๖๔ เพื่อใช้ประกอบการจัดสรรงบประมาณ "
    "และติดตามผลการดำเนินงาน ของโครงการทุนการศึกษา ให้เป็นไปตามวัตถุประสงค์ นั้น",
    "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต ๕ พิจารณาแล้ว จึงขอความอนุเคราะห์ "
    "ให้โรงเรียนรายงานข้อมูล นักเรียนทุนการศึกษา ตามแบบรายงานที่ส่งมาพร้อมนี้ "
    "และส่งคืนสำนักงานเขตพื้นที่การศึกษา ภายในวันที่ ๘ เมษายน ๒๕๖๕ ทั้งนี้ "
    "สามารถดาวน์โหลดแบบรายงาน ได้ที่เว็บไซต์ของสำนักงาน",
    "อนึ่ง หากมีข้อสงสัยประการใด สามารถติดต่อสอบถามได้ที่กลุ่มส่งเสริมการจัดการศึกษา ในวันและเวลาราชการ",
)
CONTINUATION = (
    "รายละเอียดของข้อมูลที่ต้องรายงาน ประกอบด้วย ชื่อและนามสกุลของนักเรียน ระดับชั้น "
    "ประเภทของทุนที่ได้รับ จำนวนเงินทุน ผลการเรียนเฉลี่ยสะสม และสภาพความเป็นอยู่ ของครอบครัว "
    "โดยให้ครูประจำชั้น เป็นผู้ตรวจสอบความถูกต้อง ก่อนส่งรายงาน",
    "ในกรณีที่นักเรียนย้ายสถานศึกษาระหว่างปีการศึกษา ให้ระบุชื่อสถานศึกษาแห่งใหม่ "
    "และวันที่ย้ายในช่องหมายเหตุ เพื่อให้สามารถติดตาม การได้รับทุนอย่างต่อเนื่อง "
    "ทั้งนี้ ข้อมูลส่วนบุคคลของนักเรียน จะใช้เพื่อการบริหารทุนการศึกษาเท่านั้น",
    "สำนักงานเขตพื้นที่การศึกษาจะรวบรวมข้อมูลจากโรงเรียนในสังกัดทั้งหมด "
    "และจัดทำรายงานสรุป เสนอสำนักงานคณะกรรมการการศึกษาขั้นพื้นฐานต่อไป "
    "จึงขอให้โรงเรียนดำเนินการตามกำหนดเวลาอย่างเคร่งครัด",
)
CLOSING = "จึงเรียนมาเพื่อโปรดพิจารณาให้ความอนุเคราะห์ด้วย จะขอบคุณยิ่ง"
OWNER_LINES = (
    "กลุ่มส่งเสริมการจัดการศึกษา",
    "โทร. ๐ ๔๓๓๑ ๑๒๓๔ ต่อ ๑๐๕",
    "ไปรษณีย์อิเล็กทรอนิกส์ saraban@khonkaen5.go.th",
)

SCANNED_TEXT = "\n".join(
    [
        LETTER_NO,
        *OFFICE_LINES,
        "",
        LETTER_DATE,
        "เรื่อง  ขอความอนุเคราะห์ข้อมูลนักเรียนทุนการศึกษา",
        "เรียน  " + TO,
        "",
        "ตามหนังสือที่อ้างถึง สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน",
        "ได้แจ้งให้สำรวจข้อมูลนักเรียนที่ได้รับทุนการศึกษา",
        "ในปีการศึกษา ๒๕๖๔ เพื่อใช้ประกอบการจัดสรรงบประมาณ",
        "",
        CLOSING,
        "",
        "ขอแสดงความนับถือ",
        SIGNER,
    ]
)

_LEFT = 30.0  # mm: the regulation's 3 cm left margin
_RIGHT = 20.0
_PAGE_W = 210.0
_BODY_SIZE = 14
_LINE_H = 7.0
_INDENT = 25.0


class _Letter(FPDF):
    def __init__(self) -> None:
        super().__init__(unit="mm", format="A4")
        self.set_auto_page_break(auto=False)
        self.set_margins(_LEFT, 15, _RIGHT)
        self.set_creation_date(FIXED_DATE)
        self.set_creator("saraban tests")
        self.add_font("thai", "", str(thai_font()))
        self.add_font("thai", "B", str(thai_font(bold=True)))
        self.set_text_shaping(use_shaping_engine=True)

    def text_at(self, x: float, y: float, text: str, *, size: float = _BODY_SIZE, style: str = "") -> None:
        self.set_font("thai", style, size)
        self.set_xy(x, y)
        self.cell(text=text, h=_LINE_H)

    def right_block(self, lines: tuple[str, ...], *, y: float, x: float | None = None) -> float:
        """Lines left-aligned at ``x`` (right-aligned to the margin when x is None); returns the next y."""
        self.set_font("thai", "", _BODY_SIZE)
        for line in lines:
            if x is None:
                self.set_xy(_LEFT, y)
                self.cell(w=_PAGE_W - _LEFT - _RIGHT, h=_LINE_H, text=line, align="R")
            else:
                self.set_xy(x, y)
                self.cell(h=_LINE_H, text=line)
            y += _LINE_H
        return y

    def paragraph(self, text: str, y: float) -> float:
        self.set_font("thai", "", _BODY_SIZE)
        self.set_xy(_LEFT, y)
        # Thai has no spaces between words: the texts here put a space between phrases, where lines may break
        # (no zero-width spaces: they would end up in the extracted text).
        self.multi_cell(
            w=_PAGE_W - _LEFT - _RIGHT,
            h=_LINE_H,
            text=" " * 8 + text,
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        return self.get_y() + 1.5

    def garuda(self, cx: float, cy: float, r: float) -> None:
        self.set_draw_color(60, 60, 60)
        self.set_line_width(0.4)
        self.circle(x=cx, y=cy, radius=r)
        self.set_draw_color(0, 0, 0)


@lru_cache(maxsize=64)  # deterministic, and ~0.25 s a letter: the suite asks for the same few hundreds of times
def thai_letter_pdf(
    *,
    pages: int = 1,
    body_to_margin: bool = False,
    subject: str = "ขอความอนุเคราะห์ข้อมูลนักเรียนทุนการศึกษา",
    extra_body: str = "",
) -> bytes:
    """An external letter (หนังสือภายนอก) from สพป.ขอนแก่น เขต ๕ as a text PDF of ``pages`` A4 pages.

    Page 1: ``ที่`` top-left, the garuda (a circle) top-centre, the office address top-right, date, เรื่อง, เรียน,
    อ้างถึง, สิ่งที่ส่งมาด้วย, body (``extra_body`` appended as its own paragraph), and the signature
    block on the last page. ``body_to_margin`` makes the address block wide and high, running to the right
    margin at the very top of the page, where a naive top-right stamp would land.
    """
    if pages < 1:
        raise ValueError("pages must be >= 1")
    pdf = _Letter()
    pdf.add_page()
    if body_to_margin:
        pdf.garuda(55, 32, 10)
        pdf.text_at(_LEFT, 12, LETTER_NO)
        y = pdf.right_block(WIDE_OFFICE_LINES, y=12)
        y += 4
    else:
        pdf.garuda(105, 30, 15)
        pdf.text_at(_LEFT, 50, LETTER_NO)
        y = pdf.right_block(OFFICE_LINES, y=50, x=130)
        y += 3
    pdf.text_at(105, y, LETTER_DATE)
    y += _LINE_H + 3
    pdf.text_at(_LEFT, y, "เรื่อง", style="B")
    pdf.text_at(_LEFT + 13, y, subject)
    y += _LINE_H + 2
    pdf.text_at(_LEFT, y, "เรียน", style="B")
    pdf.text_at(_LEFT + 13, y, TO)
    y += _LINE_H + 2
    pdf.text_at(_LEFT, y, "อ้างถึง", style="B")
    pdf.set_font("thai", "", _BODY_SIZE)
    pdf.set_xy(_LEFT + 22, y)
    pdf.multi_cell(w=_PAGE_W - _LEFT - _RIGHT - 22, h=_LINE_H, text=REFERENCE)
    y = pdf.get_y() + 2
    pdf.text_at(_LEFT, y, "สิ่งที่ส่งมาด้วย", style="B")
    pdf.text_at(_LEFT + 28, y, ENCLOSURE)
    y += _LINE_H + 4

    body = list(PARAGRAPHS)
    if extra_body:
        body.insert(2, extra_body)
    for para in body:
        y = pdf.paragraph(para, y)

    for page_no in range(2, pages + 1):
        pdf.add_page()
        pdf.set_font("thai", "", _BODY_SIZE)
        pdf.set_xy(0, 12)
        pdf.cell(w=_PAGE_W, h=_LINE_H, text=f"- {_thai(page_no)} -", align="C")
        y = 25.0
        for para in CONTINUATION:
            y = pdf.paragraph(para, y)
        y = pdf.paragraph(f"(หน้า {_thai(page_no)} จาก {_thai(pages)}) " + CONTINUATION[page_no % 3], y)

    pdf.text_at(_LEFT + _INDENT, y + 2, CLOSING)
    y += _LINE_H * 2 + 4
    pdf.text_at(105, y, "ขอแสดงความนับถือ")
    y += _LINE_H * 3
    pdf.text_at(110, y, SIGNER)
    pdf.text_at(85, y + _LINE_H, SIGNER_POSITION)
    y = max(y + _LINE_H * 3, 255.0)
    for line in OWNER_LINES:
        pdf.text_at(_LEFT, y, line, size=12)
        y += 6
    return bytes(pdf.output())


def _thai(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))


# ----------------------------------------------------------------------------------------------------
# Scans


@lru_cache(maxsize=8)
def _letter_image(text: str, dpi: int = 200) -> Image.Image:
    """An A4 page at ``dpi`` with ``text`` typeset in black on white, like a clean scan of a letter."""
    px_per_mm = dpi / 25.4
    size = (round(210 * px_per_mm), round(297 * px_per_mm))
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    layout = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    font = ImageFont.truetype(str(thai_font()), size=round(14 / 72 * dpi), layout_engine=layout)
    # garuda placeholder
    cx, cy, r = size[0] / 2, 30 * px_per_mm, 15 * px_per_mm
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=90, width=3)
    x0 = 30 * px_per_mm
    y = 50 * px_per_mm
    step = 8 * px_per_mm
    for line in text.split("\n"):
        if line:
            draw.text((x0, y), line, font=font, fill=0)
        y += step
    return img


def letter_png(*, text: str = SCANNED_TEXT) -> bytes:
    """A 200 dpi A4 scan of a Thai letter as PNG (grayscale)."""
    out = io.BytesIO()
    _letter_image(text).save(out, format="PNG", optimize=False)
    return out.getvalue()


def letter_jpeg(*, text: str = SCANNED_TEXT, quality: int = 85) -> bytes:
    """A 200 dpi A4 scan of a Thai letter as JPEG (RGB, as phones and scanners produce)."""
    out = io.BytesIO()
    _letter_image(text).convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


def letter_gif(*, text: str = SCANNED_TEXT) -> bytes:
    out = io.BytesIO()
    _letter_image(text).convert("P").save(out, format="GIF")
    return out.getvalue()


@lru_cache(maxsize=8)
def scanned_letter_pdf(*, text: str = SCANNED_TEXT) -> bytes:
    """A one-page A4 PDF whose only content is a 200 dpi image of the letter (for OCR tests)."""
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_creator("saraban tests scanner")
    pdf.add_page()
    pdf.image(io.BytesIO(letter_jpeg(text=text)), x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def encrypted_pdf(user_password: str, *, pages: int = 2) -> bytes:
    """A Thai letter encrypted with AES-128: with ``user_password=""`` it opens without a password (an owner
    password only, "no editing"), as many issued PDFs do; with one, it cannot be read without it."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(thai_letter_pdf(pages=pages))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def corrupt_pdf() -> bytes:
    """Starts like a PDF, then garbage: no objects, no xref, no trailer."""
    junk = bytes((i * 37 + 11) % 256 for i in range(2048))
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + junk + b"\n%%EOF\n"


def exe_bytes() -> bytes:
    """The start of a Windows executable (MZ header), for 'an .exe renamed .pdf'."""
    header = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8" + b"\x00" * 43 + b"\x80\x00\x00\x00"
    stub = b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21"
    stub += b"This program cannot be run in DOS mode.\r\r\n$"
    return header + stub + b"\x00" * (0x80 - len(header) - len(stub)) + b"PE\x00\x00" + b"\x00" * 400


def write_big_pdf(path: Path, size: int) -> None:
    """A valid one-page PDF of about ``size`` bytes, written in pieces: the bulk is an embedded file of random
    bytes, referenced from the catalog's /EmbeddedFiles name tree (stamp tests, ``bench/register.py``)."""
    page_text = b"BT /F1 24 Tf 72 720 Td (Big attachment test) Tj ET"
    offsets: dict[int, int] = {}
    with path.open("wb") as f:
        f.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

        def obj(num: int, body: bytes) -> None:
            offsets[num] = f.tell()
            f.write(b"%d 0 obj\n" % num + body + b"\nendobj\n")

        obj(1, b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(data.bin) 6 0 R] >> >> >>")
        obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        obj(
            3,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Contents 4 0 R"
            b" /Resources << /Font << /F1 7 0 R >> >> >>",
        )
        obj(4, b"<< /Length %d >>\nstream\n" % len(page_text) + page_text + b"\nendstream")
        body_len = max(0, size - 2048)
        offsets[5] = f.tell()
        f.write(b"5 0 obj\n<< /Type /EmbeddedFile /Length %d >>\nstream\n" % body_len)
        left = body_len
        while left:
            chunk = os.urandom(min(left, 4 * 1024 * 1024))
            f.write(chunk)
            left -= len(chunk)
        f.write(b"\nendstream\nendobj\n")
        obj(6, b"<< /Type /Filespec /F (data.bin) /UF (data.bin) /EF << /F 5 0 R >> >>")
        obj(7, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        xref = f.tell()
        f.write(b"xref\n0 8\n0000000000 65535 f \n")
        f.write(b"".join(b"%010d 00000 n \n" % offsets[num] for num in range(1, 8)))
        f.write(b"trailer\n<< /Size 8 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)
