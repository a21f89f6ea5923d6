"""Search through the service: OCR of scans, and an index that can be lost and rebuilt exactly."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from search.extract import ocr_available
from service.app import create_app
from service.context import Saraban
from tests.cli import run_saraban
from tests.conftest import MakeSaraban, login, need, registry_id
from tests.publicids import internal_id
from tests.samples import scanned_letter_pdf, thai_letter_pdf

TOPICS = ["ทุนการศึกษา", "การป้องกันการจมน้ำ", "การประเมินผล", "กองทุนเงินให้กู้ยืมเพื่อการศึกษา", "ลูกเสือ"]


def _receive(client: TestClient, h: dict[str, str], reg: int, meta: dict[str, str], pdf: bytes | None) -> int:
    files = [("files", ("a.pdf", pdf, "application/pdf"))] if pdf else None
    r = client.post(f"/api/v1/registries/{reg}/receive", headers=h, data={"meta": json.dumps(meta)}, files=files)
    assert r.status_code == 201, r.text
    return int(r.json()["letter_id"])


def _results(client: TestClient, h: dict[str, str], q: str) -> list[int]:
    body = client.get("/api/v1/search", params={"q": q, "per_page": 100}, headers=h).json()
    return sorted(r["letter_id"] for r in body["results"])


def test_scanned_letter_is_found_by_a_word_of_its_body(make_saraban: MakeSaraban) -> None:
    need(ocr_available(), "tesseract with the Thai model (tesseract-ocr-tha) is not installed")
    app = make_saraban(with_indexer=True)
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        scan = scanned_letter_pdf(text="โรงเรียนขอรายงานผลการฝึกอบรมว่ายน้ำเพื่อเอาชีวิตรอด")
        letter = _receive(
            client, h, registry_id(client, h, "central"), {"sender": "รร.บ้านหนองแวง", "subject": "รายงานผล"}, scan
        )
        assert app.indexer is not None and app.indexer.wait_idle(120)
        # Tesseract reads most words exactly; it may drop a tone mark above ำ (น้ำ → นํา), so test other words
        assert letter in _results(client, h, "ฝึกอบรม")
        assert letter in _results(client, h, "ชีวิต")
        status = client.get(f"/api/v1/letters/{letter}", headers=h).json()["index_status"]
        assert status.startswith("indexed")


def _reindex_cli(app: Saraban, *args: str) -> subprocess.CompletedProcess[str]:
    """`saraban reindex ARGS` on the app's data dir and database (in this process: tests/cli.py)."""
    env = {
        "SARABAN_DATA_DIR": str(app.settings.data_dir),
        "SARABAN_DATABASE_URL": app.settings.database_url,
        "SARABAN_OCR": "off",
    }
    return run_saraban(["reindex", *args], env=env, cwd=app.settings.data_dir)


def test_lost_index_is_rebuilt_with_the_same_results(make_saraban: MakeSaraban) -> None:
    app = make_saraban(with_indexer=True, ocr="off")
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        for i in range(12):
            topic = TOPICS[i % len(TOPICS)]
            _receive(
                client,
                h,
                reg,
                {"sender": "สพฐ.", "subject": f"เรื่อง{topic} ครั้งที่ {i}", "letter_no": f"ศธ ๐๔๐๐๖/{i + 1}"},
                thai_letter_pdf(extra_body=f"รายละเอียด{topic}") if i % 2 else None,
            )
        assert app.indexer is not None and app.indexer.wait_idle(60)
        queries = ["ทุน", "จมน้ำ", "ประเมิน", "ศธ04006/3", "ลูกเสือ", '"การป้องกันการจมน้ำ"']
        before = {q: _results(client, h, q) for q in queries}
        assert all(before.values()), before
        app.indexer.stop()  # the indexer dies and its index is lost ...
        shutil.rmtree(app.settings.index_path)
        late = _receive(
            client, h, reg, {"sender": "สพฐ.", "subject": "ทุนการศึกษาพระราชทาน"}, None
        )  # ... registering goes on
        app.engine.dispose()
        run = _reindex_cli(app)
        assert run.returncode == 0, run.stderr
        resumed = _reindex_cli(app, "--resume")
        assert resumed.returncode == 0 and "indexed 0 letter" in resumed.stdout
    rebuilt = make_saraban_index_client(app)
    for q in queries:
        # the API answered public ids; the index holds the internal keys
        expected = sorted(internal_id(app, i) for i in set(before[q]) | ({late} if q == "ทุน" else set()))
        assert rebuilt(q) == expected, q


def make_saraban_index_client(app: Saraban) -> Callable[[str], list[int]]:
    """Query the rebuilt index directly, as `central` would."""
    from sqlmodel import select

    from search import SearchIndex, SearchQuery
    from service.access.rule import actor_principals
    from service.auth.core import load_actor
    from service.models import User

    index = SearchIndex(Path(app.settings.index_path))
    with app.tx() as uow:
        user = uow.session.exec(select(User).where(User.username == "central")).one()
        principals = sorted(actor_principals(load_actor(uow.session, user)))

    def query(q: str) -> list[int]:
        return sorted(h.doc_id for h in index.search(SearchQuery(text=q, per_page=100), principals=principals).hits)

    return query


def test_worker_mode_indexes_what_servers_leave_pending(make_saraban: MakeSaraban) -> None:
    """SARABAN_INDEX_MODE=worker: servers only mark letters pending; `saraban worker` indexes them."""
    from search import SearchIndex
    from service.indexing.indexer import pending_letters, run_worker

    app = make_saraban(with_indexer=True, index_mode="worker", ocr="off")
    assert app.indexer is None
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        ids = [_receive(client, h, reg, {"sender": "สพฐ.", "subject": f"ทุนการศึกษา รอบที่ {i}"}, None) for i in range(3)]
        assert pending_letters(app) == [internal_id(app, i) for i in ids]  # the worker's queue holds keys
        index = SearchIndex(app.settings.index_path)
        assert run_worker(app, index, once=True) == 3
        index.close()
        assert pending_letters(app) == []
        assert _results(client, h, "ทุน") == sorted(ids)  # public ids: sorted, not in registration order


def test_index_of_an_older_layout_asks_for_reindex(make_saraban: MakeSaraban) -> None:
    """After an upgrade that changes the index layout the service answers 503 (run `saraban reindex`), indexes
    nothing into the old index, and `reindex --resume` rebuilds it completely."""
    from search import SCHEMA_VERSION
    from search.index import VERSION_FILE
    from service.indexing.indexer import reindex

    app = make_saraban(with_indexer=True, ocr="off")
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        first = _receive(client, h, reg, {"sender": "สพฐ.", "subject": "ทุนการศึกษา รอบที่ 1"}, None)
        assert app.indexer is not None and app.indexer.wait_idle(60)
        app.indexer.stop()
        (Path(app.settings.index_path) / VERSION_FILE).write_text("1\n")  # as the first version left it
        r = client.get("/api/v1/search", params={"q": "ทุน"}, headers=h)
        assert r.status_code == 503, r.text
        assert r.json()["code"] == "search_index_outdated" and "saraban reindex" in r.json()["detail"]
        second = _receive(client, h, reg, {"sender": "สพฐ.", "subject": "ทุนการศึกษา รอบที่ 2"}, None)
        assert app.indexer.wait_idle(60)
        assert reindex(app, app.search_index(), resume=True) == 2  # not "resumed": everything, new layout
        assert (Path(app.settings.index_path) / VERSION_FILE).read_text().strip() == str(SCHEMA_VERSION)
        assert _results(client, h, "ทุน") == sorted([first, second])  # public ids reveal no order


def test_indexing_holds_no_write_lock_and_loses_no_change(make_saraban: MakeSaraban, monkeypatch: Any) -> None:
    """Extraction and OCR take seconds: while a letter is being read for the index another thread can register
    (no write lock is held), and a letter routed meanwhile — back to ``pending`` — stays pending for the next
    round instead of being marked indexed with its old readers."""
    import threading

    from search import SearchIndex
    from service.indexing import indexer as indexing
    from service.indexing.indexer import index_letters, pending_letters
    from service.models import Letter

    app = make_saraban(with_indexer=True, index_mode="worker", ocr="off")
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        first, second = (_receive(client, h, reg, {"sender": "สพฐ.", "subject": f"ทุน {i}"}, None) for i in (1, 2))
        registered_meanwhile: list[int] = []
        real_build = indexing.build_docs

        def slow_build(session: Any, store: Any, letter_ids: list[int], *, ocr: bool) -> Any:
            if internal_id(app, first) in letter_ids:
                other = threading.Thread(
                    target=lambda: registered_meanwhile.append(
                        _receive(client, h, reg, {"sender": "สพฐ.", "subject": "ระหว่างทำดัชนี"}, None)
                    )
                )
                other.start()
                other.join(timeout=20)  # blocks (and the list stays empty) if indexing held the write lock
                with app.tx() as uow:  # what routing does to a letter: its readers changed, index it again
                    row = uow.session.get(Letter, internal_id(app, second))
                    assert row is not None
                    row.index_status = "pending"
                    uow.session.add(row)
            return real_build(session, store, letter_ids, ocr=ocr)

        monkeypatch.setattr(indexing, "build_docs", slow_build)
        index = SearchIndex(app.settings.index_path)
        try:
            assert index_letters(app, index, [internal_id(app, first), internal_id(app, second)]) == 2
        finally:
            index.close()
        assert len(registered_meanwhile) == 1
        assert pending_letters(app) == [internal_id(app, second), internal_id(app, registered_meanwhile[0])]
        assert client.get(f"/api/v1/letters/{first}", headers=h).json()["index_status"] == "indexed"
