"""Tables drawn with the toolkit's own text machinery (``service.pdf.text``: HarfBuzz shaping, subset Type0 fonts,
raw PDF operators): columns of given widths, the column headings repeated at the top of every page, Thai text
word-wrapped inside its cell (at spaces, then at Thai word boundaries from ``search.thai.word_starts``, then at
safe cluster boundaries), a row never split across pages, a page header and footer drawn by the caller.

Shaped texts, their widths and the operators showing them are cached per document, so cells that repeat from row
to row are shaped once: 2,000 rows take well under a second. The printed register
(``service.registers.printing``) is the first user.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from service.pdf.drawing import thai_fonts
from service.pdf.geometry import MM
from service.pdf.text import FontUse, Memo, Page, assemble, deflate, font_name, pdf_number

_LEADING_VOWELS = "\u0e40\u0e41\u0e42\u0e43\u0e44"


@dataclass(frozen=True)
class Column:
    heading: str
    width_mm: float
    align: str = "L"
    """Body cells: ``L`` (from the left padding) or ``C`` (centred); headings are always centred."""


@dataclass(frozen=True)
class TableStyle:
    """Page and cell geometry in millimetres, font sizes in points (defaults: landscape A4, 10 mm margins)."""

    page_w_mm: float = 297
    page_h_mm: float = 210
    margin_mm: float = 10
    bottom_mm: float = 14
    """A row must end this far above the bottom edge, or it goes to the next page."""
    body_pt: float = 10.0
    head_pt: float = 10.0
    line_mm: float = 4.8
    """Line pitch in cells: ≥ 1.3 × the font size, so Thai marks never touch the neighbouring lines."""
    pad_x_mm: float = 1.0
    pad_y_mm: float = 0.8
    max_lines: int = 32
    """Lines a cell shows at most (the rest is cut, ending in " …"); choose it so that a row fits on an empty
    page."""
    head_fill: tuple[int, int, int] = (225, 225, 225)
    line_width_mm: float = 0.2


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


class Wrapper:
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


class Sheet:
    """One page's operators being collected: filled and stroked rectangles first, then all the text in one
    BT/ET block (so the grey heading cells lie under their text), in reading order.

    Coordinates are in points with y measured downwards from the top of the page; they are turned into PDF
    space (y upwards) only when operators are written."""

    def __init__(self, fonts: dict[str, FontUse], page_h: float, style: TableStyle) -> None:
        self.fonts = fonts
        self.page_h = page_h
        self.style = style
        self.filled: list[bytes] = []
        self.stroked: list[bytes] = []
        self.text: list[bytes] = []
        self.selected: tuple[str, float] | None = None

    def rect(self, x: float, top: float, w: float, h: float, *, fill: bool) -> None:
        (self.filled if fill else self.stroked).append(
            b"%s %s %s %s re\n" % (pdf_number(x), pdf_number(self.page_h - top - h), pdf_number(w), pdf_number(h))
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
        baseline = self.page_h - (top + height / 2 + 0.3 * size)
        self.text.append(b"1 0 0 1 %s %s Tm\n" % (pdf_number(x), pdf_number(baseline)))
        self.text.append(use.show(text, size))

    def content(self) -> bytes:
        grey = b" ".join(pdf_number(c / 255) for c in self.style.head_fill)
        out = [b"2 J %s w\n" % pdf_number(self.style.line_width_mm * MM)]
        if self.filled:
            out += [b"%s rg\n" % grey, *self.filled, b"B\n"]
        if self.stroked:
            out += [*self.stroked, b"S\n"]
        out += [b"0 g\nBT\n", *self.text, b"ET\n"]
        return b"".join(out)


PageHeader = Callable[["Table", Sheet], float]
"""Draws a page's header (title …) on a new sheet; returns where (points from the top) the table starts."""
PageFooter = Callable[["Table", Sheet, int], None]
"""Draws a page's footer (page number …) on a finished sheet, given the page's number (1, 2, …)."""


class Table:
    """A table being laid out, page after page: :meth:`start`, :meth:`row` per row, :meth:`finish`.

    Fonts: ``R`` (regular: body) and ``B`` (bold: headings), also there for the header and footer."""

    def __init__(
        self,
        columns: Sequence[Column],
        style: TableStyle = TableStyle(),
        *,
        header: PageHeader | None = None,
        footer: PageFooter | None = None,
    ) -> None:
        self.columns = tuple(columns)
        self.style = style
        self.header = header
        self.footer = footer
        self.page_w = style.page_w_mm * MM
        self.page_h = style.page_h_mm * MM
        self.margin = style.margin_mm * MM
        self.inner_w = self.page_w - 2 * self.margin
        self.bottom = self.page_h - style.bottom_mm * MM
        self.line = style.line_mm * MM
        self.pad_x = style.pad_x_mm * MM
        self.pad_y = style.pad_y_mm * MM
        self.fonts = thai_fonts()
        self.body = Wrapper(self.fonts["R"], style.body_pt)
        self.head = Wrapper(self.fonts["B"], style.head_pt)
        self.pages: list[Page] = []
        self.sheet = Sheet(self.fonts, self.page_h, style)
        self.y = 0.0
        self.started = False

    @property
    def centre(self) -> float:
        """The x of the middle between the margins."""
        return self.margin + self.inner_w / 2

    def new_page(self) -> None:
        """Ends the current page (if any) and starts one with the header and the headings."""
        if self.started:
            self.end_page()
        self.started = True
        self.sheet = Sheet(self.fonts, self.page_h, self.style)
        self.y = self.header(self, self.sheet) if self.header is not None else self.margin
        self.row([c.heading for c in self.columns], heading=True)

    start = new_page

    def end_page(self) -> None:
        if self.footer is not None:
            self.footer(self, self.sheet, len(self.pages) + 1)
        self.pages.append(Page(self.page_w, self.page_h, deflate(self.sheet.content())))

    def row(self, cells: Sequence[str], *, heading: bool = False) -> None:
        """One table row; a body row that would cross the bottom margin goes whole to a new page."""
        wrapper, font = (self.head, "B") if heading else (self.body, "R")
        max_lines = self.style.max_lines
        wrapped = [
            wrapper.wrap(text, c.width_mm * MM - 2 * self.pad_x) for text, c in zip(cells, self.columns, strict=True)
        ]
        wrapped = [
            lines if len(lines) <= max_lines else [*lines[: max_lines - 1], lines[max_lines - 1] + " …"]
            for lines in wrapped
        ]
        height = max(len(lines) for lines in wrapped) * self.line + 2 * self.pad_y
        if not heading and self.y + height > self.bottom:
            self.new_page()
        x, top = self.margin, self.y
        for lines, column in zip(wrapped, self.columns, strict=True):
            w = column.width_mm * MM
            align = "C" if heading else column.align
            self.sheet.rect(x, top, w, height, fill=heading)
            line_top = top + self.pad_y
            if heading:  # headings: centred vertically
                line_top += (height - 2 * self.pad_y - len(lines) * self.line) / 2
            at = x + w / 2 if align == "C" else x + self.pad_x
            for i, line in enumerate(lines):
                if line:
                    self.sheet.show(font, wrapper.size, line, at, line_top + i * self.line, self.line, align)
            x += w
        self.y = top + height

    def note(self, text: str, size: float = 11) -> None:
        """A centred line of text 4 mm below the table (e.g. a table with no rows)."""
        self.sheet.show("R", size, text, self.centre, self.y + 4 * MM, 6 * MM, "C")

    def finish(self, *, title: str | None = None) -> bytes:
        """Ends the last page; the whole document as PDF bytes."""
        self.end_page()
        return assemble(self.pages, self.fonts, title=title)


__all__ = ["Column", "PageFooter", "PageHeader", "Sheet", "Table", "TableStyle", "Wrapper"]
