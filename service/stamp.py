"""The receive stamp (ตรารับหนังสือ, domain.md §3.2) on page 1 of an incoming PDF, and PDF helpers for uploads.

Pure functions: bytes/paths in, bytes out.

Rendering: the four lines are shaped with HarfBuzz (Thai marks stack through the font's GSUB/GPOS) and
written as PDF operators directly, with a Type0/CIDFontType2 font whose program is a subset of the Thai font
holding only the glyphs the stamp uses, assembled from glyph data read once per process (no fpdf2, no
fontTools per stamp). A ToUnicode CMap built from HarfBuzz's clusters makes the stamp's text extractable.

Writing: the stamp is appended to page 1 as an *incremental update* written here (only page 1's dictionary
and the new objects): page 1 gets a new /Contents array ``[q, ...its own streams..., Q <stamp>]`` and the
stamp's fonts in a copy of its /Resources, so the original file is an exact byte prefix of the output
(digital signatures on the incoming PDF stay verifiable), page 1's own content streams are kept as they are,
and pages 2..N are untouched.

Placement: inside the top-right quarter of page 1 *as displayed* (CropBox and /Rotate honoured), keeping
a margin from the page edge, at the candidate position that overlaps the least of the page's text, images
and drawings, preferring the top-right corner. On a page that is one full-page image (a scan), the
image's pixels decide: the whitest region wins. Page 1's content is read once, by a small tokenizer and
graphics/text state machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import math
import re
import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import uharfbuzz as hb
from fpdf import FPDF
from PIL import Image, ImageOps, ImageStat, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject, StreamObject

from service.fonts import thai_font
from service.thai import format_thai_date, format_thai_time, to_thai_digits

log = logging.getLogger(__name__)

MM = 72 / 25.4
"""PDF points per millimetre."""

# domain.md §3.2 [R]: about 2.5 × 5 cm. Defaults, overridable per call through StampLayout.
STAMP_WIDTH_MM = 50.0
STAMP_HEIGHT_MM = 25.0
PAGE_MARGIN_MM = 8.0
STAMP_COLOUR = (200, 16, 46)

A4_MM = (210.0, 297.0)

Rect = tuple[float, float, float, float]
"""(x0, y0, x1, y1) in points, x0 < x1, y0 < y1."""


class InvalidPdf(Exception):
    """The file is not a PDF pypdf can read, has no pages, or is encrypted with a password."""


class InvalidImage(ValueError):
    """The file is not a JPEG/PNG/GIF image Pillow can decode."""


@dataclass(frozen=True)
class ReceiveStamp:
    unit_name: str
    """The receiving unit, e.g. ``สพป.ขอนแก่น เขต ๕``."""
    number: int
    """เลขรับ, the receive number."""
    received_at: datetime
    """An aware datetime, already in the office's zone (Asia/Bangkok)."""
    thai_digits: bool = True


@dataclass(frozen=True)
class StampLayout:
    width_mm: float = STAMP_WIDTH_MM
    height_mm: float = STAMP_HEIGHT_MM
    margin_mm: float = PAGE_MARGIN_MM
    font_size_pt: float = 12.0
    line_height_mm: float = 5.5
    min_unit_font_size_pt: float = 7.0


DEFAULT_LAYOUT = StampLayout()


def stamp_lines(stamp: ReceiveStamp) -> list[str]:
    """The four lines of the stamp: unit, ``เลขรับ n``, ``วันที่ d มี.ค. yyyy``, ``เวลา HH.MM น.``."""
    number = str(stamp.number)
    if stamp.thai_digits:
        number = to_thai_digits(number)
    return [
        stamp.unit_name.strip(),
        f"เลขรับ {number}",
        f"วันที่ {format_thai_date(stamp.received_at.date(), thai_digits=stamp.thai_digits)}",
        f"เวลา {format_thai_time(stamp.received_at, thai_digits=stamp.thai_digits)}",
    ]


def _num(value: float) -> bytes:
    """A PDF number: at most 3 decimals, no trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return b"0" if text in ("", "-0") else text.encode()


# ----------------------------------------------------------------------------------------------------
# The Thai font, read once per process


def _checksum(data: bytes) -> int:
    """The sfnt table checksum of ``data`` (zero-padded to a multiple of 4 bytes)."""
    data += b"\0" * (-len(data) % 4)
    words: tuple[int, ...] = struct.unpack(f">{len(data) // 4}I", data)
    return sum(words) & 0xFFFFFFFF


class _FontSource:
    """A TrueType font: its tables and glyph outlines as bytes, its metrics, and a HarfBuzz font for shaping.

    Per stamp, :meth:`program` assembles a font file holding only the wanted glyphs (glyph ids kept, the other
    glyphs empty): a few kilobytes, made by slicing bytes rather than by a general subsetter.
    """

    _KEPT_TABLES = (b"OS/2", b"cvt ", b"fpgm", b"gasp", b"hhea", b"maxp", b"name", b"prep")

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        (version, count) = struct.unpack_from(">IH", data, 0)
        if version not in (0x00010000, 0x74727565):  # TrueType outlines only ('OTTO' = CFF is not handled)
            raise ValueError(f"{path} is not a TrueType font")
        self.tables: dict[bytes, bytes] = {}
        for i in range(count):
            tag, _sum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
            self.tables[tag] = data[offset : offset + length]
        head, hhea, maxp = self.tables[b"head"], self.tables[b"hhea"], self.tables[b"maxp"]
        self.units_per_em: int = struct.unpack_from(">H", head, 18)[0]
        self.bbox: tuple[int, int, int, int] = struct.unpack_from(">hhhh", head, 36)
        long_loca = struct.unpack_from(">h", head, 50)[0] == 1
        self.num_glyphs: int = struct.unpack_from(">H", maxp, 4)[0]
        self.ascent, self.descent = struct.unpack_from(">hh", hhea, 4)
        self.num_hmetrics: int = struct.unpack_from(">H", hhea, 34)[0]
        hmtx = self.tables[b"hmtx"]
        advances = list(struct.unpack_from(f">{self.num_hmetrics * 2}H", hmtx)[::2])
        self.advances: list[int] = advances + [advances[-1]] * (self.num_glyphs - self.num_hmetrics)
        loca = self.tables[b"loca"]
        n = self.num_glyphs + 1
        offsets = struct.unpack_from(f">{n}I" if long_loca else f">{n}H", loca)
        self.loca: list[int] = list(offsets) if long_loca else [2 * o for o in offsets]
        self.glyf = self.tables[b"glyf"]
        os2 = self.tables.get(b"OS/2", b"")
        self.weight: int = struct.unpack_from(">H", os2, 4)[0] if len(os2) >= 6 else 400
        version_os2 = struct.unpack_from(">H", os2, 0)[0] if len(os2) >= 2 else 0
        self.cap_height: int = (
            struct.unpack_from(">h", os2, 88)[0] if version_os2 >= 2 and len(os2) >= 90 else int(0.7 * self.ascent)
        )
        post = self.tables.get(b"post", b"")
        self.italic_angle = struct.unpack_from(">i", post, 4)[0] / 65536 if len(post) >= 8 else 0.0
        self.postscript_name = _postscript_name(self.tables.get(b"name", b"")) or path.stem
        self._components: dict[int, tuple[int, ...]] = {}
        self.hb_font = hb.Font(hb.Face(data))

    def em(self, units: float) -> float:
        """Font units → thousandths of an em (PDF glyph space)."""
        return units * 1000.0 / self.units_per_em

    def glyph(self, gid: int) -> bytes:
        return self.glyf[self.loca[gid] : self.loca[gid + 1]] if 0 <= gid < self.num_glyphs else b""

    def components(self, gid: int) -> tuple[int, ...]:
        """The glyphs a composite glyph is built from (directly)."""
        cached = self._components.get(gid)
        if cached is not None:
            return cached
        data = self.glyph(gid)
        found: list[int] = []
        if len(data) >= 10 and struct.unpack_from(">h", data, 0)[0] < 0:
            pos = 10
            while pos + 4 <= len(data):
                flags, component = struct.unpack_from(">HH", data, pos)
                found.append(component)
                pos += 4 + (4 if flags & 0x0001 else 2)  # ARG_1_AND_2_ARE_WORDS
                if flags & 0x0008:  # WE_HAVE_A_SCALE
                    pos += 2
                elif flags & 0x0040:  # WE_HAVE_AN_X_AND_Y_SCALE
                    pos += 4
                elif flags & 0x0080:  # WE_HAVE_A_TWO_BY_TWO
                    pos += 8
                if not flags & 0x0020:  # MORE_COMPONENTS
                    break
        result = tuple(found)
        self._components[gid] = result
        return result

    def closure(self, gids: Iterable[int]) -> list[int]:
        """``gids``, .notdef and every component they need, sorted."""
        seen = {0}
        todo = [g for g in gids if 0 <= g < self.num_glyphs]
        while todo:
            gid = todo.pop()
            if gid in seen:
                continue
            seen.add(gid)
            todo.extend(c for c in self.components(gid) if c not in seen and 0 <= c < self.num_glyphs)
        return sorted(seen)

    def program(self, gids: Iterable[int], text: str = "") -> bytes:
        """A TrueType font file with the outlines of ``gids`` (and their components) only, glyph ids unchanged;
        its 'cmap' maps the characters of ``text`` whose glyphs are kept (PDF viewers go by the CIDToGIDMap)."""
        keep = self.closure(gids)
        kept = set(keep)
        glyf = bytearray()
        loca = [0] * (self.num_glyphs + 1)
        for gid in range(self.num_glyphs):
            loca[gid] = len(glyf)
            if gid in kept:
                glyf += self.glyph(gid)
                glyf += b"\0" * (-len(glyf) % 4)
        loca[self.num_glyphs] = len(glyf)
        hmtx_src = self.tables[b"hmtx"]
        hmtx = bytearray(len(hmtx_src))  # unused glyphs: zero metrics (they compress to nothing)
        last = 4 * (self.num_hmetrics - 1)  # the advance of every glyph after the long metrics
        hmtx[last : last + 4] = hmtx_src[last : last + 4]
        for gid in keep:
            if gid < self.num_hmetrics:
                hmtx[4 * gid : 4 * gid + 4] = hmtx_src[4 * gid : 4 * gid + 4]
            else:
                at = 4 * self.num_hmetrics + 2 * (gid - self.num_hmetrics)
                hmtx[at : at + 2] = hmtx_src[at : at + 2]
        head = bytearray(self.tables[b"head"])
        head[8:12] = b"\0\0\0\0"  # checkSumAdjustment, set below
        head[50:52] = b"\0\1"  # long loca offsets
        tables = {tag: self.tables[tag] for tag in self._KEPT_TABLES if tag in self.tables}
        tables[b"head"] = bytes(head)
        tables[b"hmtx"] = bytes(hmtx)
        tables[b"loca"] = struct.pack(f">{len(loca)}I", *loca)
        tables[b"glyf"] = bytes(glyf)
        mapping: dict[int, int] = {}
        for char in set(text):
            gid = self.hb_font.get_nominal_glyph(ord(char))
            if gid in kept and ord(char) <= 0xFFFF:
                mapping[ord(char)] = gid
        tables[b"cmap"] = _cmap_table(mapping)
        post = self.tables.get(b"post")
        if post is not None and len(post) >= 32:
            tables[b"post"] = b"\0\3\0\0" + post[4:32]  # version 3: no glyph names
        return _sfnt(tables)


def _cmap_table(mapping: dict[int, int]) -> bytes:
    """A 'cmap' table with one Windows Unicode BMP (format 4) subtable mapping ``mapping`` (code → glyph)."""
    codes = sorted(mapping)
    segments = [(c, c, (mapping[c] - c) & 0xFFFF) for c in codes] + [(0xFFFF, 0xFFFF, 1)]
    count = len(segments)
    search = 2 * (1 << int(math.log2(count)))
    sub = struct.pack(
        f">7H{count}HH{count}H{count}H{count}H",
        4,
        16 + 8 * count,
        0,
        2 * count,
        search,
        int(math.log2(search // 2)),
        2 * count - search,
        *(end for _start, end, _delta in segments),
        0,
        *(start for start, _end, _delta in segments),
        *(delta for _start, _end, delta in segments),
        *([0] * count),
    )
    return struct.pack(">HHHHI", 0, 1, 3, 1, 12) + sub


def _sfnt(tables: dict[bytes, bytes]) -> bytes:
    tags = sorted(tables)
    count = len(tags)
    selector = int(math.log2(count))
    search_range = 16 * (1 << selector)
    header = struct.pack(">IHHHH", 0x00010000, count, search_range, selector, 16 * count - search_range)
    directory = bytearray()
    body = bytearray()
    offset = 12 + 16 * count
    head_at = 0
    for tag in tags:
        data = tables[tag]
        if tag == b"head":
            head_at = offset + len(body)
        directory += struct.pack(">4sIII", tag, _checksum(data), offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + directory + body)
    font[head_at + 8 : head_at + 12] = struct.pack(">I", (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)


def _postscript_name(name_table: bytes) -> str | None:
    """Name ID 6 (the PostScript name) from a 'name' table, if it has one."""
    try:
        _fmt, count, strings = struct.unpack_from(">HHH", name_table, 0)
        for i in range(count):
            platform, encoding, _lang, name_id, length, offset = struct.unpack_from(">6H", name_table, 6 + 12 * i)
            if name_id != 6:
                continue
            raw = name_table[strings + offset : strings + offset + length]
            text = raw.decode("utf-16-be") if platform in (0, 3) else raw.decode("latin-1")
            clean = re.sub(r"[^A-Za-z0-9_.-]", "", text)
            if clean and (platform, encoding) in ((3, 1), (1, 0), (0, 3), (0, 4)):
                return clean
    except (struct.error, UnicodeDecodeError):
        return None
    return None


@lru_cache(maxsize=4)
def _font_source(path: Path) -> _FontSource:
    return _FontSource(path)


# ----------------------------------------------------------------------------------------------------
# Rendering the stamp


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


# ----------------------------------------------------------------------------------------------------
# Reading and checking PDFs


def _reader(data: bytes | BinaryIO) -> PdfReader:
    stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data
    head = stream.read(1024)
    stream.seek(0)
    if not head.lstrip().find(b"%PDF-") >= 0:
        raise InvalidPdf("not a PDF (no %PDF- header)")
    try:
        reader = PdfReader(stream, strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except (PyPdfError, NotImplementedError, ValueError) as exc:
                raise InvalidPdf(f"encrypted PDF cannot be opened: {exc}") from exc
            if not ok:
                raise InvalidPdf("the PDF is protected with a password")
        count = len(reader.pages)
    except InvalidPdf:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on garbage
        raise InvalidPdf(f"cannot read the PDF: {exc}") from exc
    if count == 0:
        raise InvalidPdf("the PDF has no pages")
    return reader


def pdf_page_count(src: Path) -> int:
    """The number of pages; raises InvalidPdf when the file is unreadable, empty or password-protected.

    Reads lazily from the file: a large PDF is never loaded whole.
    """
    with src.open("rb") as fh:
        return len(_reader(fh).pages)


# ----------------------------------------------------------------------------------------------------
# Geometry: display space (what a viewer shows: CropBox rotated by /Rotate, origin bottom-left, points)


@dataclass(frozen=True)
class _PageFrame:
    x0: float
    y0: float
    width: float  # CropBox width in user space
    height: float
    rotate: int  # 0, 90, 180, 270 (clockwise, as /Rotate)

    @property
    def display_size(self) -> tuple[float, float]:
        if self.rotate in (90, 270):
            return self.height, self.width
        return self.width, self.height

    def to_display(self, u: float, v: float) -> tuple[float, float]:
        a, b = u - self.x0, v - self.y0
        if self.rotate == 90:
            return b, self.width - a
        if self.rotate == 180:
            return self.width - a, self.height - b
        if self.rotate == 270:
            return self.height - b, a
        return a, b

    def rect_to_display(self, r: Rect) -> Rect:
        (ax, ay), (bx, by) = self.to_display(r[0], r[1]), self.to_display(r[2], r[3])
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)

    def placement_ctm(self, px: float, py: float) -> tuple[float, float, float, float, float, float]:
        """The matrix drawing an upright (as displayed) object with its lower-left corner at (px, py)."""
        x0, y0, w, h = self.x0, self.y0, self.width, self.height
        if self.rotate == 90:
            return 0, 1, -1, 0, x0 + w - py, y0 + px
        if self.rotate == 180:
            return -1, 0, 0, -1, x0 + w - px, y0 + h - py
        if self.rotate == 270:
            return 0, -1, 1, 0, x0 + py, y0 + h - px
        return 1, 0, 0, 1, x0 + px, y0 + py


def _frame(page: Any) -> _PageFrame:
    box = page.cropbox
    left, bottom, right, top = (float(v) for v in (box.left, box.bottom, box.right, box.top))
    rotate = int(page.rotation or 0) % 360
    if rotate % 90:
        rotate = 0
    return _PageFrame(
        x0=min(left, right),
        y0=min(bottom, top),
        width=abs(right - left),
        height=abs(top - bottom),
        rotate=rotate,
    )


Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF order: a point is transformed by m first)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _bbox(points: Sequence[tuple[float, float]]) -> Rect:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _transform_rect(m: Matrix, r: Rect) -> Rect:
    x0, y0, x1, y1 = r
    return _bbox([_apply(m, x0, y0), _apply(m, x1, y0), _apply(m, x0, y1), _apply(m, x1, y1)])


def _area(r: Rect) -> float:
    return max(0.0, r[2] - r[0]) * max(0.0, r[3] - r[1])


def _overlap(r: Rect, s: Rect) -> float:
    return max(0.0, min(r[2], s[2]) - max(r[0], s[0])) * max(0.0, min(r[3], s[3]) - max(r[1], s[1]))


# ----------------------------------------------------------------------------------------------------
# What is on the page: page 1's content read once, by a tokenizer and a graphics/text state machine

_NUMBER = rb"[+-]?(?:\d+\.?\d*|\.\d+)"
_DELIMITED = rb"[^\s\x00/\[\]()<>{}%]"
_TOKEN = re.compile(
    # 1, 2: an operator with the numbers before it, in one match: most operations are just that
    rb"((?:" + _NUMBER + rb"[\s\x00]+)*)([A-Za-z'\"]" + _DELIMITED + rb"*)"
    rb"|(" + _NUMBER + rb")"  # 3 number
    rb"|(/" + _DELIMITED + rb"*)"  # 4 name
    rb"|(\((?:[^()\\]|\\.)*\))"  # 5 literal string (without nested parentheses)
    rb"|(<[0-9A-Fa-f\s\x00]*>)"  # 6 hex string
    rb"|(\[|\]|<<|>>)"  # 7 array and dictionary delimiters
    rb"|(\()"  # 8 literal string with nested parentheses: read by _literal_string
    rb"|(%[^\r\n]*)"  # 9 comment
    rb"|(" + _DELIMITED + rb"+)",  # 10 anything else: an odd operator
    re.DOTALL,
)
_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|(\r\n|\r|\n)|(.))", re.DOTALL)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_END_OF_INLINE_IMAGE = re.compile(rb"[\s\x00]EI(?=[\s\x00]|$)")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _unescape(raw: bytes) -> bytes:
    def one(m: re.Match[bytes]) -> bytes:
        if m.group(1):
            return bytes([int(m.group(1), 8) & 0xFF])
        if m.group(2):
            return b""  # a backslash at the end of a line continues the string
        char = m.group(3)
        return _ESCAPES.get(char, char)

    return _ESCAPE.sub(one, raw) if b"\\" in raw else raw


def _literal_string(data: bytes, start: int) -> tuple[bytes, int]:
    """The string opening at ``data[start]`` (balanced parentheses) and the position after it."""
    depth = 0
    i = start
    n = len(data)
    while i < n:
        c = data[i]
        if c == 0x5C:  # backslash
            i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return _unescape(data[start + 1 : i]), i + 1
        i += 1
    return _unescape(data[start + 1 :]), n


def _operations(data: bytes) -> Iterator[tuple[list[Any], bytes]]:
    """(operands, operator) of a content stream. Numbers are floats, names ``/str``, strings bytes, arrays
    lists; an inline image is one ``INLINE IMAGE`` operation."""
    operands: list[Any] = []
    nested: list[list[Any]] = []
    pos = 0
    n = len(data)
    while pos < n:
        resume = n
        for m in _TOKEN.finditer(data, pos):
            kind = m.lastindex
            value: Any
            if kind == 2 or kind == 10:  # an operator (the common case first)
                numbers = m.group(1)
                op = m.group(kind)
                if nested:  # true / false / null inside an array or dictionary
                    if numbers:
                        nested[-1].extend(map(float, numbers.split()))
                    nested[-1].append(None)
                    continue
                if numbers:
                    operands.extend(map(float, numbers.split()))
                if op == b"ID":  # inline image data runs to EI
                    end = _END_OF_INLINE_IMAGE.search(data, m.end() + 1)
                    resume = end.end() if end else n
                    operands = []
                    yield [], b"INLINE IMAGE"
                    break
                yield operands, op
                operands = []
                continue
            if kind == 3:
                value = float(m.group(3))
            elif kind == 4:
                raw = m.group(4)
                if b"#" in raw:
                    raw = _NAME_ESCAPE.sub(lambda e: bytes([int(e.group(1), 16)]), raw)
                value = raw.decode("latin-1")
            elif kind == 5:
                value = _unescape(m.group(5)[1:-1])
            elif kind == 6:
                digits = re.sub(rb"[\s\x00]", b"", m.group(6)[1:-1])
                value = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
            elif kind == 7:
                if m.group(7) in (b"[", b"<<"):
                    nested.append([])
                    continue
                if not nested:
                    continue
                value = nested.pop()
            elif kind == 8:
                value, resume = _literal_string(data, m.start())
                (nested[-1] if nested else operands).append(value)
                break
            else:  # comment
                continue
            (nested[-1] if nested else operands).append(value)
        pos = resume


def _resolved(dictionary: Any, key: str, default: Any = None) -> Any:
    """``dictionary[key]``, an indirect reference followed (pypdf's ``get`` returns references as they are)."""
    try:
        return dictionary[key]
    except KeyError:
        return default


class _FontWidths:
    """Glyph advances of a PDF font (in text space units per unit of font size), enough to box its text."""

    def __init__(self, font: Any) -> None:
        self.two_byte = False
        self.widths: dict[int, float] = {}
        self.ranges: list[tuple[int, int, float]] = []
        self.default = 0.6  # an estimate when the font does not say
        try:
            self._read(font.get_object())
        except Exception as exc:  # a damaged font: estimate
            log.info("cannot read the widths of a font on page 1: %s", exc)

    def _read(self, font: Any) -> None:
        subtype = font.get("/Subtype")
        if subtype == "/Type0":
            self.two_byte = True
            descendant = font["/DescendantFonts"].get_object()[0].get_object()
            self.default = float(descendant["/DW"]) / 1000 if "/DW" in descendant else 1.0
            if font.get("/Encoding") not in ("/Identity-H", "/Identity-V"):
                return  # codes are not CIDs: the default width (1 em unless told) is generous
            items = [v.get_object() for v in _resolved(descendant, "/W", [])]
            i = 0
            while i + 1 < len(items):
                first = int(items[i])
                if isinstance(items[i + 1], list):
                    for k, w in enumerate(items[i + 1]):
                        self.widths[first + k] = float(w.get_object()) / 1000
                    i += 2
                elif i + 2 < len(items):
                    self.ranges.append((first, int(items[i + 1]), float(items[i + 2]) / 1000))
                    i += 3
                else:
                    break
            return
        scale = 0.001
        if subtype == "/Type3" and "/FontMatrix" in font:
            scale = abs(float(font["/FontMatrix"][0]))
        if "/Widths" not in font:  # a standard 14 font: estimate
            self.widths[32] = 0.3
            return
        first = int(font["/FirstChar"]) if "/FirstChar" in font else 0
        for k, w in enumerate(font["/Widths"]):
            self.widths[first + k] = float(w.get_object()) * scale

    def advance(self, string: bytes, size: float, char_spacing: float, word_spacing: float) -> float:
        """The advance of ``string`` in unscaled text space (before horizontal scaling)."""
        widths, default = self.widths, self.default
        total = 0.0
        if self.two_byte:
            count = len(string) // 2
            for i in range(0, 2 * count, 2):
                code = string[i] << 8 | string[i + 1]
                w = widths.get(code)
                total += w if w is not None else self._range_width(code)
            return total * size + count * char_spacing
        for code in string:
            w = widths.get(code)
            total += w if w is not None else default
        return total * size + len(string) * char_spacing + string.count(32) * word_spacing

    def _range_width(self, code: int) -> float:
        for first, last, w in self.ranges:
            if first <= code <= last:
                return w
        return self.default

    def blank(self, string: bytes) -> bool:
        return not string if self.two_byte else not string.strip(b" \x00")


_NO_FONT = _FontWidths(DictionaryObject())


@dataclass(frozen=True)
class _PlacedImage:
    rect: Rect  # user space
    ctm: Matrix  # maps the unit square onto the page
    name: str | None  # resource name when directly on the page (for pixel access)


@dataclass
class _PageContent:
    text: list[Rect] = field(default_factory=list)  # user space boxes of shown text
    images: list[_PlacedImage] = field(default_factory=list)
    paths: list[Rect] = field(default_factory=list)  # boxes of painted paths

    def add_text(self, r: Rect) -> None:
        """Append a text box, merged into the previous one when it continues it on the same line."""
        if self.text:
            last = self.text[-1]
            if (
                abs(r[1] - last[1]) < 0.5
                and abs(r[3] - last[3]) < 0.5
                and r[0] <= last[2] + 1.0
                and r[2] >= last[0] - 1.0
            ):
                self.text[-1] = (min(r[0], last[0]), min(r[1], last[1]), max(r[2], last[2]), max(r[3], last[3]))
                return
        self.text.append(r)


def _stream_data(contents: Any) -> bytes:
    """The decoded data of a /Contents entry (one stream or an array of them)."""
    obj = contents.get_object()
    if isinstance(obj, list):
        return b"\n".join(part.get_object().get_data() for part in obj)
    return bytes(obj.get_data())


def _read_page(page: Any) -> _PageContent:
    """Text boxes, placed images and painted paths of ``page`` (and of its forms, 2 levels deep)."""
    found = _PageContent()
    try:
        contents = page.get("/Contents")
        if contents is not None:
            resources = page.get("/Resources")
            _walk(
                _stream_data(contents), resources.get_object() if resources is not None else None, _IDENTITY, 0, found
            )
    except Exception as exc:  # reading the page must never stop the stamp
        log.warning("cannot read the content of page 1: %s", exc)
    return found


def _walk(data: bytes, resources: Any, base: Matrix, depth: int, found: _PageContent) -> None:
    xobjects: Any = {}
    font_resources: Any = {}
    with contextlib.suppress(Exception):
        if resources is not None and "/XObject" in resources:
            xobjects = resources["/XObject"].get_object()
    with contextlib.suppress(Exception):
        if resources is not None and "/Font" in resources:
            font_resources = resources["/Font"].get_object()
    fonts: dict[str, _FontWidths] = {}

    ctm = base
    stack: list[tuple[Any, ...]] = []
    path: list[tuple[float, float]] = []
    # text state (part of the graphics state: saved by q, restored by Q)
    font = _NO_FONT
    size = 0.0
    char_spacing = word_spacing = leading = rise = 0.0
    scaling = 1.0
    tm = tlm = _IDENTITY

    def show(string: bytes) -> None:
        nonlocal tm
        advance = font.advance(string, size, char_spacing, word_spacing) * scaling
        if advance and not font.blank(string):
            x0, x1 = (0.0, advance) if advance > 0 else (advance, 0.0)
            found.add_text(_transform_rect(_mul(tm, ctm), (x0, rise - 0.3 * size, x1, rise + 1.05 * size)))
        a, b, c, d, e, f = tm
        tm = (a, b, c, d, e + advance * a, f + advance * b)

    for operands, op in _operations(data):
        try:
            if op in (b"Tj", b"'", b'"'):
                if op != b"Tj":
                    if op == b'"' and len(operands) >= 3:
                        word_spacing, char_spacing = float(operands[0]), float(operands[1])
                    a, b, c, d, e, f = tlm
                    tm = tlm = (a, b, c, d, e - leading * c, f - leading * d)
                if operands and isinstance(operands[-1], bytes):
                    show(operands[-1])
            elif op == b"TJ":
                if operands and isinstance(operands[0], list):
                    for item in operands[0]:
                        if isinstance(item, bytes):
                            show(item)
                        elif isinstance(item, float):
                            shift = -item / 1000 * size * scaling
                            a, b, c, d, e, f = tm
                            tm = (a, b, c, d, e + shift * a, f + shift * b)
            elif op == b"Tm" and len(operands) == 6:
                tm = tlm = tuple(map(float, operands))  # type: ignore[assignment]
            elif op in (b"Td", b"TD") and len(operands) == 2:
                tx, ty = float(operands[0]), float(operands[1])
                if op == b"TD":
                    leading = -ty
                a, b, c, d, e, f = tlm
                tm = tlm = (a, b, c, d, e + tx * a + ty * c, f + tx * b + ty * d)
            elif op == b"T*":
                a, b, c, d, e, f = tlm
                tm = tlm = (a, b, c, d, e - leading * c, f - leading * d)
            elif op == b"BT":
                tm = tlm = _IDENTITY
            elif op == b"Tf" and len(operands) == 2:
                name = str(operands[0])
                size = float(operands[1])
                found_font = fonts.get(name)
                if found_font is None:
                    found_font = fonts[name] = _FontWidths(font_resources[name]) if name in font_resources else _NO_FONT
                font = found_font
            elif op == b"Tc" and operands:
                char_spacing = float(operands[0])
            elif op == b"Tw" and operands:
                word_spacing = float(operands[0])
            elif op == b"Tz" and operands:
                scaling = float(operands[0]) / 100
            elif op == b"TL" and operands:
                leading = float(operands[0])
            elif op == b"Ts" and operands:
                rise = float(operands[0])
            elif op == b"q":
                stack.append((ctm, font, size, char_spacing, word_spacing, leading, rise, scaling))
            elif op == b"Q":
                if stack:
                    ctm, font, size, char_spacing, word_spacing, leading, rise, scaling = stack.pop()
                else:
                    ctm = base
            elif op == b"cm" and len(operands) == 6:
                ctm = _mul(tuple(float(v) for v in operands), ctm)  # type: ignore[arg-type]
            elif op in (b"m", b"l") and len(operands) >= 2:
                path.append(_apply(ctm, float(operands[0]), float(operands[1])))
            elif op in (b"c", b"v", b"y") and len(operands) >= 4:
                for i in range(0, len(operands) - 1, 2):
                    path.append(_apply(ctm, float(operands[i]), float(operands[i + 1])))
            elif op == b"re" and len(operands) == 4:
                x, y, w, h = (float(v) for v in operands)
                r = _transform_rect(ctm, (min(x, x + w), min(y, y + h), max(x, x + w), max(y, y + h)))
                path.extend([(r[0], r[1]), (r[2], r[3])])
            elif op in (b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"):
                if path:
                    found.paths.append(_bbox(path))
                path = []
            elif op == b"n":
                path = []
            elif op == b"INLINE IMAGE":
                found.images.append(_PlacedImage(_transform_rect(ctm, (0, 0, 1, 1)), ctm, None))
            elif op == b"Do" and operands:
                name = str(operands[0])
                try:
                    xobj = xobjects[name].get_object()
                except Exception:
                    continue
                subtype = xobj.get("/Subtype")
                if subtype == "/Image":
                    rect = _transform_rect(ctm, (0, 0, 1, 1))
                    found.images.append(_PlacedImage(rect, ctm, name if depth == 0 else None))
                elif subtype == "/Form" and depth < 2 and isinstance(xobj, StreamObject):
                    matrix = _resolved(xobj, "/Matrix")
                    form_m: Matrix = _IDENTITY
                    if matrix is not None and len(matrix) == 6:
                        form_m = tuple(float(v) for v in matrix)  # type: ignore[assignment]
                    form_resources = xobj.get("/Resources")
                    form_resources = form_resources.get_object() if form_resources is not None else resources
                    _walk(xobj.get_data(), form_resources, _mul(form_m, ctm), depth + 1, found)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError):
            continue  # a malformed operation: skip it


# ----------------------------------------------------------------------------------------------------
# Pixels of a scanned page


class _InkMap:
    """Dark-pixel density of a page-sized image, looked up by display-space rectangles."""

    def __init__(self, image: Image.Image, placed: _PlacedImage, frame: _PageFrame) -> None:
        # threshold at full resolution (thin strokes survive), then average down: pixel value = ink density
        ink = image.convert("L").point(lambda p: 255 if p < 160 else 0)
        factor = int(max(ink.width, ink.height) / 400)
        self.ink = ink.reduce(factor) if factor > 1 else ink
        a, b, c, d, e, f = placed.ctm
        det = a * d - b * c
        if abs(det) < 1e-9:
            raise ValueError("degenerate image matrix")
        # inverse of the image matrix: user space → unit square
        self.inv: Matrix = (
            d / det,
            -b / det,
            -c / det,
            a / det,
            (c * f - d * e) / det,
            (b * e - a * f) / det,
        )
        self.frame = frame

    def density(self, display_rect: Rect) -> float:
        """Fraction of dark pixels under a display-space rectangle (0 = white paper)."""
        fr = self.frame
        corners = [(display_rect[0], display_rect[1]), (display_rect[2], display_rect[3])]
        user = [_display_to_user(fr, x, y) for x, y in corners]
        unit = [_apply(self.inv, u, v) for u, v in user]
        w, h = self.ink.size
        xs = sorted(min(max(p[0], 0.0), 1.0) * w for p in unit)
        ys = sorted((1.0 - min(max(p[1], 0.0), 1.0)) * h for p in unit)  # image rows run top-down
        box = (
            int(xs[0]),
            int(ys[0]),
            max(int(xs[0]) + 1, math.ceil(xs[1])),
            max(int(ys[0]) + 1, math.ceil(ys[1])),
        )
        return float(ImageStat.Stat(self.ink.crop(box)).mean[0]) / 255.0


def _display_to_user(fr: _PageFrame, dx: float, dy: float) -> tuple[float, float]:
    if fr.rotate == 90:
        a, b = fr.width - dy, dx
    elif fr.rotate == 180:
        a, b = fr.width - dx, fr.height - dy
    elif fr.rotate == 270:
        a, b = dy, fr.height - dx
    else:
        a, b = dx, dy
    return fr.x0 + a, fr.y0 + b


_INK_MIN_DECODE_SIDE = 1200
"""JPEG scans at least twice this size (long side, pixels) are decoded at half scale: a one-pixel stroke is then
still half dark, above the ink threshold."""


def _page_image(page: Any, name: str) -> Image.Image | None:
    """The decoded image XObject ``name`` (``/Im1``) of ``page``, or None.

    A plain JPEG (a scan, or a photo made into a PDF by :func:`image_to_pdf`) is decoded by Pillow straight from
    the stream, greyscale only and, when large, at half scale (libjpeg scales while decoding, which is much
    cheaper); other images go through pypdf.
    """
    try:
        xobj = page["/Resources"]["/XObject"][name].get_object()
        filters = xobj.get("/Filter")
        if "/Decode" not in xobj and (filters == "/DCTDecode" or filters == ["/DCTDecode"]):
            img = Image.open(io.BytesIO(xobj.get_data()))
            if img.format == "JPEG":
                if max(img.size) >= 2 * _INK_MIN_DECODE_SIDE:
                    img.draft("L", ((img.width + 1) // 2, (img.height + 1) // 2))
                else:
                    img.draft("L", img.size)
                return img
    except Exception as exc:
        log.info("cannot read the page image %s as a JPEG: %s", name, exc)
    wanted = name.lstrip("/")
    try:
        for img_file in page.images:
            base = img_file.name.lstrip("/")
            if base == wanted or base.rsplit(".", 1)[0] == wanted:
                return img_file.image  # type: ignore[no-any-return]
    except Exception as exc:
        log.info("cannot decode the page image %s: %s", name, exc)
    return None


# ----------------------------------------------------------------------------------------------------
# Choosing the spot


@lru_cache(maxsize=16)
def _candidates(size: tuple[float, float], w: float, h: float, margin: float, step: float) -> tuple[Rect, ...]:
    """Stamp rectangles in display space inside the top-right quarter of a page of ``size`` (as displayed),
    nearest the top-right corner first."""
    width, height = size
    x_hi = width - margin - w
    y_hi = height - margin - h
    x_lo = min(width / 2, x_hi)
    y_lo = min(height / 2, y_hi)
    x_hi, y_hi = max(x_hi, 0.0), max(y_hi, 0.0)
    x_lo, y_lo = max(min(x_lo, x_hi), 0.0), max(min(y_lo, y_hi), 0.0)
    nx = int((x_hi - x_lo) // step) + 1
    ny = int((y_hi - y_lo) // step) + 1
    spots = [(x_hi - i * step, y_hi - j * step) for i in range(nx) for j in range(ny)]
    if x_hi - (nx - 1) * step > x_lo + 0.5:
        spots += [(x_lo, y_hi - j * step) for j in range(ny)]
    if y_hi - (ny - 1) * step > y_lo + 0.5:
        spots += [(x_hi - i * step, y_lo) for i in range(nx)]
    # nearest the corner first; upward moves cost a little more than leftward ones (the corner is the habit)
    spots.sort(key=lambda p: math.hypot(x_hi - p[0], 1.3 * (y_hi - p[1])))
    return tuple((x, y, x + w, y + h) for x, y in spots)


def choose_stamp_rect(page: Any, layout: StampLayout = DEFAULT_LAYOUT) -> Rect:
    """Where on ``page`` (a pypdf page) the stamp goes, as a display-space rectangle in points."""
    frame = _frame(page)
    w, h = layout.width_mm * MM, layout.height_mm * MM
    margin = layout.margin_mm * MM
    pad = 2.0 * MM  # keep clear of text by this much
    page_w, page_h = frame.display_size
    page_area = max(page_w * page_h, 1.0)
    quarter: Rect = (page_w / 2 - w, page_h / 2 - h, page_w, page_h)

    content = _read_page(page)
    obstacles: list[tuple[Rect, float]] = [(frame.rect_to_display(r), 1.0) for r in content.text]
    ink: _InkMap | None = None
    for img in content.images:
        rect = frame.rect_to_display(img.rect)
        if _area(rect) >= 0.5 * page_area:
            if ink is None and img.name is not None:
                pil = _page_image(page, img.name)
                if pil is not None:
                    try:
                        ink = _InkMap(pil, img, frame)
                    except ValueError:
                        ink = None
            continue  # a background or scan: its pixels decide, not its rectangle
        obstacles.append((rect, 1.0))
    for r in content.paths:
        rect = frame.rect_to_display(r)
        if _area(rect) < 0.5 * page_area:
            obstacles.append((rect, 0.4))
    # near the quarter only; hairlines get a little thickness; the biggest first, so that a hopeless
    # candidate is given up after a few
    near: list[tuple[float, float, float, float, float]] = []
    for r, weight in obstacles:
        if not (_overlap(r, quarter) > 0 or (_area(r) == 0 and _touches(r, quarter))):
            continue
        if r[2] - r[0] < 0.5 or r[3] - r[1] < 0.5:
            r = (r[0] - 0.5, r[1] - 0.5, r[2] + 0.5, r[3] + 0.5)
        near.append((*r, weight))
    near.sort(key=lambda o: -o[4] * (o[2] - o[0]) * (o[3] - o[1]))

    best: Rect | None = None
    best_cost = math.inf
    tolerance = 0.002 * w * h
    # candidates share a few dozen x positions: per x, the obstacles overlapping horizontally and by how much
    columns: dict[float, list[tuple[float, float, float]]] = {}
    for cand in _candidates((page_w, page_h), w, h, margin, 2.5 * MM):
        column = columns.get(cand[0])
        if column is None:
            gx0, gx1 = cand[0] - pad, cand[2] + pad
            column = columns[cand[0]] = [
                (y0, y1, weight * (min(gx1, x1) - max(gx0, x0)))
                for x0, y0, x1, y1, weight in near
                if min(gx1, x1) - max(gx0, x0) > 0.0
            ]
        # cost: the weighted area of obstacles under the candidate grown by the padding
        gy0, gy1 = cand[1] - pad, cand[3] + pad
        limit = best_cost - tolerance  # costs only grow: stop adding once the candidate cannot win
        cost = 0.0
        for y0, y1, weighted_dx in column:
            dy = min(gy1, y1) - max(gy0, y0)
            if dy > 0.0:
                cost += weighted_dx * dy
                if cost >= limit:
                    break
        else:
            if ink is not None:
                cost += ink.density(cand) * w * h
            if cost < limit:
                best, best_cost = cand, cost
                if cost <= 0.0:
                    break
    assert best is not None
    return best


def _touches(r: Rect, s: Rect) -> bool:
    return r[0] <= s[2] and s[0] <= r[2] and r[1] <= s[3] and s[1] <= r[3]


# ----------------------------------------------------------------------------------------------------
# Stamping


def _serialise(obj: PdfObject) -> bytes:
    buf = io.BytesIO()
    obj.write_to_stream(buf)
    return buf.getvalue()


def _unique_name(taken: Any, base: str) -> str:
    k = 1
    while f"{base}{k}" in taken:
        k += 1
    return f"{base}{k}"


def _incremental_update(data: bytes, reader: PdfReader, sink: _Sink) -> bytes:
    """The bytes to append to ``data`` so that ``sink``'s objects replace or join the document's.

    The cross-reference section is a table when the document's last one is a table, else a stream.
    """
    prev = reader._startxref
    trailer = reader.trailer
    root = trailer.raw_get("/Root")
    if root is None:
        raise InvalidPdf("the PDF has no document catalog")
    entries = [b"/Root " + _serialise(root), b"/Prev %d" % prev]
    info, ids = trailer.raw_get("/Info"), trailer.get("/ID")
    if info is not None:
        entries.append(b"/Info " + _serialise(info))
    if ids is not None:
        entries.append(b"/ID " + _serialise(ids.get_object()))
    out = bytearray(b"" if data.endswith((b"\n", b"\r")) else b"\n")
    base = len(data)
    offsets: dict[int, tuple[int, int]] = {}
    for number, generation, body in sink.objects:
        offsets[number] = (base + len(out), generation)
        out += b"%d %d obj\n" % (number, generation) + body + b"\nendobj\n"
    classic = data[prev : prev + 4] == b"xref"
    xref_at = base + len(out)
    size = sink.next_id
    if not classic:
        offsets[size] = (xref_at, 0)  # the cross-reference stream's own entry
        size += 1
    numbers = sorted(offsets)
    runs: list[list[int]] = []
    for number in numbers:
        if runs and runs[-1][-1] == number - 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    entries.insert(0, b"/Size %d" % size)
    if classic:
        out += b"xref\n"
        for run in runs:
            out += b"%d %d\n" % (run[0], len(run))
            out += b"".join(b"%010d %05d n\r\n" % offsets[number] for number in run)
        out += b"trailer\n<<" + b" ".join(entries) + b">>\n"
    else:
        width = max(4, (xref_at.bit_length() + 7) // 8)
        rows = b"".join(
            b"\x01" + offsets[number][0].to_bytes(width, "big") + offsets[number][1].to_bytes(2, "big")
            for number in numbers
        )
        index = b" ".join(b"%d %d" % (run[0], len(run)) for run in runs)
        out += b"%d 0 obj\n<</Type /XRef /W [1 %d 2] /Index [%s] %s /Length %d>>\nstream\n" % (
            size - 1,
            width,
            index,
            b" ".join(entries),
            len(rows),
        )
        out += rows + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _stamp_update(data: bytes, reader: PdfReader, page: Any, ctm: Matrix, drawing: _StampDrawing) -> bytes:
    """The incremental update drawing ``drawing`` on ``page`` with ``ctm`` (stamp space → user space)."""
    ref = page.indirect_reference
    if ref is None:
        raise InvalidPdf("page 1 is not an indirect object")
    known = [n for by_gen in reader.xref.values() for n in by_gen]
    known += list(reader.xref_objStm)
    sink = _Sink(max([int(reader.trailer.get("/Size", 0)), *(n + 1 for n in known)]))

    new_page = DictionaryObject(page)
    resources_ref = page.get("/Resources")
    resources = DictionaryObject(resources_ref.get_object()) if resources_ref is not None else DictionaryObject()
    fonts_ref = resources.get("/Font")
    fonts = DictionaryObject(fonts_ref.get_object()) if fonts_ref is not None else DictionaryObject()
    names: dict[str, str] = {}
    for key, number in drawing.write_fonts(sink).items():
        names[key] = _unique_name(fonts, "/SarabanStamp")
        fonts[NameObject(names[key])] = IndirectObject(number, 0, reader)
    resources[NameObject("/Font")] = fonts
    new_page[NameObject("/Resources")] = resources

    parts: list[PdfObject] = []
    contents = page.get("/Contents")
    if contents is not None:
        resolved = contents.get_object()
        listed = list(resolved) if isinstance(resolved, ArrayObject) else [contents]
        for part in listed:
            if isinstance(part, IndirectObject):
                parts.append(part)
            else:  # a direct stream (not allowed, but seen): give it a number of its own
                parts.append(IndirectObject(sink.put(_serialise(part)), 0, reader))
    before = sink.stream(b"", b"q\n", compress=False)
    stamp = sink.stream(b"", b"\nQ\nq %s cm\n" % b" ".join(map(_num, ctm)) + drawing.content(names) + b"Q\n")
    new_page[NameObject("/Contents")] = ArrayObject(
        [IndirectObject(before, 0, reader), *parts, IndirectObject(stamp, 0, reader)]
    )
    sink.put(_serialise(new_page), ref.idnum, ref.generation)
    return _incremental_update(data, reader, sink)


def stamp_pdf(src: Path, stamp: ReceiveStamp, layout: StampLayout = DEFAULT_LAYOUT) -> bytes:
    """``src`` with the receive stamp on page 1, written incrementally (``src`` is a prefix of the result)."""
    data = src.read_bytes()
    reader = _reader(data)
    if reader.is_encrypted:
        raise InvalidPdf("encrypted PDFs cannot be stamped incrementally")
    drawing = _StampDrawing(stamp, layout)
    page = reader.pages[0]
    rect = choose_stamp_rect(page, layout)
    frame = _frame(page)
    try:
        update = _stamp_update(data, reader, page, frame.placement_ctm(rect[0], rect[1]), drawing)
    except InvalidPdf:
        raise
    except Exception as exc:
        raise InvalidPdf(f"cannot stamp the PDF: {exc}") from exc
    return data + update


# ----------------------------------------------------------------------------------------------------
# Images → PDF


_IMAGE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "MPO"})


def image_to_pdf(src: Path) -> bytes:
    """A JPEG/PNG/GIF as a one-page A4 PDF, the image scaled to fit (aspect kept, centred).

    The page is landscape when the image is wider than tall. JPEGs are embedded as they are (no re-encoding)
    unless their EXIF orientation asks for a rotation; animated GIFs give their first frame.
    """
    try:
        with Image.open(src) as probe:
            fmt = probe.format or ""
            if fmt not in _IMAGE_FORMATS:
                raise InvalidImage(f"unsupported image format {fmt or 'unknown'!r}: use JPEG, PNG or GIF")
            probe.load()
            orientation = _exif_orientation(probe)
            img: Image.Image | str
            if fmt == "JPEG" and orientation in (0, 1) and probe.mode in ("RGB", "L", "CMYK"):
                img = str(src)  # fpdf2 embeds the JPEG stream as it is
                size = probe.size
            else:
                upright = ImageOps.exif_transpose(probe)
                alpha = upright.mode in ("RGBA", "LA") or "transparency" in upright.info
                img = upright.convert("RGBA" if alpha and fmt == "PNG" else "RGB")
                size = img.size
    except InvalidImage:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(f"cannot read the image: {exc}") from exc

    landscape = size[0] > size[1]
    page_w, page_h = (A4_MM[1], A4_MM[0]) if landscape else A4_MM
    scale = min(page_w / size[0], page_h / size[1])
    w, h = size[0] * scale, size[1] * scale
    pdf = FPDF(unit="mm", format="A4", orientation="L" if landscape else "P")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creator("saraban")
    pdf.add_page()
    pdf.image(img, x=(page_w - w) / 2, y=(page_h - h) / 2, w=w, h=h)
    return bytes(pdf.output())


def _exif_orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(0x0112, 1))
    except Exception:
        return 1


__all__ = [
    "InvalidImage",
    "InvalidPdf",
    "ReceiveStamp",
    "StampLayout",
    "choose_stamp_rect",
    "image_to_pdf",
    "pdf_page_count",
    "render_stamp",
    "stamp_lines",
    "stamp_pdf",
]
