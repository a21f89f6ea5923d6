"""One node's index replica: follows the change log from its own cursor, kept in a file beside the index.

Every app node has its own index directory and one index worker (the ``saraban worker`` process that
``saraban serve`` supervises, or the thread of a one-process server). The worker reads the log
(``service.indexing.changes``) after its cursor, re-indexes the letters named there from the database and the
object store, commits the index, and only then writes the cursor (``replica.json`` in the index directory,
replaced atomically). A worker that dies — even killed mid-batch — loses nothing: its successor starts from the
cursor and indexes that batch again (indexing a letter is idempotent).

**Commit order.** On PostgreSQL a transaction may take log id 10, another id 11, and the second commit first:
a reader sees 11 while 10 is still invisible. The follower therefore keeps two positions: ``applied`` (the highest
id it has indexed) and ``cursor`` (every id at or below it is indexed or will never come). Ids missing below
``applied`` are *gaps*; each later read also asks for the gaps, and a gap that stays missing for
``SARABAN_INDEX_LOG_GRACE_SECONDS`` (measured from when the follower first saw an id above it, hence from after the
gap's id was taken) belongs to a transaction that rolled back, and is given up. The assumption, documented in the
README: a change's transaction commits within that grace of writing its log row. ``cursor`` is what the
log is trimmed by; on restart the follower re-reads from ``cursor`` (idempotent).

**Rebuild.** A node whose index is empty (a new node, a lost disk) or whose place in the log was given up
(silent longer than ``SARABAN_INDEX_NODE_EXPIRE_SECONDS``) rebuilds from the database: it notes the log's head
*before* reading any letter, indexes every letter (resumable: the noted position is kept in the cursor file until
the rebuild ends), and then follows the log from the noted position, re-reading a window of
:data:`REBUILD_WINDOW` ids below it for changes whose transactions were still open when it was noted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from service.indexing.changes import as_utc, db_now, log_head
from service.models import IndexChange, IndexNode, Letter

log = logging.getLogger(__name__)

STATE_FILE = "replica.json"
REBUILD_WINDOW = 1000  # ids below the noted head re-read after a rebuild (transactions open at the note)
GAPS_ASKED_MAX = 500  # beyond this many gaps a read asks for everything after the cursor and skips what it has
TRIM_EVERY = 60.0  # seconds between a worker's trims of the log
HEARTBEAT_EVERY = 5.0  # seconds between a worker's heartbeats when it has nothing to do
KEEP_SECONDS = 600  # log entries younger than this are kept whatever the cursors (a restart re-reads them)

_LOG = IndexChange.__table__  # type: ignore[attr-defined]
_NODES = IndexNode.__table__  # type: ignore[attr-defined]


def utcnow() -> datetime:
    """Wall time for heartbeats (not the app's clock, which tests may fix), in UTC as times are stored."""
    return datetime.now(UTC)


# -- the cursor file ------------------------------------------------------------------------------------------


@dataclass
class ReplicaState:
    """What ``replica.json`` holds: the node, its cursor, the highest id applied and the gaps below it."""

    node_id: str
    cursor: int = 0
    applied: int = 0
    gaps: list[int] = field(default_factory=list)
    rebuilding: bool = False  # a rebuild started and has not finished: ``cursor`` is the position it noted
    written_at: float = 0.0  # unix time of the write (the lag in seconds when the database cannot be asked)


def state_path(index_path: Path) -> Path:
    return Path(index_path) / STATE_FILE


def read_state(index_path: Path) -> ReplicaState | None:
    try:
        raw = json.loads(state_path(index_path).read_text(encoding="utf-8"))
        return ReplicaState(
            node_id=str(raw["node_id"]),
            cursor=int(raw["cursor"]),
            applied=int(raw["applied"]),
            gaps=[int(g) for g in raw.get("gaps", [])],
            rebuilding=bool(raw.get("rebuilding", False)),
            written_at=float(raw.get("written_at", 0.0)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_state(index_path: Path, state: ReplicaState) -> None:
    """Replace the cursor file atomically (write, fsync, rename): a crash leaves the old one or the new one."""
    path = state_path(index_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state.written_at = time.time()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(state.__dict__, fh)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def new_node_id(configured: str) -> str:
    return configured or f"{socket.gethostname()[:40]}-{uuid.uuid4().hex[:8]}"


# -- nodes in the database ------------------------------------------------------------------------------------


def upsert_node(session: Session, state: ReplicaState, index_path: Path) -> None:
    now = utcnow()
    values = {
        "node_id": state.node_id,
        "cursor": state.cursor,
        "applied": state.applied,
        "host": socket.gethostname()[:255],
        "index_path": str(index_path)[:1000],
        "started_at": now,
        "heartbeat": now,
    }
    conn = session.connection()
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(_NODES).values(**values)
    conn.execute(
        ins.on_conflict_do_update(
            index_elements=["node_id"],
            set_={k: values[k] for k in ("cursor", "applied", "host", "index_path", "started_at", "heartbeat")},
        )
    )


def node_registered(session: Session, node_id: str) -> bool:
    return session.get(IndexNode, node_id) is not None


def heartbeat(session: Session, state: ReplicaState) -> bool:
    """Say how far the node is; ``False`` if its registration expired (the log may be trimmed past it)."""
    done = session.connection().execute(
        update(_NODES)
        .where(_NODES.c.node_id == state.node_id)
        .values(cursor=state.cursor, applied=state.applied, heartbeat=utcnow())
    )
    return bool(done.rowcount)


def trim_log(session: Session, *, expire_seconds: float) -> int:
    """Forget nodes silent for ``expire_seconds``, then delete log entries below the slowest live cursor (and
    older than :data:`KEEP_SECONDS`). Returns the number of entries deleted."""
    conn = session.connection()
    conn.execute(delete(_NODES).where(_NODES.c.heartbeat < utcnow() - timedelta(seconds=expire_seconds)))
    slowest = conn.execute(select(func.min(_NODES.c.cursor))).scalar()
    if slowest is None:
        return 0
    cutoff = db_now(session) - timedelta(seconds=KEEP_SECONDS)
    done = conn.execute(delete(_LOG).where(_LOG.c.id <= int(slowest), _LOG.c.at < cutoff))
    return int(done.rowcount or 0)


# -- lag ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lag:
    """How far a replica is behind the log: entries not yet applied and the age of the oldest of them."""

    entries: int
    seconds: float
    node_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"entries": self.entries, "seconds": round(self.seconds, 1), "node": self.node_id}


def lag_of(session: Session, index_path: Path) -> Lag:
    """This node's lag, from its cursor file and the log (two small reads of the log's primary key)."""
    state = read_state(index_path)
    applied = state.applied if state is not None and not state.rebuilding else 0
    conn = session.connection()
    entries, oldest = conn.execute(
        select(func.count(), func.min(_LOG.c.at)).select_from(_LOG).where(_LOG.c.id > applied)
    ).one()
    if state is not None and state.rebuilding:  # everything not yet rebuilt is behind: count the letters
        entries = max(int(entries or 0), int(conn.execute(select(func.count()).select_from(Letter)).scalar() or 0))
    seconds = max(0.0, (db_now(session) - as_utc(oldest)).total_seconds()) if oldest is not None else 0.0
    return Lag(int(entries or 0), seconds, state.node_id if state is not None else "")


class LagCache:
    """The lag, asked at most once a second per process (every search answer carries it)."""

    def __init__(self, ttl: float = 1.0) -> None:
        self.ttl = ttl
        self._at = 0.0
        self._lag: Lag | None = None

    def get(self, compute: Callable[[], Lag]) -> Lag:
        now = time.monotonic()
        if self._lag is None or now - self._at > self.ttl:
            self._lag, self._at = compute(), now
        return self._lag


# -- following the log ----------------------------------------------------------------------------------------


class NodeExpired(RuntimeError):
    """The node's registration lapsed: the log may have been trimmed past its cursor, so it must rebuild."""


IndexFn = Callable[[list[int]], int]


@dataclass
class Follower:
    """The position of one replica in the log, and one step of following it."""

    state: ReplicaState
    index_path: Path
    grace: float = 60.0
    gap_seen: dict[int, float] = field(default_factory=dict)  # gap id -> when first seen missing (monotonic)

    def __post_init__(self) -> None:
        now = time.monotonic()  # gaps read back from the file are timed from now: conservative
        self.gap_seen = {g: now for g in self.state.gaps}

    def step(self, session_of: Callable[[], contextlib.AbstractContextManager[Session]], index: IndexFn, *,
             batch: int = 200) -> tuple[int, int]:  # fmt: skip
        """Read the next entries (and any gaps that committed meanwhile), index their letters, advance.
        Returns (entries read, letters indexed)."""
        applied = self.state.applied
        gaps = sorted(self.gap_seen)
        with session_of() as session:
            conn = session.connection()
            if len(gaps) <= GAPS_ASKED_MAX:
                where = _LOG.c.id > applied if not gaps else or_(_LOG.c.id > applied, _LOG.c.id.in_(gaps))
                limit = batch + len(gaps)
            else:
                where = _LOG.c.id > self.state.cursor
                limit = batch + applied - self.state.cursor
            rows = conn.execute(select(_LOG.c.id, _LOG.c.letter_id).where(where).order_by(_LOG.c.id).limit(limit)).all()
        wanted = set(gaps)
        fresh = [(i, letter) for i, letter in rows if i > applied][:batch]
        filled = [(i, letter) for i, letter in rows if i in wanted]
        taken = fresh + filled
        done = index(sorted({letter for _, letter in taken})) if taken else 0
        # the index has committed: now the position may move
        now = time.monotonic()
        for i, _ in filled:
            self.gap_seen.pop(i, None)
        if fresh:
            present = {i for i, _ in fresh}
            top = fresh[-1][0]
            for g in range(applied + 1, top):
                if g not in present:
                    self.gap_seen.setdefault(g, now)
            self.state.applied = top
        for g, seen in list(self.gap_seen.items()):
            if now - seen > self.grace:  # its transaction rolled back (or broke the grace assumption)
                del self.gap_seen[g]
        self.state.gaps = sorted(self.gap_seen)
        self.state.cursor = min(self.gap_seen) - 1 if self.gap_seen else self.state.applied
        if taken or gaps != self.state.gaps:
            write_state(self.index_path, self.state)
        return len(taken), done


def rebuild_start(session: Session, state: ReplicaState) -> None:
    """Note where the log stands before a rebuild reads any letter: the follower continues from there, with the
    ids of a window below it it has not seen treated as gaps (transactions still open at the note)."""
    head = log_head(session)
    floor = max(0, head - REBUILD_WINDOW)
    present = {
        int(i)
        for i in session.connection().execute(select(_LOG.c.id).where(_LOG.c.id > floor, _LOG.c.id <= head)).scalars()
    }
    missing = [i for i in range(floor + 1, head + 1) if i not in present]
    if len(missing) > GAPS_ASKED_MAX:  # a trimmed or sparse window: re-read all of it instead
        state.cursor = state.applied = floor
        state.gaps = []
    else:
        state.applied = head
        state.gaps = missing
        state.cursor = (min(missing) - 1) if missing else head
    state.rebuilding = True


def letters_exist(session: Session) -> bool:
    return session.exec(select(col(Letter.id)).limit(1)).first() is not None  # type: ignore[call-overload]
