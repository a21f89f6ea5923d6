"""The printable receive register (ทะเบียนหนังสือรับ, domain.md §3.3): landscape A4, Thai, fpdf2 with shaping.

Pure function: rows in, PDF bytes out. The column headings repeat at the top of every page, each page
carries the title, the unit and the year, a page number at the bottom; long Thai text wraps inside its cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from service.fonts import thai_font
from service.thai import to_thai_digits


@dataclass(frozen=True)
class RegisterRow:
    number: int
    letter_no: str
    letter_date: str
    sender: str
    recipient: str
    subject: str
    action: str
    remarks: str
    registered_at: str


COLUMNS: tuple[tuple[str, float], ...] = (
    ("เลขทะเบียนรับ", 24),
    ("ที่", 30),
    ("ลงวันที่", 22),
    ("จาก", 34),
    ("ถึง", 28),
    ("เรื่อง", 62),
    ("การปฏิบัติ", 30),
    ("หมายเหตุ", 22),
    ("ลงทะเบียนเมื่อ", 25),
)
"""Heading and width in mm; the widths fill the 277 mm between 10 mm margins of landscape A4."""

_FONT = "thai"
_BODY_PT = 10.0
_HEAD_PT = 10.0
_LINE_MM = 4.8  # ≥ 1.3 × the font size, so Thai marks above and below never touch the neighbouring lines


class _RegisterPdf(FPDF):
    def __init__(self, *, title: str, subtitle: str, thai_digits: bool) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.title_text = title
        self.subtitle_text = subtitle
        self.thai_digits = thai_digits
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(auto=True, margin=14)
        self.add_font(_FONT, "", str(thai_font()))
        self.add_font(_FONT, "B", str(thai_font(bold=True)))
        self.set_text_shaping(use_shaping_engine=True)
        self.set_creator("saraban")
        self.set_title(title)

    def header(self) -> None:
        self.set_font(_FONT, "B", 14)
        self.cell(w=0, h=7, text=self.title_text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(_FONT, "", 11)
        self.cell(w=0, h=6, text=self.subtitle_text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(_FONT, "", 9)
        page = str(self.page_no())
        self.cell(w=0, h=5, text=f"หน้า {to_thai_digits(page) if self.thai_digits else page}", align="C")


def _cells(row: RegisterRow, *, thai_digits: bool) -> tuple[str, ...]:
    number = str(row.number)
    return (
        to_thai_digits(number) if thai_digits else number,
        row.letter_no,
        row.letter_date,
        row.sender,
        row.recipient,
        row.subject,
        row.action,
        row.remarks,
        row.registered_at,
    )


_PAD_X = 1.0
_PAD_Y = 0.8
_HEAD_FILL = (225, 225, 225)
_LEADING_VOWELS = "\u0e40\u0e41\u0e42\u0e43\u0e44"


def _break_points(word: str) -> list[int]:
    """Where a too-long word may be split: before a consonant, a leading vowel or a non-Thai character,
    never before a vowel sign or tone mark and never right after a leading vowel (so no mark floats alone)."""
    points = []
    for i in range(1, len(word)):
        o = ord(word[i])
        starts = 0x0E01 <= o <= 0x0E2E or word[i] in _LEADING_VOWELS or not 0x0E00 <= o <= 0x0E7F
        if starts and word[i - 1] not in _LEADING_VOWELS:
            points.append(i)
    return points


class _Wrapper:
    """Greedy line breaking at spaces (then inside over-long words), with widths cached per piece.

    fpdf2's own multi_cell re-shapes the growing line for every character, ~20 ms per table row with
    Thai shaping; measuring each word once makes 2,000 rows several times faster.
    """

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.cache: dict[tuple[str, float, str], float] = {}

    def width(self, text: str) -> float:
        key = (self.pdf.font_style, self.pdf.font_size_pt, text)
        w = self.cache.get(key)
        if w is None:
            w = self.cache[key] = float(self.pdf.get_string_width(text))
        return w

    def _split_word(self, word: str, limit: float) -> list[str]:
        pieces: list[str] = []
        start = 0
        cuts = [*_break_points(word), len(word)]
        prev = None
        for cut in cuts:
            if prev is not None and self.width(word[start:cut]) > limit and prev > start:
                pieces.append(word[start:prev])
                start = prev
            prev = cut
        pieces.append(word[start:])
        return pieces

    def wrap(self, text: str, limit: float) -> list[str]:
        lines: list[str] = []
        space = self.width(" ")
        for paragraph in text.splitlines() or [""]:
            current: list[str] = []
            current_w = 0.0
            for word in paragraph.split():
                parts = [word] if self.width(word) <= limit else self._split_word(word, limit)
                for part in parts:
                    w = self.width(part)
                    if current and current_w + space + w <= limit:
                        current.append(part)
                        current_w += space + w
                    else:
                        if current:
                            lines.append(" ".join(current))
                        current, current_w = [part], w
            lines.append(" ".join(current))
        return lines


def _draw_row(
    pdf: FPDF, wrapper: _Wrapper, cells: Sequence[str], *, style: str, fill: bool, aligns: Sequence[str]
) -> None:
    pdf.set_font(_FONT, style, _HEAD_PT if fill else _BODY_PT)
    wrapped = [wrapper.wrap(text, w - 2 * _PAD_X) for text, (_, w) in zip(cells, COLUMNS, strict=True)]
    room = pdf.h - pdf.b_margin - pdf.t_margin - 30
    max_lines = max(1, int((room - 2 * _PAD_Y) // _LINE_MM))
    wrapped = [
        lines if len(lines) <= max_lines else [*lines[: max_lines - 1], lines[max_lines - 1] + " …"]
        for lines in wrapped
    ]
    height = max(len(lines) for lines in wrapped) * _LINE_MM + 2 * _PAD_Y
    if pdf.get_y() + height > pdf.h - pdf.b_margin and not fill:
        pdf.add_page()
        _draw_headings(pdf, wrapper)
        pdf.set_font(_FONT, style, _BODY_PT)
    x0, y0 = pdf.l_margin, pdf.get_y()
    x = x0
    for lines, (_, w), align in zip(wrapped, COLUMNS, aligns, strict=True):
        pdf.rect(x, y0, w, height, style="DF" if fill else "D")
        top = y0 + _PAD_Y
        if fill:  # headings: centred vertically
            top += (height - 2 * _PAD_Y - len(lines) * _LINE_MM) / 2
        for i, line in enumerate(lines):
            if line:
                pdf.set_xy(x + _PAD_X, top + i * _LINE_MM)
                pdf.cell(w=w - 2 * _PAD_X, h=_LINE_MM, text=line, align=align)
        x += w
    pdf.set_xy(x0, y0 + height)


_BODY_ALIGN = ("C", "L", "L", "L", "L", "L", "L", "L", "L")


def _draw_headings(pdf: FPDF, wrapper: _Wrapper) -> None:
    pdf.set_fill_color(*_HEAD_FILL)
    _draw_row(pdf, wrapper, [h for h, _ in COLUMNS], style="B", fill=True, aligns=["C"] * len(COLUMNS))


def render_register_pdf(
    *,
    title: str,
    unit_name: str,
    year_be: int,
    rows: Sequence[RegisterRow],
    thai_digits: bool = True,
) -> bytes:
    """The register as a PDF: ``title`` (e.g. ``ทะเบียนหนังสือรับ``), the unit and B.E. year on every page.

    ``thai_digits`` applies to what this function formats (receive numbers, the year, page numbers); the other
    cells are printed as given.
    """
    year = str(year_be)
    subtitle = f"{unit_name}  ประจำปี พ.ศ. {to_thai_digits(year) if thai_digits else year}"
    pdf = _RegisterPdf(title=title, subtitle=subtitle, thai_digits=thai_digits)
    pdf.set_auto_page_break(auto=False, margin=14)
    pdf.set_line_width(0.2)
    wrapper = _Wrapper(pdf)
    pdf.add_page()
    _draw_headings(pdf, wrapper)
    for item in rows:
        _draw_row(pdf, wrapper, _cells(item, thai_digits=thai_digits), style="", fill=False, aligns=_BODY_ALIGN)
    if not rows:
        pdf.ln(4)
        pdf.set_font(_FONT, "", 11)
        pdf.cell(w=0, h=6, text="ไม่มีหนังสือรับ", align="C")
    return bytes(pdf.output())


__all__ = ["COLUMNS", "RegisterRow", "render_register_pdf"]
