"""The query engine against a brute-force reference: exact totals and hit sets (segments, deletions, access),
phrases checked on atom sequences, and what happens with an index of an older layout."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema

from eval.corpus import generate, to_index_doc
from search import SCHEMA_VERSION, IndexDoc, SearchIndex, SearchIndexOutdated, SearchQuery
from search.index import INDEX_NAME, VERSION_FILE, atom_hashes, count_run
from search.thai import atoms
from tests.search_reference import expected as _expected

QUERIES = [
    "ทุน",
    "ศึกษา",
    "ประเมิน",
    "จมน้ำ",
    "บ้านหนองแดง",
    "ทุน ประจำปี",
    "ใบสำคัญรับเงิน",
    "การ",
    '"ทุนการศึกษา ประจำปี"',
    '"การป้องกันการจมน้ำ"',
    '"ประเมินผลการบริหาร"',
    '"เงินให้กู้ยืมเพื่อการศึกษา"',
    '"ประจำปี ทุนการศึกษา"',
    '"การศึกษา"',
    '"ศึกษาธิการ"',
    "ไม่มีคำนี้",
]


def test_totals_and_hits_match_brute_force_across_segments_and_deletions(tmp_path: Path) -> None:
    letters = list(generate(700, seed=21))
    rng = random.Random(5)
    docs = {x.doc_id: to_index_doc(x, rng.choice((("unit:1",), ("unit:2",), ("secret:3:1",)))) for x in letters}
    ix = SearchIndex(tmp_path / "ix")
    ids = sorted(docs)
    for start in range(0, len(ids), 150):  # several commits: several segments
        ix.upsert([docs[i] for i in ids[start : start + 150]])
    gone = rng.sample(ids, 40)
    ix.delete(gone)
    for i in gone:
        del docs[i]
    changed = rng.sample(sorted(docs), 30)
    for i in changed:  # re-indexed: the old copy is a deleted document in its segment
        docs[i] = IndexDoc(**{**docs[i].__dict__, "subject": "การป้องกันการจมน้ำ ทุนการศึกษา ประจำปี"})
    ix.upsert([docs[i] for i in changed])
    assert ix.segment_count() > 1
    for who in ({"unit:1"}, {"unit:1", "unit:2"}, {"secret:3:1"}):
        for text in QUERIES:
            for flt in ({}, {"registry": 2}, {"date_from": date(2022, 1, 1), "date_to": date(2022, 12, 31)}):
                expected = _expected(docs, text, who, **flt)
                for sort in ("relevance", "date_desc"):
                    q = SearchQuery(
                        text=text,
                        sort=sort,
                        per_page=500,
                        registry_ids=(2,) if "registry" in flt else (),
                        date_from=flt.get("date_from"),  # type: ignore[arg-type]
                        date_to=flt.get("date_to"),  # type: ignore[arg-type]
                    )
                    r = ix.search(q, principals=sorted(who))
                    assert r.total == len(expected), (text, who, flt, sort)
                    assert {h.doc_id for h in r.hits} == expected, (text, who, flt, sort)
                    if sort == "relevance":
                        scores = [h.score for h in r.hits]
                        assert scores == sorted(scores, reverse=True)
                    else:
                        dates = [docs[h.doc_id].letter_date for h in r.hits]
                        assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
    # pages partition the ranking
    q = SearchQuery(text="ทุน", per_page=7)
    full = [h.doc_id for h in ix.search(SearchQuery(text="ทุน", per_page=500), principals=["unit:1"]).hits]
    paged = [
        h.doc_id
        for p in range(1, 5)
        for h in ix.search(q.__class__(**{**q.__dict__, "page": p}), principals=["unit:1"]).hits
    ]
    assert paged == full[:28]
    ix.close()


def test_cached_phrase_counts_and_term_scores_rank_exactly_as_scoring_every_candidate(tmp_path: Path) -> None:
    """A phrase in most letters is counted in every document and cached (one-phrase queries then walk (occurrences,
    length) pairs); common words' scores come from per-generation columns. Both must give what the uncached engine
    (``cache_units=0``: candidates counted and scored one by one) gives: totals, order, scores bit for bit."""
    letters = list(generate(900, seed=33))
    rng = random.Random(8)
    docs = [to_index_doc(x, rng.choice((("unit:1",), ("unit:2",)))) for x in letters]
    path = tmp_path / "ix"
    ix = SearchIndex(path)
    for start in range(0, len(docs), 300):
        ix.upsert(docs[start : start + 300])
    ix.delete([d.doc_id for d in docs[::37]])
    cached, plain = SearchIndex(path), SearchIndex(path, cache_units=0)
    texts = [
        '"สำนักงานเขตพื้นที่การศึกษา"',
        '"เขตพื้นที่การศึกษา"',
        '"การศึกษา"',
        '"เขตพื้นที่การศึกษา" โรงเรียน',
        "ศึกษา เขต สำนักงาน และ ให้",
        "การ โรงเรียน",
        '"ทุนการศึกษา ประจำปี"',
    ]
    for text in texts:
        for who in (["unit:1"], ["unit:1", "unit:2"]):
            for page, per_page in ((1, 20), (2, 7), (1, 500)):
                q = SearchQuery(text=text, page=page, per_page=per_page)
                a, b = cached.search(q, principals=who), plain.search(q, principals=who)
                assert a.total == b.total > 0, text
                assert [(h.doc_id, h.score) for h in a.hits] == [(h.doc_id, h.score) for h in b.hits], text
    keys = {k[1] for k in cached._engine._cache}
    assert "phrase" in keys  # the phrase in every letter was counted once and cached
    assert cached._view is not None and cached._view._scores  # and common words' score columns were used
    assert not any(k[1] == "phrase" for k in plain._engine._cache)
    for x in (ix, cached, plain):
        x.close()


def test_a_word_read_by_few_ranks_exactly_as_the_block_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-word query whose readable matches are a small share of the word's postings (an office in a big
    installation) scores just those matches; the ranking must be the block walk's, scores bit for bit."""
    import search.index as engine

    letters = list(generate(1200, seed=44))
    docs = [to_index_doc(x, (f"unit:{i % 12}",)) for i, x in enumerate(letters)]
    ix = SearchIndex(tmp_path / "ix")
    for start in range(0, len(docs), 400):
        ix.upsert(docs[start : start + 400])
    ix.delete([d.doc_id for d in docs[::41]])
    seen = 0
    for text in ("ศึกษา", "การ", "โรงเรียน", "ทุน", "ประจำปี"):
        for who in (["unit:3"], ["unit:3", "unit:7"], [f"unit:{u}" for u in range(12)]):
            for page, per_page in ((1, 10), (3, 7), (1, 500)):
                q = SearchQuery(text=text, page=page, per_page=per_page)
                monkeypatch.setattr(engine, "SPARSE_TERM_SHARE", 0)  # every match scored one by one
                few = ix.search(q, principals=who)
                monkeypatch.setattr(engine, "SPARSE_TERM_SHARE", 10**9)  # the block walk, always
                walk = ix.search(q, principals=who)
                assert few.total == walk.total, (text, who)
                assert [(h.doc_id, h.score) for h in few.hits] == [(h.doc_id, h.score) for h in walk.hits], (text, who)
                seen += bool(few.hits)
    assert seen > 30
    ix.close()


def test_phrase_needs_the_atoms_in_a_row(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "ix")
    ix.upsert(
        [
            # every pair of "การป้องกันการจมน้ำ" is here (การ|ป้อง, ป้อง|กัน, กัน|การ, การ|จม, จม|น้ำ), not in a row
            IndexDoc(doc_id=1, subject="การป้องกันการทุจริต และการจมน้ำ", principals=("u",)),
            IndexDoc(doc_id=2, subject="มาตรการการป้องกันการจมน้ำ ครั้งที่ ๑ และ การป้องกันการจมน้ำ", principals=("u",)),
            IndexDoc(doc_id=3, subject="การป้องกันการจมน้ำ", attachment_text="x " * 3000, principals=("u",)),
        ]
    )
    r = ix.search(SearchQuery(text='"การป้องกันการจมน้ำ"'), principals=["u"])
    assert r.total == 2 and [h.doc_id for h in r.hits] == [2, 3]  # two occurrences and a short text rank first
    assert ix.search(SearchQuery(text="ป้องกัน ทุจริต"), principals=["u"]).total == 1
    assert ix.search(SearchQuery(text='"ป้องกันการทุจริต"'), principals=["u"]).total == 1
    assert ix.search(SearchQuery(text='"ทุจริต และ"'), principals=["u"]).total == 1  # across a space
    ix.close()


def test_count_run_counts_whole_atoms_only() -> None:
    seq = atom_hashes(["ก", "ข", "ค", "ก", "ข"])
    assert count_run(seq, atom_hashes(["ก", "ข"])) == 2
    assert count_run(seq, atom_hashes(["ข", "ค", "ก"])) == 1
    assert count_run(seq, atom_hashes(["ค", "ข"])) == 0
    # only the first byte of each atom's code has its high bit set: no pattern can match across a code boundary
    words = [a for w in ("ทุนการศึกษา", "ประจำปีงบประมาณ", "2565", "covid-19", "ศธ", "04029") for a in atoms(w)]
    codes = atom_hashes(words)
    assert len(codes) == 4 * len(words)
    assert [i for i, b in enumerate(codes) if b & 0x80] == list(range(0, len(codes), 4))


def _old_layout_index(path: Path) -> None:
    """An index as the first version wrote it: another schema, no version file."""
    path.mkdir(parents=True)
    ix = whoosh_index.create_in(
        str(path), Schema(doc_id=ID(stored=True, unique=True), body=TEXT(phrase=True)), indexname=INDEX_NAME
    )
    w = ix.writer()
    w.add_document(doc_id="1", body="old")
    w.commit()
    ix.close()


def test_index_of_an_older_layout_is_detected_not_misread(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    _old_layout_index(path)
    ix = SearchIndex(path)
    assert ix.outdated
    with pytest.raises(SearchIndexOutdated, match="saraban reindex"):
        ix.search(SearchQuery(text="ทุน"), principals=["u"])
    with pytest.raises(SearchIndexOutdated):
        ix.upsert([IndexDoc(doc_id=2, subject="ทุน", principals=("u",))])
    assert ix.doc_ids() == {1}  # what `reindex --resume` reads still works
    ix.clear()  # what a full reindex starts with
    assert not ix.outdated and (path / VERSION_FILE).read_text().strip() == str(SCHEMA_VERSION)
    ix.upsert([IndexDoc(doc_id=2, subject="ทุน", principals=("u",))])
    assert [h.doc_id for h in ix.search(SearchQuery(text="ทุน"), principals=["u"]).hits] == [2]
    ix.close()
    # a version file with another number is outdated too
    (path / VERSION_FILE).write_text("1\n")
    assert SearchIndex(path).outdated


def test_an_outdated_index_rebuilt_elsewhere_is_picked_up(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    _old_layout_index(path)
    served = SearchIndex(path)  # the server's instance
    assert served.outdated
    rebuilder = SearchIndex(path)  # `saraban reindex` in another process
    rebuilder.clear()
    rebuilder.upsert([IndexDoc(doc_id=7, subject="ทุนการศึกษา", principals=("u",))])
    rebuilder.close()
    assert [h.doc_id for h in served.search(SearchQuery(text="ทุน"), principals=["u"]).hits] == [7]
    assert not served.outdated
    served.close()
