"""The stamp drawn: lines shaped by HarfBuzz, written as PDF operators with Type0 fonts holding only the glyphs
used (through ``service.pdf.text``). ``render_stamp`` gives the stamp alone as a one-page PDF."""

from __future__ import annotations

from dataclasses import dataclass

from service.pdf.font import _font_source
from service.pdf.fonts import thai_font
from service.pdf.layout import DEFAULT_LAYOUT, MM, STAMP_COLOUR, ReceiveStamp, StampLayout, stamp_lines
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


@dataclass(frozen=True)
class _Line:
    font: str
    size: float
    stretch: float  # horizontal scaling, percent
    x: float
    baseline: float
    glyphs: list[Glyph]


class _StampDrawing:
    """The stamp laid out: lines of shaped glyphs, ready to be written as PDF operators and font objects."""

    def __init__(self, stamp: ReceiveStamp, layout: StampLayout) -> None:
        self.width = layout.width_mm * MM
        self.height = layout.height_mm * MM
        self.fonts = {
            "R": FontUse(_font_source(thai_font())),
            "B": FontUse(_font_source(thai_font(bold=True))),
        }
        pad = 1.8 * MM
        inner = self.width - 2 * pad
        line_h = layout.line_height_mm * MM
        top = (self.height - line_h * 4) / 2
        self.lines: list[_Line] = []
        for i, text in enumerate(stamp_lines(stamp)):
            key = "B" if i == 0 else "R"
            glyphs, advance = self.fonts[key].shape(text)
            size = layout.font_size_pt
            stretch = 100.0
            if i == 0:
                # Shrink a long unit name, then squeeze it horizontally if even the smallest size is too wide.
                while advance * size / 1000 > inner and size > layout.min_unit_font_size_pt:
                    size = max(layout.min_unit_font_size_pt, size - 0.5)
                width = advance * size / 1000
                if width > inner:
                    stretch = max(40.0, 100.0 * inner / width)
            width = advance * size / 1000 * stretch / 100
            # as fpdf2 placed a centred cell's text: baseline at half the line height plus 0.3 of the font size
            baseline = self.height - (top + i * line_h + line_h / 2 + 0.3 * size)
            self.lines.append(_Line(key, size, stretch, pad + (inner - width) / 2, baseline, glyphs))
        for line in self.lines:
            use = self.fonts[line.font]
            for glyph in line.glyphs:
                use.cid(glyph)

    def used_fonts(self) -> list[str]:
        return [key for key, use in self.fonts.items() if use.cids]

    def content(self, names: dict[str, str]) -> bytes:
        """The stamp's operators in its own space (points, origin at its lower-left corner)."""
        r, g, b = (pdf_number(c / 255) for c in STAMP_COLOUR)
        border = 0.5 * MM
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
        stretch = 100.0
        for line in self.lines:
            if not line.glyphs:
                continue
            out.append(b"/%s %s Tf" % (names[line.font].lstrip("/").encode(), pdf_number(line.size)))
            if line.stretch != stretch:
                stretch = line.stretch
                out.append(b"%s Tz" % pdf_number(stretch))
            out.append(b"1 0 0 1 %s %s Tm" % (pdf_number(line.x), pdf_number(line.baseline)))
            out.extend(self._show(line))
        out.append(b"ET Q")
        return b"\n".join(out) + b"\n"

    def _show(self, line: _Line) -> list[bytes]:
        """TJ arrays placing each glyph where HarfBuzz put it; Ts (rise) for marks moved up or down."""
        return show_glyphs(self.fonts[line.font], line.glyphs, line.size)

    def write_fonts(self, sink: Sink) -> dict[str, int]:
        """The Type0 font objects of the fonts in use; returns their object numbers by font key."""
        return {key: write_font(self.fonts[key], sink) for key in self.used_fonts()}


def render_stamp(stamp: ReceiveStamp, layout: StampLayout = DEFAULT_LAYOUT) -> bytes:
    """The stamp alone as a one-page PDF exactly the size of the stamp box."""
    drawing = _StampDrawing(stamp, layout)
    names = {key: font_name(key).decode() for key in drawing.used_fonts()}
    return assemble([Page(drawing.width, drawing.height, deflate(drawing.content(names)))], drawing.fonts)
