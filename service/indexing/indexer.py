"""Keeping this node's search index in step with the database: one writer per node (the index worker process,
or a thread of a one-process server) following the change log (``changes``, ``replica``).

The database is the source of truth; the index is derived. A crash loses nothing (the cursor is written after the
index commit), and ``saraban reindex`` rebuilds everything from the database and the stored originals.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from search import IndexDoc, SearchIndex, SearchIndexOutdated
from search.extract import extract_text
from service.access.queries import letter_readers
from service.indexing.replica import (
    HEARTBEAT_EVERY,
    TRIM_EVERY,
    Follower,
    NodeExpired,
    ReplicaState,
    heartbeat,
    letters_exist,
    new_node_id,
    node_registered,
    read_state,
    rebuild_start,
    trim_log,
    upsert_node,
    write_state,
)
from service.letters.renditions import record_rendition
from service.models import (
    Attachment,
    Instruction,
    Letter,
    LetterAccess,
    Registration,
    Registry,
    Rendition,
    Routing,
    Tombstone,
)
from storage import ObjectStore

if TYPE_CHECKING:
    from service.context import Saraban

log = logging.getLogger(__name__)
TEXT_CAP = 200_000
T = TypeVar("T")
#: log entries the worker takes in a round; when a round takes all it asked for (a backlog) the next asks for
#: BACKLOG_GROWTH times more, up to MAX_BATCH: fewer commits, segments and merges per letter while it catches up
BATCH = 200
MAX_BATCH = 2000
BACKLOG_GROWTH = 4
#: a rebuild reads the database this many letters at a time and commits the index every REBUILD_COMMIT letters
REBUILD_READ = 500
REBUILD_COMMIT = 50_000
#: indexing processes of a rebuild (Whoosh's MpWriter: this process reads the database and builds the fields)
REBUILD_PROCS = min(2, os.cpu_count() or 1)


def next_batch(size: int, taken: int, *, base: int = BATCH, cap: int = MAX_BATCH) -> int:
    """The worker's next round size: grown while rounds come back full (a backlog), back to ``base`` after a
    round that was not (caught up: small batches keep a lone letter's wait short)."""
    return min(max(size, base) * BACKLOG_GROWTH, max(cap, base)) if taken >= size else base


@dataclass(frozen=True)
class ExtractedText:
    """Text extracted from an attachment and already in the store, to be recorded as its ``text`` rendition."""

    attachment_id: int
    sha256: str
    size: int
    at: datetime


def attachment_text(
    store: ObjectStore, att: Attachment, cached: Rendition | None, *, ocr: bool
) -> tuple[str, str, ExtractedText | None]:
    """The text of one attachment: its kept ``text`` rendition, or extracted now (and stored, to be recorded)."""
    assert att.id is not None
    if att.stamp_status in ("too_complex", "stamp_failed"):  # over the stamp's budgets: nor to pdftotext or OCR
        return "", "no-text", None
    if cached is not None and store.exists(cached.sha256):
        with store.open(cached.sha256) as fh:
            return fh.read().decode("utf-8", "replace"), "ok", None
    with store.local_path(att.sha256) as path:
        extracted = extract_text(path, att.media_type, ocr=ocr)
    text = extracted.text[:TEXT_CAP]
    kept = None
    if text and extracted.status in ("ok", "ocr"):
        data = text.encode("utf-8")
        kept = ExtractedText(att.id, store.put_bytes(data), len(data), att.created_at)
    return text, extracted.status, kept


def _grouped(rows: Iterable[tuple[int, T]]) -> defaultdict[int, list[T]]:
    out: defaultdict[int, list[T]] = defaultdict(list)
    for key, row in rows:
        out[key].append(row)
    return out


def build_docs(
    session: Session, store: ObjectStore, letter_ids: Sequence[int], *, ocr: bool
) -> list[tuple[IndexDoc, str, list[ExtractedText]]]:
    """The letters as the index sees them, each with its index status and attachment texts to keep (reads only).

    Six queries for the whole batch rather than six per letter: under a steady stream of registrations the
    index worker's cost per letter is what is left of a 2-core machine for the registrations themselves.
    """
    ids = sorted(set(letter_ids))
    letters = session.exec(
        select(Letter)
        .where(col(Letter.id).in_(ids), col(Letter.id).not_in(select(Tombstone.letter_id)))  # destroyed: not indexed
        .order_by(col(Letter.id))
    ).all()
    regs = _grouped(
        (reg.letter_id, (reg, registry))
        for reg, registry in session.exec(
            select(Registration, Registry)
            .join(Registry, col(Registry.id) == Registration.registry_id)
            .where(col(Registration.letter_id).in_(ids))
            .order_by(col(Registration.id))
        )
    )
    atts = _grouped(
        (a.letter_id, a)
        for a in session.exec(
            select(Attachment)
            .where(col(Attachment.letter_id).in_(ids))
            .order_by(col(Attachment.letter_id), col(Attachment.position))
        )
    )
    att_ids = [a.id for group in atts.values() for a in group]
    texts_kept = {
        r.attachment_id: r
        for r in (
            session.exec(select(Rendition).where(col(Rendition.attachment_id).in_(att_ids), Rendition.kind == "text"))
            if att_ids
            else ()
        )
    }
    routes = _grouped(
        (r.letter_id, r)
        for r in session.exec(select(Routing).where(col(Routing.letter_id).in_(ids)).order_by(col(Routing.id)))
    )
    written = _grouped(  # instructions written on the letters (เกษียณ), after the routes' own
        session.exec(
            select(Instruction.letter_id, Instruction.text)
            .where(col(Instruction.letter_id).in_(ids))
            .order_by(col(Instruction.id))
        ).all()
    )
    principals = _grouped(
        session.exec(
            select(LetterAccess.letter_id, LetterAccess.principal).where(col(LetterAccess.letter_id).in_(ids))
        ).all()
    )
    out = []
    for letter in letters:
        assert letter.id is not None
        readers = principals.get(letter.id) or sorted(letter_readers(session, letter))
        doc = _doc(store, letter, regs[letter.id], atts[letter.id], texts_kept, routes[letter.id], readers, ocr=ocr)
        if written.get(letter.id):
            index_doc, status, kept = doc
            more = "\n".join(written[letter.id])
            both = f"{index_doc.instructions}\n{more}" if index_doc.instructions else more
            doc = (replace(index_doc, instructions=both), status, kept)
        out.append(doc)
    return out


def _doc(
    store: ObjectStore,
    letter: Letter,
    regs: list[tuple[Registration, Registry]],
    atts: list[Attachment],
    texts_kept: dict[int, Rendition],
    routes: list[Routing],
    principals: list[str],
    *,
    ocr: bool,
) -> tuple[IndexDoc, str, list[ExtractedText]]:
    assert letter.id is not None
    texts, statuses, kept = [], [], []
    for att in atts:
        assert att.id is not None
        text, status, extracted = attachment_text(store, att, texts_kept.get(att.id), ocr=ocr)
        texts.append(text)
        statuses.append(f"{att.filename}: {status}")
        if extracted is not None:
            kept.append(extracted)
    doc = IndexDoc(
        doc_id=letter.id,
        registrations=[(registry.code, reg.year, reg.number) for reg, registry in regs],
        registry_ids=[reg.registry_id for reg, _ in regs],
        unit_ids=sorted({registry.unit_id for _, registry in regs} | {r.to_unit_id for r in routes if r.to_unit_id}),
        letter_no=letter.letter_no,
        letter_date=letter.letter_date,
        registered_at=min((reg.registered_at for reg, _ in regs), default=None),
        sender=letter.sender,
        recipient=letter.recipient,
        subject=letter.subject,
        summary=letter.summary,
        letter_type=letter.letter_type,
        urgency=letter.urgency,
        secrecy=letter.secrecy,
        channel=letter.channel,
        instructions="\n".join(r.instruction for r in routes if r.instruction),
        attachment_text="\n".join(texts),
        has_attachment=bool(atts),
        principals=sorted(principals),
    )
    status = "indexed" + ("; " + "; ".join(s for s in statuses if not s.endswith(": ok")) if statuses else "")
    return doc, status[:250], kept


INDEXING = "indexing"
REMOVED = "removed"


def _claim(app: Saraban, ids: Sequence[int]) -> None:
    letters = Letter.__table__  # type: ignore[attr-defined]
    with app.tx() as uow:
        uow.session.connection().execute(update(letters).where(letters.c.id.in_(ids)).values(index_status=INDEXING))


def _read_docs(
    app: Saraban, ids: Sequence[int], statuses: list[dict[str, object]], kept: list[ExtractedText]
) -> list[IndexDoc]:
    """The letters' index documents (a read-only transaction); their statuses and texts to keep are appended
    to ``statuses`` and ``kept``, destroyed letters' (gone from the index) as :data:`REMOVED`."""
    docs: list[IndexDoc] = []
    with app.tx(readonly=True) as uow:
        for doc, status, texts in build_docs(uow.session, app.store, ids, ocr=app.settings.ocr != "off"):
            docs.append(doc)
            statuses.append({"letter_id": doc.doc_id, "status": status})
            kept.extend(texts)
    found = {doc.doc_id for doc in docs}
    statuses.extend({"letter_id": i, "status": REMOVED} for i in sorted(set(ids) - found))
    return docs


def _record(app: Saraban, statuses: list[dict[str, object]], kept: list[ExtractedText]) -> None:
    """After the index commit: keep the extracted texts, and write each letter's index status where the claim
    still stands."""
    letters = Letter.__table__  # type: ignore[attr-defined]
    with app.tx() as uow:
        for t in kept:
            record_rendition(
                uow.session,
                attachment_id=t.attachment_id,
                kind="text",
                sha256=t.sha256,
                size=t.size,
                media_type="text/plain; charset=utf-8",
                now=t.at,
            )
        if statuses:
            uow.session.connection().execute(
                update(letters)
                .where(letters.c.id == bindparam("letter_id"), letters.c.index_status == INDEXING)
                .values(index_status=bindparam("status")),
                statuses,
            )


def _removed(statuses: list[dict[str, object]]) -> list[int]:
    return [int(str(s["letter_id"])) for s in statuses if s["status"] == REMOVED]


def index_letters(app: Saraban, index: SearchIndex, letter_ids: Iterable[int], *, defer_merge: bool = False) -> int:
    """Index these letters now (one index commit) and record each letter's index status.

    Extraction, OCR and Thai segmentation take seconds for a scanned letter, so they run in a read-only
    transaction: on SQLite a write transaction would hold every registration behind them. The letters are first
    claimed (``indexing``); the final status is written only where the claim still stands, so a letter routed
    meanwhile (back to ``pending``) is indexed again in the next round.
    """
    index.check_current()  # an index of an older layout takes no writes (letters stay pending): `saraban reindex`
    ids = list(letter_ids)
    if not ids:
        return 0
    _claim(app, ids)
    statuses: list[dict[str, object]] = []
    kept: list[ExtractedText] = []
    docs = _read_docs(app, ids, statuses, kept)
    if docs:
        index.upsert(docs, defer_merge=defer_merge)
    index.delete(_removed(statuses))  # destroyed (or never there): out of the index
    _record(app, statuses, kept)
    return len(docs)


def rebuild_letters(
    app: Saraban, index: SearchIndex, letter_ids: Sequence[int], *, procs: int = 1,
    read: int = REBUILD_READ, progress: Callable[[int], None] | None = None,
) -> int:  # fmt: skip
    """Index these letters through ONE index writer and one commit (a rebuild's chunk): the database is read
    ``read`` letters at a time while the writer (``procs`` processes) indexes what was read before. Statuses are
    recorded after the commit, as :func:`index_letters` does; ``progress`` gets the letters handed over so far."""
    index.check_current()
    statuses: list[dict[str, object]] = []
    kept: list[ExtractedText] = []

    def batches() -> Iterator[list[IndexDoc]]:
        for start in range(0, len(letter_ids), read):
            part = letter_ids[start : start + read]
            _claim(app, part)
            yield _read_docs(app, part, statuses, kept)
            if progress is not None:
                progress(len(part))

    done = index.load(batches(), procs=procs)
    index.delete(_removed(statuses))
    _record(app, statuses, kept)
    return done


class Replica:
    """This node's index worker's side of the log: open (rebuilding when the index is empty or its place in the
    log was given up), follow it step by step, say how far it is, trim what every live node has applied."""

    def __init__(self, app: Saraban, index: SearchIndex) -> None:
        self.app = app
        self.index = index
        self.path = Path(app.settings.index_path)
        self.follower: Follower | None = None
        self._beat = 0.0
        self._trimmed = 0.0

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self.app.tx(readonly=True) as uow:
            yield uow.session

    def open(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Take up the replica's place in the log; returns the letters a rebuild indexed (0: none was needed)."""
        state = read_state(self.path)
        with self.app.tx(readonly=True) as uow:
            registered = state is not None and node_registered(uow.session, state.node_id)
            has_letters = letters_exist(uow.session)
        why = ""
        if state is None:
            if has_letters and self.index.doc_count() == 0:
                why = "the index is empty"
            # else an installation with no letter yet, or an index from before the log: follow it from its start
        elif state.rebuilding:
            why = "a rebuild was interrupted"
        elif not registered:
            why = "this node was silent too long and its place in the change log was given up"
        # (an index of an older layout is not rebuilt here: it takes no writes until `saraban reindex`, which the
        # operator runs at an upgrade; search answers 503 meanwhile)
        if why and not self.index.outdated:
            log.warning("rebuilding the search index at %s: %s", self.path, why)
            resume = state is not None and state.rebuilding
            return self.rebuild(resume=resume, progress=progress)
        fresh = state is None
        if state is None:
            state = ReplicaState(node_id=new_node_id(self.app.settings.node_id))
        with self.app.tx() as uow:
            upsert_node(uow.session, state, self.path)
        if fresh:
            write_state(self.path, state)
        self.follower = Follower(state, self.path, grace=self.app.settings.index_log_grace_seconds)
        self._beat = time.monotonic()
        return 0

    def rebuild(
        self, *, resume: bool, batch: int = REBUILD_COMMIT, procs: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:  # fmt: skip
        """Index every letter from the database and the store, then follow the log from the position noted
        before the first letter was read (kept in the cursor file, so an interrupted rebuild resumes).

        The letters go to the index ``batch`` at a time, each through one writer and one commit without merges
        (:func:`rebuild_letters`; ``procs`` indexing processes, default :data:`REBUILD_PROCS`): an interrupted
        rebuild loses at most the chunk in hand, and a million letters make a few dozen segments instead of
        a commit and a merge every two hundred letters."""
        if resume and self.index.outdated:
            log.warning("the search index has an older layout: rebuilding it completely instead of resuming")
            resume = False
        state = read_state(self.path)
        keep_place = resume and state is not None
        if state is None:
            state = ReplicaState(node_id=new_node_id(self.app.settings.node_id))
        with self.app.tx() as uow:
            if not keep_place:
                rebuild_start(uow.session, state)  # before any letter is read
            state.rebuilding = True
            upsert_node(uow.session, state, self.path)  # a live cursor: the log is kept from here on
        write_state(self.path, state)
        with self.app.tx(readonly=True) as uow:
            ids = [i for i in uow.session.exec(select(Letter.id).order_by(col(Letter.id))) if i is not None]
        if resume:
            present = self.index.doc_ids()
            todo = [i for i in ids if i not in present]
        else:
            self.index.clear()
            todo = ids
        done = 0

        def handed(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, len(todo))
            self._heartbeat(state, every=HEARTBEAT_EVERY)  # a long rebuild keeps its place in the log

        procs = REBUILD_PROCS if procs is None else procs
        for start in range(0, len(todo), max(1, batch)):
            rebuild_letters(self.app, self.index, todo[start : start + max(1, batch)], procs=procs, progress=handed)
        state.rebuilding = False
        write_state(self.path, state)
        with self.app.tx() as uow:
            upsert_node(uow.session, state, self.path)
        self.follower = Follower(state, self.path, grace=self.app.settings.index_log_grace_seconds)
        return done

    def _index(self, ids: list[int]) -> int:
        """Index a batch; a letter that cannot be indexed (it fails alone while others succeed) is left pending
        for `saraban reindex` instead of holding the log up. When every letter fails the cause is shared (the
        database or the store is down): the batch is retried, the cursor does not move."""
        try:
            return index_letters(self.app, self.index, ids, defer_merge=True)
        except SearchIndexOutdated:
            raise
        except Exception:
            if len(ids) == 1:
                raise
        done, failed = 0, []
        for letter_id in ids:
            try:
                done += index_letters(self.app, self.index, [letter_id], defer_merge=True)
            except SearchIndexOutdated:
                raise
            except Exception:
                log.exception("indexing letter %s failed; it stays pending for `saraban reindex`", letter_id)
                failed.append(letter_id)
        if len(failed) == len(ids):
            raise RuntimeError(f"indexing letters {ids} failed")
        return done

    def step(self, batch: int = 200) -> tuple[int, int]:
        """One round: (log entries taken, letters indexed)."""
        if self.follower is None:
            self.open()
        assert self.follower is not None
        taken = self.follower.step(self._session, self._index, batch=batch)
        self.tick(busy=bool(taken[0]))
        return taken

    def _heartbeat(self, state: ReplicaState, *, every: float) -> None:
        now = time.monotonic()
        if now - self._beat < every:
            return
        self._beat = now
        with self.app.tx() as uow:
            alive = heartbeat(uow.session, state)
        if not alive:
            raise NodeExpired(state.node_id)

    def tick(self, *, busy: bool = False) -> None:
        """Heartbeat (its cursor) now and then; trim the log once a minute."""
        if self.follower is None:
            return
        self._heartbeat(self.follower.state, every=HEARTBEAT_EVERY if not busy else 1.0)
        now = time.monotonic()
        if now - self._trimmed >= TRIM_EVERY:
            self._trimmed = now
            with self.app.tx() as uow:
                gone = trim_log(uow.session, expire_seconds=self.app.settings.index_node_expire_seconds)
            if gone:
                log.info("trimmed %d change log entries every live node has applied", gone)


class Indexer:
    """The index worker of a one-process server: a thread following the change log. ``enqueue`` (what
    after-commit hooks call) only wakes it: the log, not a queue in memory, says what to index."""

    def __init__(self, app: Saraban, *, interval: float = 1.0) -> None:
        self.app = app
        self.interval = interval
        self._thread: threading.Thread | None = None
        self._index: SearchIndex | None = None
        self._lock = threading.Lock()
        self._guard = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.idle = threading.Event()
        self.idle.set()

    @property
    def index(self) -> SearchIndex:
        with self._lock:
            if self._index is None:
                self._index = SearchIndex(self.app.settings.index_path)
                if self._index.outdated:
                    log.error(
                        "the search index at %s has an older layout: search and indexing stop until "
                        "`saraban reindex` rebuilds it",
                        self.app.settings.index_path,
                    )
            return self._index

    def start(self) -> None:
        if self._thread is None:
            self.idle.clear()
            self._thread = threading.Thread(target=self._run, name="saraban-indexer", daemon=True)
            self._thread.start()

    def enqueue(self, letter_id: int | None = None) -> None:
        """A change committed (its log entry names the letter): look at the log now rather than at the next poll."""
        with self._guard:
            self.idle.clear()
            self._wake.set()
        if self._thread is None:
            self.start()

    def wait_idle(self, timeout: float = 60) -> bool:
        return self.idle.wait(timeout)

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._wake.set()
            self._thread.join(timeout=30)
            self._thread = None
            self._stopping.clear()
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None

    def _run(self) -> None:
        replica = Replica(self.app, self.index)
        gather = self.app.settings.index_gather_ms / 1000
        unmerged = False
        size = BATCH
        while not self._stopping.is_set():
            with self._guard:
                self._wake.clear()
            taken = 0
            try:
                if replica.follower is None:
                    replica.open()
                taken, _ = replica.step(size)
                unmerged = unmerged or bool(taken)
                if not taken and unmerged:
                    replica.index.merge_small()
                    unmerged = False
            except NodeExpired:
                replica.follower = None  # the next round rebuilds
                continue
            except SearchIndexOutdated:
                log.error("not indexing: the search index needs `saraban reindex`")
            except Exception:
                log.exception("indexing failed; retrying from the cursor (`saraban reindex` repairs the index)")
            full, size = taken >= size, next_batch(size, taken)
            if full:
                continue  # a backlog: the next (bigger) round at once
            with self._guard:
                if not self._wake.is_set():
                    self.idle.set()
            if gather and taken > 1:  # a stream, not a lone letter: let the next round gather
                self._stopping.wait(gather)
            self._wake.wait(self.interval)


def reindex(
    app: Saraban,
    index: SearchIndex,
    *,
    resume: bool,
    batch: int = REBUILD_COMMIT,
    procs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rebuild the index from the database and the stored originals; with ``resume`` skip what is there. The
    node then follows the change log from where it stood before the rebuild began (``replica``)."""
    return Replica(app, index).rebuild(resume=resume, batch=batch, procs=procs, progress=progress)


def pending_letters(app: Saraban, *, limit: int = 10_000) -> list[int]:
    """Letters changed and not yet indexed by any node (their ``index_status``, as the letter page shows it)."""
    with app.tx(readonly=True) as uow:
        rows = uow.session.exec(
            select(Letter.id)
            .where(col(Letter.index_status).in_(("pending", INDEXING)))  # INDEXING: claimed by a run that died
            .order_by(col(Letter.id))
            .limit(limit)
        )
        return [i for i in rows if i is not None]


def run_worker(
    app: Saraban,
    index: SearchIndex,
    *,
    once: bool,
    interval: float = 1.0,
    batch: int = BATCH,
    max_batch: int = MAX_BATCH,
    stop: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """The index worker: follow the change log from this node's cursor until stopped (or, with ``once``, until
    it is caught up). Returns the letters indexed (a rebuild's included).

    On start it takes up its place in the log (``Replica.open``: a rebuild when the index is empty). A full
    batch means a backlog, so the next follows at once and is bigger (:func:`next_batch`, up to ``max_batch``):
    after a burst of registrations the index commit, its new segment, the merges and the small write
    transactions are shared by thousands of letters instead of two hundred. After a partial one the worker waits
    ``SARABAN_INDEX_GATHER_MS``, so that under a stream of registrations each round takes what arrived
    meanwhile: the commit, the two small write transactions and the index segment are shared by a hundred
    letters instead of a few, and a new letter is searchable within about a second. Merging the index's small
    segments, which now and then takes seconds, waits until the log is drained. With nothing new it polls the
    log every ``interval``.
    """
    pause = stop.wait if stop is not None else time.sleep
    gather = app.settings.index_gather_ms / 1000
    replica = Replica(app, index)
    done = replica.open(progress)
    unmerged = False  # segments left unmerged while letters were coming in
    size = batch
    while True:
        try:
            taken, indexed = replica.step(size)
        except NodeExpired:
            log.warning("this node's place in the change log was given up: rebuilding")
            replica.follower = None
            done += replica.open(progress)
            continue
        done += indexed
        if taken:
            unmerged = True
            if stop is not None and stop.is_set():  # stopping: the cursor says where the next run starts
                return done
            full, size = taken >= size, next_batch(size, taken, base=batch, cap=max_batch)
            if full or once:
                continue
            pause(gather)
            continue
        if unmerged:  # nothing new: the moment for the merging the rounds put off
            index.merge_small()
            unmerged = False
        if once or (stop is not None and stop.is_set()):
            return done
        pause(interval)
