"""The stamp drawn: lines shaped by HarfBuzz, written as PDF operators with Type0 fonts holding only the glyphs
used. ``render_stamp`` gives the stamp alone as a one-page PDF."""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass, field

import uharfbuzz as hb

from service.fonts import thai_font
from service.stamp.font import _font_source, _FontSource
from service.stamp.layout import DEFAULT_LAYOUT, MM, STAMP_COLOUR, ReceiveStamp, StampLayout, stamp_lines


def _num(value: float) -> bytes:
    """A PDF number: at most 3 decimals, no trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return b"0" if text in ("", "-0") else text.encode()


@dataclass(frozen=True)
class _Glyph:
    gid: int
    text: str
    """The text this glyph stands for in the ToUnicode CMap: its cluster's text on the cluster's widest glyph,
    "" on the others (ำ is drawn as ํ + า: "" + "ำ")."""
    x: float
    """Where the glyph is drawn, from the start of the line, in thousandths of an em (x_offset included)."""
    y: float
    """The glyph's vertical offset (Thai marks), thousandths of an em."""
    advance: float
    """How far the PDF viewer moves after the glyph (its /W width), thousandths of an em: the font's advance,
    plus the gap to the next glyph when that one is further right (after a mark moved left, for one): a gap
    in a TJ array would read as a word space to text extraction."""


def _shape(source: _FontSource, text: str) -> tuple[list[_Glyph], float]:
    """HarfBuzz's glyphs for ``text`` and the line's advance (thousandths of an em)."""
    buf = hb.Buffer()
    buf.add_codepoints([ord(c) for c in text])
    buf.guess_segment_properties()
    # marks get clusters of their own where HarfBuzz can, while clusters stay in text order (ำ → ํ า)
    buf.cluster_level = hb.BufferClusterLevel.MONOTONE_CHARACTERS
    hb.shape(source.hb_font, buf)
    raw: list[tuple[int, int, float, float, float]] = []  # gid, cluster, x, y, advance in the font
    pen = 0.0
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        gid = info.codepoint
        advance = source.em(source.advances[gid]) if 0 <= gid < source.num_glyphs else 0.0
        raw.append((gid, info.cluster, source.em(pen + pos.x_offset), source.em(pos.y_offset), advance))
        pen += pos.x_advance
    starts = sorted({cluster for _gid, cluster, _x, _y, _adv in raw})
    ends = dict(zip(starts, [*starts[1:], len(text)], strict=True))
    carrier: dict[int, int] = {}  # cluster → index of its widest glyph
    for i, (_gid, cluster, _x, _y, advance) in enumerate(raw):
        if cluster not in carrier or advance > raw[carrier[cluster]][4]:
            carrier[cluster] = i
    glyphs: list[_Glyph] = []
    for i, (gid, cluster, x, y, advance) in enumerate(raw):
        part = text[cluster : ends[cluster]] if carrier[cluster] == i else ""
        if i + 1 < len(raw):
            advance = max(advance, raw[i + 1][2] - x)
        glyphs.append(_Glyph(gid, part, x, y, round(advance, 1)))
    return glyphs, source.em(pen)


@dataclass
class _FontUse:
    """One font of the stamp: the (glyph, text, advance) triples used, each with a CID of its own (1, 2, ...)."""

    source: _FontSource
    cids: dict[tuple[int, str, float], int] = field(default_factory=dict)

    def cid(self, glyph: _Glyph) -> int:
        key = (glyph.gid, glyph.text, glyph.advance)
        cid = self.cids.get(key)
        if cid is None:
            cid = self.cids[key] = len(self.cids) + 1
        return cid


@dataclass(frozen=True)
class _Line:
    font: str
    size: float
    stretch: float  # horizontal scaling, percent
    x: float
    baseline: float
    glyphs: list[_Glyph]


class _Sink:
    """PDF objects being written: numbers handed out from ``first``, bodies kept in order."""

    def __init__(self, first: int) -> None:
        self.next_id = first
        self.objects: list[tuple[int, int, bytes]] = []  # (number, generation, body)

    def reserve(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def put(self, body: bytes, number: int | None = None, generation: int = 0) -> int:
        if number is None:
            number = self.reserve()
        self.objects.append((number, generation, body))
        return number

    def stream(self, entries: bytes, data: bytes, *, compress: bool = True) -> int:
        if compress:
            data = zlib.compress(data, 6)
            entries += b" /Filter /FlateDecode"
        return self.put(b"<<" + entries + b" /Length %d>>\nstream\n" % len(data) + data + b"\nendstream")


_TO_UNICODE_HEAD = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
"""
_TO_UNICODE_TAIL = b"""endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""


class _StampDrawing:
    """The stamp laid out: lines of shaped glyphs, ready to be written as PDF operators and font objects."""

    def __init__(self, stamp: ReceiveStamp, layout: StampLayout) -> None:
        self.width = layout.width_mm * MM
        self.height = layout.height_mm * MM
        self.fonts = {
            "R": _FontUse(_font_source(thai_font())),
            "B": _FontUse(_font_source(thai_font(bold=True))),
        }
        pad = 1.8 * MM
        inner = self.width - 2 * pad
        line_h = layout.line_height_mm * MM
        top = (self.height - line_h * 4) / 2
        self.lines: list[_Line] = []
        for i, text in enumerate(stamp_lines(stamp)):
            key = "B" if i == 0 else "R"
            glyphs, advance = _shape(self.fonts[key].source, text)
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
        r, g, b = (_num(c / 255) for c in STAMP_COLOUR)
        border = 0.5 * MM
        out = [
            b"q %s %s %s RG %s %s %s rg %s w" % (r, g, b, r, g, b, _num(border)),
            b"%s %s %s %s re S"
            % (_num(border / 2), _num(border / 2), _num(self.width - border), _num(self.height - border)),
            b"BT",
        ]
        stretch = 100.0
        for line in self.lines:
            if not line.glyphs:
                continue
            out.append(b"/%s %s Tf" % (names[line.font].lstrip("/").encode(), _num(line.size)))
            if line.stretch != stretch:
                stretch = line.stretch
                out.append(b"%s Tz" % _num(stretch))
            out.append(b"1 0 0 1 %s %s Tm" % (_num(line.x), _num(line.baseline)))
            out.extend(self._show(line))
        out.append(b"ET Q")
        return b"\n".join(out) + b"\n"

    def _show(self, line: _Line) -> list[bytes]:
        """TJ arrays placing each glyph where HarfBuzz put it; Ts (rise) for marks moved up or down."""
        use = self.fonts[line.font]
        ops: list[bytes] = []
        parts: list[bytes] = []
        codes: list[str] = []
        pen = 0.0  # where the viewer's pen is, thousandths of an em from the line start
        rise = 0.0

        def flush_codes() -> None:
            if codes:
                parts.append(b"<" + "".join(codes).encode() + b">")
                codes.clear()

        def flush() -> None:
            flush_codes()
            if parts:
                ops.append(b"[" + b" ".join(parts) + b"] TJ")
                parts.clear()

        for glyph in line.glyphs:
            if glyph.y != rise:
                flush()
                rise = glyph.y
                ops.append(b"%s Ts" % _num(rise * line.size / 1000))
            shift = glyph.x - pen
            if abs(shift) > 0.05:
                flush_codes()
                parts.append(_num(-shift))
            codes.append(f"{use.cid(glyph):04X}")
            pen = glyph.x + glyph.advance
        flush()
        if rise:
            ops.append(b"0 Ts")
        return ops

    def write_fonts(self, sink: _Sink) -> dict[str, int]:
        """The Type0 font objects of the fonts in use; returns their object numbers by font key."""
        return {key: self._write_font(self.fonts[key], sink) for key in self.used_fonts()}

    @staticmethod
    def _write_font(use: _FontUse, sink: _Sink) -> int:
        source = use.source
        by_cid = sorted((cid, gid, text, advance) for (gid, text, advance), cid in use.cids.items())
        gids = [gid for _cid, gid, _text, _advance in by_cid]
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha1(repr(sorted(set(gids))).encode()).digest()[:6])
        base_font = f"/{tag}+{source.postscript_name}".encode()
        program = source.program(gids, "".join(text for _cid, _gid, text, _advance in by_cid))
        font_file = sink.stream(b" /Length1 %d" % len(program), program)
        cid_to_gid = sink.stream(b"", struct.pack(f">{len(gids) + 1}H", 0, *gids))
        cmap = bytearray(_TO_UNICODE_HEAD)
        for start in range(0, len(by_cid), 100):
            chunk = by_cid[start : start + 100]
            cmap += b"%d beginbfchar\n" % len(chunk)
            for cid, _gid, text, _advance in chunk:
                cmap += b"<%04X> <%s>\n" % (cid, text.encode("utf-16-be").hex().upper().encode())
            cmap += b"endbfchar\n"
        cmap += _TO_UNICODE_TAIL
        to_unicode = sink.stream(b"", bytes(cmap))
        x0, y0, x1, y1 = (round(source.em(v)) for v in source.bbox)
        flags = 4 | (0x40 if source.italic_angle else 0)
        descriptor = sink.put(
            b"<</Type /FontDescriptor /FontName %s /Flags %d /FontBBox [%d %d %d %d] /ItalicAngle %s"
            b" /Ascent %d /Descent %d /CapHeight %d /StemV %d /MissingWidth %d /FontFile2 %d 0 R>>"
            % (
                base_font,
                flags,
                x0,
                y0,
                x1,
                y1,
                _num(source.italic_angle),
                round(source.em(source.ascent)),
                round(source.em(source.descent)),
                round(source.em(source.cap_height)),
                round(50 + (source.weight / 65) ** 2),
                round(source.em(source.advances[0])),
                font_file,
            )
        )
        widths = b" ".join(_num(advance) for _cid, _gid, _text, advance in by_cid)
        cid_font = sink.put(
            b"<</Type /Font /Subtype /CIDFontType2 /BaseFont %s"
            b" /CIDSystemInfo <</Registry (Adobe) /Ordering (Identity) /Supplement 0>>"
            b" /FontDescriptor %d 0 R /DW %d /W [1 [%s]] /CIDToGIDMap %d 0 R>>"
            % (base_font, descriptor, round(source.em(source.advances[0])), widths, cid_to_gid)
        )
        return sink.put(
            b"<</Type /Font /Subtype /Type0 /BaseFont %s /Encoding /Identity-H /DescendantFonts [%d 0 R]"
            b" /ToUnicode %d 0 R>>" % (base_font, cid_font, to_unicode)
        )


def render_stamp(stamp: ReceiveStamp, layout: StampLayout = DEFAULT_LAYOUT) -> bytes:
    """The stamp alone as a one-page PDF exactly the size of the stamp box."""
    drawing = _StampDrawing(stamp, layout)
    sink = _Sink(1)
    catalog, pages, page = sink.reserve(), sink.reserve(), sink.reserve()
    fonts = drawing.write_fonts(sink)
    names = {key: f"/F{key}" for key in fonts}
    contents = sink.stream(b"", drawing.content(names))
    font_dict = b" ".join(b"%s %d 0 R" % (names[key].encode(), number) for key, number in fonts.items())
    sink.put(b"<</Type /Catalog /Pages %d 0 R>>" % pages, catalog)
    sink.put(b"<</Type /Pages /Kids [%d 0 R] /Count 1>>" % page, pages)
    sink.put(
        b"<</Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources <</Font <<%s>>>> /Contents %d 0 R>>"
        % (pages, _num(drawing.width), _num(drawing.height), font_dict, contents),
        page,
    )
    info = sink.put(b"<</Creator (saraban) /Producer (saraban)>>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, generation, body in sorted(sink.objects):
        offsets[number] = len(out)
        out += b"%d %d obj\n" % (number, generation) + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f\r\n" % sink.next_id
    out += b"".join(b"%010d 00000 n\r\n" % offsets[n] for n in range(1, sink.next_id))
    out += b"trailer\n<</Size %d /Root %d 0 R /Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        sink.next_id,
        catalog,
        info,
        xref,
    )
    return bytes(out)
