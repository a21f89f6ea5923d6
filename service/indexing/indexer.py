"""Keeping the search index in step with the database: one writer thread per process, fed after commit.

The database is the source of truth; a crash loses at most the queue, and ``saraban reindex`` rebuilds
everything from the database and the stored originals.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from search import IndexDoc, SearchIndex, SearchIndexOutdated
from search.extract import extract_text
from service.access.queries import letter_readers
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
    ocr = app.settings.ocr != "off"
    letters = Letter.__table__  # type: ignore[attr-defined]
    with app.tx() as uow:
        uow.session.connection().execute(update(letters).where(letters.c.id.in_(ids)).values(index_status=INDEXING))
    docs: list[IndexDoc] = []
    statuses: list[dict[str, object]] = []
    kept: list[ExtractedText] = []
    with app.tx(readonly=True) as uow:
        for doc, status, texts in build_docs(uow.session, app.store, ids, ocr=ocr):
            docs.append(doc)
            statuses.append({"letter_id": doc.doc_id, "status": status})
            kept.extend(texts)
    if docs:
        index.upsert(docs, defer_merge=defer_merge)
    gone = sorted(set(ids) - {doc.doc_id for doc in docs})  # destroyed (or never there): out of the index
    if gone:
        index.delete(gone)
        statuses.extend({"letter_id": i, "status": REMOVED} for i in gone)
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
    return len(docs)


class Indexer:
    """A single background writer; ``enqueue`` is what after-commit hooks call."""

    def __init__(self, app: Saraban) -> None:
        self.app = app
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._index: SearchIndex | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.idle = threading.Event()
        self.idle.set()

    @property
    def index(self) -> SearchIndex:
        with self._lock:
            if self._index is None:
                from search import SearchIndex

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
            self._thread = threading.Thread(target=self._run, name="saraban-indexer", daemon=True)
            self._thread.start()
            for letter_id in pending_letters(self.app):  # what a crash left unindexed
                self.enqueue(letter_id)

    def enqueue(self, letter_id: int) -> None:
        self.idle.clear()
        self._queue.put(letter_id)
        if self._thread is None:
            self.start()

    def wait_idle(self, timeout: float = 60) -> bool:
        return self.idle.wait(timeout)

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None
            self._stopping.clear()
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None

    def _run(self) -> None:
        gather = self.app.settings.index_gather_ms / 1000
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = {first}
            stop = False
            while len(batch) < 200:  # batch whatever is already waiting into one commit
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.add(nxt)
            try:
                index_letters(self.app, self.index, sorted(batch))
            except SearchIndexOutdated:
                log.error("not indexing letters %s: the search index needs `saraban reindex`", sorted(batch))
            except Exception:
                log.exception("indexing letters %s failed; `saraban reindex` repairs the index", sorted(batch))
            if self._queue.empty():
                self.idle.set()
            if stop:
                return
            if gather and len(batch) > 1:  # a stream, not a lone letter: let the next round gather
                self._stopping.wait(gather)


def reindex(
    app: Saraban,
    index: SearchIndex,
    *,
    resume: bool,
    batch: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rebuild the index from the database and the stored originals; with ``resume`` skip what is there."""
    with app.tx() as uow:
        ids = [i for i in uow.session.exec(select(Letter.id).order_by(col(Letter.id))) if i is not None]
    if resume and index.outdated:
        log.warning("the search index has an older layout: rebuilding it completely instead of resuming")
        resume = False
    if resume:
        present = index.doc_ids()
        todo = [i for i in ids if i not in present]
    else:
        index.clear()
        todo = ids
    done = 0
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        index_letters(app, index, chunk)
        done += len(chunk)
        if progress:
            progress(done, len(todo))
    return done


def pending_letters(app: Saraban, *, limit: int = 10_000) -> list[int]:
    """Letters registered (or changed) but not yet indexed: the database is the indexing queue."""
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
    batch: int = 200,
    stop: threading.Event | None = None,
) -> int:
    """The indexing worker: index pending letters in batches until stopped (or, with ``once``, none is left).

    A full batch means a backlog, so the next follows at once. After a partial one the worker waits
    ``SARABAN_INDEX_GATHER_MS``, so that under a stream of registrations each round takes what arrived
    meanwhile: the commit, the two small write transactions and the index segment are shared by a hundred
    letters instead of a few, and a new letter is searchable within about a second. Merging the index's small
    segments, which now and then takes seconds, waits until nothing is pending. With nothing pending it polls
    every ``interval``.
    """
    pause = stop.wait if stop is not None else time.sleep
    gather = app.settings.index_gather_ms / 1000
    done = 0
    unmerged = False  # segments left unmerged while letters were coming in
    while True:
        ids = pending_letters(app, limit=batch)
        if ids:
            done += index_letters(app, index, ids, defer_merge=True)
            unmerged = True
            if stop is not None and stop.is_set():  # stopping: what is left stays pending for the next run
                return done
            if len(ids) >= batch or once:
                continue
            pause(gather)
            continue
        if unmerged:  # nothing pending: the moment for the merging the rounds put off
            index.merge_small()
            unmerged = False
        if once or (stop is not None and stop.is_set()):
            return done
        pause(interval)
