"""The Thai font, read once per process, and per-stamp subsets of it made by slicing its bytes (no fontTools)."""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb


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


FontSource = _FontSource
"""A TrueType font read once (public name of :class:`_FontSource`)."""


@lru_cache(maxsize=4)
def font_source(path: Path) -> FontSource:
    """The font at ``path``, read once per process."""
    return _FontSource(path)
