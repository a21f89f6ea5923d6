"""Following the index change log (``service.indexing.replica``) on PostgreSQL and SQLite.

PostgreSQL hands out log ids in one order and may commit them in another: an id taken by a transaction still open
is a gap the follower asks for again until it commits (then it is indexed) or the grace passes (then it was rolled
back). The cursor file is replaced atomically and read back; trimming keeps what the slowest live node needs;
a node whose registration expired is told so.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from service.context import Saraban
from service.indexing.changes import RECEIVE, log_head, record_change
from service.indexing.replica import (
    Follower,
    ReplicaState,
    heartbeat,
    read_state,
    trim_log,
    upsert_node,
    write_state,
)
from service.models import IndexChange, IndexNode
from tests.conftest import MakeSaraban

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


class Recorder:
    """The index side of a step: the letters each round was asked to index."""

    def __init__(self) -> None:
        self.rounds: list[list[int]] = []

    def __call__(self, ids: list[int]) -> int:
        self.rounds.append(ids)
        return len(ids)


def _sessions(app: Saraban) -> contextlib.AbstractContextManager[Session]:
    @contextlib.contextmanager
    def session() -> Iterator[Session]:
        with app.tx(readonly=True) as uow:
            yield uow.session

    return session()


def test_a_lower_id_committed_after_a_higher_one_is_not_lost(make_saraban: MakeSaraban, any_db: str) -> None:
    app = make_saraban(any_db)
    follower = Follower(ReplicaState(node_id="t"), Path(app.settings.data_dir) / "index", grace=30)
    seen = Recorder()
    if app.engine.dialect.name == "postgresql":
        # transaction 1 takes an id and stays open while transaction 2 takes the next and commits
        with app.engine.connect() as slow:
            tx = slow.begin()
            slow.execute(IndexChange.__table__.insert().values(letter_id=101, reason=RECEIVE))  # type: ignore[attr-defined]
            with app.tx() as uow:
                record_change(uow.session, [102], RECEIVE)
            assert follower.step(lambda: _sessions(app), seen) == (1, 1)
            assert seen.rounds == [[102]]
            head = follower.state.applied
            assert follower.state.gaps == [head - 1] and follower.state.cursor == head - 2
            tx.commit()
        follower.step(lambda: _sessions(app), seen)
        assert seen.rounds[-1] == [101]  # asked for again, found, indexed
        assert follower.state.gaps == [] and follower.state.cursor == follower.state.applied == head
    else:  # SQLite has one writer: commit order is id order
        with app.tx() as uow:
            record_change(uow.session, [101, 102], RECEIVE)
        follower.step(lambda: _sessions(app), seen)
        assert seen.rounds == [[101, 102]] and follower.state.cursor == follower.state.applied
    saved = read_state(follower.index_path)
    assert saved is not None and saved.cursor == follower.state.cursor and saved.applied == follower.state.applied


def test_a_rolled_back_id_is_given_up_after_the_grace(make_saraban: MakeSaraban, pg_url: str) -> None:
    app = make_saraban(pg_url)
    follower = Follower(ReplicaState(node_id="t"), Path(app.settings.data_dir) / "index", grace=0.3)
    seen = Recorder()
    with app.engine.connect() as slow:
        tx = slow.begin()
        slow.execute(IndexChange.__table__.insert().values(letter_id=201, reason=RECEIVE))  # type: ignore[attr-defined]
        with app.tx() as uow:
            record_change(uow.session, [202], RECEIVE)
        tx.rollback()
    follower.step(lambda: _sessions(app), seen)
    assert len(follower.state.gaps) == 1 and follower.state.cursor < follower.state.applied
    time.sleep(0.5)
    follower.step(lambda: _sessions(app), seen)
    assert seen.rounds == [[202]]
    assert follower.state.gaps == [] and follower.state.cursor == follower.state.applied


def test_the_log_is_trimmed_only_below_the_slowest_live_cursor(make_saraban: MakeSaraban, tmp_path: Path) -> None:
    app = make_saraban()
    with app.tx() as uow:
        record_change(uow.session, range(1, 11), RECEIVE)
    with app.tx() as uow:
        head = log_head(uow.session)
        upsert_node(uow.session, ReplicaState(node_id="fast", cursor=head, applied=head), tmp_path)
        upsert_node(uow.session, ReplicaState(node_id="slow", cursor=head - 6, applied=head - 6), tmp_path)
        uow.session.connection().execute(IndexChange.__table__.update().values(at=LONG_AGO))  # type: ignore[attr-defined]
    with app.tx() as uow:
        assert trim_log(uow.session, expire_seconds=3600) == 4
        left = uow.session.exec(select(IndexChange.id)).all()
    assert min(i for i in left if i is not None) == head - 5
    with app.tx() as uow:  # the slow node falls silent: it expires, and the log goes up to the fast one
        uow.session.connection().execute(
            IndexNode.__table__.update().where(IndexNode.__table__.c.node_id == "slow").values(heartbeat=LONG_AGO)  # type: ignore[attr-defined]
        )
    with app.tx() as uow:
        assert trim_log(uow.session, expire_seconds=3600) == 6
        assert uow.session.get(IndexNode, "slow") is None
        assert not heartbeat(uow.session, ReplicaState(node_id="slow"))  # told: it must rebuild
        assert heartbeat(uow.session, ReplicaState(node_id="fast", cursor=head, applied=head))


def test_the_cursor_file_is_replaced_whole(tmp_path: Path) -> None:
    state = ReplicaState(node_id="n", cursor=5, applied=9, gaps=[6, 8])
    write_state(tmp_path, state)
    assert read_state(tmp_path) == state
    (tmp_path / "replica.json").write_text("{not json")
    assert read_state(tmp_path) is None
    assert [p.name for p in tmp_path.iterdir()] == ["replica.json"]  # no temporary file left behind


def test_reindex_notes_the_log_position_before_it_reads(make_saraban: MakeSaraban) -> None:
    from search import SearchIndex
    from service.indexing.indexer import reindex

    app = make_saraban(ocr="off")
    with app.tx() as uow:
        record_change(uow.session, [1, 2, 3], RECEIVE)
        head = log_head(uow.session)
    index = SearchIndex(app.settings.index_path)
    try:
        reindex(app, index, resume=False)
    finally:
        index.close()
    state = read_state(app.settings.index_path)
    assert state is not None and not state.rebuilding
    assert state.applied == head and state.cursor == head
    with app.tx() as uow:
        node = uow.session.get(IndexNode, state.node_id)
        assert node is not None and node.cursor == head


def test_an_interrupted_chunked_rebuild_resumes_without_doubling(make_saraban: MakeSaraban) -> None:
    """A rebuild commits chunk by chunk (one writer each, two indexing processes); killed in the second chunk it
    keeps the first, and ``resume`` adds the rest: every letter once, statuses recorded, the log followed from
    the position noted before the first read."""
    import json

    import pytest
    from fastapi.testclient import TestClient

    from search import SearchIndex
    from service.app import create_app
    from service.indexing.indexer import Replica, next_batch
    from service.models import Letter
    from tests.conftest import login, registry_id

    app = make_saraban(ocr="off")
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        for i in range(7):
            meta = {"sender": "สพฐ.", "subject": f"ทุนการศึกษา ครั้งที่ {i}", "letter_no": f"ศธ ๐๔๐๐๖/{i + 1}"}
            r = client.post(f"/api/v1/registries/{reg}/receive", headers=h, data={"meta": json.dumps(meta)})
            assert r.status_code == 201, r.text
    with app.tx() as uow:
        head = log_head(uow.session)
        letter_ids = sorted(i for i in uow.session.exec(select(Letter.id)) if i is not None)
    index = SearchIndex(app.settings.index_path)
    calls = []

    def dies_in_the_second_chunk(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            Replica(app, index).rebuild(resume=False, batch=3, procs=2, progress=dies_in_the_second_chunk)
        assert index.doc_ids() == set(letter_ids[:3])
        state = read_state(app.settings.index_path)
        assert state is not None and state.rebuilding
        assert Replica(app, index).rebuild(resume=True, batch=3, procs=2) == len(letter_ids) - 3
        assert index.doc_count() == len(letter_ids) and index.doc_ids() == set(letter_ids)
    finally:
        index.close()
    state = read_state(app.settings.index_path)
    assert state is not None and not state.rebuilding and state.applied == head
    with app.tx() as uow:
        statuses = {s for s in uow.session.exec(select(Letter.index_status))}
    assert statuses == {"indexed"}
    # the worker's rounds grow while they come back full and fall back once one does not
    assert [next_batch(200, 200), next_batch(800, 800), next_batch(2000, 2000), next_batch(2000, 5)] == [
        800, 2000, 2000, 200
    ]  # fmt: skip
