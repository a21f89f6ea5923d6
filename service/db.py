"""The one place where transactions open and commit, and where after-commit side effects run."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool
from sqlmodel import Session

log = logging.getLogger(__name__)

SideEffect = Callable[[], None]


def make_engine(url: str, *, echo: bool = False, readonly: bool = False) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` (tech-notes: "Running numbers").

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
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # A writer takes the lock up front; otherwise two deferred transactions deadlock on upgrade.
            conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


def make_null_engine(url: str) -> Engine:
    """An engine without pooling, for short-lived CLI work and migrations."""
    return create_engine(url, poolclass=NullPool)


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


@contextmanager
def transaction(engine: Engine) -> Iterator[UnitOfWork]:
    """Open a transaction; commit when the block ends normally, roll back on any exception."""
    with Session(engine, expire_on_commit=False) as session:
        uow = UnitOfWork(session)
        try:
            yield uow
            session.commit()
        except BaseException:
            session.rollback()
            raise
    uow.run_after_commit()
