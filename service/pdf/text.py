"""Shaped Thai text as PDF operators, shared by the receive stamp and the printable register.

Text is shaped by HarfBuzz (Thai marks placed through the font's GSUB/GPOS) and shown with TJ arrays in a
Type0/CIDFontType2 font whose program holds only the glyphs used; a ToUnicode CMap built from HarfBuzz's clusters
keeps the text extractable. PDF objects are written by hand (:class:`Sink`) and :func:`assemble` makes a whole
PDF file of one or more pages. Shaping and the operators of a shown text are cached per font, per document.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, NamedTuple, TypeVar

import uharfbuzz as hb

if TYPE_CHECKING:  # service.receiving.stamp imports this module: no import of it at run time
    from service.pdf.font import _FontSource


def pdf_number(value: float) -> bytes:
    """A PDF number: at most 3 decimals, no trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return b"0" if text in ("", "-0") else text.encode()


class Glyph(NamedTuple):
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


def shape_text(source: _FontSource, text: str) -> tuple[list[Glyph], float]:
    """HarfBuzz's glyphs for ``text`` and the line's advance (thousandths of an em)."""
    if not text:
        return [], 0.0
    buf = hb.Buffer()
    buf.add_codepoints([ord(c) for c in text])
    buf.guess_segment_properties()
    # marks get clusters of their own where HarfBuzz can, while clusters stay in text order (ำ → ํ า)
    buf.cluster_level = hb.BufferClusterLevel.MONOTONE_CHARACTERS
    hb.shape(source.hb_font, buf)
    # font units → thousandths of an em, as source.em() computes it (inlined: this loop runs for every text)
    upem, advances, num_glyphs = source.units_per_em, source.advances, source.num_glyphs
    gids: list[int] = []
    clusters: list[int] = []
    xs: list[float] = []
    ys: list[float] = []
    widths: list[float] = []  # the font's advance of each glyph
    carrier: dict[int, int] = {}  # cluster → index of its widest glyph
    pen = 0.0
    for i, (info, pos) in enumerate(zip(buf.glyph_infos, buf.glyph_positions, strict=True)):
        gid, cluster = info.codepoint, info.cluster
        advance = advances[gid] * 1000.0 / upem if 0 <= gid < num_glyphs else 0.0
        gids.append(gid)
        clusters.append(cluster)
        xs.append((pen + pos.x_offset) * 1000.0 / upem)
        ys.append(pos.y_offset * 1000.0 / upem)
        widths.append(advance)
        widest = carrier.get(cluster)
        if widest is None or advance > widths[widest]:
            carrier[cluster] = i
        pen += pos.x_advance
    starts = sorted(carrier)
    ends = dict(zip(starts, [*starts[1:], len(text)], strict=True))
    glyphs: list[Glyph] = []
    last = len(gids) - 1
    for i, gid in enumerate(gids):
        cluster, x, advance = clusters[i], xs[i], widths[i]
        part = text[cluster : ends[cluster]] if carrier[cluster] == i else ""
        if i < last:
            advance = max(advance, xs[i + 1] - x)
        glyphs.append(Glyph(gid, part, x, ys[i], round(advance, 1)))
    return glyphs, pen * 1000.0 / upem


_K = TypeVar("_K")
_V = TypeVar("_V")


class Memo(Generic[_K, _V]):
    """A cache that forgets its oldest entries beyond ``limit``: repeated texts stay cheap while a document of
    mostly unique texts (a long register) does not keep them all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: dict[_K, _V] = {}

    def get(self, key: _K, make: Callable[[], _V]) -> _V:
        """The value kept for ``key``, or ``make()`` kept now."""
        value = self.items.get(key)
        if value is None:
            if len(self.items) >= self.limit:
                del self.items[next(iter(self.items))]
            value = self.items[key] = make()
        return value


@dataclass
class FontUse:
    """One font of a document: the (glyph, text, advance) triples used, each with a CID of its own (1, 2, ...).

    Shaping is cached per text (table cells repeat a lot): the glyphs of recent texts, the advance of every text
    measured and the operators of every text shown (far smaller than glyph lists)."""

    source: _FontSource
    cids: dict[tuple[int, str, float], int] = field(default_factory=dict)
    _shaped: Memo[str, tuple[list[Glyph], float]] = field(default_factory=lambda: Memo(4096), repr=False)
    _advances: dict[str, float] = field(default_factory=dict, repr=False)
    _shown: dict[tuple[str, float], bytes] = field(default_factory=dict, repr=False)

    def cid(self, glyph: Glyph) -> int:
        key = (glyph.gid, glyph.text, glyph.advance)
        cid = self.cids.get(key)
        if cid is None:
            cid = self.cids[key] = len(self.cids) + 1
        return cid

    def shape(self, text: str) -> tuple[list[Glyph], float]:
        """:func:`shape_text` of ``text`` in this font, cached: do not change the list."""
        return self._shaped.get(text, lambda: shape_text(self.source, text))

    def width(self, text: str, size: float) -> float:
        """The shaped advance of ``text`` at ``size`` points, in points."""
        advance = self._advances.get(text)
        if advance is None:
            advance = self._advances[text] = self.shape(text)[1]
        return advance * size / 1000

    def show(self, text: str, size: float) -> bytes:
        """The operators showing ``text`` at ``size`` points from the current text position (newline-ended),
        cached; the font and size must be selected (Tf) by the caller."""
        key = (text, size)
        ops = self._shown.get(key)
        if ops is None:
            ops = self._shown[key] = b"".join(op + b"\n" for op in show_glyphs(self, self.shape(text)[0], size))
        return ops


def show_glyphs(use: FontUse, glyphs: Sequence[Glyph], size: float) -> list[bytes]:
    """TJ arrays placing each glyph where HarfBuzz put it; Ts (rise) for marks moved up or down."""
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

    for glyph in glyphs:
        if glyph.y != rise:
            flush()
            rise = glyph.y
            ops.append(b"%s Ts" % pdf_number(rise * size / 1000))
        shift = glyph.x - pen
        if abs(shift) > 0.05:
            flush_codes()
            parts.append(pdf_number(-shift))
        codes.append(f"{use.cid(glyph):04X}")
        pen = glyph.x + glyph.advance
    flush()
    if rise:
        ops.append(b"0 Ts")
    return ops


def deflate(content: bytes) -> bytes:
    """Data compressed for a stream (/FlateDecode)."""
    return zlib.compress(content, 6)


class Sink:
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
            data = deflate(data)
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


def write_font(use: FontUse, sink: Sink) -> int:
    """The Type0 font object of ``use`` (with its CIDFont, descriptor, subset program, CIDToGIDMap and
    ToUnicode CMap); returns its object number."""
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
            pdf_number(source.italic_angle),
            round(source.em(source.ascent)),
            round(source.em(source.descent)),
            round(source.em(source.cap_height)),
            round(50 + (source.weight / 65) ** 2),
            round(source.em(source.advances[0])),
            font_file,
        )
    )
    widths = b" ".join(pdf_number(advance) for _cid, _gid, _text, advance in by_cid)
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


def font_name(key: str) -> bytes:
    """The resource name under which :func:`assemble` lists the font ``key``: content shows it as ``/F<key>``."""
    return b"/F" + key.encode()


class Page(NamedTuple):
    width: float
    height: float
    """The page size in points."""
    content: bytes
    """The page's operators, compressed by :func:`deflate` (pages of a long document are kept until the file
    is assembled); a font ``key`` is selected by :func:`font_name`."""


def text_string(text: str) -> bytes:
    """A PDF text string: UTF-16BE with its byte order mark, as a hex string."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def assemble(pages: Sequence[Page], fonts: Mapping[str, FontUse], *, title: str | None = None) -> bytes:
    """A whole PDF file of ``pages``, with the fonts of ``fonts`` that have glyphs in use (every page can use
    any of them). Objects: the catalog, the page tree, the pages, the fonts, the contents, the document info."""
    sink = Sink(1)
    catalog, tree = sink.reserve(), sink.reserve()
    kids = [sink.reserve() for _page in pages]
    written = {key: write_font(use, sink) for key, use in fonts.items() if use.cids}
    font_dict = b" ".join(b"%s %d 0 R" % (font_name(key), number) for key, number in written.items())
    contents = [sink.stream(b" /Filter /FlateDecode", page.content, compress=False) for page in pages]
    sink.put(b"<</Type /Catalog /Pages %d 0 R>>" % tree, catalog)
    sink.put(b"<</Type /Pages /Kids [%s] /Count %d>>" % (b" ".join(b"%d 0 R" % kid for kid in kids), len(kids)), tree)
    for page, kid, content in zip(pages, kids, contents, strict=True):
        sink.put(
            b"<</Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources <</Font <<%s>>>> /Contents %d 0 R>>"
            % (tree, pdf_number(page.width), pdf_number(page.height), font_dict, content),
            kid,
        )
    info = sink.put(
        (b"<</Title %s " % text_string(title) if title is not None else b"<<")
        + b"/Creator (saraban) /Producer (saraban)>>"
    )
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
