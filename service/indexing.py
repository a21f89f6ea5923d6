"""Keeping the search index in step with the database: one writer thread per process, fed after commit.

The database is the source of truth; a crash loses at most the queue, and ``saraban reindex`` rebuilds
everything from the database and the stored originals.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from service.letters import letter_readers
from service.models import Attachment, Letter, LetterAccess, Registration, Registry, Rendition, Routing
from storage import ObjectStore

if TYPE_CHECKING:
    from search import IndexDoc, SearchIndex
    from service.context import Saraban

log = logging.getLogger(__name__)
TEXT_CAP = 200_000


@dataclass(frozen=True)
class ExtractedText:
    """Text extracted from an attachment and already in the store, to be recorded as its ``text`` rendition."""

    attachment_id: int
    sha256: str
    size: int
    at: datetime


def attachment_text(
    session: Session, store: ObjectStore, att: Attachment, *, ocr: bool
) -> tuple[str, str, ExtractedText | None]:
    """The text of one attachment: the kept ``text`` rendition, or extracted now (and stored, to be recorded)."""
    from search.extract import extract_text

    assert att.id is not None
    cached = session.exec(select(Rendition).where(Rendition.attachment_id == att.id, Rendition.kind == "text")).first()
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


def build_doc(
    session: Session, store: ObjectStore, letter: Letter, *, ocr: bool
) -> tuple[IndexDoc, str, list[ExtractedText]]:
    """The letter as the index sees it, its index status, and attachment texts to keep (reads only)."""
    from search import IndexDoc

    assert letter.id is not None
    regs = session.exec(
        select(Registration, Registry)
        .join(Registry, col(Registry.id) == Registration.registry_id)
        .where(Registration.letter_id == letter.id)
    ).all()
    atts = session.exec(
        select(Attachment).where(Attachment.letter_id == letter.id).order_by(col(Attachment.position))
    ).all()
    texts, statuses, kept = [], [], []
    for att in atts:
        text, status, extracted = attachment_text(session, store, att, ocr=ocr)
        texts.append(text)
        statuses.append(f"{att.filename}: {status}")
        if extracted is not None:
            kept.append(extracted)
    routes = session.exec(select(Routing).where(Routing.letter_id == letter.id)).all()
    principals = [a.principal for a in session.exec(select(LetterAccess).where(LetterAccess.letter_id == letter.id))]
    if not principals:
        principals = sorted(letter_readers(session, letter))
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
        principals=principals,
    )
    status = "indexed" + ("; " + "; ".join(s for s in statuses if not s.endswith(": ok")) if statuses else "")
    return doc, status[:250], kept


INDEXING = "indexing"


def index_letters(app: Saraban, index: SearchIndex, letter_ids: Iterable[int]) -> int:
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
        for letter_id in ids:
            letter = uow.session.get(Letter, letter_id)
            if letter is None:
                continue
            doc, status, texts = build_doc(uow.session, app.store, letter, ocr=ocr)
            docs.append(doc)
            statuses.append({"letter_id": letter_id, "status": status})
            kept.extend(texts)
    if docs:
        index.upsert(docs)
    from service.letters import record_rendition

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
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None

    def _run(self) -> None:
        from search import SearchIndexOutdated

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
    """The indexing worker: index pending letters in batches until stopped (or once)."""
    import time

    done = 0
    while True:
        ids = pending_letters(app, limit=batch)
        if ids:
            done += index_letters(app, index, ids)
            continue
        if once or (stop is not None and stop.is_set()):
            return done
        time.sleep(interval)
