"""The ONE module that knows Whoosh's private state and on-disk layout (the "fast path" of the query engine).

``search/index.py`` talks to Whoosh through public API only, plus the functions here:

* :func:`reader_segments` — the segments of a reader, as :class:`Segment` (offset of its doc numbers, a key that
  stays the same while the segment exists);
* :meth:`Segment.postings` — a term's posting list in a segment as :class:`Postings` (doc numbers, weights =
  term frequencies, block maxima for block-max ranking);
* :meth:`Segment.length_bytes` — the length byte of a field for every document (BM25's document length);
* :meth:`Segment.uint_column` — a numeric column of unsigned ints for every document (dates);
* :meth:`Segment.bytes_column` — a bytes column (the ``atoms`` column), read for many documents at once;
* :meth:`Segment.deleted_docs` / :meth:`Segment.doc_frequency`;
* :func:`length_to_byte` / :func:`byte_to_length` — Whoosh's one-byte quantisation of field lengths;
* :func:`writer_codec` — the codec the writer uses (block size, commit-time length look-ups from memory);
* :func:`fast_path_problem`, :func:`read_counts`, :meth:`Segment.fast` — whether the fast path is in use;
* :class:`ViewFile` — Whoosh's ``BufferFile`` reads a memory-mapped segment's sub-files in place, not copied.

Each read has a fast way (Whoosh 3 blocks decoded with ``zlib``/``pickle`` in C, columns read straight out of the
segment's buffer) and a slow way through Whoosh's public API (matchers, ``doc_field_length``, column readers) that
gives the same values. The fast way is used only when the installed ``whoosh-reloaded`` is the version this module
was checked against (:data:`VERIFIED_WHOOSH`, pinned in ``pyproject.toml``) and the segment has the structures it
expects; otherwise the slow way is taken, an error is logged once per reason, and :func:`read_counts` /
:meth:`Segment.fast` say so (``tests/integration/test_search_layout.py`` fails when that happens). When upgrading
whoosh-reloaded: see ``search/README.md``.
"""

from __future__ import annotations

import io
import logging
import pickle
import struct
import sys
import threading
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from itertools import accumulate, compress, repeat
from operator import add, le, sub
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3Segment, W3TermInfo, W3TermsReader
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length as _byte_to_length
from whoosh.util.numeric import length_to_byte as _length_to_byte

log = logging.getLogger(__name__)

#: the whoosh-reloaded release whose internals this module was checked against (``uv pip show whoosh-reloaded``)
VERIFIED_WHOOSH = "2.7.5"
#: postings per block in the segments we write (Whoosh's default is 128; bigger blocks = fewer pickles per list)
BLOCK_LIMIT = 256
#: first bytes of a Whoosh 3 posting list (``whoosh.codec.whoosh3.WHOOSH3_HEADER_MAGIC``)
_W3_MAGIC = b"W3Bl"
_INT = struct.Struct("!i")
#: bytes of a bytes column copied at a time when many documents' values are counted (:meth:`BytesColumn.counts`)
COUNT_CHUNK = 4 << 20  # a block's length: big-endian int, negative for the last block


def installed_whoosh() -> str | None:
    """The installed whoosh-reloaded version (``None``: not installed under that name)."""
    try:
        return metadata.version("whoosh-reloaded")
    except metadata.PackageNotFoundError:
        return None


def fast_path_problem() -> str | None:
    """Why the fast path is off for this process (``None``: it is on)."""
    found = installed_whoosh()
    if found != VERIFIED_WHOOSH:
        return (
            f"whoosh-reloaded {found or '(not installed)'} is not {VERIFIED_WHOOSH}, the version whose private "
            "layout search/whoosh_layout.py was checked against: searching through Whoosh's public API (slow); "
            "see search/README.md, 'Upgrading whoosh-reloaded'"
        )
    return None


_PROBLEM = fast_path_problem()
_counts: Counter[str] = Counter()
_logged: set[str] = set()
_state_lock = threading.Lock()


def _fast(kind: str) -> None:
    with _state_lock:
        _counts[f"{kind}.fast"] += 1


def _slow(kind: str, why: str) -> None:
    """Count a read through Whoosh's public API; the first one for a reason is logged as an error."""
    with _state_lock:
        _counts[f"{kind}.whoosh"] += 1
        first = why not in _logged
        _logged.add(why)
    if first:
        log.error("search: %s read through Whoosh's public API, not the fast path: %s", kind, why)


def read_counts() -> dict[str, int]:
    """Reads done in this process: ``postings.fast``, ``postings.whoosh``, ``lengths.fast``, … (``.whoosh`` =
    through Whoosh's public API because the fast path was off or failed)."""
    with _state_lock:
        return dict(_counts)


def check_version() -> str | None:
    """What :class:`search.SearchIndex` calls when it opens an index: checks the installed version again (segments
    opened from now on follow the answer) and logs (once) when the fast path is off."""
    global _PROBLEM  # one answer per process, refreshed when an index is opened
    _PROBLEM = fast_path_problem()
    if _PROBLEM is not None:
        with _state_lock:
            first = _PROBLEM not in _logged
            _logged.add(_PROBLEM)
        if first:
            log.error("search: %s", _PROBLEM)
    return _PROBLEM


# ----------------------------------------------------------------------------------------------------
# Opening segments: sub-files of a memory-mapped segment read in place
# ----------------------------------------------------------------------------------------------------


class ViewFile:
    """A read-only file over a memoryview: what ``BytesIO(buf)`` gives a Whoosh ``BufferFile``, without the copy.
    Every searcher opens each segment's sub-files (terms, postings, stored fields) as ``BufferFile`` slices of the
    segment's mmap, and Whoosh 2.7.5 copies each whole slice into a ``BytesIO`` it rarely reads: at 1,000,000
    letters, 0.7 s of CPU and 1.5 GB of memory for every new searcher, that is after every commit of the index."""

    __slots__ = ("_buf", "_pos")
    closed = False

    def __init__(self, buf: memoryview) -> None:
        self._buf = buf
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        start, n = self._pos, len(self._buf)
        end = n if size is None or size < 0 else min(n, start + size)
        self._pos = max(start, end)
        return bytes(self._buf[start:end])

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        out = bytearray()
        while size is None or size < 0 or len(out) < size:
            chunk = self.read(256 if size is None or size < 0 else min(256, size - len(out)))
            if not chunk:
                break
            cut = chunk.find(b"\n")
            if cut >= 0:
                self._pos -= len(chunk) - cut - 1
                out += chunk[: cut + 1]
                break
            out += chunk
        return bytes(out)

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._buf))[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        pass


def _open_in_place() -> None:
    """Whoosh's ``BufferFile`` reads its buffer through :class:`ViewFile` (on the verified version only)."""
    from whoosh.filedb import structfile

    def __init__(self: Any, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        self._buf = buf
        self._name = name
        self.file = ViewFile(memoryview(buf))
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    structfile.BufferFile.__init__ = __init__


if _PROBLEM is None:
    _open_in_place()


def byte_to_length(b: int) -> int:
    """The field length a length byte stands for (Whoosh stores lengths quantised to one byte)."""
    return int(_byte_to_length(b))


def length_to_byte(n: int) -> int:
    return int(_length_to_byte(n))


@dataclass
class Postings:
    """A term's posting list: doc numbers (ascending), weights (term frequency; ``None``: all 1) and per block
    (start index, max weight, min length byte) — the block maxima for block-max ranking."""

    ids: array  # type: ignore[type-arg]
    weights: array | None  # type: ignore[type-arg]
    blocks: list[tuple[int, float, int]]

    @property
    def df(self) -> int:
        return len(self.ids)

    def block_end(self, bi: int) -> int:
        """Index after the last posting of block ``bi``."""
        return self.blocks[bi + 1][0] if bi + 1 < len(self.blocks) else self.df

    def weights_at(self, docs: Sequence[int]) -> list[float]:
        """The weight of each of ``docs`` (every one in this list), in that order: a binary search each."""
        ids, ws = self.ids, self.weights
        n = len(ids)
        out: list[float] = []
        for d in docs:
            i = bisect_left(ids, d)
            if i == n or ids[i] != d:
                raise ValueError(f"doc {d} is not in the posting list")
            out.append(1.0 if ws is None else ws[i])
        return out

    def weights_in(self, marks: bytes, list_marks: bytes, count: int) -> list[float]:
        """The weights of the ``count`` documents marked in ``marks`` (byte ``d`` = 1; every one in this list), in
        doc order. ``list_marks`` marks this list's documents the same way: ``compress(marks, list_marks)`` says
        which postings are marked without a call per posting."""
        ws = self.weights
        if len(list_marks) != len(marks) or list_marks.count(1) != len(self.ids):
            raise ValueError("list_marks do not mark this list")
        out = [1.0] * count if ws is None else list(compress(ws, compress(marks, list_marks)))
        if len(out) != count:
            raise ValueError("marked docs that are not in the posting list")
        return out


EMPTY = Postings(array("I"), None, [])


class _NotW3(Exception):
    """The data is not in the layout the fast reader knows."""


_LAYOUT_ERRORS = (_NotW3, AttributeError, TypeError, ValueError, IndexError, KeyError, pickle.UnpicklingError)


# ----------------------------------------------------------------------------------------------------
# Fast readers (private Whoosh state, on-disk layout)
# ----------------------------------------------------------------------------------------------------


def _decode_w3(buf: bytes) -> Postings:
    """A whole Whoosh 3 posting list: after the magic, blocks of (int length, pickled header (count, max id, max
    weight, compression, min length byte, max length byte), [zlib'd] pickle of (ids delta-coded from 0 in each
    block, weights: None = all 1 / one float for all / a tuple, values)). C-level work per block instead of Python
    work per posting. Each block's last id must be its header's max id, or the layout is not what this reads."""
    if buf[:4] != _W3_MAGIC:
        raise _NotW3("no W3 magic")
    ids = array("I")
    wparts: list[tuple[float, int] | tuple[tuple[float, ...]]] = []  # per block: (weight, count) or (weights,)
    all_ones = True
    blocks: list[tuple[int, float, int]] = []
    pos = 4
    end = len(buf)
    loads = pickle.loads
    last = False
    while pos < end:
        (blen,) = _INT.unpack_from(buf, pos)
        pos += 4
        last = blen < 0
        blen = -blen if last else blen
        bio = io.BytesIO(buf[pos : pos + blen])
        count, maxid, maxweight, comp, minlb, _maxlb = pickle.load(bio)
        data = bio.read()
        if comp:
            data = zlib.decompress(data)
        d_ids, d_w, _d_v = loads(data)
        if len(d_ids) != count:
            raise _NotW3("block count")
        blocks.append((len(ids), float(maxweight), int(minlb)))
        ids.extend(accumulate(d_ids))
        if ids[-1] != maxid:  # the header's last id: a cheap check that the ids were decoded as written
            raise _NotW3("block ids do not end at the block's max id")
        if d_w is None:
            wparts.append((1.0, count))
        elif isinstance(d_w, float):
            wparts.append((d_w, count))
            all_ones = all_ones and d_w == 1.0
        else:
            wparts.append((d_w,))
            all_ones = False
        pos += blen
        if last:
            break
    if not last:
        raise _NotW3("no last block")
    weights: array | None = None  # type: ignore[type-arg]
    if not all_ones:
        weights = array("f")
        for part in wparts:
            if len(part) == 2:
                weights.extend(repeat(part[0], part[1]))
            else:
                weights.extend(part[0])
        if len(weights) != len(ids):
            raise _NotW3("weights")
    return Postings(ids, weights, blocks)


def _fast_postings(leaf: Any, fieldname: str, tbytes: bytes, lock: threading.Lock) -> Postings | None:
    terms = leaf._terms
    if not isinstance(terms, W3TermsReader):
        raise _NotW3(f"terms reader is {type(terms).__name__}")
    try:
        ti = terms.term_info(fieldname, tbytes)
    except (TermNotFound, KeyError):
        return None
    if not isinstance(ti, W3TermInfo):
        raise _NotW3(f"term info is {type(ti).__name__}")
    if ti.is_inlined():
        ids_t, weights_t, _values = ti.inlined_postings()
        inl = array("f", weights_t)
        return Postings(
            array("I", ids_t),
            None if all(w == 1.0 for w in inl) else inl,
            [(0, float(max(inl, default=1.0)), length_to_byte(ti.min_length() or 0))],
        )
    offset, length = ti.extent()
    if isinstance(length, tuple):  # whoosh-reloaded's W3TermInfo.from_bytes leaves it a 1-tuple
        (length,) = length
    with lock:
        buf = terms._postfile.get(offset, length)
    return _decode_w3(buf)


def _length_column(perdoc: Any, fieldname: str, n: int) -> bytes | None:
    """The raw length column of ``fieldname`` (one byte per document; ``None``: the field has no lengths)."""
    creader = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if creader is None:
        return None
    return (bytes(creader._dbfile.get(creader._basepos, creader._count)) + bytes(n))[:n]


def _fast_uint_column(creader: Any, n: int) -> array:  # type: ignore[type-arg]
    """A NUMERIC column of unsigned 32-bit ints: big-endian, stored as themselves; missing ones are the column's
    default (``0xFFFFFFFF`` for NUMERIC, not 0)."""
    if creader._typecode != "I":
        raise _NotW3(f"column typecode {creader._typecode!r}")
    out = array("I", creader._dbfile.get(creader._basepos, 4 * creader._count))
    if sys.byteorder == "little":
        out.byteswap()
    out.extend(repeat(int(creader._default), n - len(out)))
    return out


# ----------------------------------------------------------------------------------------------------
# The interface
# ----------------------------------------------------------------------------------------------------


class BytesColumn:
    """A bytes column of one segment (``VarBytesColumn``), read straight out of the segment's buffer."""

    def __init__(self, segment: Segment, name: str) -> None:
        leaf = segment.leaf
        self._reader: Any = leaf.column_reader(name, translate=False) if leaf.has_column(name) else None
        self.fast = False
        self._sequential = False  # values stored in doc order, back to back (what counts() chunks on)
        if self._reader is None:
            return
        why = segment.problem
        if why is None:
            try:
                r = self._reader
                self._buf, self._base = r._dbfile._buf, int(r._basepos)
                self._lengths, self._offsets = r._lengths, r._offsets
                self.fast = self._buf is not None
                offs = self._offsets
                self._sequential = len(offs) == len(self._lengths) and all(map(le, offs, offs[1:]))
                why = None if self.fast else "bytes column: the segment file is not in memory"
            except _LAYOUT_ERRORS as e:
                why = f"bytes column: {e!r}"
        if why is None:
            _fast("bytes_column")
        else:
            segment._slow("bytes_column", why)

    def values(self, docnums: Sequence[int]) -> list[bytes]:
        """The value of each of ``docnums`` (segment doc numbers), ``b""`` where there is none."""
        if self._reader is None:
            return [b""] * len(docnums)
        if self.fast:  # what VarBytesColumn.Reader.__getitem__ does, without its layers
            buf, base, lengths, offsets = self._buf, self._base, self._lengths, self._offsets
            return [bytes(buf[base + offsets[d] : base + offsets[d] + lengths[d]]) for d in docnums]
        return [bytes(self._reader[d]) for d in docnums]

    def counts(self, docnums: Sequence[int], pattern: bytes) -> list[int]:
        """How often ``pattern`` occurs (non-overlapping) in the value of each of ``docnums`` (segment doc
        numbers, ascending). Many docs: the values are copied out of the segment file a chunk (at most
        :data:`COUNT_CHUNK` bytes, plus one value) at a time and counted with one C-level ``map`` of
        ``bytes.count`` per chunk — no ``bytes`` object per document, no copy of the whole column kept; few: one
        value at a time."""
        if self._reader is None:
            return [0] * len(docnums)
        if not (self.fast and self._sequential) or len(docnums) * 8 < len(self._lengths):
            return [v.count(pattern) for v in self.values(docnums)]
        buf, base = self._buf, self._base
        starts = list(map(self._offsets.__getitem__, docnums))
        ends = list(map(add, starts, map(self._lengths.__getitem__, docnums)))
        out: list[int] = []
        i, n = 0, len(starts)
        while i < n:
            lo = starts[i]
            j = bisect_right(starts, lo + COUNT_CHUNK, i)
            chunk = bytes(buf[base + lo : base + ends[j - 1]])
            out += map(chunk.count, repeat(pattern), map(sub, starts[i:j], repeat(lo)), map(sub, ends[i:j], repeat(lo)))
            i = j
        return out


class Segment:
    """One segment of a reader: its reader (``leaf``), the offset of its doc numbers in the whole index, a key that
    names it while it exists, and the reads the engine needs."""

    def __init__(self, leaf: Any, offset: int, lock: threading.Lock) -> None:
        self.leaf = leaf
        self.offset = offset
        self.lock = lock
        try:
            self.key = str(leaf.segment().segment_id())
        except AttributeError:
            self.key = f"reader-{id(leaf)}"
        self.doc_count_all = int(leaf.doc_count_all())
        #: no segment at all: an index nothing has been written to yet, which Whoosh answers (an empty reader) and
        #: which is no sign of a layout the fast path does not know (nothing is logged or counted for it)
        self.empty = self.doc_count_all == 0 and leaf.segment() is None
        #: why this segment is read through Whoosh's public API (``None``: the fast path)
        self.problem: str | None = _PROBLEM
        if self.problem is None and self.empty:
            self.problem = "no segment yet"
        elif self.problem is None:
            try:
                if not isinstance(leaf.segment(), W3Segment) or not isinstance(leaf._terms, W3TermsReader):
                    raise _NotW3(f"segment {type(leaf.segment()).__name__}")
                leaf._terms._postfile.get  # noqa: B018 — the attributes the fast reads use
                leaf._perdoc._cached_reader  # noqa: B018
            except _LAYOUT_ERRORS as e:
                self.problem = f"segment {self.key}: {e!r}"
        #: kinds of reads that went through Whoosh's public API in this segment
        self.fallbacks: set[str] = set()

    @property
    def fast(self) -> bool:
        """Every read of this segment so far took the fast path."""
        return self.problem is None and not self.fallbacks

    def _slow(self, kind: str, why: str) -> None:
        self.fallbacks.add(kind)
        if not self.empty:
            _slow(kind, why)

    def doc_frequency(self, fieldname: str, text: str) -> int:
        """Documents with the term (deleted ones included, as in Whoosh's statistics): no posting list read."""
        return int(self.leaf.doc_frequency(fieldname, text))

    def deleted_docs(self) -> set[int]:
        """The segment's deleted doc numbers."""
        leaf = self.leaf
        if not leaf.has_deletions():
            return set()
        why = self.problem
        if why is None:
            try:
                dd = leaf.deleted_docs_set  # whoosh-reloaded: a cached frozenset of the deletions file
                if not isinstance(dd, frozenset):
                    raise _NotW3(f"deleted_docs_set is {type(dd).__name__}")
                _fast("deleted")
                return set(dd)
            except _LAYOUT_ERRORS as e:
                why = f"deleted docs: {e!r}"
        self._slow("deleted", why)
        return {d for d in range(self.doc_count_all) if leaf.is_deleted(d)}

    def postings(self, fieldname: str, text: str) -> Postings:
        """The term's posting list in this segment (segment doc numbers; deleted docs still in it)."""
        leaf = self.leaf
        why = self.problem
        if why is None:
            try:
                p = _fast_postings(leaf, fieldname, leaf.schema[fieldname].to_bytes(text), self.lock)
                if p is not None and p.df and p.ids[-1] >= self.doc_count_all:
                    raise _NotW3("doc numbers beyond the segment")
                _fast("postings")
                return p if p is not None else EMPTY
            except _LAYOUT_ERRORS as e:
                why = f"posting lists: {e!r}"
        self._slow("postings", why)
        with self.lock:  # Whoosh's matcher: Python work per posting
            try:
                m = leaf.postings(fieldname, text)
            except TermNotFound:
                return EMPTY
            ids = array("I")
            weights = array("f")
            while m.is_active():
                ids.append(m.id())
                weights.append(m.weight())
                m.next()
        # one block: its bound is the highest weight with the shortest length (loose, but a bound)
        return Postings(ids, weights, [(0, float(max(weights)), 0)]) if ids else EMPTY

    def length_bytes(self, fieldname: str) -> bytes:
        """The length byte of ``fieldname`` for every document of the segment (0: none)."""
        n = self.doc_count_all
        why = self.problem
        if why is None:
            try:
                col = _length_column(self.leaf._perdoc, fieldname, n)
                _fast("lengths")
                return bytes(n) if col is None else col
            except _LAYOUT_ERRORS as e:
                why = f"length columns: {e!r}"
        self._slow("lengths", why)
        leaf = self.leaf
        return bytes(
            length_to_byte(leaf.doc_field_length(d, fieldname, 0) or 0) if not leaf.is_deleted(d) else 0
            for d in range(n)
        )

    def uint_column(self, name: str) -> array:  # type: ignore[type-arg]
        """A NUMERIC (unsigned 32-bit) column for every document of the segment (0 where the column is absent)."""
        n = self.doc_count_all
        leaf = self.leaf
        if not leaf.has_column(name):
            return array("I", bytes(4 * n))
        why = self.problem
        if why is None:
            try:
                out = _fast_uint_column(leaf.column_reader(name, translate=False), n)
                _fast("uint_column")
                return out
            except _LAYOUT_ERRORS as e:
                why = f"numeric columns: {e!r}"
        self._slow("uint_column", why)
        return array("I", (int(v or 0) for v in leaf.column_reader(name, translate=True)))

    def bytes_column(self, name: str) -> BytesColumn:
        """A ``VarBytesColumn`` of the segment (the ``atoms`` column)."""
        return BytesColumn(self, name)


def reader_segments(reader: Any, lock: threading.Lock) -> list[Segment]:
    """The segments of a (searcher's) reader, in doc number order. ``lock`` serialises reads of segment files."""
    return [Segment(leaf, int(off), lock) for leaf, off in reader.leaf_readers()]


# ----------------------------------------------------------------------------------------------------
# Writing: Whoosh's codec with the commit's per-posting length look-ups served from memory
# ----------------------------------------------------------------------------------------------------


class _WriterCodec(W3Codec):  # type: ignore[misc]
    """Whoosh's codec for the segments we write, with one change: at commit Whoosh asks the new segment for the
    document length of EVERY posting (block statistics), each a seek + read in a column file — or a file-exists
    check for fields without lengths — about a fifth of the build time; this serves them from memory. The segments
    themselves record a plain ``W3Codec`` (:meth:`new_segment`), so they are ordinary Whoosh 3 segments."""

    def __init__(self) -> None:
        super().__init__(blocklimit=BLOCK_LIMIT)

    def new_segment(self, storage: Any, indexname: str) -> Any:
        return W3Segment(W3Codec(self._blocklimit, self._compression, self._inlinelimit), indexname)

    def per_document_reader(self, storage: Any, segment: Any) -> Any:
        return _PreloadedLengths(super().per_document_reader(storage, segment))


class _PreloadedLengths:
    """A W3 per-document reader whose ``doc_field_length`` reads each length column once."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._cols: dict[str, bytes | None] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        if fieldname not in self._cols:
            self._cols[fieldname] = _length_column(self._inner, fieldname, self._inner.doc_count_all())
        col = self._cols[fieldname]
        if col is None:
            return default
        lbyte = col[docnum]
        return byte_to_length(lbyte) if lbyte else None  # what W3PerDocReader returns


def writer_codec() -> Any | None:
    """The codec for ``Index.writer(codec=...)``: ours on the verified Whoosh, else ``None`` (Whoosh's default,
    blocks of 128)."""
    return _WriterCodec() if _PROBLEM is None else None
