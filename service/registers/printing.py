"""The printable receive register (ทะเบียนหนังสือรับ, ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด 2 ส่วนที่ 1): landscape A4,
Thai, drawn with the project's
own PDF text machinery (``service.pdf.text``: HarfBuzz shaping, subset Type0 fonts, raw PDF operators).

Pure function: rows in, PDF bytes out. The column headings repeat at the top of every page, each page
carries the title, the unit and the year, a page number at the bottom; long Thai text wraps inside its cell.
Shaped texts, their widths and the operators showing them are cached per document, so cells that repeat from row
to row (senders, dates, actions) are shaped once: 2,000 rows take well under a second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from service.kit.thai import to_thai_digits
from service.pdf.font import _font_source
from service.pdf.fonts import thai_font
from service.pdf.text import FontUse, Memo, Page, assemble, deflate, font_name, pdf_number


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

# Everything below is in points (1 mm = 72 / 25.4 pt), y measured downwards from the top of the page; it is
# turned into PDF space (y upwards) only when operators are written.
_MM = 72 / 25.4
_PAGE_W = 297 * _MM
_PAGE_H = 210 * _MM
_MARGIN = 10 * _MM
_INNER_W = _PAGE_W - 2 * _MARGIN
_BOTTOM = _PAGE_H - 14 * _MM  # a row must end above this, or it goes to the next page
_BODY_PT = 10.0
_HEAD_PT = 10.0
_LINE = 4.8 * _MM  # ≥ 1.3 × the font size, so Thai marks above and below never touch the neighbouring lines
_PAD_X = 1.0 * _MM
_PAD_Y = 0.8 * _MM
_MAX_LINES = max(1, int((210 - 14 - 10 - 30 - 2 * 0.8) // 4.8))
"""Lines a cell shows at most (the rest is cut, ending in " …"): a row always fits on an empty page."""
_HEAD_FILL = (225, 225, 225)
_LINE_WIDTH = 0.2 * _MM
_BODY_ALIGN = ("C", "L", "L", "L", "L", "L", "L", "L", "L")
_HEAD_ALIGN = ("C",) * len(COLUMNS)
_LEADING_VOWELS = "\u0e40\u0e41\u0e42\u0e43\u0e44"


def _cells(row: RegisterRow, digits: Callable[[str], str]) -> tuple[str, ...]:
    """The row's cells; the number and the two dates in the register's digits (the rest as the letter has it)."""
    return (
        digits(str(row.number)),
        row.letter_no,
        digits(row.letter_date),
        row.sender,
        row.recipient,
        row.subject,
        row.action,
        row.remarks,
        digits(row.registered_at),
    )


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
    """Greedy line breaking at spaces (then inside over-long words) in one font and size; each piece is measured
    once (its shaped advance), each over-long word split and each cell text wrapped once per width."""

    def __init__(self, font: FontUse, size: float) -> None:
        self.font = font
        self.size = size
        self.space = font.width(" ", size)
        self.wrapped: Memo[tuple[str, float], list[str]] = Memo(4096)
        self.split: Memo[tuple[str, float], list[str]] = Memo(4096)

    def width(self, text: str) -> float:
        return self.font.width(text, self.size)

    def _split_word(self, word: str, limit: float) -> list[str]:
        return self.split.get((word, limit), lambda: self._split(word, limit))

    def _split(self, word: str, limit: float) -> list[str]:
        """Pieces of a word wider than ``limit``: at Thai word boundaries where they fit (ผู้อำนวยการ|สำนักงาน),
        else at the last safe break point that fits, else (not even one cluster fits) after the first one."""
        from search.thai import word_starts

        by_word, by_cluster = word_starts(word), _break_points(word)
        pieces: list[str] = []
        start = 0
        while self.width(word[start:]) > limit:
            cut = self._last_fitting(word, start, by_word, limit) or self._last_fitting(word, start, by_cluster, limit)
            if cut is None:
                cut = next((c for c in by_cluster if c > start), None)
                if cut is None:
                    break
            pieces.append(word[start:cut])
            start = cut
        pieces.append(word[start:])
        return pieces

    def _last_fitting(self, word: str, start: int, cuts: list[int], limit: float) -> int | None:
        best = None
        for cut in cuts:
            if cut <= start:
                continue
            if self.width(word[start:cut]) > limit:
                break
            best = cut
        return best

    def wrap(self, text: str, limit: float) -> list[str]:
        """The lines of ``text`` in ``limit`` points (a word with no break point may stay wider); cached: do not
        change the list."""
        return self.wrapped.get((text, limit), lambda: self._wrap(text, limit))

    def _wrap(self, text: str, limit: float) -> list[str]:
        lines: list[str] = []
        for paragraph in text.splitlines() or [""]:
            current: list[str] = []
            current_w = 0.0
            for word in paragraph.split():
                parts = [word] if self.width(word) <= limit else self._split_word(word, limit)
                for part in parts:
                    w = self.width(part)
                    if current and current_w + self.space + w <= limit:
                        current.append(part)
                        current_w += self.space + w
                    else:
                        if current:
                            lines.append(" ".join(current))
                        current, current_w = [part], w
            lines.append(" ".join(current))
        return lines


class _Sheet:
    """One page's operators being collected: filled and stroked rectangles first, then all the text in one
    BT/ET block (so the grey heading cells lie under their text), in reading order."""

    def __init__(self, fonts: dict[str, FontUse]) -> None:
        self.fonts = fonts
        self.filled: list[bytes] = []
        self.stroked: list[bytes] = []
        self.text: list[bytes] = []
        self.selected: tuple[str, float] | None = None

    def rect(self, x: float, top: float, w: float, h: float, *, fill: bool) -> None:
        (self.filled if fill else self.stroked).append(
            b"%s %s %s %s re\n" % (pdf_number(x), pdf_number(_PAGE_H - top - h), pdf_number(w), pdf_number(h))
        )

    def show(self, font: str, size: float, text: str, x: float, top: float, height: float, align: str = "L") -> None:
        """``text`` on one line in a box of ``height`` whose top is at ``top``, starting at ``x`` ("L") or
        centred on ``x`` ("C"); the baseline where fpdf2 put it (half the box height plus 0.3 of the size)."""
        use = self.fonts[font]
        if align == "C":
            x -= use.width(text, size) / 2
        if self.selected != (font, size):
            self.selected = (font, size)
            self.text.append(b"%s %s Tf\n" % (font_name(font), pdf_number(size)))
        baseline = _PAGE_H - (top + height / 2 + 0.3 * size)
        self.text.append(b"1 0 0 1 %s %s Tm\n" % (pdf_number(x), pdf_number(baseline)))
        self.text.append(use.show(text, size))

    def content(self) -> bytes:
        grey = b" ".join(pdf_number(c / 255) for c in _HEAD_FILL)
        out = [b"2 J %s w\n" % pdf_number(_LINE_WIDTH)]
        if self.filled:
            out += [b"%s rg\n" % grey, *self.filled, b"B\n"]
        if self.stroked:
            out += [*self.stroked, b"S\n"]
        out += [b"0 g\nBT\n", *self.text, b"ET\n"]
        return b"".join(out)


class _Register:
    """The register being laid out, page after page."""

    def __init__(self, *, title: str, subtitle: str, digits: Callable[[str], str]) -> None:
        self.title = title
        self.subtitle = subtitle
        self.digits = digits
        self.fonts = {
            "R": FontUse(_font_source(thai_font())),
            "B": FontUse(_font_source(thai_font(bold=True))),
        }
        self.body = _Wrapper(self.fonts["R"], _BODY_PT)
        self.head = _Wrapper(self.fonts["B"], _HEAD_PT)
        self.pages: list[Page] = []
        self.sheet = _Sheet(self.fonts)
        self.y = 0.0
        self.started = False

    def new_page(self) -> None:
        """Ends the current page (if any) and starts one with the title, the subtitle and the headings."""
        if self.started:
            self.end_page()
        self.started = True
        self.sheet = _Sheet(self.fonts)
        centre = _MARGIN + _INNER_W / 2
        self.sheet.show("B", 14, self.title, centre, _MARGIN, 7 * _MM, "C")
        self.sheet.show("R", 11, self.subtitle, centre, _MARGIN + 7 * _MM, 6 * _MM, "C")
        self.y = _MARGIN + 15 * _MM
        self.row([h for h, _ in COLUMNS], heading=True)

    def end_page(self) -> None:
        number = self.digits(str(len(self.pages) + 1))
        self.sheet.show("R", 9, f"หน้า {number}", _MARGIN + _INNER_W / 2, _PAGE_H - 11 * _MM, 5 * _MM, "C")
        self.pages.append(Page(_PAGE_W, _PAGE_H, deflate(self.sheet.content())))

    def row(self, cells: Sequence[str], *, heading: bool = False) -> None:
        """One table row; a body row that would cross the bottom margin goes whole to a new page."""
        wrapper, font, aligns = (self.head, "B", _HEAD_ALIGN) if heading else (self.body, "R", _BODY_ALIGN)
        wrapped = [wrapper.wrap(text, w * _MM - 2 * _PAD_X) for text, (_, w) in zip(cells, COLUMNS, strict=True)]
        wrapped = [
            lines if len(lines) <= _MAX_LINES else [*lines[: _MAX_LINES - 1], lines[_MAX_LINES - 1] + " …"]
            for lines in wrapped
        ]
        height = max(len(lines) for lines in wrapped) * _LINE + 2 * _PAD_Y
        if not heading and self.y + height > _BOTTOM:
            self.new_page()
        x, top = _MARGIN, self.y
        for lines, (_, w_mm), align in zip(wrapped, COLUMNS, aligns, strict=True):
            w = w_mm * _MM
            self.sheet.rect(x, top, w, height, fill=heading)
            line_top = top + _PAD_Y
            if heading:  # headings: centred vertically
                line_top += (height - 2 * _PAD_Y - len(lines) * _LINE) / 2
            at = x + w / 2 if align == "C" else x + _PAD_X
            for i, line in enumerate(lines):
                if line:
                    self.sheet.show(font, wrapper.size, line, at, line_top + i * _LINE, _LINE, align)
            x += w
        self.y = top + height

    def note(self, text: str) -> None:
        """A centred line of 11 pt text 4 mm below the table (the register with no rows)."""
        self.sheet.show("R", 11, text, _MARGIN + _INNER_W / 2, self.y + 4 * _MM, 6 * _MM, "C")


def render_register_pdf(
    *,
    title: str,
    unit_name: str,
    year_be: int,
    rows: Sequence[RegisterRow],
    thai_digits: bool = True,
) -> bytes:
    """The register as a PDF: ``title`` (e.g. ``ทะเบียนหนังสือรับ``), the unit and B.E. year on every page.

    ``thai_digits`` applies to the receive numbers, the two date columns, the year and the page numbers; the
    other cells (the letter's own number, its subject …) are printed as given.
    """
    digits: Callable[[str], str] = to_thai_digits if thai_digits else str  # the digits this register formats
    subtitle = f"{unit_name}  ประจำปี พ.ศ. {digits(str(year_be))}"
    register = _Register(title=title, subtitle=subtitle, digits=digits)
    register.new_page()
    for item in rows:
        register.row(_cells(item, digits))
    if not rows:
        register.note("ไม่มีหนังสือรับ")
    register.end_page()
    return assemble(register.pages, register.fonts, title=title)


__all__ = ["COLUMNS", "RegisterRow", "render_register_pdf"]
