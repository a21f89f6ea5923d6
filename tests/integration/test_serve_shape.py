"""``saraban serve`` as a newcomer starts it: server processes and the index worker, supervised.

A separate process on a free port and a temp data dir: a registered letter becomes searchable through the index
worker; the index worker killed outright is restarted (a new pid) and indexes the next letter; concurrent clients
spread over the server processes get gap-free numbers; the server stopped with SIGINT leaves no child process
behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import DatabaseTemplates
from tests.serveproc import SAR, ServeProcess, wait_for

PASSWORD = "saraban-demo"


class Serve(ServeProcess):
    def __init__(self, tmp: Path, data_dir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SARABAN_") or k.startswith("SARABAN_PASSWORD")}
        env |= {"SARABAN_DATA_DIR": str(data_dir), "SARABAN_OCR": "off", "SARABAN_INDEX_GATHER_MS": "50"}
        super().__init__([str(SAR), "serve", "--workers", "2"], env=env, cwd=tmp, log=tmp / "serve.log")
        self.base = self.url
        self.data_dir = data_dir

    def index_worker(self) -> psutil.Process | None:
        workers = [p for p in self.children() if p.cmdline()[-1:] == ["worker"]]
        assert len(workers) <= 1, workers
        return workers[0] if workers else None


@pytest.fixture
def served(tmp_path: Path, database_templates: DatabaseTemplates) -> Iterator[Serve]:
    data_dir = tmp_path / "var"
    database_templates.copy_sqlite(data_dir)  # migrated, with the demo office
    with Serve(tmp_path, data_dir) as s:
        yield s


def test_serve_supervises_servers_and_the_index_worker(served: Serve) -> None:
    served.healthy()
    # the supervisor says when every child is ready, not only the first server to answer
    wait_for(lambda: "ready: every process started" in served.output(), timeout=120, what="the ready line")
    servers = [p for p in served.children() if "service.serving" in p.cmdline()]
    assert len(servers) == 2, served.output()
    worker = served.index_worker()
    assert worker is not None, served.output()
    said = served.output()
    assert said.count("ready: every process started") == 1, said
    assert said.index("indexing worker started") < said.index("ready: every process started"), said

    # no proxy is trusted (SARABAN_TRUSTED_PROXIES unset): a forged X-Forwarded-For from this machine is not
    # believed by the server either (uvicorn's own rule would believe 127.0.0.1), so the audit has the peer
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    r = httpx.post(f"{served.base}/api/v1/auth/token", data={"username": "central", "password": "x"}, headers=forged)
    assert r.status_code == 401, r.text
    assert "server" not in r.headers  # uvicorn does not say it is uvicorn
    with contextlib.closing(sqlite3.connect(served.data_dir / "saraban.sqlite3")) as db:
        (ip,) = db.execute("SELECT ip FROM auditevent WHERE action = 'sign_in_failed' ORDER BY seq DESC").fetchone()
    assert ip == "127.0.0.1"
    r = httpx.post(f"{served.base}/api/v1/auth/token", data={"username": "central", "password": PASSWORD})
    assert r.status_code == 200, r.text
    http = httpx.Client(base_url=served.base, headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    reg = next(r["id"] for r in http.get("/api/v1/registries").json() if r["code"] == "central")

    def register(subject: str) -> None:  # each a letter of its own: the duplicate check is on, as served
        meta = {
            "letter_no": f"ศธ 0001/{len(subject)}{subject[-2:]}",
            "letter_date": "2569-01-05",
            "sender": "สพฐ.",
            "subject": subject,
        }
        resp = http.post(f"/api/v1/registries/{reg}/receive", files=[("meta", (None, json.dumps(meta)))])
        assert resp.status_code == 201, resp.text

    def found(word: str) -> bool:
        return bool(http.get("/api/v1/search", params={"q": word}).json()["total"] == 1)

    register("ขอเชิญประชุมคณะกรรมการกฐิน")
    wait_for(lambda: found("กฐิน"), timeout=60, what="the first letter in the index")

    os.kill(worker.pid, signal.SIGKILL)
    restarted = wait_for(
        lambda: (w := served.index_worker()) is not None and w.pid != worker.pid and w,
        timeout=30,
        what="a new index worker",
    )
    assert isinstance(restarted, psutil.Process)
    wait_for(lambda: f"index worker ready (pid {restarted.pid})" in served.output(), timeout=60, what="its ready line")
    register("ขอส่งรายงานผลการแข่งขันหมากรุก")
    wait_for(lambda: found("หมากรุก"), timeout=60, what="the second letter, indexed by the restarted worker")
    assert "index worker exited with -9" in served.output()

    # several server processes write: the numbers stay gap-free and unique (the write gate is a file lock)
    token = http.headers["Authorization"]

    def burst(n: int) -> list[int]:
        with httpx.Client(base_url=served.base, headers={"Authorization": token}, timeout=60) as c:
            got = []
            for i in range(10):
                meta = {
                    "letter_no": f"ศธ 0002/{n * 10 + i + 1}",
                    "letter_date": "2569-01-05",
                    "sender": "สพฐ.",
                    "subject": "ทดสอบ",
                }
                resp = c.post(f"/api/v1/registries/{reg}/receive", files=[("meta", (None, json.dumps(meta)))])
                assert resp.status_code == 201, resp.text
                got.append(resp.json()["registration"]["number"])
            return got

    with ThreadPoolExecutor(6) as pool:
        numbers = sorted(n for got in pool.map(burst, range(6)) for n in got)
    assert numbers == list(range(3, 63))

    pids = [served.proc.pid, *(p.pid for p in served.children())]
    served.proc.send_signal(signal.SIGINT)
    assert served.proc.wait(timeout=60) == 0, served.output()
    time.sleep(0.2)
    left = [pid for pid in pids[1:] if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert not left, f"children left running: {left}\n{served.output()}"
