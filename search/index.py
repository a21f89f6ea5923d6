"""A small full-text index of letters over Whoosh, with a Thai analyzer.

Nothing here knows about the service's models: callers hand in :class:`IndexDoc` values (plain data) and get
:class:`SearchResult` values back. Access control: every search is limited to the documents that share a principal
with the caller; documents the caller may not see are never scored, counted or snippeted.

Whoosh stores the index (segments, postings, stored fields, deletions, locking); the query side is our own
(:class:`_Engine`): Whoosh's pure-Python matchers score every matching document and recompute the access filter for
each query, which is what made broad words, phrases and sender codes slow at 100,000 letters (see README.md).
The engine reads a term's posting list in one go, counts matches exactly as a set intersection with the cached
allowed-document set, ranks single-word queries with block-max early termination, and verifies phrases on the small
candidate set left by AND-ing the phrase's atom pairs.

This module uses Whoosh's public API only; everything that knows Whoosh's private state or on-disk layout (posting
blocks, column files, the writer's codec) is in :mod:`search.whoosh_layout`.
"""

from __future__ import annotations

import html
import math
import re
import threading
import time
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from heapq import heappush, heapreplace, nlargest, nsmallest
from itertools import compress, islice, repeat
from operator import add, mul, neg, not_, truediv
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import RegexTokenizer
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, FieldType, Schema
from whoosh.formats import Frequency
from whoosh.highlight import Formatter
from whoosh.index import LockError

from search import whoosh_layout
from search.thai import (
    ThaiTokenizer,
    atoms,
    chunk_terms,
    find_letter_numbers,
    index_atoms,
    letter_no_keys,
    letter_no_query_key,
    normalize,
    normalize_with_map,
    pair_terms,
    query_tokens,
)
from search.whoosh_layout import EMPTY, Postings, Segment, byte_to_length, reader_segments

#: How much attachment text is stored for snippets (all of it is indexed).
STORED_ATTACHMENT_CHARS = 20_000
INDEX_NAME = "letters"
#: Version of the index layout (schema + analysis). Stored in :data:`VERSION_FILE` next to the Whoosh files; an
#: index without it, or with another number, is *outdated*: it can be cleared/rebuilt (``saraban reindex``) but not
#: searched or written. 1 = the first layout (body with positions, subject indexed); 2 = body without positions +
#: ``pair`` field (phrases), subject stored only.
SCHEMA_VERSION = 2
VERSION_FILE = "SCHEMA_VERSION"


class SearchIndexOutdated(RuntimeError):
    """The index on disk was built by an older version of the search code: rebuild it with ``saraban reindex``."""


@dataclass(frozen=True)
class IndexDoc:
    doc_id: int
    registrations: Sequence[tuple[str, int, int]] = ()
    registry_ids: Sequence[int] = ()
    unit_ids: Sequence[int] = ()
    letter_no: str = ""
    letter_date: date | None = None
    registered_at: datetime | None = None
    sender: str = ""
    recipient: str = ""
    subject: str = ""
    summary: str = ""
    letter_type: str = ""
    urgency: int = 0
    secrecy: int = 0
    channel: str = ""
    instructions: str = ""
    attachment_text: str = ""
    has_attachment: bool = False
    principals: Sequence[str] = ()


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    date_from: date | None = None
    date_to: date | None = None
    registry_ids: Sequence[int] = ()
    unit_ids: Sequence[int] = ()
    letter_type: str | None = None
    urgency: int | None = None
    secrecy: int | None = None
    channel: str | None = None
    has_attachment: bool | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class Hit:
    doc_id: int
    score: float
    snippet: str


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: Sequence[Hit]


# ----------------------------------------------------------------------------------------------------
# Schema
# ----------------------------------------------------------------------------------------------------

#: where snippets are taken from, in order of preference (field, stored field)
SNIPPET_FIELDS: tuple[tuple[str, str], ...] = (
    ("subject", "subject"),
    ("summary", "summary"),
    ("attachment", "attachment_store"),
    ("instructions", "instructions"),
    ("sender", "sender"),
    ("recipient", "recipient"),
    ("letter_no", "letter_no"),
)
SORTS = ("relevance", "date_desc", "date_asc")


def make_schema() -> Schema:
    """``body`` holds all the letter's text (subject, number, sender, recipient, summary, instructions, attachment
    text) as words + sub-words, with term frequencies but no positions (a query word is ONE posting list; nothing
    reads word positions). For phrases, ``pair`` holds each pair of consecutive atoms (``"ทุน การ"``, given
    pre-split, one per line) and the ``atoms`` column the document's atom sequence (:func:`atom_hashes`). The text
    fields are stored (not indexed a second time) for snippets."""
    return Schema(
        doc_id=ID(stored=True, unique=True),
        principals=KEYWORD(commas=True, scorable=False, lowercase=False),
        registry=KEYWORD(commas=True, scorable=False),
        unit=KEYWORD(commas=True, scorable=False),
        letter_type=ID,
        channel=ID,
        urgency=ID,
        secrecy=ID,
        has_attachment=ID,
        date_sort=NUMERIC(numtype=int, bits=32, sortable=True, signed=False),
        letter_key=KEYWORD(commas=True, lowercase=False),
        regno=KEYWORD(commas=True, lowercase=False),
        body=TEXT(analyzer=ThaiTokenizer(), phrase=False, stored=False),
        pair=FieldType(Frequency(), RegexTokenizer(r"[^\n]+"), scorable=False),  # no lengths: scored by body's
        atoms=COLUMN(VarBytesColumn()),
        subject=STORED,
        letter_no=STORED,
        sender=STORED,
        recipient=STORED,
        summary=STORED,
        instructions=STORED,
        attachment_store=STORED,
        letter_date=STORED,
    )


def _date_int(d: date | None) -> int:
    return d.year * 10000 + d.month * 100 + d.day if d else 0


def _doc_fields(doc: IndexDoc) -> dict[str, Any]:
    regno: list[str] = []
    for code, year, number in doc.registrations:
        regno += [str(number), f"{number}/{year}", f"{normalize(code).replace(' ', '')}:{year}:{number}"]
    body = "\n".join(
        v
        for v in (
            doc.subject,
            doc.letter_no,
            doc.sender,
            doc.recipient,
            doc.summary,
            doc.instructions,
            doc.attachment_text,
        )
        if v
    )
    atom_seq = index_atoms(normalize(body))
    return {
        "doc_id": str(doc.doc_id),
        "principals": ",".join(p.strip() for p in doc.principals if p.strip()),
        "registry": ",".join(str(i) for i in doc.registry_ids),
        "unit": ",".join(str(i) for i in doc.unit_ids),
        "letter_type": doc.letter_type or "",
        "channel": doc.channel or "",
        "urgency": str(doc.urgency),
        "secrecy": str(doc.secrecy),
        "has_attachment": "1" if doc.has_attachment else "0",
        "date_sort": _date_int(doc.letter_date),
        "letter_key": ",".join(letter_no_keys(doc.letter_no)),
        "regno": ",".join(regno),
        "letter_no": doc.letter_no,
        "subject": doc.subject,
        "sender": doc.sender,
        "recipient": doc.recipient,
        "summary": doc.summary,
        "instructions": doc.instructions,
        "body": body,
        "pair": "\n".join(pair_terms(atom_seq)),
        "atoms": atom_hashes(atom_seq),
        "attachment_store": doc.attachment_text[:STORED_ATTACHMENT_CHARS],
        "letter_date": doc.letter_date.isoformat() if doc.letter_date else "",
    }


# ----------------------------------------------------------------------------------------------------
# Query plans
# ----------------------------------------------------------------------------------------------------

_QUOTE_RE = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")


@dataclass(frozen=True)
class Alt:
    """One way a query part can match: a term of ``field`` (``body``, ``regno``, ``letter_key``), or, for
    ``field == "pair"``, a phrase: the document has all its pair ``terms`` and its ``atoms`` in a row."""

    field: str
    terms: tuple[str, ...]
    boost: float = 1.0
    atoms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Clause:
    """A part of the query; a document matches it if any alternative matches (scores of matching ones add up)."""

    alts: tuple[Alt, ...]


def _word_alts(word: str) -> list[Alt]:
    """One query word (the index side holds the sub-words; the query never expands); short numbers are also
    registration numbers."""
    alts = [Alt("body", (word,))]
    if word.isdigit() and len(word) <= 7:
        alts.append(Alt("regno", (word,), 2.0))
    return alts


def _phrase_alts(words: Sequence[str]) -> list[Alt]:
    """Words that must appear in this order: the chain of their atom pairs (positions are per atom)."""
    if len(words) == 1:
        return _word_alts(words[0])
    seq: list[str] = []
    for w in words:
        seq.extend(atoms(w))
    if len(seq) == 1:
        return [Alt("body", (seq[0],))]
    return [Alt("pair", tuple(dict.fromkeys(pair_terms(seq))), atoms=tuple(seq))]


def build_text_query(text: str) -> list[Clause]:
    """Free text → clauses (AND-ed): words, "quoted phrases" as phrases, letter numbers in any form."""
    parts: list[Clause] = []
    for m in _QUOTE_RE.finditer(text):
        words = query_tokens(m.group(1))
        if words:
            parts.append(Clause(tuple(_phrase_alts(words))))
    rest = _QUOTE_RE.sub(" ", text).replace('"', " ")
    norm = normalize(rest)
    cut = 0
    remaining: list[str] = []
    for s, e in find_letter_numbers(norm):
        remaining.append(norm[cut:s])
        cut = e
        span = norm[s:e]
        key = letter_no_query_key(span)
        words = query_tokens(span)
        alts = [Alt("letter_key", (key,), 4.0)]
        if re.fullmatch(r"\d+/\d+", key):
            alts.append(Alt("regno", (key,), 2.0))
        if words:
            alts.extend(_phrase_alts(words))
        parts.append(Clause(tuple(alts)))
    remaining.append(norm[cut:])
    for chunk in remaining:
        for w in query_tokens(chunk):
            parts.append(Clause(tuple(_word_alts(w))))
    return parts


@dataclass(frozen=True)
class Filter:
    """The document set a search is limited to: the caller's principals (any of) AND the form's filters."""

    principals: tuple[str, ...]
    terms: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (field, values): any of the values
    date_lo: int = 0
    date_hi: int = 0  # 0: no date range


def build_filter(query: SearchQuery, principals: Sequence[str]) -> Filter:
    terms: list[tuple[str, tuple[str, ...]]] = []
    if query.registry_ids:
        terms.append(("registry", tuple(sorted({str(i) for i in query.registry_ids}))))
    if query.unit_ids:
        terms.append(("unit", tuple(sorted({str(i) for i in query.unit_ids}))))
    if query.letter_type:
        terms.append(("letter_type", (query.letter_type,)))
    if query.channel:
        terms.append(("channel", (query.channel,)))
    if query.urgency is not None:
        terms.append(("urgency", (str(query.urgency),)))
    if query.secrecy is not None:
        terms.append(("secrecy", (str(query.secrecy),)))
    if query.has_attachment is not None:
        terms.append(("has_attachment", ("1" if query.has_attachment else "0",)))
    lo = hi = 0
    if query.date_from or query.date_to:
        lo = _date_int(query.date_from) if query.date_from else 1
        hi = _date_int(query.date_to) if query.date_to else 99991231
    return Filter(tuple(sorted(set(principals))), tuple(terms), lo, hi)


# ----------------------------------------------------------------------------------------------------
# Snippets
# ----------------------------------------------------------------------------------------------------


class MarkFormatter(Formatter):  # type: ignore[misc]
    """``<mark>`` around matched terms, everything else HTML-escaped."""

    between = " … "

    def _text(self, text: str) -> str:
        return html.escape(text, quote=True)

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:  # noqa: FBT001, FBT002
        return "<mark>" + html.escape(text[token.startchar : token.endchar], quote=True) + "</mark>"


def _fallback_snippet(fields: dict[str, Any], limit: int = 160) -> str:
    for name in ("subject", "summary"):
        value = str(fields.get(name) or "").strip()
        if value:
            if len(value) > limit:
                cut = value.rfind(" ", 0, limit)
                value = value[: cut if cut > limit // 2 else limit] + " …"
            return html.escape(value, quote=True)
    return ""


_MARK_RE = re.compile(r"<mark>(.*?)</mark>")
_CHARLIMIT = 2**15  # whoosh.highlight.DEFAULT_CHARLIMIT


def fast_highlight(text: str, terms: frozenset[str], *, maxchars: int = 220, surround: int = 60, top: int = 2) -> str:
    """What ``whoosh.highlight.highlight(text, terms, ThaiTokenizer(), ContextFragmenter(maxchars, surround),
    MarkFormatter(), top=top, mode="index")`` returns — the same algorithm on plain tuples instead of Token objects
    and generator layers (it was two thirds of a word query's time). ``tests/unit/test_search_highlight.py`` checks
    that both agree."""
    norm, offs = normalize_with_map(text)
    # the token stream: (start, end, matched, term), in the analyzer's order
    toks: list[tuple[int, int, bool, str]] = []
    for base, found in chunk_terms(norm):
        toks += [(offs[base + s], offs[base + e], w in terms, w) for w, _p, s, e in found]
    # ContextFragmenter.fragment_tokens
    frags: list[tuple[int, int, list[tuple[int, int, str]]]] = []
    first: int | None = None
    firsts: deque[int] = deque()
    countdown = -1
    tks: list[tuple[int, int, str]] = []
    endchar = 0
    currentlen = 0
    for start, endchar, matched, w in toks:
        tlength = endchar - start
        if endchar > _CHARLIMIT:
            break
        if countdown < 0 and not matched:
            firsts.append(start)
            while firsts and endchar - firsts[0] > surround:
                firsts.popleft()
        elif currentlen + tlength > maxchars:
            countdown = 0
        elif matched:
            countdown = surround
            if first is None:
                if firsts:
                    first = firsts[0]
                else:
                    first = start
                    countdown += surround
            tks.append((start, endchar, w))
        if countdown >= 0:
            currentlen += tlength
            countdown -= tlength
            if countdown <= 0:
                frags.append((first if first is not None else (tks[0][0] if tks else 0), endchar, tks))
                tks = []
                firsts = deque()
                first = None
                currentlen = 0
    if tks:
        frags.append((first if first is not None else tks[0][0], endchar, tks))
    # top_fragments with BasicFragmentScorer, order=FIRST (ties between equal scores: the later fragment)
    scored = [(len(m) * ((len({w for _s, _e, w in m}) * 100) or 1), start, i) for i, (start, _e, m) in enumerate(frags)]
    best = sorted((f for f in nlargest(top, scored, key=lambda t: (t[0], t[1])) if f[0] >= 1), key=lambda t: t[1])
    out: list[str] = []
    n = len(text)
    for _score, _start, i in best:
        start, end, matches = frags[i]
        start, end = max(0, start), min(n, end)
        parts: list[str] = []
        index = start
        for ms, me, _w in sorted(matches, key=lambda t: (t[0], -(t[1] - t[0]))):
            if ms < index:
                continue
            if ms > index:
                parts.append(html.escape(text[index:ms], quote=True))
            parts.append("<mark>" + html.escape(text[ms:me], quote=True) + "</mark>")
            index = me
        parts.append(html.escape(text[index:end], quote=True))
        out.append("".join(parts))
    return MarkFormatter.between.join(out)


def make_snippet(fields: dict[str, Any], terms: frozenset[str]) -> str:
    """The fragment of the stored field that shows the most distinct query words (ties: field order)."""
    best = ""
    best_n = 0
    if terms:
        for _field, stored in SNIPPET_FIELDS:
            value = str(fields.get(stored) or "")
            if not value:
                continue
            norm = normalize(value)
            found = [k for k in (norm.find(t) for t in terms) if k >= 0]
            if not found:
                continue
            first = min(found)
            if len(value) > 700:  # highlight a window around the first hit, not 20k chars of attachment
                lo = max(0, first - 150)
                lo2 = value.rfind(" ", 0, lo) if lo else 0
                lo = lo2 + 1 if lo2 > lo - 60 else lo
                value = ("… " if lo else "") + value[lo : lo + 600]
            out = fast_highlight(value, terms)
            if out and "<mark>" in out:
                out = out.replace("</mark><mark>", "")  # adjacent words of one query term: one mark
                n = len({normalize(html.unescape(m)) for m in _MARK_RE.findall(out)})
                if n > best_n:
                    best, best_n = str(out), n
                    if n >= len(terms):
                        break
    return best or _fallback_snippet(fields)


def highlight_terms(text: str) -> frozenset[str]:
    """The words of a free-text query that snippets mark (query words, not the atoms of phrases)."""
    return frozenset(query_tokens(text.replace('"', " ").replace("“", " ").replace("”", " ")))


# ----------------------------------------------------------------------------------------------------
# The query engine: posting lists read in one go, doc sets, block-max top-k, phrase verification
# ----------------------------------------------------------------------------------------------------

#: BM25 parameters (Whoosh's BM25F defaults, one field)
BM25_B = 0.75
BM25_K1 = 1.2
#: budget of the decoded-postings cache, in postings (one doc number + one weight: 8 bytes), shared by the
#: segments of one SearchIndex; 0 disables it
POSTINGS_CACHE_UNITS = 4_000_000
#: budget of the per-generation cache of doc maps (allowed documents per principals / filter, terms), in bytes (a
#: map takes one byte per document of the index)
MAP_CACHE_BYTES = 64_000_000
#: a doc set is *dense* when it holds at least 1/this of the index: then passes over whole per-document columns
#: (``compress``) beat one look-up per document
DENSE_SHARE = 32
#: a phrase's candidates are the AND of its rarest pair terms; a further (commoner) pair is AND-ed in only while its
#: document frequency is at most this many times the candidates left (reading a long list costs more than checking
#: a few candidates' atom sequences)
PAIR_AND_FACTOR = 4
#: a phrase whose candidates are at least 1/this of the index is counted in every document of each segment (one
#: C-level pass per segment) and the counts are cached per segment and phrase (:meth:`_View.phrase_counts`):
#: a phrase found in most letters is then a cached "posting list" of its own; rarer phrases count only their
#: candidates, every time
PHRASE_CACHE_SHARE = 2
#: a single-phrase query ranks its candidates by walking the (occurrences, length byte) pairs best first
#: (:meth:`_View.top_phrase`) when there are at most this many pairs; else every candidate is scored
PHRASE_WALK_PAIRS = 4096
#: date sorts walk the whole index's date order (and stop after the page) when the matches are at least 1/this of
#: the index; fewer matches are ranked by a key per match (walking would pass over many non-matches first)
DATE_WALK_SHARE = 8
#: a one-word query whose matches (after the reading rule and the filters) are fewer than 1/this of the word's
#: postings scores just those matches instead of walking the word's blocks best first: in a big installation an
#: office reads a small share of the index, and the block walk would pass over the other offices' letters
SPARSE_TERM_SHARE = 8


def _date_order(dates: array) -> tuple[list[int], list[int]]:  # type: ignore[type-arg]
    """A segment's documents by date: (dates ascending, doc numbers in that order)."""
    order = sorted(range(len(dates)), key=dates.__getitem__)
    return [dates[d] for d in order], order


def _body_lengths(seg: Segment) -> bytes:
    return seg.length_bytes("body")


def _dates(seg: Segment) -> array:  # type: ignore[type-arg]
    """``date_sort`` of every document of the segment (yyyymmdd, 0 = none)."""
    return seg.uint_column("date_sort")


def _atoms_column(seg: Segment) -> whoosh_layout.BytesColumn:
    return seg.bytes_column("atoms")


@lru_cache(maxsize=200_000)
def _atom_code(atom: str) -> bytes:
    """4 bytes for an atom: 28 bits of its CRC-32, 7 per byte; the first byte has its high bit set, the others not,
    so a sequence of codes can only match another at a code boundary."""
    h = zlib.crc32(atom.encode("utf-8"))
    return bytes((0x80 | (h & 0x7F), (h >> 7) & 0x7F, (h >> 14) & 0x7F, (h >> 21) & 0x7F))


def atom_hashes(atom_seq: Sequence[str]) -> bytes:
    """A document's (or phrase's) atom sequence as 4-byte codes (:func:`_atom_code`): what the ``atoms`` column
    holds."""
    return b"".join(map(_atom_code, atom_seq))


def count_run(seq: bytes, pattern: bytes) -> int:
    """How often the atoms ``pattern`` occur in a row in ``seq`` (non-overlapping occurrences; whole atoms only,
    thanks to the marker bit of :func:`_atom_code`)."""
    return seq.count(pattern) if pattern else 0


#: ``bytes.translate`` tables: byte value ``v`` → 1, all others → 0 (``_EQ[v]``); any non-zero → 1 (``_NONZERO``)
_EQ = [bytes(int(i == v) for i in range(256)) for v in range(256)]
_NONZERO = bytes([0] + [1] * 255)


def _doc_map(docs: Iterable[int], n: int) -> int:
    """A set of doc numbers ``< n`` as a *doc map*: an int whose byte ``d`` (little-endian) is 1 for each doc ``d``
    in it, else 0. AND / OR / AND NOT of two maps are single C operations on ``n`` bytes, their size is
    ``bit_count()``; :func:`_map_docs` turns a map back into doc numbers."""
    marks = bytearray(n)
    deque(map(marks.__setitem__, docs, repeat(1)), maxlen=0)  # C-level scatter
    return int.from_bytes(marks, "little")


def _map_bytes(m: int, n: int) -> bytes:
    """The map as ``n`` bytes (1 = in it): ``b[d]`` is a C-level membership test."""
    return m.to_bytes(n, "little")


def _map_docs(m: int, n: int, count: int = -1) -> list[int]:
    """The doc numbers of a map, ascending: ``memchr`` from one to the next when they are few, a C-level
    ``compress`` over all ``n`` bytes otherwise. ``count``: the map's size when the caller knows it already."""
    marks = m.to_bytes(n, "little")
    if count < 0:
        count = m.bit_count()
    if count * 64 >= n:
        return list(compress(range(n), marks))
    out: list[int] = []
    find = marks.find
    i = find(1)
    while i >= 0:
        out.append(i)
        i = find(1, i + 1)
    return out


class _ScoreTable(dict[tuple[float, int], float]):
    """A term's BM25 part by (weight, length byte), ``c * w / (w + norm[lb])`` — the float operations of the
    column-wise scoring, in its order, so scores stay bit-identical —, computed when first asked for."""

    __slots__ = ("c", "norm")

    def __init__(self, c: float, norm: Sequence[float]) -> None:
        super().__init__()
        self.c = c
        self.norm = norm

    def __missing__(self, key: tuple[float, int]) -> float:
        w, lb = key
        score = self[key] = self.c * w / (w + self.norm[lb])
        return score


class _View:
    """One searcher generation: its segments, document lengths, dates and the doc sets computed on it."""

    def __init__(self, engine: _Engine, searcher: Any) -> None:
        self.engine = engine
        self.searcher = searcher
        reader = searcher.reader()
        self.generation = reader.generation()
        self.segments = reader_segments(reader, engine.read_lock)
        self._offsets = [seg.offset for seg in self.segments]
        self.doc_count_all = n = int(reader.doc_count_all())
        deleted: set[int] = set()
        for seg in self.segments:
            deleted.update(seg.offset + d for d in seg.deleted_docs())
        #: the live documents (not deleted) as a doc map
        self.live = int.from_bytes(b"\x01" * n, "little") & ~_doc_map(deleted, n)
        body_len = reader.field_length("body") if "body" in searcher.schema else 0
        self.avgfl = (body_len / self.doc_count_all) if self.doc_count_all and body_len else 1.0
        #: BM25's length part K1 * (1 - B + B * dl / avgdl) for each length byte
        self.norm = [
            BM25_K1 * ((1 - BM25_B) + BM25_B * (byte_to_length(b) if b else 0) / self.avgfl) for b in range(256)
        ]
        self._lock = threading.Lock()
        self._lengths: bytes | None = None
        self._length_values: list[int] | None = None
        self._dates: array | None = None  # type: ignore[type-arg]
        self._date_order: list[int] | None = None
        self._maps: OrderedDict[Any, int] = OrderedDict()
        self._map_bytes = 0
        self._merged: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._merged_units = 0
        self._scores: OrderedDict[tuple[str, str, float], list[float]] = OrderedDict()
        self._scores_units = 0

    # -- per-document columns ---------------------------------------------------------------------------------

    @property
    def lengths(self) -> bytes:
        if self._lengths is None:
            self._lengths = b"".join(self.engine.segment_column(seg, "len", _body_lengths) for seg in self.segments)
        return self._lengths

    @property
    def dates(self) -> array:  # type: ignore[type-arg]
        if self._dates is None:
            out = array("I")
            for seg in self.segments:
                out.extend(self.engine.segment_column(seg, "dates", _dates))
            self._dates = out
        return self._dates

    def _seg_date_order(self, seg: Segment) -> tuple[list[int], list[int]]:
        return _date_order(self.engine.segment_column(seg, "dates", _dates))

    def date_range(self, lo: int, hi: int) -> int:
        """The documents dated ``lo`` .. ``hi`` (yyyymmdd) as a doc map."""
        marks = bytearray(self.doc_count_all)
        for seg in self.segments:
            keys, order = self.engine.segment_column(seg, "date_order", self._seg_date_order)
            part = order[bisect_left(keys, lo) : bisect_right(keys, hi)]
            off = seg.offset
            deque(map(marks.__setitem__, map(add, part, repeat(off)) if off else part, repeat(1)), maxlen=0)
        return int.from_bytes(marks, "little")

    def count_runs(self, docs: Sequence[int], pattern: bytes) -> list[int]:
        """How many times the ``atoms`` column of each of ``docs`` (ascending) holds ``pattern`` (a phrase's atom
        hashes, whole atoms only), in that order. Counted per segment by :meth:`whoosh_layout.BytesColumn.counts`
        (C-level)."""
        out: list[int] = []
        if not pattern or not docs:
            return [0] * len(docs)
        offsets = self._offsets
        with self.engine.read_lock:
            for si, seg in enumerate(self.segments):
                lo = bisect_left(docs, offsets[si])
                hi = bisect_left(docs, offsets[si + 1]) if si + 1 < len(offsets) else len(docs)
                if lo == hi:
                    continue
                ds = docs[lo:hi]
                off = offsets[si]
                col = self.engine.segment_column(seg, "atoms", _atoms_column)
                out += col.counts(list(map(add, ds, repeat(-off))) if off else ds, pattern)
        return out

    def phrase_counts(self, pattern: bytes) -> tuple[bytes, dict[int, int]]:
        """How many times every document of the index holds ``pattern`` (a phrase's atom hashes) in its ``atoms``
        column: one byte per document (capped at 255) and the exact count of those above 255. Counted in every
        document of each segment and cached per segment (:meth:`_Engine.segment_phrase_counts`)."""
        parts: list[bytes] = []
        over: dict[int, int] = {}
        for seg in self.segments:
            cb, seg_over = self.engine.segment_phrase_counts(seg, pattern)
            parts.append(cb)
            over.update((seg.offset + d, c) for d, c in seg_over.items())
        return b"".join(parts), over

    def length_map(self, lb: int) -> int:
        """The documents whose body length byte is ``lb``, as a doc map (cached per generation)."""
        return self._cached_map(("length", lb), lambda: int.from_bytes(self.lengths.translate(_EQ[lb]), "little"))

    @property
    def length_values(self) -> list[int]:
        """The body length bytes that occur, ascending."""
        if self._length_values is None:
            self._length_values = [b for b in range(256) if b in self.lengths]
        return self._length_values

    def top_phrase(self, docs: int, counts: bytes, c: float, limit: int) -> list[tuple[int, float]] | None:
        """The best ``limit`` (doc, score) of the doc map ``docs`` for a query that is one phrase, whose occurrences
        in each document are ``counts`` (one byte per document, none above 255): the score ``c * tf / (tf + norm)``
        depends only on (occurrences, length byte), so the (occurrences, length byte) pairs are ranked by their
        score and walked best first, the documents of each pair found as the AND of three doc maps — no score per
        document. The same scores (the same float operations) and order (ties: the lower doc number) as scoring
        every document; ``None`` when there are too many pairs."""
        tfs = [t for t in range(255, 0, -1) if t in counts]
        norm = self.norm
        pairs = [
            (c * float(t) / (float(t) + norm[lb]), t, lb) for t in tfs for lb in self.length_values
        ]  # (c * tf) / (tf + dn): the operations of the column-wise scoring, in its order
        if len(pairs) > PHRASE_WALK_PAIRS:
            return None
        pairs.sort(key=lambda x: -x[0])
        n = self.doc_count_all
        by_tf: dict[int, int] = {}
        out: list[tuple[int, float]] = []
        i = 0
        while i < len(pairs) and len(out) < limit:
            score = pairs[i][0]
            j = i
            m = 0
            while j < len(pairs) and pairs[j][0] == score:  # equal scores: their documents by doc number
                _sc, t, lb = pairs[j]
                tm = by_tf.get(t)
                if tm is None:
                    tm = by_tf[t] = docs & int.from_bytes(counts.translate(_EQ[t]), "little")
                if tm:
                    m |= tm & self.length_map(lb)
                j += 1
            if m:
                out.extend(zip(_map_docs(m, n), repeat(score)))
            i = j
        return out[:limit]

    def term_scores(self, fieldname: str, text: str, c: float) -> list[float]:
        """BM25 of every posting of the term (``c * tf / (tf + norm[length])``, the float operations of the
        column-wise scoring in its order), aligned with :meth:`postings`: what a query with the term adds for each
        of its documents, computed once per generation (it depends on the collection statistics only) and kept
        while the budget allows (a pointer per posting: the floats are shared)."""
        key = (fieldname, text, c)
        with self._lock:
            hit = self._scores.get(key)
            if hit is not None:
                self._scores.move_to_end(key)
                return hit
        p = self.postings(fieldname, text)
        if p.df * DENSE_SHARE >= self.doc_count_all:  # the lengths in posting order: one pass over the column
            lbs: Iterable[int] = compress(self.lengths, _map_bytes(self.term_map(fieldname, text), self.doc_count_all))
        else:
            lbs = map(self.lengths.__getitem__, p.ids)
        # a list (``compress`` over it makes no float objects): a score depends only on (weight, length byte), so
        # one look-up per posting in a table of the few hundred pairs the term has, each computed once
        table = _ScoreTable(c, self.norm)
        weights = p.weights if p.weights is not None else repeat(1.0, p.df)
        col = list(map(table.__getitem__, zip(weights, lbs, strict=False)))
        budget = self.engine.cache_units // 2
        with self._lock:
            if key not in self._scores and p.df <= budget // 2:
                self._scores[key] = col
                self._scores_units += p.df
            while self._scores_units > budget and self._scores:
                _k, old = self._scores.popitem(last=False)
                self._scores_units -= len(old)
        return col

    # -- posting lists and doc sets ---------------------------------------------------------------------------

    def doc_frequency(self, fieldname: str, text: str) -> int:
        """Documents with the term (deleted ones included, as in Whoosh's statistics): no posting list read."""
        return sum(seg.doc_frequency(fieldname, text) for seg in self.segments)

    def postings(self, fieldname: str, text: str) -> Postings:
        """The term's posting list over the whole index (global doc numbers; deleted docs still in it)."""
        parts = [(seg.offset, self.engine.segment_postings(seg, fieldname, text)) for seg in self.segments]
        parts = [(off, p) for off, p in parts if p.df]
        if not parts:
            return EMPTY
        if len(parts) == 1 and parts[0][0] == 0:
            return parts[0][1]
        key = (fieldname, text)
        with self._lock:
            hit = self._merged.get(key)
            if hit is not None:
                self._merged.move_to_end(key)
                return hit
        ids = array("I")
        weights: array | None = None  # type: ignore[type-arg]
        if any(p.weights is not None for _, p in parts):
            weights = array("f")
        blocks: list[tuple[int, float, int]] = []
        for off, p in parts:
            blocks.extend((len(ids) + s, w, lb) for s, w, lb in p.blocks)
            ids.extend(map(add, p.ids, repeat(off)) if off else p.ids)
            if weights is not None:
                weights.extend(p.weights if p.weights is not None else repeat(1.0, p.df))
        merged = Postings(ids, weights, blocks)
        if self.engine.cache_units > 0:  # merged lists of several segments: kept for this generation
            with self._lock:
                if key not in self._merged:
                    self._merged[key] = merged
                    self._merged_units += merged.df
                while self._merged_units > self.engine.cache_units // 2 and len(self._merged) > 1:
                    _k, old = self._merged.popitem(last=False)
                    self._merged_units -= old.df
        return merged

    def _cached_map(self, key: Any, make: Callable[[], int]) -> int:
        with self._lock:
            hit = self._maps.get(key)
            if hit is not None:
                self._maps.move_to_end(key)
                return hit
        value = make()
        with self._lock:
            if key not in self._maps:
                self._maps[key] = value
                self._map_bytes += self.doc_count_all + 64
            while self._map_bytes > MAP_CACHE_BYTES and len(self._maps) > 1:
                self._maps.popitem(last=False)
                self._map_bytes -= self.doc_count_all + 64
        return value

    def term_map(self, fieldname: str, text: str) -> int:
        """The documents with the term, as a doc map (deleted ones included: every search ANDs the live ones in
        through :meth:`filter_map`). Built from each segment's map (:meth:`_Engine.segment_map`, cached)."""

        def make() -> int:
            if self.doc_frequency(fieldname, text) * DENSE_SHARE < self.doc_count_all:  # rare: from its ids
                return _doc_map(self.postings(fieldname, text).ids, self.doc_count_all)
            return int.from_bytes(
                b"".join(self.engine.segment_map(seg, fieldname, text) for seg in self.segments), "little"
            )

        return self._cached_map(("term", fieldname, text), make)

    def filter_map(self, flt: Filter) -> int:
        """The live documents the filter allows, as a doc map (cached per generation: principal sets repeat a
        lot). The reading rule comes first: nothing outside the caller's principals is ever counted."""

        def principals() -> int:
            out = 0
            for p in flt.principals:
                out |= self.term_map("principals", p)
            return out & self.live

        def make() -> int:
            allowed = self._cached_map(("principals", flt.principals), principals)
            for fieldname, values in flt.terms:
                one = 0
                for v in values:
                    one |= self.term_map(fieldname, v)
                allowed &= one
            if flt.date_hi:
                allowed &= self.date_range(flt.date_lo, flt.date_hi)
            return allowed

        if not flt.terms and not flt.date_hi:
            return self._cached_map(("principals", flt.principals), principals)
        return self._cached_map(("filter", flt), make)

    # -- ranking ----------------------------------------------------------------------------------------------

    def idf(self, df: int) -> float:
        return math.log(self.doc_count_all / (df + 1)) + 1

    @property
    def date_order(self) -> list[int]:
        """Every document number (deleted ones included) by (date, doc number), ascending: the segments' date orders
        (cached per segment) concatenated, then one stable sort by date — Timsort merges the already sorted runs,
        and documents of the same date stay in doc number order."""
        order = self._date_order
        if order is None:
            runs: list[int] = []
            for seg in self.segments:
                _keys, local = self.engine.segment_column(seg, "date_order", self._seg_date_order)
                off = seg.offset
                runs.extend(map(add, local, repeat(off)) if off else local)
            order = self._date_order = sorted(runs, key=self.dates.__getitem__) if len(self.segments) > 1 else runs
        return order

    def top_by_date(self, docs: int, limit: int, *, desc: bool) -> list[int]:
        """The first ``limit`` of the doc map ``docs`` by date (newest first when ``desc``; same date: the later
        registered — higher doc number — first; the reverse for ascending). Many docs: walk the date order and
        stop after ``limit`` (C-level, no key per document); few: a key per document."""
        n = self.doc_count_all
        if docs.bit_count() * DATE_WALK_SHARE >= n:
            order = self.date_order
            marks = _map_bytes(docs, n)
            return list(islice(filter(marks.__getitem__, reversed(order) if desc else order), limit))
        dates = self.dates
        if desc:  # newest first; same date: the later registered (higher doc number) first
            return nlargest(limit, _map_docs(docs, n), key=lambda d: (dates[d], d))
        return nsmallest(limit, _map_docs(docs, n), key=lambda d: (dates[d], d))

    def segment_lists(self, fieldname: str, text: str) -> list[tuple[Segment, Postings]]:
        """The term's posting list in each segment that has it (segment doc numbers)."""
        out = []
        for seg in self.segments:
            p = self.engine.segment_postings(seg, fieldname, text)
            if p.df:
                out.append((seg, p))
        return out

    def top_single_term(
        self, text: str, parts: list[tuple[Segment, Postings]], boost: float, allowed: bytes, limit: int
    ) -> list[tuple[float, int]]:
        """Top ``limit`` (score, doc) of one body term by BM25, visiting blocks best-first (block-max): a block
        whose best possible score cannot beat the current k-th score is never scored. The bound of a block is
        exact when its (weight, length) frontier is cached (:meth:`_Engine.frontiers`), else from the block header
        (highest weight with shortest length: loose when every block holds all kinds of documents)."""
        c = boost * self.idf(self.doc_frequency("body", text)) * (BM25_K1 + 1)
        norm, lengths = self.norm, self.lengths
        order: list[tuple[float, int, int]] = []
        for pi, (seg, p) in enumerate(parts):
            fronts = self.engine.frontiers(seg, "body", text, p)
            if fronts is None:
                order.extend((c * w / (w + norm[lb]), pi, bi) for bi, (_s, w, lb) in enumerate(p.blocks))
            else:
                order.extend(
                    (max(c * w / (w + norm[lb]) for w, lb in front), pi, bi) for bi, front in enumerate(fronts)
                )
        order.sort(key=lambda t: -t[0])
        heap: list[tuple[float, int]] = []  # (score, -doc): the smallest is the k-th best
        for ub, pi, bi in order:
            if len(heap) >= limit and ub < heap[0][0]:
                break
            seg, p = parts[pi]
            off = seg.offset
            start, end = p.blocks[bi][0], p.block_end(bi)
            ws = p.weights[start:end] if p.weights is not None else repeat(1.0, end - start)
            for local, w in zip(p.ids[start:end], ws, strict=False):
                d = local + off
                if not allowed[d]:
                    continue
                item = (c * w / (w + norm[lengths[d]]), -d)
                if len(heap) < limit:
                    heappush(heap, item)
                elif item > heap[0]:
                    heapreplace(heap, item)
        return [(sc, -nd) for sc, nd in sorted(heap, reverse=True)]


@dataclass
class _AltState:
    """An alternative during one search: its terms' document frequencies, the lists read, the docs it matches."""

    alt: Alt
    dfs: list[int]
    docs: int = 0  # a doc map
    runs: tuple[list[int], list[int]] | None = None  # phrase checked on atom sequences: docs, occurrences
    counts: tuple[bytes, dict[int, int]] | None = None  # phrase counted in every document (_View.phrase_counts)


class _Engine:
    """Per-index caches that survive new generations (they are per segment, and segments never change): decoded
    posting lists, block frontiers, per-document columns."""

    def __init__(self, cache_units: int = POSTINGS_CACHE_UNITS) -> None:
        self.read_lock = threading.Lock()
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str, str, str], tuple[Any, int]] = OrderedDict()  # LRU: (value, cost)
        self._units = 0
        self.cache_units = cache_units
        self._columns: dict[tuple[str, str], Any] = {}
        #: searches answered with every segment read the fast way (:mod:`search.whoosh_layout`) / with some read
        #: through Whoosh's public API
        self.queries: Counter[str] = Counter()

    def _get(self, key: tuple[str, str, str, str]) -> Any:
        with self._lock:
            hit = self._cache.get(key)
            if hit is None:
                return None
            self._cache.move_to_end(key)
            return hit[0]

    def _put(self, key: tuple[str, str, str, str], value: Any, cost: int) -> None:
        if cost > self.cache_units // 4:
            return
        with self._lock:
            if key in self._cache:
                return
            self._cache[key] = (value, cost)
            self._units += cost
            while self._units > self.cache_units and self._cache:
                _k, (_v, old) = self._cache.popitem(last=False)
                self._units -= old

    def segment_postings(self, seg: Segment, fieldname: str, text: str) -> Postings:
        key = (seg.key, "postings", fieldname, text)
        hit = self._get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        p = seg.postings(fieldname, text)
        self._put(key, p, p.df + 16)
        return p

    def segment_map(self, seg: Segment, fieldname: str, text: str) -> bytes:
        """The segment's documents with the term: one byte per document, 1 = has it (a doc map's bytes)."""
        key = (seg.key, "map", fieldname, text)
        hit = self._get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        marks = bytearray(seg.doc_count_all)
        deque(map(marks.__setitem__, self.segment_postings(seg, fieldname, text).ids, repeat(1)), maxlen=0)
        out = bytes(marks)
        self._put(key, out, len(out) // 8 + 16)
        return out

    def segment_phrase_counts(self, seg: Segment, pattern: bytes) -> tuple[bytes, dict[int, int]]:
        """How many times each document of the segment holds ``pattern`` in its ``atoms`` column: a byte per
        document (capped at 255) and {doc: count} of those above 255. Cached (segments never change)."""
        key = (seg.key, "phrase", "atoms", pattern.hex())
        hit = self._get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        with self.read_lock:
            col = self.segment_column(seg, "atoms", _atoms_column)
            counts = col.counts(range(seg.doc_count_all), pattern)
        try:
            out: tuple[bytes, dict[int, int]] = (bytes(counts), {})
        except ValueError:  # a count above 255
            over = {d: k for d, k in enumerate(counts) if k > 255}
            out = (bytes(map(min, counts, repeat(255))), over)
        self._put(key, out, len(out[0]) // 8 + 16 + len(out[1]))
        return out

    def frontiers(
        self, seg: Segment, fieldname: str, text: str, p: Postings
    ) -> list[tuple[tuple[float, int], ...]] | None:
        """Per block of the segment's list, the (weight, length byte) pairs no other posting of the block beats in
        both (higher weight, shorter document): BM25's maximum over the block is at one of them, whatever the
        collection statistics. Computed once per segment and term (one pass over the list) and cached with the
        lists; ``None`` when the cache is off (then one pass per query would cost as much as it saves)."""
        if self.cache_units <= 0:
            return None
        key = (seg.key, "frontiers", fieldname, text)
        hit = self._get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        lengths = self.segment_column(seg, "len", _body_lengths)
        ids, ws = p.ids, p.weights
        fronts: list[tuple[tuple[float, int], ...]] = []
        for bi, (start, _w, _lb) in enumerate(p.blocks):
            end = p.block_end(bi)
            lbs = bytes(map(lengths.__getitem__, ids[start:end]))
            if ws is None:
                fronts.append(((1.0, min(lbs)),))
                continue
            best: dict[float, int] = {}
            for w, lb in zip(ws[start:end], lbs, strict=True):
                if best.get(w, 256) > lb:
                    best[w] = lb
            front: list[tuple[float, int]] = []
            for w in sorted(best, reverse=True):
                if not front or best[w] < front[-1][1]:
                    front.append((w, best[w]))
            fronts.append(tuple(front))
        self._put(key, fronts, 4 * len(fronts) + 16)
        return fronts

    def segment_column(self, seg: Segment, name: str, make: Callable[[Segment], Any]) -> Any:
        key = (seg.key, name)
        with self._lock:
            hit = self._columns.get(key)
        if hit is None:
            hit = make(seg)
            with self._lock:
                self._columns[key] = hit
        return hit

    def forget_segments(self, keep: set[str]) -> None:
        """Drop cached data of segments that no longer exist (merged away)."""
        with self._lock:
            for key in [k for k in self._cache if k[0] not in keep]:
                self._units -= self._cache.pop(key)[1]
            for ckey in [k for k in self._columns if k[0] not in keep]:
                del self._columns[ckey]

    # -- one search -------------------------------------------------------------------------------------------

    def run(
        self, view: _View, clauses: list[Clause], flt: Filter, sort: str, limit: int
    ) -> tuple[int, list[tuple[int, float]]]:
        """(exact number of allowed matching documents, the top ``limit`` as (doc number, score))."""
        try:
            return self._run(view, clauses, flt, sort, limit)
        finally:
            fast = all(seg.fast for seg in view.segments)
            with self._lock:
                self.queries["fast" if fast else "whoosh"] += 1

    def _run(
        self, view: _View, clauses: list[Clause], flt: Filter, sort: str, limit: int
    ) -> tuple[int, list[tuple[int, float]]]:
        n = view.doc_count_all
        allowed = view.filter_map(flt)  # the reading rule (and the form's filters) before anything is counted
        if not allowed:
            return 0, []
        if not clauses:
            return allowed.bit_count(), [(d, 0.0) for d in view.top_by_date(allowed, limit, desc=sort != "date_asc")]

        if len(clauses) == 1 and len(clauses[0].alts) == 1 and clauses[0].alts[0].field == "body":
            alt = clauses[0].alts[0]
            docs = allowed & view.term_map("body", alt.terms[0])
            total = docs.bit_count()
            if not total:
                return 0, []
            if sort == "relevance":
                frequency = view.doc_frequency("body", alt.terms[0])
                if total * SPARSE_TERM_SHARE < frequency:  # few: score each match
                    st = _AltState(alt, [frequency], docs)
                    return total, _top_k(self._scores(view, [[st]], docs, total), limit)
                # many: rank by block-max, nothing scores every match
                parts = view.segment_lists("body", alt.terms[0])
                top = view.top_single_term(alt.terms[0], parts, alt.boost, _map_bytes(docs, n), limit)
                return total, [(d, sc) for sc, d in top]
            return total, [(d, 0.0) for d in view.top_by_date(docs, limit, desc=sort == "date_desc")]

        states = [
            [_AltState(a, [view.doc_frequency(a.field, t) for t in a.terms]) for a in clause.alts] for clause in clauses
        ]
        cands = allowed
        for sts in sorted(states, key=lambda sts: sum(min(st.dfs) for st in sts)):  # most selective part first
            matched = 0
            for st in sts:
                m = cands
                for i, (df, term) in enumerate(sorted(zip(st.dfs, st.alt.terms, strict=True))):
                    if i and df > PAIR_AND_FACTOR * m.bit_count():
                        break  # the rest of the phrase's pairs are common: the atom check is cheaper
                    m &= view.term_map(st.alt.field, term)
                    if not m:
                        break
                st.docs = m
                matched |= m
            cands = matched
            if not cands:
                return 0, []

        # phrases of 2+ pairs: the AND of (some of) their pairs is a superset; check the atom sequences
        for sts in states:
            for st in sts:
                st.docs &= cands
                if st.alt.field != "pair" or len(st.alt.terms) < 2:
                    continue
                # the candidates the clause's other alternatives match stay candidates (needed only to rank by
                # date, or when some fail the check: two passes over the maps a query rarely needs)
                others = _others(sts, st, cands) if sort != "relevance" else -1
                check = st.docs if sort == "relevance" else st.docs & ~others
                size = check.bit_count()
                if self.cache_units > 0 and size * PHRASE_CACHE_SHARE >= n:
                    st.counts = view.phrase_counts(atom_hashes(st.alt.atoms))
                    failed = check & ~int.from_bytes(st.counts[0].translate(_NONZERO), "little")
                else:
                    checked = _map_docs(check, n, size)
                    counts = view.count_runs(checked, atom_hashes(st.alt.atoms))
                    st.runs = (checked, counts)
                    failed = 0 if all(counts) else _doc_map(compress(checked, map(not_, counts)), n)
                if failed:
                    if others < 0:
                        others = _others(sts, st, cands)
                    st.docs &= ~failed
                    cands &= ~(failed & ~others)
        for sts in states:
            for st in sts:
                st.docs &= cands
        total = cands.bit_count()
        if not total:
            return 0, []
        if sort != "relevance":
            return total, [(d, 0.0) for d in view.top_by_date(cands, limit, desc=sort == "date_desc")]
        one = states[0][0] if len(states) == 1 and len(states[0]) == 1 else None
        if one is not None and one.counts is not None and not one.counts[1]:
            # one phrase, counted in every document: rank its (occurrences, length) pairs
            c = one.alt.boost * sum(view.idf(df) for df in one.dfs) * (BM25_K1 + 1)
            ranked = view.top_phrase(cands, one.counts[0], c, limit)
            if ranked is not None:
                return total, ranked
        return total, _top_k(self._scores(view, states, cands, total), limit)

    @staticmethod
    def _scores(
        view: _View, states: list[list[_AltState]], cands: int, total: int = -1
    ) -> tuple[list[int], list[float]]:
        """The candidates (ascending) and their scores, the sum over the matching alternatives in clause order —
        computed column-wise with C-level ``map``s over lists aligned with the candidates (the same float
        operations, in the same order, as one ``c * w / (w + norm)`` per document and alternative)."""
        n = view.doc_count_all
        docs = _map_docs(cands, n, total)
        scores: list[float] = [0.0] * len(docs)
        fresh = True  # every score still 0.0
        norms: list[float] | None = None
        pos: dict[int, int] | None = None
        acc: Iterable[float] | None = None  # the scores so far, not yet a list
        norm, lengths = view.norm, view.lengths
        for sts in states:
            for st in sts:
                if not st.docs:
                    continue
                a = st.alt
                column: Iterable[int] | None = None
                every = st.docs == cands
                mine = docs if every else _map_docs(st.docs, n)
                dense = len(mine) * DENSE_SHARE >= n  # many: passes over whole columns; few: a look-up each
                marks = _map_bytes(st.docs, n) if dense else b""
                if st.runs is not None:  # a phrase: its occurrences, weighted like its pairs together
                    checked, counts = st.runs
                    if len(checked) == len(mine):  # (mine is a subset of checked)
                        tfs = list(map(float, counts))
                    else:
                        tfs = list(map(float, map(dict(zip(checked, counts, strict=True)).__getitem__, mine)))
                    idf = sum(view.idf(df) for df in st.dfs)
                elif st.counts is not None:  # a phrase counted in every document
                    cb, over = st.counts
                    if over:
                        tfs = [float(over.get(d, cb[d])) for d in mine]
                    elif dense:
                        tfs = list(map(float, compress(cb, marks)))
                    else:
                        tfs = list(map(float, map(cb.__getitem__, mine)))
                    idf = sum(view.idf(df) for df in st.dfs)
                else:
                    p = view.postings(a.field, a.terms[0])
                    if dense and len(mine) * 16 >= p.df and a.field == "body" and view.engine.cache_units > 0:
                        # which postings are candidates; the scores come from the term's column
                        column = compress(marks, _map_bytes(view.term_map(a.field, a.terms[0]), n))
                        tfs = []
                    elif dense and len(mine) * 16 >= p.df:
                        tfs = p.weights_in(marks, _map_bytes(view.term_map(a.field, a.terms[0]), n), len(mine))
                    else:
                        tfs = p.weights_at(mine)
                    idf = view.idf(st.dfs[0])
                if a.field in ("body", "pair"):
                    c = a.boost * idf * (BM25_K1 + 1)
                    part: Iterable[float]
                    if column is not None:  # the term's scores, computed once per generation
                        part = list(compress(view.term_scores(a.field, a.terms[0], c), column))
                        if len(part) != len(mine):
                            raise ValueError("marked docs that are not in the posting list")
                    else:
                        if every and norms is not None:
                            dn = norms
                        else:
                            lbs = compress(lengths, marks) if dense else map(lengths.__getitem__, mine)
                            dn = list(map(norm.__getitem__, lbs))
                            if every:
                                norms = dn
                        part = map(truediv, map(mul, repeat(c), tfs), map(add, tfs, dn))
                else:  # keyword fields are not scorable: the weight times the boost
                    part = map(mul, repeat(a.boost), tfs)
                if every and fresh:  # 0.0 + x is x
                    acc = part
                elif every:  # summed lazily: one list at the end, not one per alternative
                    acc = map(add, acc if acc is not None else scores, part)
                else:
                    if acc is not None:
                        scores, acc = list(acc), None
                    if pos is None:
                        pos = dict(zip(docs, range(len(docs)), strict=True))
                    for i, x in zip(map(pos.__getitem__, mine), part, strict=True):
                        scores[i] += x
                fresh = False
        if acc is not None:
            scores = list(acc)
        return docs, scores


def _others(sts: list[_AltState], st: _AltState, cands: int) -> int:
    """The candidates that a clause's alternatives other than ``st`` match."""
    out = 0
    for o in sts:
        if o is not st:
            out |= o.docs
    return out & cands


def _top_k(scored: tuple[list[int], list[float]], limit: int) -> list[tuple[int, float]]:
    """The best ``limit`` (doc, score) of the aligned lists, best first; ties: the lower doc number (as Whoosh).
    Many scores: the ``limit``-th best of an evenly spaced sample is at most the ``limit``-th best of all, so only
    the scores at least that high (C-level ``compress``) are ranked."""
    docs, scores = scored
    if len(scores) > 128 * limit:
        floor = nlargest(limit, scores[:: len(scores) // (64 * limit)])[-1]
        keep = list(compress(range(len(scores)), map(floor.__le__, scores)))
        docs, scores = [docs[i] for i in keep], [scores[i] for i in keep]
    top = nlargest(limit, zip(scores, map(neg, docs), strict=True))
    return [(-nd, sc) for sc, nd in top]


# ----------------------------------------------------------------------------------------------------
# The index
# ----------------------------------------------------------------------------------------------------

_PROCESS_LOCKS: dict[str, threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


def _process_lock(path: Path) -> threading.Lock:
    key = str(path.resolve())
    with _PROCESS_LOCKS_GUARD:
        lock = _PROCESS_LOCKS.get(key)
        if lock is None:
            lock = _PROCESS_LOCKS[key] = threading.Lock()
        return lock


def stored_schema_version(path: Path) -> int | None:
    """The layout version an index directory was built with (``None``: no version file, i.e. version 1)."""
    try:
        return int((Path(path) / VERSION_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


MAX_UNMERGED_SEGMENTS = 16
#: a segment of at least this many documents (a rebuild's chunk, or what merges of the worker's rounds grew to) is
#: never merged again by a commit (only by the idle-time tier merge of :meth:`SearchIndex.merge_small`, a bounded
#: number at once, and by :meth:`SearchIndex.optimize`):
#: Whoosh's MERGE_SMALL would otherwise, once there are enough of them, rewrite hundreds of thousands of documents
#: in Python inside one commit of the index worker
BIG_SEGMENT = 20_000


def _small(segment: Any) -> bool:
    return int(segment.doc_count_all()) < BIG_SEGMENT


def _merge_small_segments(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh's MERGE_SMALL policy over the small segments only (the big ones are kept as they are)."""
    from whoosh.writing import MERGE_SMALL

    return [s for s in segments if not _small(s)] + list(MERGE_SMALL(writer, [s for s in segments if _small(s)]))


#: idle-time merging of big segments: TIER_WIDTH segments of one size tier (sizes within a factor of TIER_WIDTH,
#: from BIG_SEGMENT up) are merged into one of the next tier, so their number grows with the logarithm of the
#: index, not linearly (at OBEC's 100,000 registrations a day, five new big segments a day, and every query pays
#: per segment); never more than MAX_IDLE_MERGE documents at once, since the worker indexes nothing meanwhile
#: (beyond that, `SearchIndex.optimize`, an operator's choice)
TIER_WIDTH = 8
MAX_IDLE_MERGE = 400_000


def plan_tier_merge(
    sizes: Sequence[int], *, big: int = BIG_SEGMENT, width: int = TIER_WIDTH, cap: int = MAX_IDLE_MERGE
) -> list[int]:
    """Which big segments (positions in ``sizes``, their document counts) to merge now: the ``width`` smallest of
    the lowest tier that has ``width`` of them, if together they stay within ``cap``; else none."""
    tiers: dict[int, list[int]] = {}
    for pos, n in enumerate(sizes):
        if n >= big:
            tiers.setdefault(int(math.log(n / big, width) + 1e-9), []).append(pos)
    for tier in sorted(tiers):
        members = sorted(tiers[tier], key=lambda p: sizes[p])[:width]
        if len(members) == width and sum(sizes[p] for p in members) <= cap:
            return sorted(members)
    return []


def _merge_tiers(writer: Any, segments: list[Any]) -> list[Any]:
    """The idle-time policy: small segments as in :func:`_merge_small_segments`, then one tier of big ones
    (:func:`plan_tier_merge`)."""
    from whoosh.reading import SegmentReader

    kept = _merge_small_segments(writer, segments)
    sizes = [int(s.doc_count_all()) for s in kept]
    merge = set(plan_tier_merge(sizes, big=BIG_SEGMENT, width=TIER_WIDTH, cap=MAX_IDLE_MERGE))
    for pos in sorted(merge):
        reader = SegmentReader(writer.storage, writer.schema, kept[pos])
        writer.add_reader(reader)
        reader.close()
    return [s for pos, s in enumerate(kept) if pos not in merge]


def _delete_committed(writer: Any, doc_ids: Iterable[int]) -> int:
    """Mark the committed documents with these ids deleted in ``writer``: per segment, one look-up of each id in
    the ``doc_id`` term table (a hash table) and, for the few found, their document numbers. (Whoosh's
    ``update_document`` runs a Term query through a searcher per document: a fifth of the index worker's time.)
    Returns the documents deleted."""
    keys = [str(i) for i in doc_ids]
    if not keys:
        return 0
    deleted = 0
    reader = writer.reader()
    try:
        for leaf, offset in reader.leaf_readers():
            for key in keys:
                if ("doc_id", key) in leaf:
                    for docnum in leaf.postings("doc_id", key).all_ids():
                        writer.delete_document(offset + docnum)
                        deleted += 1
    finally:
        reader.close()
    return deleted


def _replace(writer: Any, docs: Sequence[IndexDoc]) -> int:
    """Add ``docs`` in ``writer`` in place of the committed documents with their ids (of several with one id in
    ``docs`` the last wins). Returns the documents added."""
    latest = list({doc.doc_id: doc for doc in docs}.values())
    _delete_committed(writer, [doc.doc_id for doc in latest])
    for doc in latest:
        writer.add_document(**_doc_fields(doc))
    return len(latest)


class SearchIndex:
    """A Whoosh index directory. One writer at a time: a process-level lock plus retry on Whoosh's file lock
    (another process may hold it) with exponential back-off.

    An index built by an older layout (:data:`SCHEMA_VERSION`) opens *outdated*: ``search`` and the writes raise
    :class:`SearchIndexOutdated` (run ``saraban reindex``); ``clear`` (what a full reindex starts with) recreates
    it in the current layout; ``doc_ids`` still works.
    """

    def __init__(
        self,
        path: Path,
        *,
        lock_timeout: float = 120.0,
        limitmb: int = 128,
        procs: int = 1,
        multisegment: bool = False,
        cache_units: int = POSTINGS_CACHE_UNITS,
    ) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = _process_lock(self.path)
        self._lock_timeout = lock_timeout
        self._writer_args: dict[str, Any] = {"limitmb": limitmb}
        if procs > 1:
            self._writer_args.update(procs=procs, multisegment=multisegment)
        self._searcher_lock = threading.Lock()
        self._view: _View | None = None
        self._retired: list[_View] = []
        self._engine = _Engine(cache_units)
        #: why the fast path is off in this process (``None``: on); logged when it is
        self.layout_problem = whoosh_layout.check_version()
        with self._lock:
            if whoosh_index.exists_in(str(self.path), indexname=INDEX_NAME):
                self._ix = whoosh_index.open_dir(str(self.path), indexname=INDEX_NAME)
                self.outdated = stored_schema_version(self.path) != SCHEMA_VERSION
            else:
                self._ix = whoosh_index.create_in(str(self.path), make_schema(), indexname=INDEX_NAME)
                self._write_version()
                self.outdated = False

    def _write_version(self) -> None:
        (self.path / VERSION_FILE).write_text(f"{SCHEMA_VERSION}\n")

    def check_current(self) -> None:
        """Raise :class:`SearchIndexOutdated` if the index on disk has an older layout. (Rebuilt meanwhile by
        ``saraban reindex`` in another process? Then it is reopened and this returns.)"""
        if self.outdated:
            with self._lock:
                if self.outdated and stored_schema_version(self.path) == SCHEMA_VERSION:
                    self._close_views()
                    self._ix.close()
                    self._ix = whoosh_index.open_dir(str(self.path), indexname=INDEX_NAME)
                    self.outdated = False
                    return
            found = stored_schema_version(self.path) or 1
            raise SearchIndexOutdated(
                f"the search index at {self.path} has layout version {found}, this version of Saraban needs "
                f"{SCHEMA_VERSION}: rebuild it with `saraban reindex`"
            )

    # -- writing ----------------------------------------------------------------------------------------------

    def _writer(self, **extra: Any) -> Any:
        deadline = time.monotonic() + self._lock_timeout
        delay = 0.05
        while True:
            try:
                args = {**self._writer_args, **extra}
                codec = whoosh_layout.writer_codec()
                if codec is not None:
                    args["codec"] = codec
                return self._ix.writer(**args)
            except LockError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def upsert(self, docs: Sequence[IndexDoc], *, defer_merge: bool = False) -> None:
        """Add or replace documents (by ``doc_id``) in one commit.

        The batch's ids already in the index are deleted in one pass (:func:`_delete_committed`: a look-up of the
        ``doc_id`` term per segment) and the documents added, which is what Whoosh's ``update_document`` does one
        document at a time through a query per document. Replaying a batch (a crash between this commit and the
        caller's cursor write) replaces the documents again: no duplicates. Of several documents with one id in
        ``docs`` the last wins.

        A commit normally also merges small segments, which now and then rewrites thousands of documents. With
        ``defer_merge`` it leaves them (up to ``MAX_UNMERGED_SEGMENTS``) for :meth:`merge_small`, which a
        writer calls when it has nothing else to do.
        """
        if not docs:
            return
        self.check_current()
        with self._lock:
            writer = self._writer()
            try:
                _replace(writer, docs)
            except BaseException:
                writer.cancel()
                raise
            unmerged = sum(1 for seg in writer.segments if _small(seg))
            if not defer_merge or unmerged >= MAX_UNMERGED_SEGMENTS:
                writer.commit(mergetype=_merge_small_segments)
            else:
                writer.commit(merge=False)

    def load(self, batches: Iterable[Sequence[IndexDoc]], *, procs: int = 1) -> int:
        """Replace documents batch by batch through ONE writer and one commit, without merging (rebuilds: the
        caller commits every few tens of thousands of letters, so an interrupted rebuild resumes from there).

        Each batch's ids already committed are deleted first, so a letter another writer indexed meanwhile is
        replaced, never doubled. With ``procs`` > 1 the documents are analysed and written by that many
        processes (Whoosh's ``MpWriter``, one segment each); this process builds the fields (and whatever
        ``batches`` does to produce them, e.g. reading the database) meanwhile. Returns the documents added."""
        self.check_current()
        added = 0
        with self._lock:
            extra: dict[str, Any] = {"procs": procs, "multisegment": True, "batchsize": 256} if procs > 1 else {}
            if procs <= 1 and "procs" in self._writer_args:
                extra["procs"] = 1
            writer = self._writer(**extra)
            try:
                for batch in batches:
                    added += _replace(writer, batch)
            except BaseException:
                writer.cancel()
                raise
            writer.commit(merge=False)
        return added

    def merge_small(self) -> None:
        """Merge small segments now (what every commit does unless it was told to defer it), and one tier of big
        ones when it has grown to ``TIER_WIDTH`` segments (:func:`plan_tier_merge`): a writer calls this when it
        has nothing else to do."""
        self.check_current()
        with self._lock:
            self._writer().commit(mergetype=_merge_tiers)

    def add_new(self, docs: Iterable[IndexDoc]) -> None:
        """Bulk-load documents known not to be in the index yet (rebuilds, benchmarks): one commit, no deletes.
        Into an empty index this writes ONE segment (Whoosh sorts its spilled runs at commit)."""
        self.check_current()
        with self._lock:
            writer = self._writer()
            try:
                for doc in docs:
                    writer.add_document(**_doc_fields(doc))
            except BaseException:
                writer.cancel()
                raise
            writer.commit(mergetype=_merge_small_segments)

    def delete(self, doc_ids: Sequence[int]) -> None:
        if not doc_ids:
            return
        self.check_current()
        with self._lock:
            writer = self._writer(procs=1) if "procs" in self._writer_args else self._writer()
            try:
                deleted = _delete_committed(writer, doc_ids)
            except BaseException:
                writer.cancel()
                raise
            if deleted:
                writer.commit(merge=False)
            else:  # nothing to delete: no new generation (searchers keep their caches)
                writer.cancel()

    def clear(self) -> None:
        """Empty the index, in the current layout (also the way out of an outdated one)."""
        with self._lock:
            writer = self._writer()  # hold Whoosh's lock while the directory is recreated
            writer.cancel()
            self._close_views()
            self._ix.close()
            self._ix = whoosh_index.create_in(str(self.path), make_schema(), indexname=INDEX_NAME)
            self._write_version()
            self.outdated = False

    def optimize(self) -> None:
        """Merge all segments into one (after incremental loads; a no-op when there is one segment already)."""
        self.check_current()
        with self._lock:
            if self.segment_count() > 1 or self._ix.doc_count() != self._ix.doc_count_all():
                writer = self._writer()
                writer.commit(optimize=True)

    # -- reading ----------------------------------------------------------------------------------------------

    def _get_view(self) -> _View:
        with self._searcher_lock:
            view = self._view
            if view is None or self._ix.latest_generation() != view.generation:
                # a new searcher, not Searcher.refresh(): that reuses segment readers and misses new deletions
                view = _View(self._engine, self._ix.searcher())
                self._engine.forget_segments({seg.key for seg in view.segments})
                for old in self._retired:  # closed one generation late: a search may still be using it
                    old.searcher.close()
                self._retired = [self._view] if self._view is not None else []
                self._view = view
            return view

    def _close_views(self) -> None:
        with self._searcher_lock:
            for v in [*self._retired, self._view]:
                if v is not None:
                    v.searcher.close()
            self._retired = []
            self._view = None
            queries = self._engine.queries
            self._engine = _Engine(self._engine.cache_units)
            self._engine.queries = queries

    def doc_ids(self) -> set[int]:
        """The ids of the live documents: each segment's ``doc_id`` terms (a segment without deletions, like a
        rebuild's chunk, needs nothing else; otherwise a term counts while one of its documents is live). Not the
        stored fields, which at a million letters means reading every letter's stored text (``reindex --resume``).
        """
        out: set[int] = set()
        with self._ix.reader() as reader:
            for leaf, _offset in reader.leaf_readers():
                terms = list(leaf.lexicon("doc_id"))
                if not leaf.has_deletions():
                    out.update(int(t) for t in terms)
                    continue
                for t in terms:
                    if leaf.postings("doc_id", t).is_active():
                        out.add(int(t))
        return out

    def doc_count(self) -> int:
        """Live (not deleted) documents."""
        return int(self._ix.doc_count())

    def segment_count(self) -> int:
        with self._ix.reader() as r:
            return len(list(r.leaf_readers()))

    def search(self, query: SearchQuery, *, principals: Sequence[str]) -> SearchResult:
        self.check_current()
        principals = [p.strip() for p in principals if p and p.strip()]
        if not principals:
            return SearchResult(total=0, hits=())
        if query.sort not in SORTS:
            raise ValueError(f"unknown sort {query.sort!r}; use one of {', '.join(SORTS)}")
        page = max(1, query.page)
        per_page = max(1, min(query.per_page, 500))
        clauses = build_text_query(query.text)
        sort = query.sort
        if sort == "relevance" and not clauses:
            sort = "date_desc"
        limit = page * per_page
        view = self._get_view()
        total, top = self._engine.run(view, clauses, build_filter(query, principals), sort, limit)
        terms = highlight_terms(query.text)
        hits: list[Hit] = []
        for docnum, score in top[(page - 1) * per_page : limit]:
            fields = view.searcher.stored_fields(docnum)
            hits.append(Hit(doc_id=int(fields["doc_id"]), score=score, snippet=make_snippet(fields, terms)))
        return SearchResult(total=total, hits=tuple(hits))

    def fast_path_stats(self) -> dict[str, int]:
        """How this index's searches were answered: ``fast`` (every segment read through
        :mod:`search.whoosh_layout`'s fast path) and ``whoosh`` (some read through Whoosh's public API: a Whoosh
        version or segment layout the fast path does not know — see ``search/README.md``)."""
        with self._engine._lock:
            return {"fast": self._engine.queries["fast"], "whoosh": self._engine.queries["whoosh"]}

    def close(self) -> None:
        self._close_views()
        self._ix.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ----------------------------------------------------------------------------------------------------
# Date ranges typed by users
# ----------------------------------------------------------------------------------------------------

_DMY_RE = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$")
_ISO_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def _parse_one(s: str) -> date | None:
    s = s.strip()
    if not s:
        return None
    m = _ISO_RE.match(s)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _DMY_RE.match(s)
        if not m:
            raise ValueError(f"วันที่ไม่ถูกต้อง (invalid date): {s!r}; ใช้ วว/ดด/ปปปป (พ.ศ.) หรือ YYYY-MM-DD")
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if y > 2400:  # Buddhist era
        y -= 543
    try:
        return date(y, mo, d)
    except ValueError as e:
        raise ValueError(f"วันที่ไม่ถูกต้อง (invalid date): {s!r}: {e}") from e


def parse_date_range(text: str) -> tuple[date | None, date | None]:
    """``"1/1/2565-31/3/2565"`` (B.E., Thai digits allowed, also ``ถึง``/``–``) or ``"2022-01-01..2022-03-31"``.

    Either side may be empty (open range). A single date means that one day. Raises ``ValueError`` (with a Thai
    message) on anything else.
    """
    s = normalize(text).strip()
    if not s:
        return None, None
    if ".." in s:
        left, right = s.split("..", 1)
    elif "ถึง" in s:
        left, right = s.split("ถึง", 1)
    elif "–" in s or "—" in s:
        left, right = re.split("[–—]", s, maxsplit=1)
    elif _ISO_RE.match(s) or _DMY_RE.match(s):
        d = _parse_one(s)
        return d, d
    else:
        m = re.match(r"^\s*([\d/.]*)\s*-\s*([\d/.]*)\s*$", s)
        if not m:
            raise ValueError(f"ช่วงวันที่ไม่ถูกต้อง (invalid date range): {text!r}")
        left, right = m.group(1), m.group(2)
    lo, hi = _parse_one(left), _parse_one(right)
    if lo and hi and lo > hi:
        raise ValueError(f"ช่วงวันที่ไม่ถูกต้อง: วันเริ่ม {lo} อยู่หลังวันสิ้นสุด {hi}")
    return lo, hi
