"""The fast path (search/whoosh_layout.py, which reads Whoosh's private state and posting blocks) against references
that do not share its code: long posting lists (several blocks, several segments, deletions) against brute force and
Whoosh's own search; proof that the fast path is the one used; and a differential property test against Whoosh's
public search API on random small corpora."""

from __future__ import annotations

import itertools
import logging
import random
import tempfile
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index

from search import IndexDoc, SearchIndex, SearchQuery, whoosh_layout
from search.index import INDEX_NAME, build_text_query
from tests.search_reference import assert_same_ranking, by_doc_id, expected, whoosh_scores

#: office words, from everywhere to rare (Zipf weights below): common ones are in most documents
WORDS = (
    "ทุน",
    "การศึกษา",
    "ประจำปี",
    "โรงเรียน",
    "นักเรียน",
    "ประเมิน",
    "ผล",
    "การ",
    "ป้องกัน",
    "จมน้ำ",
    "งบประมาณ",
    "คณะกรรมการ",
    "สถานศึกษา",
    "อบรม",
    "ครู",
    "บ้าน",
    "หนองแดง",
    "ยาเสพติด",
    "ต่อต้าน",
    "รายงาน",
    "เชิญ",
    "ประชุม",
    "แจ้ง",
    "หนังสือ",
)
PRINCIPALS = ("unit:1", "unit:2", "secret:3:1")


def _doc(doc_id: int, rng: random.Random) -> IndexDoc:
    """A short letter of office words, sometimes run together (compounds, phrases across words)."""
    words = rng.choices(WORDS, [1 / (i + 1) for i in range(len(WORDS))], k=rng.randint(3, 12))
    return IndexDoc(
        doc_id=doc_id,
        subject="".join(w + rng.choice((" ", " ", "")) for w in words).strip(),
        principals=(rng.choice(PRINCIPALS),),
        registry_ids=(rng.randint(1, 3),),
        letter_date=date.fromordinal(date(2021, 1, 1).toordinal() + rng.randrange(730)),
    )


class Corpus:
    def __init__(self, path: Path, docs: dict[int, IndexDoc]) -> None:
        self.path = path
        self.docs = docs


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """3,000 letters in 4 segments (common words: 3–5 posting blocks of 256 per segment), ~6 % deleted, 80
    re-indexed (their old copies are deleted documents inside the older segments). Built once: ~3 s."""
    rng = random.Random(11)
    docs = {i: _doc(i, rng) for i in range(1, 3001)}
    path = tmp_path_factory.mktemp("layout") / "ix"
    ix = SearchIndex(path)
    ix.add_new([docs[i] for i in range(1, 1201)])
    ix.add_new([docs[i] for i in range(1201, 2201)])
    ix.upsert([docs[i] for i in range(2201, 3001)], defer_merge=True)
    gone = rng.sample(sorted(docs), 180)
    ix.delete(gone)
    for i in gone:
        del docs[i]
    changed = rng.sample(sorted(docs), 80)
    for i in changed:
        docs[i] = _doc(i, rng)
    ix.upsert([docs[i] for i in changed], defer_merge=True)
    assert ix.segment_count() >= 4
    ix.close()
    return Corpus(path, docs)


QUERIES = [
    "ทุน",  # in ~80 % of the letters: every block of every segment
    "การ",
    "การศึกษา",
    "ประจำปี",
    "ผล",
    "หนังสือ",  # rare
    "ทุน การศึกษา",
    "ประเมิน ผล โรงเรียน",
    '"ทุน การศึกษา"',
    '"การศึกษา ประจำปี"',
    '"ทุนการศึกษา"',
    '"ป้องกัน จมน้ำ"',
    '"ประจำปี ทุน"',
]


@pytest.fixture
def fresh_counts() -> Iterator[dict[str, int]]:
    """The layout module's read counts when the test starts (they are per process)."""
    yield whoosh_layout.read_counts()


def _new_reads(before: dict[str, int]) -> dict[str, int]:
    after = whoosh_layout.read_counts()
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


def test_long_posting_lists_match_brute_force_and_whoosh(corpus: Corpus) -> None:
    ix = SearchIndex(corpus.path)
    wx = whoosh_index.open_dir(str(corpus.path), indexname=INDEX_NAME)
    with wx.searcher() as searcher:
        # the lists really are long: several blocks in several segments
        reader = searcher.reader()
        assert len(list(reader.leaf_readers())) >= 4 and reader.doc_count() < reader.doc_count_all()
        segs = whoosh_layout.reader_segments(reader, threading.Lock())
        assert sum(len(seg.postings("body", "ทุน").blocks) >= 3 for seg in segs) >= 3
        for who in ({"unit:1"}, {"unit:1", "unit:2", "secret:3:1"}):
            for text in QUERIES:
                want = expected(corpus.docs, text, who)
                ranked = by_doc_id(searcher, whoosh_scores(searcher, build_text_query(text), who))
                assert {d for d, _ in ranked} == want, (text, who)  # the two references agree
                r = ix.search(SearchQuery(text=text, per_page=20), principals=sorted(who))
                assert r.total == len(want), (text, who)
                assert_same_ranking(r.hits, ranked, 20, (text, who))
                page3 = ix.search(SearchQuery(text=text, per_page=20, page=3), principals=sorted(who))
                assert_same_ranking(page3.hits, ranked[40:], 20, (text, who, "page 3"))
                for flt in ({"registry": 2}, {"date_from": date(2022, 1, 1), "date_to": date(2022, 6, 30)}):
                    want = expected(corpus.docs, text, who, **flt)
                    q = SearchQuery(
                        text=text,
                        sort="date_desc",
                        per_page=500,
                        registry_ids=(2,) if "registry" in flt else (),
                        date_from=flt.get("date_from"),  # type: ignore[arg-type]
                        date_to=flt.get("date_to"),  # type: ignore[arg-type]
                    )
                    r = ix.search(q, principals=sorted(who))
                    assert r.total == len(want), (text, who, flt)
                    got = [h.doc_id for h in r.hits]
                    assert len(got) == min(500, len(want)) and set(got) <= want, (text, who, flt)
                    dates = [corpus.docs[d].letter_date or date.min for d in got]
                    assert dates == sorted(dates, reverse=True), (text, who, flt)
                    assert all(corpus.docs[d].letter_date or date.min <= dates[-1] for d in want - set(got))
    wx.close()
    ix.close()


def test_the_fast_path_answers_every_query(corpus: Corpus, fresh_counts: dict[str, int]) -> None:
    """A fresh index object (nothing cached) answers words, phrases, filters and date sorts without reading
    anything through Whoosh's public API: if a Whoosh upgrade renames what whoosh_layout reads, this fails instead
    of the search silently getting slow."""
    assert whoosh_layout.fast_path_problem() is None, "pyproject.toml pins the whoosh-reloaded this module knows"
    ix = SearchIndex(corpus.path)
    assert ix.layout_problem is None
    queries = [SearchQuery(text=t) for t in QUERIES] + [
        SearchQuery(text="ทุน", date_from=date(2022, 1, 1), date_to=date(2022, 3, 31), registry_ids=(1,)),
        SearchQuery(sort="date_asc"),
    ]
    for q in queries:
        ix.search(q, principals=["unit:1", "unit:2"])
    assert ix.fast_path_stats() == {"fast": len(queries), "whoosh": 0}
    reads = _new_reads(fresh_counts)
    assert not {k for k in reads if k.endswith(".whoosh")}, reads
    for kind in ("postings", "lengths", "uint_column", "bytes_column", "deleted"):
        assert reads.get(f"{kind}.fast", 0) > 0, (kind, reads)
    ix.close()


def test_another_whoosh_version_falls_back_loudly_with_the_same_results(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    queries = [SearchQuery(text=text, per_page=20) for text in QUERIES]
    with SearchIndex(corpus.path) as fast:
        want = [fast.search(q, principals=["unit:1"]) for q in queries]
    # as if another whoosh-reloaded were installed than the one whoosh_layout was checked against
    monkeypatch.setattr(whoosh_layout, "VERIFIED_WHOOSH", "0.0.0")
    try:
        with caplog.at_level(logging.ERROR, logger="search.whoosh_layout"):
            slow = SearchIndex(corpus.path)
        assert slow.layout_problem is not None and "0.0.0" in slow.layout_problem
        assert any("whoosh-reloaded" in rec.getMessage() and rec.levelno == logging.ERROR for rec in caplog.records)
        got = [slow.search(q, principals=["unit:1"]) for q in queries]
        for q, a, b in zip(queries, got, want, strict=True):
            assert a.total == b.total, q.text
            assert [h.doc_id for h in a.hits] == [h.doc_id for h in b.hits], q.text
            assert [round(h.score, 6) for h in a.hits] == [round(h.score, 6) for h in b.hits], q.text
        assert slow.fast_path_stats() == {"fast": 0, "whoosh": len(queries)}
        slow.close()
    finally:
        monkeypatch.undo()
        assert whoosh_layout.check_version() is None


# ----------------------------------------------------------------------------------------------------
# Differential: random corpora and queries, our engine vs Whoosh's public search API
# ----------------------------------------------------------------------------------------------------

_word = st.sampled_from(WORDS[:16])
_text = st.lists(st.tuples(_word, st.sampled_from((" ", ""))), min_size=1, max_size=10).map(
    lambda ws: "".join(w + sep for w, sep in ws).strip()
)
_doc_st = st.tuples(_text, st.sampled_from(PRINCIPALS[:2]))
_phrase = st.lists(_word, min_size=2, max_size=3).flatmap(
    lambda ws: st.sampled_from((" ", "")).map(lambda sep: '"' + sep.join(ws) + '"')
)
_query = st.lists(st.one_of(_word, _word, _phrase), min_size=1, max_size=3).map(" ".join)


@settings(
    max_examples=75,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    docs=st.lists(_doc_st, min_size=1, max_size=40),
    cuts=st.lists(st.integers(0, 40), max_size=2),
    deleted=st.sets(st.integers(1, 40), max_size=8),
    queries=st.lists(_query, min_size=1, max_size=4),
)
def test_same_totals_and_top_hits_as_whoosh(
    docs: list[tuple[str, str]], cuts: list[int], deleted: set[int], queries: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ix"
        ix = SearchIndex(path)
        items = [IndexDoc(doc_id=i, subject=text, principals=(p,)) for i, (text, p) in enumerate(docs, 1)]
        bounds = [0, *sorted(c for c in cuts if 0 < c < len(items)), len(items)]
        for lo, hi in itertools.pairwise(bounds):  # one segment per commit
            ix.upsert(items[lo:hi], defer_merge=True)
        ix.delete(sorted(deleted))
        wx = whoosh_index.open_dir(str(path), indexname=INDEX_NAME)
        with wx.searcher() as searcher:
            for text in queries:
                for who in (["unit:1"], ["unit:1", "unit:2"]):
                    ranked = by_doc_id(searcher, whoosh_scores(searcher, build_text_query(text), who))
                    for per_page in (3, 100):  # block-max top-k, and every match
                        r = ix.search(SearchQuery(text=text, per_page=per_page), principals=who)
                        assert r.total == len(ranked), (text, who)
                        assert_same_ranking(r.hits, ranked, per_page, (text, who, per_page))
                    r = ix.search(SearchQuery(text=text, per_page=100, sort="date_desc"), principals=who)
                    assert r.total == len(ranked) and {h.doc_id for h in r.hits} == {d for d, _ in ranked}
        wx.close()
        assert ix.fast_path_stats()["whoosh"] == 0
        ix.close()


def test_an_index_with_nothing_written_yet_is_no_layout_alarm(
    tmp_path: Path, fresh_counts: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    """A new installation's first search finds an index without a segment (Whoosh's empty reader): it answers
    nothing, and says nothing about the fast path (it used to log that Whoosh's public API was read)."""
    with caplog.at_level(logging.ERROR, logger="search.whoosh_layout"), SearchIndex(tmp_path / "index") as ix:
        result = ix.search(SearchQuery(text="ทุน"), principals=["unit:1"])
        assert result.total == 0 and not result.hits
    assert not [rec for rec in caplog.records if "fast path" in rec.getMessage()]
    assert not {k for k in _new_reads(fresh_counts) if k.endswith(".whoosh")}
