"""The one place where transactions open and commit, and where after-commit side effects run."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Connection,
    Dialect,
    Engine,
    Integer,
    Subquery,
    Text,
    create_engine,
    event,
    func,
    literal,
    make_url,
    select,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement
from sqlmodel import Session

log = logging.getLogger(__name__)

SideEffect = Callable[[], None]


class WriteGate:
    """One SQLite writer at a time, queued in order instead of polling.

    SQLite serialises writers itself, but a writer that finds the lock taken sleeps in SQLite's busy handler
    (1, 2, 5, 10 … 100 ms naps) and often oversleeps the transaction that held it — under load most of a
    request's time went there. The gate queues writers before ``BEGIN IMMEDIATE``: threads of one process on a
    lock, processes (server workers, the index worker, the CLI) on ``flock`` of a file beside the database,
    which wakes the next waiter as soon as the holder lets go. Re-entrant within a thread.
    """

    def __init__(self, lock_file: Path | None) -> None:
        self._lock = threading.RLock()
        self._lock_file = lock_file
        self._fd: int | None = None
        self._pid = 0
        self._depth = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child must not share the parent's lock
            assert self._lock_file is not None
            self._fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def hold(self, *, wait: bool = True) -> Iterator[None]:
        """The write lock for the block. ``wait=False``: :class:`WriteLockBusy` at once when a thread or another
        process holds it (for work on the event loop, which must not wait for it)."""
        if not self._lock.acquire(blocking=wait):
            raise WriteLockBusy
        try:
            self._depth += 1
            try:
                if self._depth == 1 and self._lock_file is not None:
                    fd = self._file()
                    try:
                        # releases the GIL while it waits
                        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError as exc:
                        raise WriteLockBusy from exc
                    try:
                        yield
                    finally:
                        fcntl.flock(fd, fcntl.LOCK_UN)
                else:
                    yield
            finally:
                self._depth -= 1
        finally:
            self._lock.release()


class WriteLockBusy(Exception):
    """The write lock is held elsewhere and the caller asked not to wait for it; nothing was written."""


_gates: weakref.WeakKeyDictionary[Engine, WriteGate] = weakref.WeakKeyDictionary()


def _sqlite_lock_file(url: str) -> Path | None:
    database = make_url(url).database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).with_name(Path(database).name + ".write-lock")


#: WAL pages after which a commit copies the log back into the database (SQLite's default: 1,000). A registration
#: writes about 18 pages, so at 1,000 every 55th registration paid for a checkpoint: its pages copied and two
#: fdatasyncs, on the request's time (a registration's commit took 0.21 ms on average, 0.10 ms without
#: checkpoints). At 10,000 (a 40 MB log at most) the pages written over and over (the counter, the audit head,
#: the tables' last leaves) are copied once per 550 registrations: 0.14 ms. What a power loss can take is about
#: the same: with ``synchronous=NORMAL`` no commit is synced by itself, a checkpoint syncs the log, and the kernel
#: writes dirty pages out within about 30 s whatever SQLite does (at a clerk's pace 55 registrations took longer).
WAL_AUTOCHECKPOINT = 10_000


def make_engine(url: str, *, echo: bool = False, readonly: bool = False) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` (concurrent writers otherwise deadlock or
    take the same number).

    A ``readonly`` SQLite engine begins deferred: readers never queue behind the write lock (WAL).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 60})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
            cur.close()

        begin = "BEGIN" if readonly else "BEGIN IMMEDIATE"

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # A writer takes the lock up front; otherwise two deferred transactions deadlock on upgrade. On the
            # driver's connection: SQLAlchemy's statement machinery cost more than SQLite's BEGIN itself.
            conn.connection.dbapi_connection.execute(begin)

        if not readonly:
            _gates[engine] = WriteGate(_sqlite_lock_file(url))
        return engine
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


def make_null_engine(url: str) -> Engine:
    """An engine without pooling, for short-lived CLI work and migrations."""
    return create_engine(url, poolclass=NullPool)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: Sequence[str] | None  # positional parameter order (SQLite's qmark); None: named (psycopg)
    processors: Mapping[str, Callable[[Any], Any]]
    literals: Mapping[str, Any]  # values the statement carries itself (``WHERE id = 1``)


class Prepared:
    """A Core statement compiled once per dialect and run on the caller's DB-API cursor.

    For the few statements every registration runs while it holds the write lock: SQLAlchemy's work per
    execution (cache key, execution context, result wrapping) cost several times what SQLite spends on them.
    Values still pass the column types' bind processors, so the rows are the ones the ORM would write; the
    statement takes part in the caller's transaction like any other.
    """

    def __init__(self, stmt: ClauseElement) -> None:
        self.stmt = stmt
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        done = self._by_dialect.get(dialect.name)
        if done is None:
            compiled = cast(SQLCompiler, self.stmt.compile(dialect=dialect))
            processors, literals = {}, {}
            for name, bind in compiled.binds.items():
                proc = bind.type.bind_processor(dialect)
                if proc is not None:
                    processors[name] = proc
                if not bind.required:
                    literals[name] = bind.value
            names = list(compiled.positiontup or ()) if dialect.positional else None
            done = self._by_dialect[dialect.name] = _Compiled(str(compiled), names, processors, literals)
        return done

    def _args(self, c: _Compiled, params: Mapping[str, Any]) -> Any:
        given = {**c.literals, **params} if c.literals else params
        values = {k: (c.processors[k](v) if k in c.processors else v) for k, v in given.items()}
        return values if c.names is None else [values[n] for n in c.names]

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Execute; the rows it returns (``RETURNING`` or ``SELECT``)."""
        c = self._compiled(conn.dialect)
        with closing(conn.connection.dbapi_connection.cursor()) as cursor:  # type: ignore[union-attr]
            cursor.execute(c.sql, self._args(c, params))
            return list(cursor.fetchall()) if cursor.description else []

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Execute; the first column of the one row it returns."""
        (row,) = self.rows(conn, params)
        return row[0]

    def many(self, conn: Connection, params: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per parameter set: a few rows one by one (psycopg's ``executemany`` sets up a pipeline,
        which costs more than it saves for the two or three rows a registration writes), more with
        ``executemany``."""
        if not params:
            return
        c = self._compiled(conn.dialect)
        with closing(conn.connection.dbapi_connection.cursor()) as cursor:  # type: ignore[union-attr]
            if len(params) <= 8:
                for p in params:
                    cursor.execute(c.sql, self._args(c, p))
            else:
                cursor.executemany(c.sql, [self._args(c, p) for p in params])


def json_elements(dialect: str, array_json: str, kind: type[int] | type[str]) -> Subquery:
    """The elements of a JSON array (passed as one text parameter) as rows of one column ``value``: thousands of
    values in one statement, on SQLite (``json_each``) and PostgreSQL (``json_array_elements_text``) alike — where
    an ``executemany`` of a row each cost seconds and an ``IN`` list of 30,000 parameters most of a second."""
    param = literal(array_json, Text)
    if dialect == "postgresql":
        rows = func.json_array_elements_text(sql_cast(param, JSON)).table_valued("value")
    else:
        rows = func.json_each(param).table_valued("value")
    value = sql_cast(rows.c.value, Integer) if kind is int else sql_cast(rows.c.value, Text)
    return select(value.label("value")).select_from(rows).subquery()


class UnitOfWork:
    """A transaction that rolls back unless committed; side effects queued with ``after_commit`` run after it."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._after: list[SideEffect] = []

    def after_commit(self, effect: SideEffect) -> None:
        self._after.append(effect)

    def run_after_commit(self) -> None:
        effects, self._after = self._after, []
        for effect in effects:
            try:
                effect()
            except Exception:
                # The data is committed; a failed derived step (stamp, index) is repaired by a re-run
                # (`saraban reindex`, `saraban verify --repair`), so it must not turn a success into an error.
                log.exception("after-commit step failed: %r", effect)


def writes_queued(engine: Engine) -> bool:
    """Whether this engine's writers queue on a :class:`WriteGate` (SQLite): only then can a write be tried
    without waiting (``transaction(wait=False)``)."""
    return engine in _gates


@contextmanager
def transaction(engine: Engine, *, wait: bool = True) -> Iterator[UnitOfWork]:
    """Open a transaction; commit when the block ends normally, roll back on any exception.

    ``wait=False``: :class:`WriteLockBusy` before anything is begun when the write lock is held elsewhere, or when
    the engine has no write lock to ask (PostgreSQL, whose row locks may wait)."""
    gate = _gates.get(engine)
    if gate is None and not wait:
        raise WriteLockBusy
    held: AbstractContextManager[None] = gate.hold(wait=wait) if gate is not None else nullcontext()
    with held, engine.connect() as conn:
        conn.begin()
        session = Session(bind=conn, expire_on_commit=False)
        uow = UnitOfWork(session)
        try:
            yield uow
            session.flush()
            conn.commit()
        except BaseException:
            session.rollback()
            conn.rollback()
            raise
        finally:
            session.close()
    uow.run_after_commit()
