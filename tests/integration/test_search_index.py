"""The search index on a real Whoosh directory (tmp_path)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from search import IndexDoc, SearchIndex, SearchQuery, SearchResult, parse_date_range

UTC = timezone.utc  # noqa: UP017
STAFF = ["auditor", "unit:1"]


def _docs() -> list[IndexDoc]:
    return [
        IndexDoc(
            doc_id=1,
            registrations=(("รับ", 2565, 101),),
            registry_ids=(1,),
            unit_ids=(10,),
            letter_no="ศธ ๐๔๐๒๙/๑๒๓",
            letter_date=date(2022, 1, 15),
            registered_at=datetime(2022, 1, 16, 3, 0, tzinfo=UTC),
            sender="สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต ๕",
            recipient="ผู้อำนวยการโรงเรียน",
            subject="ขอเชิญส่งนักเรียนรับทุนการศึกษา ประจำปีงบประมาณ ๒๕๖๕",
            summary="คัดเลือกนักเรียนยากจน",
            letter_type="external",
            urgency=1,
            secrecy=0,
            channel="e-office",
            instructions="มอบกลุ่มส่งเสริม",
            attachment_text="",
            has_attachment=False,
            principals=("unit:1",),
        ),
        IndexDoc(
            doc_id=2,
            registrations=(("รับ", 2565, 102),),
            registry_ids=(1,),
            unit_ids=(10,),
            letter_no="ศธ 04029/200",
            letter_date=date(2022, 3, 31),
            sender="สพฐ.",
            recipient="สพป.ขอนแก่น เขต ๕",
            subject="การดำเนินงานประเมินผลการบริหารจัดการศึกษา",
            summary="การประเมินผล <ด่วน>",
            letter_type="external",
            urgency=2,
            channel="paper",
            attachment_text="แบบรายงาน ใบสำคัญรับเงิน จำนวน ๒ ฉบับ",
            has_attachment=True,
            principals=("unit:1",),
        ),
        IndexDoc(
            doc_id=3,
            registrations=(("ส่ง", 2565, 7),),
            registry_ids=(2,),
            unit_ids=(11,),
            letter_no="ศธ 04045/9",
            letter_date=date(2022, 6, 1),
            sender="โรงเรียนบ้านหนองแดง",
            subject="รายงานมาตรการการป้องกันการจมน้ำในเด็กนักเรียน",
            summary="ช่วงปิดภาคเรียน",
            letter_type="internal",
            channel="e-office",
            principals=("unit:2",),
        ),
        IndexDoc(
            doc_id=4,
            registry_ids=(9,),
            unit_ids=(10,),
            letter_no="ศธ 04029/777",
            letter_date=date(2022, 2, 1),
            subject="ลับ ทุนการศึกษาผู้ประสบภัย",
            summary="ข้อมูลลับ",
            secrecy=3,
            letter_type="external",
            attachment_text="ใบสำคัญรับเงิน",
            has_attachment=True,
            principals=("secret:3:1",),
        ),
    ]


@pytest.fixture
def ix(tmp_path: Path) -> SearchIndex:
    index = SearchIndex(tmp_path / "ix")
    index.upsert(_docs())
    return index


def ids(ix: SearchIndex, principals: list[str] = STAFF, **kw: object) -> list[int]:
    return [h.doc_id for h in ix.search(SearchQuery(**kw), principals=principals).hits]  # type: ignore[arg-type]


def test_word_compound_phrase(ix: SearchIndex) -> None:
    assert ids(ix, text="ทุนการศึกษา") == [1]
    assert ids(ix, text="ทุน") == [1]  # inside ทุนการศึกษา
    assert ids(ix, text="ประเมิน") == [2]  # inside การประเมินผล / ประเมินผล
    assert set(ids(ix, text="ศึกษา")) == {1, 2}
    assert set(ids(ix, ["unit:2"], text="นักเรียน")) == {3}
    assert ids(ix, ["unit:2"], text='"ป้องกันการจมน้ำ"') == [3]
    assert ids(ix, ["unit:2"], text="ป้องกันการจมน้ำ") == [3]
    assert ids(ix, text='"ทุนการศึกษา ประจำปี"') == [1]
    assert ids(ix, text='"ประจำปี ทุนการศึกษา"') == []  # order matters in a phrase


def test_letter_numbers_in_any_form(ix: SearchIndex) -> None:
    for typed in ("ศธ ๐๔๐๒๙/๑๒๓", "ศธ04029/123", "ศธ 04029/123", "ที่ ศธ ๐๔๐๒๙/๑๒๓"):
        assert ids(ix, text=typed) == [1], typed
    assert set(ids(ix, text="ศธ 04029")) == {1, 2}  # everything from ศธ 04029 that the caller may see
    assert set(ids(ix, text="ศธ ๐๔๐๒๙")) == {1, 2}


def test_filters_dates_sort_pagination(ix: SearchIndex) -> None:
    lo, hi = parse_date_range("๑/๑/๒๕๖๕-31/3/2565")
    assert (lo, hi) == (date(2022, 1, 1), date(2022, 3, 31))
    assert parse_date_range("2022-01-01..2022-03-31") == (lo, hi)
    assert set(ids(ix, ["unit:1", "unit:2"], date_from=lo, date_to=hi)) == {1, 2}
    assert ids(ix, ["unit:1", "unit:2"], date_from=lo, date_to=hi, sort="date_asc") == [1, 2]
    assert ids(ix, ["unit:1", "unit:2"], sort="date_desc") == [3, 2, 1]
    assert ids(ix, ["unit:1", "unit:2"], registry_ids=(2,)) == [3]
    assert ids(ix, ["unit:1", "unit:2"], unit_ids=(10,), urgency=2) == [2]
    assert ids(ix, ["unit:1", "unit:2"], has_attachment=True) == [2]
    assert ids(ix, ["unit:1", "unit:2"], letter_type="internal", channel="e-office") == [3]
    p1 = ids(ix, ["unit:1", "unit:2"], sort="date_desc", per_page=2, page=1)
    p2 = ids(ix, ["unit:1", "unit:2"], sort="date_desc", per_page=2, page=2)
    assert p1 == [3, 2] and p2 == [1]
    r = ix.search(SearchQuery(sort="date_desc", per_page=2, page=2), principals=["unit:1", "unit:2"])
    assert r.total == 3


def test_snippets(ix: SearchIndex) -> None:
    hit = ix.search(SearchQuery(text="ทุน"), principals=STAFF).hits[0]
    assert "<mark>ทุน</mark>" in hit.snippet
    hit = ix.search(SearchQuery(text="ประเมิน"), principals=STAFF).hits[0]
    assert "<mark>ประเมิน</mark>" in hit.snippet
    hit = ix.search(SearchQuery(text="ด่วน"), principals=STAFF).hits[0]
    assert hit.snippet.startswith("การประเมินผล &lt;<mark>ด่วน</mark>")  # everything else escaped
    # attachment-only word: found, snippet from the attachment text
    r = ix.search(SearchQuery(text="ใบสำคัญรับเงิน"), principals=STAFF)
    assert [h.doc_id for h in r.hits] == [2]
    assert "<mark>ใบสำคัญรับเงิน</mark>" in r.hits[0].snippet
    # no text query → start of subject
    r = ix.search(SearchQuery(registry_ids=(1,)), principals=STAFF)
    assert all("<mark>" not in h.snippet and h.snippet for h in r.hits)


def test_access_secret_letter_never_leaks(ix: SearchIndex) -> None:
    for text in ("ทุน", "ใบสำคัญรับเงิน", "ลับ", "ศธ 04029/777", "ศธ 04029", ""):
        r = ix.search(SearchQuery(text=text, per_page=100), principals=["auditor", "unit:1"])
        assert 4 not in [h.doc_id for h in r.hits], text
        assert all("ผู้ประสบภัย" not in h.snippet for h in r.hits)
    assert ix.search(SearchQuery(text="ลับ"), principals=["auditor", "unit:1"]).total == 0
    assert ix.search(SearchQuery(text="ใบสำคัญรับเงิน"), principals=["auditor", "unit:1"]).total == 1
    assert ix.search(SearchQuery(), principals=["auditor", "unit:1"]).total == 2
    r = ix.search(SearchQuery(text="ทุน"), principals=["secret:3:1"])
    assert [h.doc_id for h in r.hits] == [4] and r.total == 1 and "<mark>ทุน</mark>" in r.hits[0].snippet
    assert ix.search(SearchQuery(text="ทุน"), principals=[]).total == 0


def test_delete_upsert_and_reindex(ix: SearchIndex, tmp_path: Path) -> None:
    assert ix.doc_ids() == {1, 2, 3, 4}
    ix.delete([1])
    assert ids(ix, text="ทุน") == []
    assert ix.doc_ids() == {2, 3, 4}
    changed = IndexDoc(doc_id=2, letter_no="ศธ 04029/200", subject="เปลี่ยนเรื่องเป็นกองทุน", principals=("unit:1",))
    ix.upsert([changed])
    assert ids(ix, text="ทุน") == [2]
    assert ids(ix, text="ประเมิน") == []
    assert ix.doc_ids() == {2, 3, 4}

    queries = [SearchQuery(text=t) for t in ("ทุน", "ศึกษา", "ศธ 04029", '"ป้องกันการจมน้ำ"', "")]
    who = ["unit:1", "unit:2", "secret:3:1"]
    before = [ix.search(q, principals=who) for q in queries]
    ix.clear()
    assert ix.doc_ids() == set()
    docs = {d.doc_id: d for d in _docs()}
    docs.pop(1)
    docs[2] = changed
    ix.upsert(list(docs.values()))
    after = [ix.search(q, principals=who) for q in queries]

    def view(results: list[SearchResult]) -> list[tuple[int, list[tuple[int, str]]]]:
        return [(r.total, [(h.doc_id, h.snippet) for h in r.hits]) for r in results]

    # same hits, order, totals and snippets (scores differ: BM25 statistics still count deleted documents)
    assert view(before) == view(after)
    fresh = SearchIndex(tmp_path / "fresh")
    fresh.upsert(list(docs.values()))
    assert [fresh.search(q, principals=who) for q in queries] == after  # rebuilt from scratch: identical
    fresh.close()
    ix.close()


def test_bad_date_range() -> None:
    with pytest.raises(ValueError):
        parse_date_range("31/31/2565-1/1/2565")
    assert parse_date_range("") == (None, None)


def test_deferred_merges_leave_segments_until_merge_small(tmp_path: Path) -> None:
    """The index worker commits rounds without merging while letters keep coming, and merges when idle; the
    answers are the same throughout, and the number of unmerged segments is capped."""
    from search.index import MAX_UNMERGED_SEGMENTS

    index = SearchIndex(tmp_path / "ix")
    docs = _docs()
    queries = [SearchQuery(text=t) for t in ("ทุน", "ศึกษา", "ศธ 04029", '"ป้องกันการจมน้ำ"', "")]
    who = ["unit:1", "unit:2", "secret:3:1"]
    for doc in docs:  # one round each
        index.upsert([doc], defer_merge=True)
    assert index.segment_count() == len(docs)
    unmerged = [index.search(q, principals=who) for q in queries]
    for round_ in range(2 * MAX_UNMERGED_SEGMENTS):  # a long stream: rounds replacing the same letters
        index.upsert([docs[round_ % len(docs)]], defer_merge=True)
        assert index.segment_count() <= MAX_UNMERGED_SEGMENTS + 1
    index.merge_small()
    assert index.segment_count() < MAX_UNMERGED_SEGMENTS
    merged = [index.search(q, principals=who) for q in queries]
    assert [(r.total, [h.doc_id for h in r.hits]) for r in merged] == [
        (r.total, [h.doc_id for h in r.hits]) for r in unmerged
    ]
    index.close()


def test_a_replaced_batch_never_doubles_across_segments_nor_when_replayed(tmp_path: Path) -> None:
    """``upsert`` deletes the batch's committed ids itself (one pass over the segments): ids spread over several
    segments are replaced once, a batch naming an id twice keeps the last, and replaying a committed batch (a crash
    before the cursor was written) replaces again instead of adding."""
    index = SearchIndex(tmp_path / "ix")
    docs = _docs()
    for doc in docs:  # one segment each
        index.upsert([doc], defer_merge=True)
    assert index.segment_count() == len(docs)
    renamed = [IndexDoc(doc_id=d.doc_id, subject=f"เรื่องลูกเสือ {d.doc_id}", principals=("unit:1",)) for d in docs[:3]]
    batch = [IndexDoc(doc_id=1, subject="ร่างแรก", principals=("unit:1",)), *renamed]
    for _ in range(2):  # the second time: a replay
        index.upsert(batch, defer_merge=True)
        assert index.doc_count() == len(docs)
        assert sorted(ids(index, text="ลูกเสือ")) == [1, 2, 3]
        assert ids(index, text="ร่าง") == []
        assert ids(index, text="ทุน") == []  # letter 1's old text is gone
    index.delete([99])  # nothing to delete: no new generation
    assert index.doc_count() == len(docs)
    index.close()


@pytest.mark.parametrize("procs", [1, 2])
def test_load_replaces_what_is_there_in_one_commit(tmp_path: Path, procs: int) -> None:
    """A rebuild's chunk (``load``): batches through one writer, ``procs`` indexing processes; ids already in the
    index (written meanwhile by another writer) are replaced, not doubled; the answers equal an upsert's."""
    docs = _docs()
    index = SearchIndex(tmp_path / "ix")
    index.upsert(docs[:2])
    added = index.load([docs[:3], docs[3:]], procs=procs)
    assert added == len(docs)
    assert index.doc_count() == len(docs) and index.doc_ids() == {d.doc_id for d in docs}
    reference = SearchIndex(tmp_path / "ref")
    reference.upsert(docs)
    who = ["unit:1", "unit:2", "secret:3:1"]
    for text in ("ทุน", "ศึกษา", "ศธ 04029", '"ป้องกันการจมน้ำ"', ""):
        got, want = (
            index.search(SearchQuery(text=text), principals=who),
            reference.search(SearchQuery(text=text), principals=who),
        )
        assert (got.total, sorted(h.doc_id for h in got.hits)) == (want.total, sorted(h.doc_id for h in want.hits))
    index.close()
    reference.close()


def test_big_segments_are_never_merged_by_the_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild's chunks are big segments: the worker's commits and ``merge_small`` merge only the small ones
    (Whoosh's MERGE_SMALL, given a few big segments and a small one, rewrites them all in Python inside one
    commit)."""
    import search.index as search_index

    monkeypatch.setattr(search_index, "BIG_SEGMENT", 3)
    docs = _docs()
    index = SearchIndex(tmp_path / "ix")
    for _ in range(6):  # six chunks of three documents (each replaces the last: deletions, still big segments)
        index.load([docs[:3]])

    def segment_ids() -> set[str]:
        with index._ix.reader() as r:
            return {leaf.segment().segment_id() for leaf, _ in r.leaf_readers()}

    big = segment_ids()
    assert len(big) == 6
    rounds = search_index.MAX_UNMERGED_SEGMENTS + 2
    index.upsert([docs[3]])  # a commit that merges
    for round_ in range(rounds):
        index.upsert([IndexDoc(doc_id=100 + round_, subject="ลูกเสือ", principals=("unit:1",))], defer_merge=True)
    index.merge_small()
    after = segment_ids()
    assert big <= after  # the big ones kept as they were
    assert len(after - big) < rounds  # the small ones merged
    assert len(ids(index, text="ลูกเสือ", per_page=100)) == rounds
    assert index.doc_count() == len(docs) + rounds
    index.close()


def test_tier_plan_merges_one_full_tier_within_the_cap() -> None:
    from search.index import plan_tier_merge

    big = 10
    assert plan_tier_merge([5, 9, 3], big=big, width=4, cap=10**6) == []  # small ones are not its business
    assert plan_tier_merge([10, 12, 11], big=big, width=4, cap=10**6) == []  # a tier not yet full
    # four of tier 0 (10..39) and one of tier 1: the four merge, the smallest four when there are more
    assert plan_tier_merge([10, 45, 12, 11, 13], big=big, width=4, cap=10**6) == [0, 2, 3, 4]
    assert plan_tier_merge([14, 10, 12, 11, 13, 39], big=big, width=4, cap=10**6) == [1, 2, 3, 4]
    assert plan_tier_merge([10, 12, 11, 13], big=big, width=4, cap=45) == []  # 46 documents: over the cap
    # the lowest full tier first; a higher one when the lower is not full
    assert plan_tier_merge([40, 41, 42, 43, 10], big=big, width=4, cap=10**6) == [0, 1, 2, 3]


def test_idle_merge_folds_a_full_tier_of_big_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Big segments (a rebuild's chunks, or what the worker's merges grew to) are merged TIER_WIDTH at a time when
    the writer is idle, so their number grows with the logarithm of the index; results stay the same."""
    import search.index as search_index

    monkeypatch.setattr(search_index, "BIG_SEGMENT", 3)
    monkeypatch.setattr(search_index, "TIER_WIDTH", 4)
    monkeypatch.setattr(search_index, "MAX_IDLE_MERGE", 1000)
    index = SearchIndex(tmp_path / "ix")
    for chunk in range(5):  # five big segments of three letters each
        index.load(
            [[IndexDoc(doc_id=chunk * 3 + k, subject=f"ลูกเสือ เรื่อง {chunk}", principals=("unit:1",)) for k in range(3)]]
        )
    assert index.segment_count() == 5
    before = ids(index, text="ลูกเสือ", per_page=100)
    index.merge_small()
    assert index.segment_count() == 2  # four merged into one, the fifth kept
    assert sorted(ids(index, text="ลูกเสือ", per_page=100)) == sorted(before) == list(range(15))
    assert index.doc_count() == 15
    index.merge_small()  # tiers not full (one of 12, one of 3): nothing more
    assert index.segment_count() == 2
    index.close()
