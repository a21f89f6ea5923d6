"""Issue 10, finding 1: lock-out on PostgreSQL with several server processes.

40 parallel wrong passwords for one user against a real server with 2 uvicorn worker processes (what ``saraban
serve --workers 2`` runs) on PostgreSQL: exactly the
configured number answer ``bad_credentials``, every other one ``account_locked`` (on main all 40 answered
``bad_credentials`` and the counter lost updates).
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from service.models import User
from tests.conftest import MakeSaraban
from tests.serveproc import ServeProcess

pytestmark = pytest.mark.postgres

MAX_FAILURES = 5


def test_forty_parallel_wrong_passwords_lock_after_exactly_the_limit(
    make_saraban: MakeSaraban, pg_url: str, tmp_path: Path
) -> None:
    app = make_saraban(pg_url)  # the demo office, copied into this test's database
    env = {
        **os.environ,
        "SARABAN_DATABASE_URL": pg_url,
        "SARABAN_DATA_DIR": str(tmp_path / "served"),
        "SARABAN_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
        "SARABAN_INDEX_MODE": "worker",
        "SARABAN_OCR": "off",
    }
    # what `saraban serve --workers 2` runs, without the CLI's own start-up (the database is migrated already)
    uvicorn = [sys.executable, "-m", "uvicorn", "--factory", "service.app:app_from_env", "--workers", "2"]
    uvicorn += ["--host", "127.0.0.1", "--log-level", "warning", "--timeout-worker-healthcheck", "120"]
    uvicorn += ["--no-proxy-headers", "--no-server-header"]  # service.serving.UVICORN_OPTIONS
    with ServeProcess(uvicorn, env=env, cwd=tmp_path, log=tmp_path / "server.log") as server:
        url = server.healthy().url

        def attempt(i: int) -> str:
            r = httpx.post(
                f"{url}/api/v1/auth/token", data={"username": "officer", "password": f"wrong-{i}"}, timeout=60
            )
            assert r.status_code == 401, r.text
            return str(r.json()["code"])

        with ThreadPoolExecutor(40) as pool:
            answers = Counter(pool.map(attempt, range(40)))
        assert answers == {"bad_credentials": MAX_FAILURES, "account_locked": 40 - MAX_FAILURES}, answers
        with app.tx() as uow:
            user = uow.session.exec(select(User).where(User.username == "officer")).one()
            assert user.locked_until is not None
        # and the right password is refused too while the lock holds
        r = httpx.post(f"{url}/api/v1/auth/token", data={"username": "officer", "password": "saraban-demo"})
        assert r.json()["code"] == "account_locked"
