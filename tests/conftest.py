"""Shared fixtures: real SQLite and PostgreSQL databases with migrations applied, the demo office, a live server.

A test that needs a server the machine lacks skips with the reason; under CI (CI=true) it fails instead,
because CI provides every such server.

Each test process migrates and seeds its databases once (``DatabaseTemplates``) and gives every test a copy.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import sqlite3
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import closing
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
# One audit key for every database the tests make: the seeded templates are copied into other data directories,
# and their chains must still verify there (production keeps the key in the data directory's key file).
os.environ.setdefault("SARABAN_AUDIT_KEY", "saraban-tests-audit-key")
# The suite's fixtures register the same sample letter (same ที่, same PDF) again and again; the duplicate warning
# is tested where it is switched on (tests/web/test_duplicates.py: ``make_saraban(duplicate_check=True)``).
os.environ.setdefault("SARABAN_DUPLICATE_CHECK", "false")

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service.app import create_app
from service.config import Settings
from service.context import Saraban, build
from service.demo import DEMO_PASSWORD, seed_demo
from service.kit.migrate import upgrade
from tests.pages_scan import RECORDERS, HtmlRecorder

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


def pg_database_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def dispose(app: Saraban) -> None:
    """Close every connection an app holds (a PostgreSQL template must have none; SQLite files are copied)."""
    if app.indexer is not None:
        app.indexer.stop()
    app.engine.dispose()
    if app.read_engine is not None:
        app.read_engine.dispose()


class DatabaseTemplates:
    """This test process's migrated databases, built once and copied for each test that needs one.

    Applying the migrations and seeding the demo office took seconds a test; a copy takes milliseconds. Each is
    built on first use, by the same ``upgrade`` and ``seed_demo`` a test used to run, so a copy holds exactly what
    they write (ids, codes, names, roles, audit events); only its timestamps are from the start of the session.
    SQLite: a copy of the closed database's file (checkpointed, so the file alone is the whole database).
    PostgreSQL: ``CREATE DATABASE … TEMPLATE``, from templates named after the xdist worker and a random suffix
    (other sessions may share the server), dropped when the session ends. A test's own database is dropped in
    the background while the next test runs (``DROP DATABASE`` waits for a checkpoint: 0.5–2 s).
    """

    def __init__(self, root: Path, worker: str) -> None:
        self.root = root
        self.worker = worker
        self._sqlite: dict[bool, Path] = {}
        self._pg: dict[bool, str] = {}
        self._admin: Any = None
        #: databases made by ``pg_url`` that no app has used yet (url -> name): ``make_saraban`` replaces them
        #: with a copy of a template instead of migrating them
        self.fresh_pg: dict[str, str] = {}
        self._drops: queue.Queue[str | None] = queue.Queue()
        self._dropper: threading.Thread | None = None

    @staticmethod
    def _migrate(settings: Settings, *, demo: bool) -> None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(settings.sqlalchemy_url)
        app = build(settings, with_indexer=False)
        try:
            if demo:
                with app.tx() as uow:
                    seed_demo(uow.session, now=app.clock())
        finally:
            dispose(app)

    def _sqlite_template(self, *, demo: bool) -> Path:
        if demo not in self._sqlite:
            data_dir = self.root / ("sqlite-demo" if demo else "sqlite-empty")
            settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
            self._migrate(settings, demo=demo)
            path = data_dir / "saraban.sqlite3"
            with closing(sqlite3.connect(path)) as conn:  # everything in the main file: only it is copied
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._sqlite[demo] = path
        return self._sqlite[demo]

    def copy_sqlite(self, data_dir: Path, *, demo: bool = True) -> None:
        """Put a migrated (and with ``demo`` seeded) SQLite database where ``data_dir``'s settings look for it."""
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._sqlite_template(demo=demo), data_dir / "saraban.sqlite3")

    def _admin_engine(self) -> Any:
        if self._admin is None:
            self._admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        return self._admin

    def _pg_template(self, *, demo: bool) -> str:
        if demo not in self._pg:
            kind = "demo" if demo else "empty"
            name = f"saraban_tmpl_{self.worker}_{kind}_{uuid.uuid4().hex[:8]}"
            self.create_pg(name)
            settings = Settings(data_dir=self.root / f"pg-{kind}", database_url=pg_database_url(name), _env_file=None)  # type: ignore[call-arg]
            try:
                self._migrate(settings, demo=demo)
            except BaseException:
                self.drop_pg_later(name)
                raise
            self._pg[demo] = name
        return self._pg[demo]

    def clone_pg(self, name: str, *, demo: bool = True, replace: bool = False) -> None:
        """Create database ``name`` as a copy of the migrated (and with ``demo`` seeded) template."""
        template = self._pg_template(demo=demo)
        with self._admin_engine().connect() as conn:
            if replace:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def create_pg(self, name: str) -> None:
        """An empty database."""
        with self._admin_engine().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop_pg_later(self, name: str) -> None:
        if self._dropper is None:
            self._dropper = threading.Thread(target=self._drop_queued, name="drop-test-databases", daemon=True)
            self._dropper.start()
        self._drops.put(name)

    def _drop_queued(self) -> None:
        while (name := self._drops.get()) is not None:
            try:
                with self._admin_engine().connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except Exception as exc:  # left behind on a shared server: say so, but it fails no test
                warnings.warn(f"could not drop test database {name}: {exc}", stacklevel=1)

    def close(self) -> None:
        if self._dropper is not None:
            self._drops.put(None)
            self._dropper.join()
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            for name in self._pg.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseTemplates]:
    templates = DatabaseTemplates(tmp_path_factory.mktemp("templates"), os.environ.get("PYTEST_XDIST_WORKER", "main"))
    yield templates
    templates.close()


@pytest.fixture
def pg_url(database_templates: DatabaseTemplates) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards.

    Handed to ``make_saraban`` (directly or through ``live_server``), it becomes a copy of the migrated template.
    """
    need(pg_available(), f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name = f"saraban_test_{uuid.uuid4().hex[:12]}"
    database_templates.create_pg(name)
    url = pg_database_url(name)
    database_templates.fresh_pg[url] = name
    yield url
    database_templates.fresh_pg.pop(url, None)
    database_templates.drop_pg_later(name)


MakeSaraban = Callable[..., Saraban]


@pytest.fixture
def make_saraban(tmp_path: Path, database_templates: DatabaseTemplates) -> Iterator[MakeSaraban]:
    """Build a Saraban on a migrated database with the demo office seeded (``demo=False``: migrated, empty).

    The database is a copy of this process's template: SQLite in the data dir, or a ``pg_url`` database. Any
    other URL is migrated (and seeded) in place, as before.
    """
    made: list[Saraban] = []

    def factory(database_url: str = "", *, demo: bool = True, with_indexer: bool = False, **settings: Any) -> Saraban:
        data_dir = tmp_path / f"var{len(made)}"
        s = Settings(data_dir=data_dir, database_url=database_url, _env_file=None, **settings)  # type: ignore[call-arg]
        data_dir.mkdir(parents=True, exist_ok=True)
        fresh_pg = database_templates.fresh_pg.pop(database_url, None)
        copied = True
        if not database_url:
            database_templates.copy_sqlite(data_dir, demo=demo)
        elif fresh_pg is not None:
            database_templates.clone_pg(fresh_pg, demo=demo, replace=True)
        else:
            upgrade(s.sqlalchemy_url)
            copied = False
        app = build(s, with_indexer=with_indexer)
        if demo and not copied:
            with app.tx() as uow:
                seed_demo(uow.session, now=app.clock())
        made.append(app)
        return app

    yield factory
    for app in made:
        dispose(app)


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

        from service.serving import UVICORN_OPTIONS

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # every HTML page it serves is kept, so the browser tests can scan what people were shown for English
        self.recorder = HtmlRecorder(create_app(app))  # type: ignore[arg-type]
        RECORDERS.append(self.recorder)
        # keep-alive longer than any pause between a test's API calls: with uvicorn's 5 s default, a pooled httpx
        # connection idle through slow browser steps could be closed by the server just as the client reused it
        # ("Server disconnected without sending a response", seen under load)
        config = uvicorn.Config(
            self.recorder,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            interface="asgi3",
            timeout_keep_alive=600,
            **UVICORN_OPTIONS,  # as `saraban serve` runs it
        )
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
