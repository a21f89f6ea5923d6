"""``search.whoosh_layout.ViewFile``: Whoosh reads a segment's sub-files through it instead of a copy in a
``BytesIO``; it must read exactly as the ``BytesIO`` would."""

from __future__ import annotations

import pickle
from io import BytesIO
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from search import IndexDoc, SearchIndex, SearchQuery
from search.whoosh_layout import ViewFile

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(-1, 40)),
        st.tuples(st.just("readline"), st.integers(-1, 40)),
        st.tuples(st.just("readinto"), st.integers(0, 40)),
        st.tuples(st.just("seek"), st.integers(0, 60), st.integers(0, 2)),
        st.tuples(st.just("tell")),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=50).map(lambda b: b.replace(b"\x00", b"\n")), ops=OPS)
def test_reads_as_bytesio_reads(data: bytes, ops: list[tuple]) -> None:  # type: ignore[type-arg]
    view, copy = ViewFile(memoryview(data)), BytesIO(data)
    for op in ops:
        name = op[0]
        if name == "seek":
            offset = op[1] - (60 if op[2] else 0) // 2  # relative seeks go both ways (never below 0)
            base = (0, copy.tell(), len(data))[op[2]]
            if base + offset < 0:
                continue
            assert view.seek(offset, op[2]) == copy.seek(offset, op[2])
        elif name == "readinto":
            a, b = bytearray(op[1]), bytearray(op[1])
            assert view.readinto(a) == copy.readinto(b) and a == b
        elif name == "tell":
            assert view.tell() == copy.tell()
        else:
            assert getattr(view, name)(op[1]) == getattr(copy, name)(op[1])
        assert view.tell() == copy.tell()
    assert list(ViewFile(memoryview(data))) == list(BytesIO(data))


def test_pickles_load_from_it() -> None:
    data = pickle.dumps({"a": [1, 2, 3]}, protocol=2) + pickle.dumps("ข", protocol=0)
    f = ViewFile(memoryview(data))
    assert pickle.load(f) == {"a": [1, 2, 3]}
    assert pickle.load(f) == "ข"


def test_an_opened_index_reads_its_segments_in_place(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "ix")
    ix.upsert([IndexDoc(doc_id=i, subject=f"ทุนการศึกษา ปี {i}", principals=("u",)) for i in range(1, 40)])
    assert ix.search(SearchQuery(text="ทุนการศึกษา"), principals=["u"]).total == 39
    view = ix._get_view()
    files = [r._terms._dbfile.file for r, _ in view.searcher.reader().leaf_readers()]  # the terms sub-file
    assert files and all(isinstance(f, ViewFile) for f in files)
    ix.close()
