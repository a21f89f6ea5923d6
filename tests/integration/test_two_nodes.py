"""The deployed shape with two app nodes (README "Scale-out"): each `saraban serve` on its own data directory and
index, with its own index worker, sharing one PostgreSQL database and one S3 server (moto).

A letter registered on node A is found by search on node B within seconds, and a correction made on A reaches B's
index; a letter destroyed (the archive's whole cycle, run by a third app on the same database with its clock moved
to the destruction window, which a served process cannot take) disappears from both; a node started later on an
empty index rebuilds and catches up; node B's index worker killed outright (SIGKILL) in the middle of a stream of
registrations is restarted and resumes from its cursor with nothing lost, while node A goes on undisturbed.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.context import build
from service.indexing.replica import read_state
from tests.archive_kit import file_letters, use_clock
from tests.conftest import DatabaseTemplates, dispose, login, need, pg_available, pg_database_url
from tests.serveproc import SAR, ServeProcess, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.s3]

PASSWORD = "saraban-demo"
SOON = 20.0  # seconds: "within a few seconds" with room for a loaded 2-core machine


class Node(ServeProcess):
    """One app node: `saraban serve` (a server process and the supervised index worker) on its own data dir."""

    def __init__(self, name: str, root: Path, env: dict[str, str]) -> None:
        self.name = name
        self.data_dir = root / name
        self.data_dir.mkdir(parents=True)
        super().__init__(
            [str(SAR), "serve", "--workers", "1"],
            env={**env, "SARABAN_DATA_DIR": str(self.data_dir), "SARABAN_NODE_ID": name},
            cwd=self.data_dir,
            log=root / f"{name}.log",
        )
        self.base = self.url
        self.http: httpx.Client | None = None

    def ready(self) -> httpx.Client:
        self.healthy(timeout=300)
        r = httpx.post(f"{self.base}/api/v1/auth/token", data={"username": "central", "password": PASSWORD})
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        self.http = httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        return self.http

    def client(self) -> httpx.Client:
        assert self.http is not None
        return self.http

    def index_worker(self) -> psutil.Process | None:
        workers = [p for p in self.children() if p.cmdline()[-1:] == ["worker"]]
        assert len(workers) <= 1, workers
        return workers[0] if workers else None

    def search(self, q: str) -> dict[str, Any]:
        r = self.client().get("/api/v1/search", params={"q": q, "per_page": 100})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def found(self, q: str) -> set[int]:
        return {x["letter_id"] for x in self.search(q)["results"]}

    def applied(self) -> int:
        state = read_state(self.data_dir / "index")
        return state.applied if state is not None else 0

    def stop(self, *, timeout: float = 60) -> None:
        if self.http is not None:
            self.http.close()
        super().stop(timeout=timeout)


class Cluster:
    def __init__(self, root: Path, url: str, env: dict[str, str], settings: dict[str, Any]) -> None:
        self.root, self.url, self.env, self.settings = root, url, env, settings
        self.nodes: list[Node] = []

    def start(self, *names: str) -> list[Node]:
        """Start the nodes at once (each takes a while on a busy machine), then wait until each answers."""
        nodes = [Node(name, self.root, self.env) for name in names]
        self.nodes.extend(nodes)
        for node in nodes:
            node.ready()
        return nodes


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, database_templates: DatabaseTemplates, s3_server: dict[str, str]
) -> Iterator[Cluster]:
    need(pg_available(), "PostgreSQL not reachable")
    name = f"saraban_test_{uuid.uuid4().hex[:12]}"
    database_templates.clone_pg(name)  # migrated, with the demo office
    url = pg_database_url(name)
    bucket = f"saraban-{uuid.uuid4().hex[:16]}"
    settings = {
        "database_url": url,
        "store": "s3",
        "s3_endpoint": s3_server["endpoint"],
        "s3_access_key": s3_server["access_key"],
        "s3_secret_key": s3_server["secret_key"],
        "s3_bucket": bucket,
        "s3_secure": False,
        "ocr": "off",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("SARABAN_")}
    env |= {k: v for k, v in os.environ.items() if k.startswith(("SARABAN_PASSWORD", "SARABAN_AUDIT_KEY"))}
    env |= {f"SARABAN_{k.upper()}": str(v).lower() if isinstance(v, bool) else str(v) for k, v in settings.items()}
    env |= {"SARABAN_INDEX_GATHER_MS": "50", "SARABAN_DUPLICATE_CHECK": "false"}
    c = Cluster(tmp_path_factory.mktemp("nodes"), url, env, settings)
    try:
        c.start("node-a", "node-b")
        yield c
    finally:
        for node in c.nodes:
            node.stop()
        database_templates.drop_pg_later(name)


def _registry(node: Node) -> int:
    regs = node.client().get("/api/v1/registries").json()
    return int(next(r["id"] for r in regs if r["code"] == "central"))


def register(node: Node, subject: str, *, client: httpx.Client | None = None) -> dict[str, Any]:
    meta = {"letter_no": f"ศธ 0001/{uuid.uuid4().hex[:6]}", "letter_date": "2569-01-05", "sender": "สพฐ."}
    r = (client or node.client()).post(
        f"/api/v1/registries/{_registry(node)}/receive",
        files=[("meta", (None, json.dumps({**meta, "subject": subject})))],
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_a_letter_registered_on_a_is_found_on_b_and_a_correction_follows(cluster: Cluster) -> None:
    a, b = cluster.nodes[0], cluster.nodes[1]
    letter = register(a, "ขอเชิญประชุมคณะกรรมการกฐินสามัคคี")["letter_id"]
    started = time.monotonic()
    wait_for(lambda: letter in b.found("กฐิน"), timeout=SOON, what="the letter in node B's index")
    took = time.monotonic() - started
    wait_for(lambda: letter in a.found("กฐิน"), timeout=SOON, what="the letter in node A's index")  # its own worker
    body = b.search("กฐิน")
    assert set(body["index_lag"]) == {"entries", "seconds", "node"} and body["index_lag"]["node"] == "node-b"
    print(f"registered on A, found on B after {took:.1f} s")

    reg_id = a.client().get(f"/api/v1/letters/{letter}").json()["registrations"][0]["id"]
    r = a.client().patch(
        f"/api/v1/registrations/{reg_id}", json={"subject": "ขอเชิญประชุมคณะกรรมการลูกเสือ", "reason": "พิมพ์ผิด"}
    )
    assert r.status_code == 200, r.text
    wait_for(lambda: letter in b.found("ลูกเสือ") and letter not in b.found("กฐิน"), timeout=SOON, what="B re-indexed it")
    health = httpx.get(f"{b.base}/healthz").json()
    assert health["status"] == "ok" and health["index_lag"]["node"] == "node-b", health


def test_a_destroyed_letter_disappears_from_both_nodes(cluster: Cluster, tmp_path: Path) -> None:
    a, b = cluster.nodes[0], cluster.nodes[1]
    kept = register(a, "โครงการฝายชะลอน้ำ")["letter_id"]
    gone = register(a, "โครงการปลูกป่าชายเลน")["letter_id"]
    wait_for(lambda: {kept, gone} <= b.found("โครงการ"), timeout=SOON, what="both letters on B")

    office = build(
        Settings(data_dir=tmp_path / "office", index_mode="worker", _env_file=None, **cluster.settings),  # type: ignore[call-arg]
        with_indexer=False,
    )
    try:
        clock = use_clock(office, date(2026, 12, 1))
        with TestClient(create_app(office)) as client:

            def post(path: str, who: str = "records", **kw: Any) -> Any:
                r = client.post(f"/api/v1{path}", headers=login(client, who), **kw)
                assert r.status_code in (200, 201), r.text
                return r.json()

            r = file_letters(client, login(client, "records"), [gone], cls="routine", completed_on="2024-05-02")
            assert r.status_code == 201, r.text
            clock.set(date(2027, 1, 15))  # the destruction window: the routine item's time has come
            lst = post("/archive/destruction-lists")
            assert [i["letter_id"] for i in lst["items"]] == [gone]
            lid = lst["id"]
            committee = [
                {"name": "นายประธาน ตั้งมั่น", "position": "นักจัดการงานทั่วไป", "level": "ชำนาญการพิเศษ", "role": "chair"},
                {"name": "นางกรรมการ หนึ่ง", "position": "นักวิชาการศึกษา", "level": "ชำนาญการ", "role": "member"},
                {"name": "นายกรรมการ สอง", "position": "เจ้าพนักงานธุรการ", "level": "ชำนาญงาน", "role": "member"},
            ]
            post(f"/archive/destruction-lists/{lid}/committee", json={"members": committee})
            decisions = [{"item_id": i["item_id"], "decision": "destroy"} for i in lst["items"]]
            post(f"/archive/destruction-lists/{lid}/decisions", json={"decisions": decisions})
            post(f"/archive/destruction-lists/{lid}/approve", "director")
            clock.set(date(2027, 1, 20))
            post(f"/archive/destruction-lists/{lid}/archives-notified", json={"date": "2027-01-20", "answer": None})
            clock.set(date(2027, 3, 22))  # the National Archives' 60 days have passed
            done = post(f"/archive/destruction-lists/{lid}/execute", json={"method": "ลบไฟล์และย่อยเอกสาร"})
            assert done["destroyed"] == [gone]
    finally:
        dispose(office)
    wait_for(lambda: b.found("โครงการ") == {kept}, timeout=SOON, what="the destroyed letter gone from B")
    wait_for(lambda: a.found("โครงการ") == {kept}, timeout=SOON, what="the destroyed letter gone from A")


def test_a_node_started_empty_rebuilds_and_catches_up(cluster: Cluster) -> None:
    a = cluster.nodes[0]
    before = [register(a, f"รายงานผลการแข่งขันหมากรุก ครั้งที่ {i}")["letter_id"] for i in range(3)]
    [c] = cluster.start("node-c")
    try:
        wait_for(lambda: set(before) <= c.found("หมากรุก"), timeout=SOON, what="node C caught up")
        assert "rebuilding the search index" in c.output(), c.output()
        after = register(c, "รายงานผลการแข่งขันหมากรุก ครั้งที่ 4")["letter_id"]  # registered on C itself ...
        wait_for(lambda: after in a.found("หมากรุก"), timeout=SOON, what="C's letter on A")  # ... reaches A
        wait_for(lambda: after in c.found("หมากรุก"), timeout=SOON, what="C's letter on C")
    finally:
        c.stop()
        cluster.nodes.remove(c)


def test_killing_b_index_worker_mid_stream_loses_nothing(cluster: Cluster) -> None:
    a, b = cluster.nodes[0], cluster.nodes[1]
    worker = b.index_worker()
    a_worker = a.index_worker()
    assert worker is not None and a_worker is not None
    start = b.applied()
    token = a.client().headers["Authorization"]
    n_clients, each = 4, 40

    def burst(k: int) -> list[int]:
        with httpx.Client(base_url=a.base, headers={"Authorization": token}, timeout=60) as http:
            return [register(a, f"ขอความอนุเคราะห์ยืมครุภัณฑ์ ชุดที่ {k}-{i}", client=http)["letter_id"] for i in range(each)]

    with ThreadPoolExecutor(n_clients) as pool:
        running = [pool.submit(burst, k) for k in range(n_clients)]
        wait_for(lambda: b.applied() > start, timeout=SOON * 2, what="B's worker at work on the stream")
        at_kill = b.applied()
        os.kill(worker.pid, signal.SIGKILL)
        ids = {i for f in running for i in f.result()}
    assert len(ids) == n_clients * each
    restarted = wait_for(
        lambda: (w := b.index_worker()) is not None and w.pid != worker.pid and w, timeout=30, what="B's new worker"
    )
    assert isinstance(restarted, psutil.Process)

    def all_found(node: Node) -> bool:
        body = node.search("ครุภัณฑ์")
        return bool(body["total"] == len(ids))

    wait_for(lambda: all_found(b), timeout=SOON * 3, what="every letter on B after the restart")
    assert at_kill < b.applied(), "the worker was killed after it had caught up: not mid-stream"
    assert all_found(a)
    assert a.index_worker() is not None and a.index_worker().pid == a_worker.pid  # type: ignore[union-attr]
    assert "index worker exited with -9" in b.output()
    assert "index worker exited" not in a.output()
