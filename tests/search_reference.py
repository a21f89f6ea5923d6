"""References for the search engine's results, shared by the search tests.

* :func:`expected`: brute force over the analysis functions (a plain word is a term of the document, a "quoted
  phrase" a run of its atoms): which documents match.
* :func:`whoosh_scores`: the same query answered by Whoosh's own public search API over the same index (its
  matchers decode the posting blocks themselves): which documents match and their BM25 scores.
* :func:`assert_same_ranking`: our hits against such scores, ties in either order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date
from functools import cache
from typing import Any

from whoosh.query import And, Or, Term
from whoosh.scoring import bm25

from search import Hit, IndexDoc
from search.index import BM25_B, BM25_K1, Clause, atom_hashes, count_run
from search.thai import atoms, index_atoms, index_terms, normalize, query_tokens


def _body(d: IndexDoc) -> str:
    return "\n".join(
        v for v in (d.subject, d.letter_no, d.sender, d.recipient, d.summary, d.instructions, d.attachment_text) if v
    )


@cache
def _analysed(body: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """A body's index terms and atom sequence (analysed once: corpora are queried many times)."""
    norm = normalize(body)
    return frozenset(t for t, _, _, _ in index_terms(norm)), tuple(index_atoms(norm))


def _has_run(seq: Sequence[str], run: list[str]) -> bool:
    n = len(run)
    return any(list(seq[i : i + n]) == run for i in range(len(seq) - n + 1))


def expected(docs: dict[int, IndexDoc], text: str, who: set[str], **flt: object) -> set[int]:
    """Brute force over the analysis functions: a plain word is a term of the document, a "quoted phrase" a run
    of its atoms."""
    out = set()
    phrase = text.startswith('"')
    words = query_tokens(text.strip('"'))
    run = [a for w in words for a in atoms(w)]
    for i, d in docs.items():
        if not who & set(d.principals):
            continue
        if "registry" in flt and flt["registry"] not in d.registry_ids:
            continue
        if "date_from" in flt:
            assert isinstance(flt["date_from"], date) and isinstance(flt["date_to"], date)
            if d.letter_date is None or not flt["date_from"] <= d.letter_date <= flt["date_to"]:
                continue
        terms, seq = _analysed(_body(d))
        ok = _has_run(seq, run) if phrase and len(words) > 1 else all(w in terms for w in words)
        if ok:
            out.add(i)
    return out


def _matches(searcher: Any, q: Any, allow: Any) -> list[tuple[int, float]]:
    return [(hit.docnum, hit.score) for hit in searcher.search(q, filter=allow, limit=None)]


def _alt_scores(searcher: Any, alt: Any, allow: Any) -> dict[int, float]:
    """Documents (Whoosh doc numbers) an alternative of a clause matches, with its score."""
    if alt.field != "pair":  # a term: Whoosh's own BM25F (keyword fields: weight × boost)
        return dict(_matches(searcher, Term(alt.field, alt.terms[0], boost=alt.boost), allow))
    # a phrase: Whoosh's AND of its pair terms; then its occurrences — the pair's frequency when there is one pair,
    # else the runs of its atoms in the `atoms` column — scored like one term whose idf is the sum of the pairs'
    docs = [d for d, _ in _matches(searcher, And([Term("pair", t) for t in alt.terms]), allow)]
    if not docs:
        return {}
    if len(alt.terms) == 1:
        m = searcher.postings("pair", alt.terms[0])
        freq: dict[int, float] = {}
        while m.is_active():
            freq[m.id()] = m.weight()
            m.next()
        tf = {d: freq[d] for d in docs}
    else:
        column = searcher.reader().column_reader("atoms")
        pattern = atom_hashes(alt.atoms)
        tf = {d: float(count_run(column[d], pattern)) for d in docs}
    idf = sum(searcher.idf("pair", t) for t in alt.terms)
    avgfl = searcher.avg_field_length("body") or 1
    return {
        d: alt.boost * bm25(idf, f, searcher.doc_field_length(d, "body", 0), avgfl, BM25_B, BM25_K1)
        for d, f in tf.items()
        if f
    }


def whoosh_scores(searcher: Any, clauses: Iterable[Clause], principals: Iterable[str]) -> dict[int, float]:
    """Whoosh doc number → score of every live document sharing a principal that matches every clause (a clause
    matches if one of its alternatives does; the scores of all matching alternatives add up)."""
    allow = Or([Term("principals", p) for p in principals])
    total: dict[int, float] | None = None
    for clause in clauses:
        part: dict[int, float] = {}
        for alt in clause.alts:
            for d, sc in _alt_scores(searcher, alt, allow).items():
                part[d] = part.get(d, 0.0) + sc
        total = part if total is None else {d: total[d] + part[d] for d in total.keys() & part.keys()}
    return total or {}


def by_doc_id(searcher: Any, scores: dict[int, float]) -> list[tuple[int, float]]:
    """Scores by doc number → (doc_id, score), best first, ties to the lower doc number (as both engines do)."""
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(int(searcher.stored_fields(d)["doc_id"]), sc) for d, sc in ranked]


def assert_same_ranking(hits: Sequence[Hit], ranked: list[tuple[int, float]], k: int, what: object) -> None:
    """``hits`` (one page of ``k``) are the best ``k`` of ``ranked`` (doc_id, score): same score at every rank, and
    each hit's own reference score is that score (so documents with equal scores may come in either order)."""
    ref = dict(ranked)
    assert len(hits) == min(k, len(ranked)), what
    for rank, (h, (_d, score)) in enumerate(zip(hits, ranked, strict=False)):
        assert h.doc_id in ref, (what, rank, h.doc_id)
        assert math.isclose(h.score, score, rel_tol=1e-6), (what, rank, h, score)
        assert math.isclose(ref[h.doc_id], score, rel_tol=1e-6), (what, rank, h.doc_id, ref[h.doc_id], score)
