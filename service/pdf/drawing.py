"""Boxes of text drawn: lines shaped by HarfBuzz, written as PDF operators with Type0 fonts holding only the glyphs
used (through ``service.pdf.text``), in one colour, with or without a border. ``render_box`` gives a box alone as
a one-page PDF; ``service.pdf.update`` lays boxes over pages of existing PDFs.

The toolkit knows nothing of what the lines say: the receive stamp (``service.receiving.stamp``) is one box."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from service.pdf.font import font_source
from service.pdf.fonts import thai_font
from service.pdf.geometry import MM
from service.pdf.text import (
    FontUse,
    Glyph,
    Page,
    Sink,
    assemble,
    deflate,
    font_name,
    pdf_number,
    show_glyphs,
    write_font,
)

Colour = tuple[int, int, int]
"""RGB, 0–255."""


@dataclass(frozen=True)
class TextLine:
    """One line of a :class:`TextBox`."""

    text: str
    bold: bool = False
    size_pt: float | None = None
    """The font size; None: the box's ``size_pt``."""
    min_size_pt: float | None = None
    """When set, a line too wide for the box shrinks in half-point steps down to this size, then is squeezed
    horizontally (down to 40 %); None: the line is drawn at its size whatever its width."""


@dataclass(frozen=True)
class TextBox:
    """A box of centred lines of shaped Thai text in one colour; its size in points (None: fitted to the text).

    The lines are centred horizontally inside ``padding_pt`` and, as a block of ``line_height_pt`` lines,
    vertically; a line's baseline lies at half its line height plus 0.3 of its size (as fpdf2 placed a centred
    cell's text)."""

    lines: Sequence[TextLine | str]
    size_pt: float = 12.0
    line_height_pt: float | None = None
    """None: 1.45 × the largest font size of the lines."""
    width_pt: float | None = None
    height_pt: float | None = None
    colour: Colour = (0, 0, 0)
    border: bool = True
    border_pt: float = 0.5 * MM
    padding_pt: float = 1.8 * MM


def _as_line(line: TextLine | str) -> TextLine:
    return line if isinstance(line, TextLine) else TextLine(line)


@dataclass(frozen=True)
class _Line:
    font: str
    size: float
    stretch: float  # horizontal scaling, percent
    x: float
    baseline: float
    glyphs: list[Glyph]


def thai_fonts() -> dict[str, FontUse]:
    """Fresh uses of the Thai font: ``R`` (regular) and ``B`` (bold), each collecting the glyphs it shows."""
    return {
        "R": FontUse(font_source(thai_font())),
        "B": FontUse(font_source(thai_font(bold=True))),
    }


class BoxDrawing:
    """A box laid out: lines of shaped glyphs, ready to be written as PDF operators and font objects.

    ``fonts`` (``R``/``B``, from :func:`thai_fonts`) may be shared by the boxes of one page: their glyphs then
    go into one subset per font."""

    def __init__(self, box: TextBox, fonts: dict[str, FontUse] | None = None) -> None:
        self.box = box
        self.fonts = fonts if fonts is not None else thai_fonts()
        lines = [_as_line(line) for line in box.lines]
        shaped = []
        for line in lines:
            key = "B" if line.bold else "R"
            glyphs, advance = self.fonts[key].shape(line.text)
            shaped.append((line, key, glyphs, advance))
        pad = box.padding_pt
        sizes = [line.size_pt if line.size_pt is not None else box.size_pt for line in lines]
        if box.width_pt is not None:
            self.width = box.width_pt
        else:
            widest = max(
                (advance * size / 1000 for (_l, _k, _g, advance), size in zip(shaped, sizes, strict=True)), default=0.0
            )
            self.width = widest + 2 * pad
        line_h = box.line_height_pt if box.line_height_pt is not None else 1.45 * max(sizes, default=box.size_pt)
        self.height = box.height_pt if box.height_pt is not None else line_h * len(lines) + 2 * pad
        inner = self.width - 2 * pad
        top = (self.height - line_h * len(lines)) / 2
        self.lines: list[_Line] = []
        for i, ((line, key, glyphs, advance), size) in enumerate(zip(shaped, sizes, strict=True)):
            stretch = 100.0
            if line.min_size_pt is not None:
                # Shrink a long line, then squeeze it horizontally if even the smallest size is too wide.
                while advance * size / 1000 > inner and size > line.min_size_pt:
                    size = max(line.min_size_pt, size - 0.5)
                width = advance * size / 1000
                if width > inner:
                    stretch = max(40.0, 100.0 * inner / width)
            width = advance * size / 1000 * stretch / 100
            # as fpdf2 placed a centred cell's text: baseline at half the line height plus 0.3 of the font size
            baseline = self.height - (top + i * line_h + line_h / 2 + 0.3 * size)
            self.lines.append(_Line(key, size, stretch, pad + (inner - width) / 2, baseline, glyphs))
        for drawn in self.lines:
            use = self.fonts[drawn.font]
            for glyph in drawn.glyphs:
                use.cid(glyph)

    @property
    def size(self) -> tuple[float, float]:
        return self.width, self.height

    def used_fonts(self) -> list[str]:
        return [key for key, use in self.fonts.items() if use.cids]

    def content(self, names: dict[str, str]) -> bytes:
        """The box's operators in its own space (points, origin at its lower-left corner)."""
        box = self.box
        r, g, b = (pdf_number(c / 255) for c in box.colour)
        border = box.border_pt
        if box.border:
            out = [
                b"q %s %s %s RG %s %s %s rg %s w" % (r, g, b, r, g, b, pdf_number(border)),
                b"%s %s %s %s re S"
                % (
                    pdf_number(border / 2),
                    pdf_number(border / 2),
                    pdf_number(self.width - border),
                    pdf_number(self.height - border),
                ),
                b"BT",
            ]
        else:
            out = [b"q %s %s %s rg" % (r, g, b), b"BT"]
        stretch = 100.0
        for line in self.lines:
            if not line.glyphs:
                continue
            out.append(b"/%s %s Tf" % (names[line.font].lstrip("/").encode(), pdf_number(line.size)))
            if line.stretch != stretch:
                stretch = line.stretch
                out.append(b"%s Tz" % pdf_number(stretch))
            out.append(b"1 0 0 1 %s %s Tm" % (pdf_number(line.x), pdf_number(line.baseline)))
            out.extend(show_glyphs(self.fonts[line.font], line.glyphs, line.size))
        out.append(b"ET Q")
        return b"\n".join(out) + b"\n"

    def write_fonts(self, sink: Sink) -> dict[str, int]:
        """The Type0 font objects of the fonts in use; returns their object numbers by font key."""
        return {key: write_font(self.fonts[key], sink) for key in self.used_fonts()}


def render_box(box: TextBox) -> bytes:
    """The box alone as a one-page PDF exactly the size of the box."""
    drawing = BoxDrawing(box)
    names = {key: font_name(key).decode() for key in drawing.used_fonts()}
    return assemble([Page(drawing.width, drawing.height, deflate(drawing.content(names)))], drawing.fonts)


__all__ = ["BoxDrawing", "Colour", "TextBox", "TextLine", "render_box", "thai_fonts"]
