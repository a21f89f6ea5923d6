"""A small full-text index of letters over Whoosh, with a Thai analyzer.

Nothing here knows about the service's models: callers hand in :class:`IndexDoc` values (plain data) and get
:class:`SearchResult` values back. Access control: every search is filtered by the caller's principals (a Whoosh
``filter=`` query), so documents the caller may not see are never scored, counted or snippeted.
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, Formatter, highlight
from whoosh.index import LockError
from whoosh.query import And, Every, NumericRange, Or, Phrase, Query, Term

from search.thai import (
    ThaiTokenizer,
    atoms,
    find_letter_numbers,
    letter_no_keys,
    letter_no_query_key,
    normalize,
    query_tokens,
)

__all__ = [
    "Hit",
    "IndexDoc",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
    "parse_date_range",
]

#: How much attachment text is stored for snippets (all of it is indexed).
STORED_ATTACHMENT_CHARS = 20_000
INDEX_NAME = "letters"


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

#: indexed text: ``body`` holds all the letter's text (subject, number, sender, recipient, summary, instructions,
#: attachment text), so a query word is ONE posting list (7 per-field lists were 4x slower, see README);
#: ``subject`` is indexed too (for field-specific use) and every text field is stored for snippets.
TEXT_FIELDS: dict[str, float] = {"body": 1.0}
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
    ana = ThaiTokenizer()

    def text(*, stored: bool = True) -> TEXT:
        return TEXT(analyzer=ana, stored=stored, phrase=True)

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
        body=text(stored=False),
        subject=text(),
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
        "body": "\n".join(
            v
            for v in (doc.subject, doc.letter_no, doc.sender, doc.recipient, doc.summary, doc.instructions,
                      doc.attachment_text)
            if v
        ),
        "attachment_store": doc.attachment_text[:STORED_ATTACHMENT_CHARS],
        "letter_date": doc.letter_date.isoformat() if doc.letter_date else "",
    }


# ----------------------------------------------------------------------------------------------------
# Query building
# ----------------------------------------------------------------------------------------------------

_QUOTE_RE = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")


def _word_query(word: str) -> Query:
    """One query word over all text fields (the index side holds the sub-words; the query never expands)."""
    body = Term("body", word)
    if word.isdigit() and len(word) <= 7:
        return Or([body, Term("regno", word, boost=2.0)])
    return body


def _phrase_query(words: Sequence[str]) -> Query:
    """Words that must appear in this order: the phrase of their atoms (positions are per atom in the index)."""
    if len(words) == 1:
        return _word_query(words[0])
    seq: list[str] = []
    for w in words:
        seq.extend(atoms(w))
    return Phrase("body", seq)


def build_text_query(text: str) -> Query | None:
    """Free text → Whoosh query: words AND-ed, "quoted phrases" as phrases, letter numbers in any form."""
    parts: list[Query] = []
    for m in _QUOTE_RE.finditer(text):
        words = query_tokens(m.group(1))
        if words:
            parts.append(_phrase_query(words))
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
        alts: list[Query] = [Term("letter_key", key, boost=4.0)]
        if re.fullmatch(r"\d+/\d+", key):
            alts.append(Term("regno", key, boost=2.0))
        if words:
            alts.append(_phrase_query(words))
        parts.append(Or(alts))
    remaining.append(norm[cut:])
    for chunk in remaining:
        for w in query_tokens(chunk):
            parts.append(_word_query(w))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def build_filter(query: SearchQuery, principals: Sequence[str]) -> Query:
    parts: list[Query] = [Or([Term("principals", p) for p in principals])]
    if query.registry_ids:
        parts.append(Or([Term("registry", str(i)) for i in query.registry_ids]))
    if query.unit_ids:
        parts.append(Or([Term("unit", str(i)) for i in query.unit_ids]))
    if query.letter_type:
        parts.append(Term("letter_type", query.letter_type))
    if query.channel:
        parts.append(Term("channel", query.channel))
    if query.urgency is not None:
        parts.append(Term("urgency", str(query.urgency)))
    if query.secrecy is not None:
        parts.append(Term("secrecy", str(query.secrecy)))
    if query.has_attachment is not None:
        parts.append(Term("has_attachment", "1" if query.has_attachment else "0"))
    if query.date_from or query.date_to:
        lo = _date_int(query.date_from) if query.date_from else 1
        hi = _date_int(query.date_to) if query.date_to else 99991231
        parts.append(NumericRange("date_sort", lo, hi))
    return parts[0] if len(parts) == 1 else And(parts)


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


_FORMATTER = MarkFormatter()
_SNIPPET_ANALYZER = ThaiTokenizer()


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
            out = highlight(
                value,
                terms,
                _SNIPPET_ANALYZER,
                ContextFragmenter(maxchars=220, surround=60),
                _FORMATTER,
                top=2,
                mode="index",
            )
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


class SearchIndex:
    """A Whoosh index directory. One writer at a time: a process-level lock plus retry on Whoosh's file lock
    (another process may hold it) with exponential back-off."""

    def __init__(
        self,
        path: Path,
        *,
        lock_timeout: float = 120.0,
        limitmb: int = 128,
        procs: int = 1,
        multisegment: bool = False,
    ) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = _process_lock(self.path)
        self._lock_timeout = lock_timeout
        self._writer_args: dict[str, Any] = {"limitmb": limitmb}
        if procs > 1:
            self._writer_args.update(procs=procs, multisegment=multisegment)
        self._searcher_lock = threading.Lock()
        self._searcher: Any = None
        self._filter_cache: dict[tuple[int, str], set[int]] = {}
        with self._lock:
            if whoosh_index.exists_in(str(self.path), indexname=INDEX_NAME):
                self._ix = whoosh_index.open_dir(str(self.path), indexname=INDEX_NAME)
            else:
                self._ix = whoosh_index.create_in(str(self.path), make_schema(), indexname=INDEX_NAME)

    # -- writing ----------------------------------------------------------------------------------------------

    def _writer(self, **extra: Any) -> Any:
        deadline = time.monotonic() + self._lock_timeout
        delay = 0.05
        while True:
            try:
                return self._ix.writer(**{**self._writer_args, **extra})
            except LockError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def upsert(self, docs: Sequence[IndexDoc]) -> None:
        """Add or replace documents (by ``doc_id``) in one commit."""
        if not docs:
            return
        with self._lock:
            writer = self._writer()
            try:
                for doc in docs:
                    writer.update_document(**_doc_fields(doc))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()

    def add_new(self, docs: Iterable[IndexDoc]) -> None:
        """Bulk-load documents known not to be in the index yet (rebuilds, benchmarks): one commit, no deletes."""
        with self._lock:
            writer = self._writer()
            try:
                for doc in docs:
                    writer.add_document(**_doc_fields(doc))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()

    def delete(self, doc_ids: Sequence[int]) -> None:
        if not doc_ids:
            return
        with self._lock:
            writer = self._writer(procs=1) if "procs" in self._writer_args else self._writer()
            try:
                for i in doc_ids:
                    writer.delete_by_term("doc_id", str(i))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()

    def clear(self) -> None:
        with self._lock:
            writer = self._writer()  # hold Whoosh's lock while the directory is recreated
            writer.cancel()
            self._close_searcher()
            self._ix.close()
            self._ix = whoosh_index.create_in(str(self.path), make_schema(), indexname=INDEX_NAME)

    def optimize(self) -> None:
        """Merge all segments into one (after a bulk load)."""
        with self._lock:
            self._ix.optimize()

    # -- reading ----------------------------------------------------------------------------------------------

    def _get_searcher(self) -> Any:
        with self._searcher_lock:
            if self._searcher is None:
                self._searcher = self._ix.searcher()
            elif self._ix.latest_generation() != self._searcher.reader().generation():
                # not Searcher.refresh(): it reuses segment readers and misses new deletions in them
                self._searcher.close()
                self._filter_cache.clear()
                self._searcher = self._ix.searcher()
            return self._searcher

    def _close_searcher(self) -> None:
        with self._searcher_lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            self._filter_cache.clear()

    def _filter_docs(self, searcher: Any, flt: Query) -> set[int]:
        """Doc numbers the filter allows, cached per searcher generation (principal sets repeat a lot)."""
        key = (id(searcher), repr(flt))
        with self._searcher_lock:
            hit = self._filter_cache.get(key)
        if hit is not None:
            return hit
        docs = set(flt.docs(searcher))
        with self._searcher_lock:
            if len(self._filter_cache) > 256:
                self._filter_cache.clear()
            self._filter_cache[key] = docs
        return docs

    def doc_ids(self) -> set[int]:
        s = self._get_searcher()
        return {int(f["doc_id"]) for f in s.all_stored_fields()}

    def search(self, query: SearchQuery, *, principals: Sequence[str]) -> SearchResult:
        principals = [p.strip() for p in principals if p and p.strip()]
        if not principals:
            return SearchResult(total=0, hits=())
        if query.sort not in SORTS:
            raise ValueError(f"unknown sort {query.sort!r}; use one of {', '.join(SORTS)}")
        page = max(1, query.page)
        per_page = max(1, min(query.per_page, 500))
        q = build_text_query(query.text)
        if q is None:
            q = Every()
        flt = build_filter(query, principals)
        sort = query.sort
        if sort == "relevance" and isinstance(q, Every):
            sort = "date_desc"
        limit = page * per_page
        s = self._get_searcher()
        allowed = self._filter_docs(s, flt)
        if not allowed:
            return SearchResult(total=0, hits=())
        if sort == "relevance":
            results = s.search(q, filter=allowed, limit=limit, terms=False)
        else:
            results = s.search(
                q, filter=allowed, limit=limit, sortedby="date_sort", reverse=(sort == "date_desc"), terms=False
            )
        total = len(results)
        terms = highlight_terms(query.text)
        hits: list[Hit] = []
        for hit in results[(page - 1) * per_page : limit]:
            fields = hit.fields()
            score = float(hit.score) if hit.score is not None else 0.0
            hits.append(Hit(doc_id=int(fields["doc_id"]), score=score, snippet=make_snippet(fields, terms)))
        return SearchResult(total=total, hits=tuple(hits))

    def close(self) -> None:
        self._close_searcher()
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
