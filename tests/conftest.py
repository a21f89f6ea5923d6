"""Shared fixtures: real SQLite and PostgreSQL databases with migrations applied, the demo office, a live server.

A test that needs a server the machine lacks skips with the reason; under CI (CI=true) it fails instead,
because CI provides every such server.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
# Passwords are hashed at argon2's minimum cost in the tests (and in every `saraban` they start): the suite tests
# who may do what, not how slow a hash is, and production keeps argon2-cffi's defaults (README, Configuration).
# Set at import, before any Settings is read: the demo office is seeded at this cost, so no sign-in re-hashes.
os.environ.setdefault("SARABAN_PASSWORD_TIME_COST", "1")
os.environ.setdefault("SARABAN_PASSWORD_MEMORY_KIB", "8")
os.environ.setdefault("SARABAN_PASSWORD_PARALLELISM", "1")

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service.app import create_app
from service.config import Settings
from service.context import Saraban, build
from service.demo import DEMO_PASSWORD, seed_demo
from service.migrate import upgrade

pytest_plugins = ["tests.s3server"]

PG_ADMIN_URL = os.environ.get("SARABAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def need(condition: bool, reason: str) -> None:  # noqa: FBT001 (reads like assert)
    """Skip locally, fail under CI: CI must run every kind of test."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide this: {reason}")
        pytest.skip(reason)


@pytest.fixture
def poppler() -> None:
    """pdftotext and pdftoppm (poppler-utils), which read our PDFs back as a viewer would."""
    need(
        shutil.which("pdftotext") is not None and shutil.which("pdftoppm") is not None,
        "pdftotext/pdftoppm (poppler-utils) are not installed",
    )


needs_poppler = pytest.mark.usefixtures("poppler")


def pg_available() -> bool:
    try:
        with create_engine(PG_ADMIN_URL).connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    need(pg_available(), f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name = f"saraban_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


MakeSaraban = Callable[..., Saraban]


@pytest.fixture
def make_saraban(tmp_path: Path) -> Iterator[MakeSaraban]:
    """Build a Saraban on a migrated database with the demo office seeded."""
    made: list[Saraban] = []

    def factory(database_url: str = "", *, demo: bool = True, with_indexer: bool = False,
                **settings: Any) -> Saraban:
        data_dir = tmp_path / f"var{len(made)}"
        s = Settings(data_dir=data_dir, database_url=database_url, _env_file=None, **settings)  # type: ignore[call-arg]
        data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(s.sqlalchemy_url)
        app = build(s, with_indexer=with_indexer)
        if demo:
            with app.tx() as uow:
                seed_demo(uow.session, now=app.clock())
        made.append(app)
        return app

    yield factory
    for app in made:
        if app.indexer is not None:
            app.indexer.stop()
        app.engine.dispose()
        if app.read_engine is not None:
            app.read_engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request: pytest.FixtureRequest) -> str:
    """'' (SQLite in the data dir) or a fresh PostgreSQL URL."""
    if request.param == "sqlite":
        return ""
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def saraban(make_saraban: MakeSaraban) -> Saraban:
    return make_saraban()


@pytest.fixture
def client(saraban: Saraban) -> Iterator[TestClient]:
    with TestClient(create_app(saraban)) as c:
        yield c


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def registry_id(client: TestClient, headers: dict[str, str], code: str) -> int:
    for reg in client.get("/api/v1/registries", headers=headers).json():
        if reg["code"] == code:
            return int(reg["id"])
    raise LookupError(code)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The real app served by uvicorn on a free port in a background thread."""

    def __init__(self, app: Saraban) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(app), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(make_saraban: MakeSaraban) -> Iterator[Callable[..., LiveServer]]:
    servers: list[LiveServer] = []

    def start(database_url: str = "", **settings: Any) -> LiveServer:
        server = LiveServer(make_saraban(database_url, **settings))
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()
