"""Thai text analysis for the search index: normalisation, word segmentation, sub-words, letter numbers.

Everything here is a pure function of its input except the lazily loaded dictionary/tokenizer, which is loaded
once per process (thread-safe) on first use.

Index side vs query side
------------------------
* ``mode="index"`` (indexing, highlighting): each word newmm finds is split into *atoms* (its finest split into
  dictionary words at Thai character-cluster boundaries, e.g. ``การประเมินผล`` → ``การ|ประ|เมิน|ผล``); positions
  count atoms; the index gets the words, their atoms and every dictionary word that is a run of consecutive atoms
  (``ประเมิน``, ``ประเมินผล``, ``การประเมิน``, also across newmm's cuts: ``ประจำปี`` in ``ประจำ|ปีงบประมาณ``), each
  at the position of its first atom. So ``ทุน`` finds ``ทุนการศึกษา``.
* ``mode="query"``: only the words, no expansion, so ``ทุนการศึกษา`` is one term and precision stays high.
  Phrases are matched as the sequence of their atoms at consecutive positions.
* Phrases: the index also gets every pair of consecutive atoms as one term (``ทุน การ``, ``การ ศึกษา``; see
  :func:`pair_terms`) in a field of its own, and each document's atom sequence (:func:`index_atoms`, hashed) in a
  column. A quoted phrase is looked up as the AND of its rarest pairs (small posting lists) and the few candidates
  are checked against their atom sequence.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any

from whoosh.analysis import Token, Tokenizer

os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

__all__ = [
    "OFFICE_ABBREVIATIONS",
    "ThaiTokenizer",
    "atoms",
    "decompose",
    "find_letter_numbers",
    "index_atoms",
    "index_terms",
    "letter_no_keys",
    "letter_no_query_key",
    "normalize",
    "normalize_with_map",
    "pair_terms",
    "phrase_atoms",
    "phrase_pairs",
    "query_tokens",
    "segment",
    "subwords",
    "thai_analyzer",
    "tokens_for_index",
]

# ----------------------------------------------------------------------------------------------------
# Normalisation
# ----------------------------------------------------------------------------------------------------

_THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_DIGIT_TABLE = {ord(d): str(i) for i, d in enumerate(_THAI_DIGITS)}
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_SARA_E = "\u0e40"  # เ
_SARA_AE = "\u0e41"  # แ
_NIKHAHIT = "\u0e4d"  # ํ
_SARA_AA = "\u0e32"  # า
_SARA_AM = "\u0e33"  # ำ


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalise ``text`` and return ``(normalised, offsets)``.

    ``offsets[i]`` is the index in ``unicodedata.normalize("NFC", text)`` of the character that produced
    ``normalised[i]``; ``offsets`` has one extra entry (the NFC length) so end offsets map too.
    Rules: NFC; Thai digits → Arabic; zero-width characters removed; ``เเ`` → ``แ``; ``ํา`` → ``ำ``;
    Latin lower-cased (only when lower-casing keeps the length, which is true for all ordinary letters).
    """
    src = unicodedata.normalize("NFC", text)
    norm = normalize(src)
    if len(norm) == len(src):  # every rule that is not 1:1 shortens the text: none applied, offsets are identity
        return norm, list(range(len(src) + 1))
    out: list[str] = []
    offs: list[int] = []
    i = 0
    n = len(src)
    while i < n:
        c = src[i]
        if c in _ZERO_WIDTH:
            i += 1
            continue
        if c == _SARA_E:
            # เเ (two sara e, possibly separated by zero-width junk) → แ
            j = i + 1
            while j < n and src[j] in _ZERO_WIDTH:
                j += 1
            if j < n and src[j] == _SARA_E:
                out.append(_SARA_AE)
                offs.append(i)
                i = j + 1
                continue
        elif c == _NIKHAHIT:
            j = i + 1
            while j < n and src[j] in _ZERO_WIDTH:
                j += 1
            if j < n and src[j] == _SARA_AA:
                out.append(_SARA_AM)
                offs.append(i)
                i = j + 1
                continue
        elif "๐" <= c <= "๙":
            out.append(chr(ord("0") + ord(c) - ord("๐")))
            offs.append(i)
            i += 1
            continue
        elif c.isupper():
            low = c.lower()
            if len(low) == 1:
                c = low
        out.append(c)
        offs.append(i)
        i += 1
    offs.append(n)
    return "".join(out), offs


def normalize(text: str) -> str:
    """Normalise text for indexing and querying (see :func:`normalize_with_map`)."""
    src = unicodedata.normalize("NFC", text)
    for z in _ZERO_WIDTH:
        if z in src:
            src = src.replace(z, "")
    src = src.translate(_DIGIT_TABLE).replace(_SARA_E + _SARA_E, _SARA_AE)
    src = src.replace(_NIKHAHIT + _SARA_AA, _SARA_AM)
    low = src.lower()
    if low == src:
        return src
    if len(low) == len(src):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in src)


# ----------------------------------------------------------------------------------------------------
# Dictionary and segmentation
# ----------------------------------------------------------------------------------------------------

#: Office abbreviations kept whole (with their final dot, and without it where that is also common).
OFFICE_ABBREVIATIONS: tuple[str, ...] = (
    "สพป.",
    "สพม.",
    "สพฐ.",
    "สพท.",
    "กยศ.",
    "ศธ.",
    "กศจ.",
    "ศึกษาธิการจังหวัด",
    "ผอ.",
    "รร.",
    "ฯลฯ",
    "สป.",
    "สช.",
    "สอศ.",
    "สกศ.",
    "สกสค.",
    "ก.ค.ศ.",
    "อ.ก.ค.ศ.",
    "กพฐ.",
    "กศน.",
    "อปท.",
    "อบต.",
    "อบจ.",
    "ป.ป.ช.",
    "ป.ป.ส.",
    "สตง.",
    "ครม.",
    "คสช.",
    "ศปบ.",
    "ฉก.ชน.",
    "ศบศ.",
    "สทศ.",
    "สสวท.",
    "สสส.",
    "สปสช.",
    "สธ.",
    "มท.",
    "พม.",
    "รมว.",
    "รมช.",
    "ปลัด",
    "นร.",
    "ร.ร.",
    "จ.",
    "อ.",
    "ต.",
    "ม.",
    "พ.ศ.",
    "ค.ศ.",
    "ว.",
    "ผอ.สพป.",
    "ผอ.สพม.",
    "ผอ.กลุ่ม",
    "รอง ผอ.",
    "ศธ",
    "สพป",
    "สพม",
    "สพฐ",
    "กยศ",
    "กศจ",
    "ผอ",
    "รร",
    # words that newmm would otherwise split awkwardly in registry text
    "ทุนการศึกษา",
    "การป้องกันการจมน้ำ",
    "จมน้ำ",
    "งบประมาณ",
    "คณะกรรมการสถานศึกษา",
    "สถานศึกษา",
    "ศึกษานิเทศก์",
    "ด่วนที่สุด",
    "ด่วนมาก",
    "ลับที่สุด",
    "ลับมาก",
)

_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}


def _load() -> dict[str, Any]:
    """Load dictionary, trie and segmenter once per process (thread-safe, lazy)."""
    state = _STATE
    if "trie" in state:
        return state
    with _LOCK:
        if "trie" in state:
            return state
        from pythainlp.corpus import thai_words
        from pythainlp.tokenize import newmm, tcc
        from pythainlp.util import Trie

        words = set(thai_words())
        words.update(OFFICE_ABBREVIATIONS)
        state["words"] = frozenset(words)
        state["tcc_pos"] = tcc.tcc_pos
        segment_fn: Any = newmm.segment
        try:  # optional: nlpo3 gives the same newmm tokens ~4.6x faster; not a dependency yet
            import tempfile

            import nlpo3  # type: ignore[import-not-found,unused-ignore]

            with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
                fh.write("\n".join(sorted(words)))
            nlpo3.load_dict(fh.name, "saraban")

            def segment_fn(text: str, custom_dict: Any = None) -> list[str]:
                return list(nlpo3.segment(text, "saraban"))

            state["engine"] = "nlpo3"
        except ImportError:
            state["engine"] = "newmm"
        state["segment"] = segment_fn
        state["trie"] = Trie(words)
    return state


def load_dictionary() -> None:
    """Load the word list and segmenter now (a long-running indexer does it at start, not in its first batch)."""
    _load()


_THAI_RE = re.compile(r"[\u0e00-\u0e7f]")
# chunks: Thai runs (incl. abbreviation dots), Latin/digit runs; everything else (space, punctuation) separates.
_CHUNK_RE = re.compile(r"[\u0e00-\u0e7f.]+|[0-9a-z]+(?:[.,][0-9]+)*|[^\W_]+", re.UNICODE)
_WORD_RE = re.compile(r"[\u0e01-\u0e4e0-9a-z]|[^\W_]", re.UNICODE)


@lru_cache(maxsize=200_000)
def _segment_chunk(chunk: str) -> tuple[str, ...]:
    """Segment one whitespace/punctuation-free chunk of normalised text (cached: registry text repeats a lot)."""
    if not _THAI_RE.search(chunk):
        chunk = chunk.strip(".")
        return (chunk,) if chunk else ()
    st = _load()
    parts: list[str] = st["segment"](chunk, custom_dict=st["trie"])
    out: list[str] = []
    for p in parts:
        p = p.strip()
        if not p:
            continue
        if p.strip(".") == "":
            continue
        # a dot is only part of a word if the dictionary says so (สพป.); otherwise strip it
        if p.endswith(".") and p not in st["words"]:
            p = p.rstrip(".")
            if not p:
                continue
        if p.startswith(".") and p not in st["words"]:
            p = p.lstrip(".")
        if p and _WORD_RE.search(p) and p != "ๆ" and p != "ฯ":
            out.append(p)
    return tuple(out)


def _iter_chunks(norm: str) -> Iterator[tuple[str, int]]:
    for m in _CHUNK_RE.finditer(norm):
        yield m.group(), m.start()


def segment_spans(norm: str) -> list[tuple[str, int, int]]:
    """Word tokens of already *normalised* text with their (start, end) offsets in ``norm``."""
    spans: list[tuple[str, int, int]] = []
    for chunk, base in _iter_chunks(norm):
        pos = 0
        for w in _segment_chunk(chunk):
            k = chunk.find(w, pos)
            if k < 0:  # should not happen; keep going without offsets drift
                k = pos
            spans.append((w, base + k, base + k + len(w)))
            pos = k + len(w)
    return spans


def word_starts(text: str) -> list[int]:
    """Offsets in ``text`` (as given, not normalised) where a word other than the first begins: where a line
    may break in Thai, which has no spaces between words. Never inside a character cluster (a mark stays on
    its consonant)."""
    st = _load()
    starts: list[int] = []
    pos = 0
    for token in st["segment"](text, custom_dict=st["trie"]):
        pos += len(token)
        starts.append(pos)
    return [p for p in starts[:-1] if 0 < p < len(text)]


def segment(text: str) -> list[str]:
    """Normalise and segment ``text`` into words (no sub-words)."""
    return [w for w, _, _ in segment_spans(normalize(text))]


#: Sub-word strategy, selectable for measurements (see search/README.md): "atoms" (product choice) or "none".
SUBWORD_MODE = os.environ.get("SARABAN_SEARCH_SUBWORDS", "atoms")
_MAX_SUBWORD = 40


def _edges(token: str) -> tuple[list[int], dict[int, list[int]]]:
    """Cluster boundaries of ``token`` and dictionary-word edges i -> j between them (never the whole token)."""
    st = _load()
    trie = st["trie"]
    n = len(token)
    bset = set(st["tcc_pos"](token))
    bset.update((0, n))
    bounds = sorted(bset)
    edges: dict[int, list[int]] = {}
    for i in bounds:
        if i >= n:
            continue
        ends = sorted(
            (i + len(w) for w in trie.prefixes(token[i:]) if (i + len(w)) in bset and len(w) < n), reverse=True
        )
        if ends:
            edges[i] = ends
    return bounds, edges


@lru_cache(maxsize=200_000)
def decompose(token: str) -> tuple[str, ...]:
    """One minimal-piece split of ``token`` into >= 2 dictionary words at character-cluster boundaries
    (ties: longest first piece); ``()`` if there is none."""
    n = len(token)
    if n < 3 or not _THAI_RE.search(token) or token.endswith("."):
        return ()
    bounds, edges = _edges(token)
    best: dict[int, tuple[int, int]] = {0: (0, -1)}
    for i in bounds:
        if i not in best:
            continue
        for j in edges.get(i, ()):
            c = best[i][0] + 1
            if j not in best or c < best[j][0]:
                best[j] = (c, i)
    if n not in best:
        return ()
    pieces: list[str] = []
    j = n
    while j > 0:
        i = best[j][1]
        pieces.append(token[i:j])
        j = i
    return tuple(reversed(pieces))


@lru_cache(maxsize=200_000)
def atoms(token: str) -> tuple[str, ...]:
    """The finest pieces of a token: :func:`decompose` applied recursively (``การประเมินผล`` →
    ``การ|ประ|เมิน|ผล``). Tokens with no decomposition (names, abbreviations, numbers) are their own atom."""
    if SUBWORD_MODE == "none":
        return (token,)
    pieces = decompose(token)
    if not pieces:
        return (token,)
    out: list[str] = []
    for p in pieces:
        out.extend(atoms(p))
    return tuple(out)


def _chunk_terms(chunk: str) -> list[tuple[str, int, int, int]]:
    """Index terms of one chunk as (term, atom position, start, end): the words, their atoms, and every dictionary
    word that is a run of consecutive atoms (also across the words newmm chose), at the position of its first atom.
    """
    return _chunk_analysis(chunk)[0]


def _chunk_analysis(chunk: str) -> tuple[list[tuple[str, int, int, int]], tuple[str, ...]]:
    """(:func:`_chunk_terms`, the chunk's atoms in order: atom ``i`` sits at position ``i``)."""
    words = _segment_chunk(chunk)
    starts: list[int] = []  # char offset of each atom
    ends: list[int] = []
    word_spans: list[tuple[str, int, int]] = []
    pos_of: dict[int, int] = {}
    cursor = 0
    for w in words:
        k = chunk.find(w, cursor)
        if k < 0:
            k = cursor
        word_spans.append((w, k, len(starts)))
        off = k
        for a in atoms(w):
            pos_of[off] = len(starts)
            starts.append(off)
            ends.append(off + len(a))
            off += len(a)
        cursor = k + len(w)
    out: dict[tuple[str, int], tuple[str, int, int, int]] = {}
    for w, k, p in word_spans:
        out[(w, k)] = (w, p, k, k + len(w))
    for idx, (s, e) in enumerate(zip(starts, ends, strict=True)):
        out.setdefault((chunk[s:e], s), (chunk[s:e], idx, s, e))
    if SUBWORD_MODE != "none" and _THAI_RE.search(chunk):
        trie = _load()["trie"]
        end_set = set(ends)
        for idx, s in enumerate(starts):
            for w in trie.prefixes(chunk[s : s + _MAX_SUBWORD]):
                e = s + len(w)
                if e in end_set and len(w) >= 2 and (w, s) not in out:
                    out[(w, s)] = (w, idx, s, e)
    terms = sorted(out.values(), key=lambda t: (t[1], t[2], -len(t[0])))
    return terms, tuple(chunk[s:e] for s, e in zip(starts, ends, strict=True))


_chunk_analysis_cached = lru_cache(maxsize=100_000)(_chunk_analysis)


def chunk_terms(norm: str) -> Iterator[tuple[int, Sequence[tuple[str, int, int, int]]]]:
    """The index terms of *normalised* text chunk by chunk: the chunk's offset in ``norm`` and its (term,
    position, start, end), positions and offsets within the chunk (analysed once per distinct chunk)."""
    for chunk, base in _iter_chunks(norm):
        yield base, _chunk_analysis_cached(chunk)[0]


def index_terms(norm: str) -> list[tuple[str, int, int, int]]:
    """Index terms of *normalised* text as (term, position, start, end) with offsets into ``norm``."""
    out: list[tuple[str, int, int, int]] = []
    base_pos = 0
    for base, terms in chunk_terms(norm):
        if not terms:
            continue
        top = 0
        for w, p, s, e in terms:
            out.append((w, base_pos + p, base + s, base + e))
            top = max(top, p)
        base_pos += top + 1
    return out


def index_atoms(norm: str) -> list[str]:
    """The atoms of *normalised* text in position order (the atom at list index ``i`` has position ``i``:
    :func:`index_terms` gives every chunk as many positions as it has atoms, so the two agree). A phrase matches
    where its atoms (:func:`phrase_atoms`) are a run of this list."""
    out: list[str] = []
    for chunk, _base in _iter_chunks(norm):
        out.extend(_chunk_analysis_cached(chunk)[1])
    return out


#: separates the two atoms of a pair term (atoms never contain a space)
PAIR_SEP = " "


def pair_terms(atom_seq: list[str] | tuple[str, ...]) -> list[str]:
    """Terms of the phrase field: each pair of consecutive atoms, ``"ทุน การ"``."""
    return [a + PAIR_SEP + b for a, b in pairwise(atom_seq)]


def subwords(token: str) -> tuple[str, ...]:
    """Dictionary words the index also finds inside ``token`` (the token itself excluded)."""
    return tuple(dict.fromkeys(w for w, _, _, _ in _chunk_terms(normalize(token)) if w != token))


def phrase_atoms(text: str) -> list[str]:
    """The atom sequence a phrase query matches at consecutive positions."""
    out: list[str] = []
    for w in segment(text):
        out.extend(atoms(w))
    return out


def phrase_pairs(words: list[str]) -> list[str]:
    """The pair terms a document must have to contain the phrase of query ``words`` (empty for one atom)."""
    seq: list[str] = []
    for w in words:
        seq.extend(atoms(w))
    return pair_terms(seq)


def tokens_for_index(text: str) -> list[str]:
    """The terms the index stores for ``text`` (words plus sub-words), in order; for tests and measurements."""
    return [w for w, _, _, _ in index_terms(normalize(text))]


def query_tokens(text: str) -> list[str]:
    """The terms a query for ``text`` looks up (words only, no sub-word expansion)."""
    return segment(text)


# ----------------------------------------------------------------------------------------------------
# Letter numbers (เลขที่หนังสือ)
# ----------------------------------------------------------------------------------------------------

# ศธ 04045/123, ศธ๐๔๐๔๕/๑๒๓, ศธ 04029 311/05, ศบ 041582/194, 04029/1234, ที่ ศธ 0404.5/ว123
LETTER_NO_RE = re.compile(
    r"(?:(?<![\u0e00-\u0e7f])[\u0e01-\u0e2e]{1,4}\.?\s*)?[0-9๐-๙][0-9๐-๙.]*"
    r"(?:\s*[0-9๐-๙][0-9๐-๙]*)?(?:\s*/\s*(?:[ก-ฮ]\.?\s*)?[0-9๐-๙]+)?"
)
_PREFIX_RE = re.compile(r"^([\u0e01-\u0e2e]{1,4})\.?\s*([0-9][0-9.]*)")


def _squash(s: str) -> str:
    return re.sub(r"[\s.]+", "", normalize(s)).removeprefix("ที่")


def letter_no_keys(letter_no: str) -> list[str]:
    """Keyword values for a letter number: the full normalised number and its prefix (code + first digits).

    ``ศธ ๐๔๐๔๕/๑๒๓`` → ``["ศธ04045/123", "ศธ04045", "04045/123", "04045"]`` (the code-less forms let a user
    type only the digits).
    """
    s = normalize(letter_no).strip()
    s = re.sub(r"^ที่\s*", "", s)
    if not s:
        return []
    full = re.sub(r"[\s.]+", "", s)
    keys = [full]
    circular = re.sub(r"/[\u0e01-\u0e2e]", "/", full)  # ศธ04134/ว2088 (circular) also as ศธ04134/2088
    if circular != full:
        keys.append(circular)
    m = _PREFIX_RE.match(s)
    if m:
        prefix = m.group(1) + m.group(2).replace(".", "")
        keys.append(prefix)
        rest = full[len(m.group(1)) :]
        if rest:
            keys.append(rest)
            keys.append(m.group(2).replace(".", ""))
    else:
        m2 = re.match(r"^([0-9][0-9.]*)", s)
        if m2:
            keys.append(m2.group(1).replace(".", ""))
    seen: list[str] = []
    for k in keys:
        if k and k not in seen:
            seen.append(k)
    return seen


def letter_no_query_key(text: str) -> str:
    """The keyword a typed letter number is looked up by (``ศธ 04029`` → ``ศธ04029``)."""
    s = normalize(text).strip()
    s = re.sub(r"^ที่\s*", "", s)
    return re.sub(r"[\s.]+", "", s)


def find_letter_numbers(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that look like letter numbers (contain a digit and a code or a slash/long digits)."""
    spans: list[tuple[int, int]] = []
    for m in LETTER_NO_RE.finditer(text):
        s = m.group().strip()
        if not s:
            continue
        has_code = bool(re.match(r"[\u0e01-\u0e2e]", s))
        digits = sum(ch.isdigit() for ch in s)
        if has_code or "/" in s or digits >= 4:
            spans.append((m.start(), m.start() + len(m.group().rstrip())))
    return spans


# ----------------------------------------------------------------------------------------------------
# Whoosh tokenizer
# ----------------------------------------------------------------------------------------------------


class ThaiTokenizer(Tokenizer):  # type: ignore[misc]
    """Whoosh tokenizer: normalise, segment with newmm + office dictionary, add sub-words at index time.

    Character offsets refer to the NFC form of the input (identical to the input for ordinary stored text), so
    highlighting works on the stored value.
    """

    def __init__(self, *, expand_subwords: bool = True) -> None:
        self.expand_subwords = expand_subwords

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ThaiTokenizer) and other.expand_subwords == self.expand_subwords

    def __hash__(self) -> int:
        return hash(("ThaiTokenizer", self.expand_subwords))

    def __call__(
        self,
        value: str,
        positions: bool = False,  # noqa: FBT001, FBT002 - whoosh's signature
        chars: bool = False,  # noqa: FBT001, FBT002
        keeporiginal: bool = False,  # noqa: FBT001, FBT002
        removestops: bool = True,  # noqa: FBT001, FBT002
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,  # noqa: FBT001, FBT002
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = normalize(value)
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return
        expand = self.expand_subwords and mode != "query"
        if chars:
            norm, offs = normalize_with_map(value)
        else:
            norm, offs = normalize(value), []
        terms = index_terms(norm) if expand else [(w, i, s, e) for i, (w, s, e) in enumerate(segment_spans(norm))]
        for word, p, s, e in terms:
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = word
            if positions:
                t.pos = start_pos + p
            if chars:
                t.startchar = start_char + offs[s]
                t.endchar = start_char + offs[e]
            yield t


def thai_analyzer(*, expand_subwords: bool = True) -> ThaiTokenizer:
    """The analyzer used by every Thai text field of the index."""
    return ThaiTokenizer(expand_subwords=expand_subwords)
