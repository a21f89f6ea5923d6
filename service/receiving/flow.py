"""The receive flow end to end: check everything, store originals, register in one transaction, then stamp.

Order matters (bytes first, side effects after commit): nothing is stored or numbered for a bad request; originals
reach object
storage before the row that refers to them; derived files (the stamped copy, the index) come after the commit.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from service import audit
from service.access.roles import RECEIVE_KINDS
from service.access.rule import Actor
from service.context import Saraban
from service.integrity import idempotency
from service.kit.db import UnitOfWork
from service.kit.errors import disk_full
from service.kit.thai import be_year, local
from service.kit.uploads import CheckedFile, Upload, check_file
from service.letters.input import LetterIn
from service.letters.renditions import record_rendition
from service.letters.views import attachment_view, registration_view
from service.models import Attachment, Registration, Registry, Rendition, Unit
from service.pdf.budget import Budget, TooComplex, metered
from service.receiving.dates import check_letter_dates
from service.receiving.duplicates import find_duplicates, refuse_duplicates
from service.receiving.record import (
    ReceiptDraft,
    ReceiptPlan,
    Received,
    RegistryRow,
    StoredFile,
    draft_receipt,
    plan_receipt,
    precheck_receipt,
    precheck_registry,
    record_receipt,
)
from service.receiving.stamp import InvalidImage, InvalidPdf, ReceiveStamp, image_to_pdf, stamp_pdf_to
from storage import Staging

log = logging.getLogger(__name__)
STAMPABLE = frozenset({"pdf", "jpeg", "png", "gif"})


TOO_COMPLEX = "too_complex"
UNSTAMPABLE = "unstampable"
DEFERRED = "deferred"


def stamp_budget(app: Saraban) -> Budget:
    """The budgets of one stamp, from the settings (``SARABAN_STAMP_MAX_*``)."""
    s = app.settings
    return Budget(
        content_bytes=s.stamp_max_content_mb * 1024 * 1024,
        operators=s.stamp_max_operators,
        pixels=s.stamp_max_pixels,
        seconds=s.stamp_max_seconds,
    )


@dataclass(frozen=True)
class StampOutcome:
    rendition: Rendition | None
    status: str  # "stamped" or why not (TOO_COMPLEX, UNSTAMPABLE)
    reason: str = ""


@dataclass(frozen=True)
class StampJob:
    attachment_id: int
    sha256: str
    kind: str
    unit_name: str
    number: int
    registered_at: Any


PRECHECK_TTL = 1.0
"""Seconds a registry read for the early check (:func:`check_may_receive`) is reused by this process."""
_registries: weakref.WeakKeyDictionary[Engine, dict[int, tuple[float, RegistryRow]]] = weakref.WeakKeyDictionary()


def check_may_receive(app: Saraban, *, actor: Actor, registry_id: int) -> None:
    """The clerk's right to the registry, checked before the upload is read (the route calls it first).

    The registry as read here is kept for :data:`PRECHECK_TTL` for :func:`check_may_receive_known`."""
    with app.tx(readonly=True) as uow:
        registry = precheck_receipt(uow.session, actor, registry_id)
    _registries.setdefault(app.engine, {})[registry_id] = (time.monotonic() + PRECHECK_TTL, registry)


def check_may_receive_known(app: Saraban, *, actor: Actor, registry_id: int) -> bool:
    """:func:`check_may_receive` without the database when this process read the registry within the last
    :data:`PRECHECK_TTL` (false: it did not; ask :func:`check_may_receive`). The actor's rights are checked anew
    every time; only the registry's row (its kind and unit) may be that old, and the registration checks them
    again against the database before anything is stored or numbered (:func:`prepare_receipt`): a registry
    changed within that second at worst has its refusal come after the body was read instead of before. It
    spares every registration a thread hop and a transaction."""
    known = _registries.get(app.engine, {}).get(registry_id)
    if known is None or known[0] < time.monotonic():
        return False
    precheck_registry(actor, known[1], registry_id)
    return True


def prepare_receipt(
    app: Saraban,
    *,
    actor: Actor,
    registry_id: int,
    data: LetterIn,
    upload: Upload,
    confirm_duplicate: bool = False,
    confirm_date: bool = False,
) -> ReceiptDraft:
    """Everything before the write: the files checked, the clerk's right and the readers planned (reads only,
    outside the write lock), the duplicate warning (unless confirmed), the originals stored under their hashes, the
    rows drafted. A refusal here comes before anything is stored or numbered; the upload's temp files are gone
    afterwards either way. A date far ahead or before B.E. 2500 is refused unless confirmed (``receiving.dates``)."""
    try:
        if not confirm_date:
            check_letter_dates(data, now=app.clock(), tz=app.settings.timezone)
        checked = [
            check_file(f, allowed=app.settings.allowed_type_set, max_pixels=app.settings.stamp_max_pixels)
            for f in upload.files
        ]
        with app.tx(readonly=True) as uow:
            plan = checked_plan(
                app,
                uow.session,
                actor=actor,
                registry_id=registry_id,
                data=data,
                sha256s=[c.staged.sha256 for c in checked],
                confirm_duplicate=confirm_duplicate,
            )
        stored = [_store(app, c) for c in checked]
    except OSError as exc:  # a full disk: nothing is registered (an original already stored is an orphan at most)
        if (full := disk_full(exc)) is not None:
            raise full from exc
        raise
    finally:
        upload.discard()
    return draft_receipt(plan, actor=actor, data=data, files=stored, now=app.clock())


def checked_plan(
    app: Saraban,
    session: Session,
    *,
    actor: Actor,
    registry_id: int,
    data: LetterIn,
    sha256s: list[str],
    confirm_duplicate: bool,
) -> ReceiptPlan:
    """The reads before a registration: the clerk's right to the registry and the letter's readers
    (:func:`plan_receipt`), then the duplicate warning unless confirmed (``receiving.duplicates``)."""
    plan = plan_receipt(session, actor, registry_id, data.secrecy)
    if app.settings.duplicate_check and not confirm_duplicate:
        assert plan.registry.id is not None
        earlier = find_duplicates(
            session,
            actor,
            registry_id=plan.registry.id,
            year=be_year(local(app.clock(), app.settings.timezone)),
            letter_no=data.letter_no,
            sender=data.sender,
            sha256s=sha256s,
        )
        refuse_duplicates(earlier, tz=app.settings.timezone)
    return plan


def register_without_files_now(
    app: Saraban,
    *,
    actor: Actor,
    registry_id: int,
    data: LetterIn,
    where: audit.Where,
    confirm_duplicate: bool = False,
    confirm_date: bool = False,
) -> dict[str, Any]:
    """:func:`register_received` for a letter without files, in one transaction that does not wait for the write
    lock: :class:`~service.kit.db.WriteLockBusy`, with nothing read or written, when it is held elsewhere.

    The same checks in the same order, but the reads share the write's transaction instead of running in one of
    their own before it (a transaction's begin, connection and commit were a seventh of a registration's CPU);
    nothing is stored beforehand, so there is nothing to do outside the lock. The duplicate warning is then read
    under the lock that numbers the letter. For the event loop (``receiving.api``): nothing in it waits."""
    if not confirm_date:
        check_letter_dates(data, now=app.clock(), tz=app.settings.timezone)
    with _full_disk_refused(), app.tx(wait=False) as uow:
        plan = checked_plan(
            app,
            uow.session,
            actor=actor,
            registry_id=registry_id,
            data=data,
            sha256s=[],
            confirm_duplicate=confirm_duplicate,
        )
        draft = draft_receipt(plan, actor=actor, data=data, files=[], now=app.clock())
        response, job = _write(
            app, uow, draft, where=where, confirm_duplicate=confirm_duplicate, claim=None, stamped=[]
        )
    assert job is None  # no file, nothing to stamp
    return response


def register_received(
    app: Saraban,
    *,
    actor: Actor,
    registry_id: int,
    data: LetterIn,
    upload: Upload,
    where: audit.Where,
    confirm_duplicate: bool = False,
    claim: idempotency.Claim | None = None,
    confirm_date: bool = False,
) -> dict[str, Any]:
    """The one way a received letter is registered (API, web and tests): prepare, then the write in its own
    transaction (the next number, the rows, the readers, the audit, the answer kept for an ``Idempotency-Key``),
    then the stamp and the index after commit.

    A letter that looks registered already (``service.receiving.duplicates``) is refused with 409
    ``possible_duplicate`` unless ``confirm_duplicate``."""
    draft = prepare_receipt(
        app,
        actor=actor,
        registry_id=registry_id,
        data=data,
        upload=upload,
        confirm_duplicate=confirm_duplicate,
        confirm_date=confirm_date,
    )
    return write_receipt(app, draft, where=where, confirm_duplicate=confirm_duplicate, claim=claim)


def write_receipt(
    app: Saraban,
    draft: ReceiptDraft,
    *,
    where: audit.Where,
    confirm_duplicate: bool = False,
    claim: idempotency.Claim | None = None,
) -> dict[str, Any]:
    """The second half of :func:`register_received`: the prepared receipt written, then stamped and indexed."""
    stamped: list[StampOutcome] = []
    try:
        with _full_disk_refused(), app.tx() as uow:
            response, job = _write(
                app, uow, draft, where=where, confirm_duplicate=confirm_duplicate, claim=claim, stamped=stamped
            )
    except IntegrityError:
        first = idempotency.replay(app, claim) if claim is not None else None
        if first is None:
            raise
        return dict(first.body)  # a concurrent request with the same key registered it: its answer
    attachments: list[dict[str, Any]] = response["attachments"]
    for outcome in stamped:
        for view in attachments:
            rendition = outcome.rendition
            if rendition is not None and view["id"] == rendition.attachment_id:
                view["stamped_id"], view["stamped_sha256"] = rendition.id, rendition.sha256
                view["stamp_status"] = "stamped"
            elif rendition is None and job is not None and view["id"] == job.attachment_id:
                view["stamp_status"] = outcome.status
    if claim is not None and stamped:
        idempotency.update_body(app, claim, response)
    return response


def _write(
    app: Saraban,
    uow: UnitOfWork,
    draft: ReceiptDraft,
    *,
    where: audit.Where,
    confirm_duplicate: bool,
    claim: idempotency.Claim | None,
    stamped: list[StampOutcome],
) -> tuple[dict[str, Any], StampJob | None]:
    """Inside the write's transaction: the rows, the answer (kept for an ``Idempotency-Key``), and after commit
    the stamp (its outcome appended to ``stamped``) and the index. Returns the answer and the stamp job."""
    plan, stored = draft.plan, draft.files
    received = record_receipt(uow.session, draft, where=where)
    letter_id = received.letter_id
    if confirm_duplicate and app.settings.duplicate_check:
        _record_confirmed_duplicate(uow.session, draft, received, where=where)
    job = _stamp_job(received, stored, plan.unit_name, max_bytes=app.settings.stamp_max_mb * 1024 * 1024)
    main = _main_document(received, stored)
    if job is None and main is not None:  # above SARABAN_STAMP_MAX_MB: `saraban verify --repair` stamps it
        main.stamp_status = DEFERRED
        uow.session.execute(update(Attachment).where(col(Attachment.id) == main.id).values(stamp_status=DEFERRED))
    response = {
        "letter_id": letter_id,
        "registration": registration_view(received.registered, plan.registry),
        "attachments": [attachment_view(a, None) for a in received.attachments],
    }
    if claim is not None:
        idempotency.remember(uow.session, claim, idempotency.Answer(201, response), now=app.clock())
    if job is not None:
        uow.after_commit(lambda: stamped.append(stamp_attachment(app, job)))
    if app.indexer is not None:
        indexer = app.indexer
        uow.after_commit(lambda: indexer.enqueue(letter_id))
    return response, job


def _record_confirmed_duplicate(
    session: Session, draft: ReceiptDraft, received: Received, *, where: audit.Where
) -> None:
    """The clerk registered a letter that looked registered already: the audit says which earlier ones it resembled."""
    registry_id = draft.plan.registry.id
    assert registry_id is not None
    earlier = [
        e
        for e in find_duplicates(
            session,
            draft.actor,
            registry_id=registry_id,
            year=draft.year,
            letter_no=received.letter_values["letter_no"],
            sender=received.letter_values["sender"],
            sha256s=[a.sha256 for a in received.attachments],
        )
        if e.registration_id != received.registered.id
    ]
    if earlier:
        audit.record(
            session,
            at=draft.now,
            action="duplicate_confirmed",
            actor=draft.actor,
            object_type="registration",
            object_id=received.registered.id,
            letter_id=received.letter_id,
            where=where,
            earlier=[{"letter_id": e.letter_id, "number": e.number, "year": e.year, "match": e.match} for e in earlier],
        )


def _store(app: Saraban, checked: CheckedFile) -> StoredFile:
    app.store.put(checked.staged)
    return StoredFile(
        filename=checked.filename,
        sha256=checked.staged.sha256,
        size=checked.staged.size,
        media_type=checked.media.media_type,
        kind=checked.media.kind,
        pages=checked.pages,
        active_content=checked.active_content,
        original_name=checked.original,
        too_complex=checked.too_complex,
    )


@contextmanager
def _full_disk_refused() -> Iterator[None]:
    """A full disk while the registration is written (SQLite's file, its journal) rolls it back: 503, not 500."""
    try:
        yield
    except Exception as exc:
        if (full := disk_full(exc)) is not None:
            raise full from exc
        raise


def _main_document(received: Received, stored: list[StoredFile]) -> Attachment | None:
    for att, f in zip(received.attachments, stored, strict=True):
        if f.kind in STAMPABLE:
            return att
    return None


def _stamp_job(received: Received, stored: list[StoredFile], unit_name: str, *, max_bytes: int) -> StampJob | None:
    """The main document is the first PDF or image; it carries the receive stamp (ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด
    2 ส่วนที่ 1: ตรารับหนังสือ at the top right of page 1).

    A main document above ``max_bytes`` (``SARABAN_STAMP_MAX_MB``) is stamped later by ``saraban verify --repair``
    rather than in the request. Stamping streams the file, so this bounds only the time a request spends copying.
    """
    for att, f in zip(received.attachments, stored, strict=True):
        if f.kind in STAMPABLE:
            if f.size > max_bytes:
                return None
            assert att.id is not None
            return StampJob(
                attachment_id=att.id,
                sha256=f.sha256,
                kind=f.kind,
                unit_name=unit_name,
                number=received.registered.number,
                registered_at=received.registered.registered_at,
            )
    return None


def stamp_attachment(app: Saraban, job: StampJob, *, budget: Budget | None = None) -> StampOutcome:
    """Produce and record the stamped copy within the stamp's budgets; idempotent, so `saraban verify --repair`
    can re-run it (with the same budgets).

    The copy is written to a staged temp file (hashed as it is written) and stored from there: neither the
    original nor the copy is held in memory. A file over a budget (:class:`TooComplex`) or one that cannot take
    a stamp (a damaged image or PDF) is left unstamped, its attachment marked with why (``stamp_status``).
    ``budget``: other budgets than a request's (the background job's, ``receiving.stampjob``).
    """
    try:
        with metered(budget or stamp_budget(app)):
            rendition = _make_stamped(app, job)
    except TooComplex as exc:
        log.warning("attachment %s not stamped, over a budget: %s", job.attachment_id, exc.what)
        _mark_stamp(app, job.attachment_id, TOO_COMPLEX)
        return StampOutcome(None, TOO_COMPLEX, exc.what)
    except (InvalidPdf, InvalidImage) as exc:
        log.warning("attachment %s cannot take a stamp: %s", job.attachment_id, exc)
        _mark_stamp(app, job.attachment_id, UNSTAMPABLE)
        return StampOutcome(None, UNSTAMPABLE, str(exc))
    _mark_stamp(app, job.attachment_id, "")
    return StampOutcome(rendition, "stamped")


def _mark_stamp(app: Saraban, attachment_id: int, status: str) -> None:
    with app.tx() as uow:
        att = uow.session.get(Attachment, attachment_id)
        if att is not None and att.stamp_status != status:
            att.stamp_status = status
            uow.session.add(att)


def _make_stamped(app: Saraban, job: StampJob) -> Rendition:
    stamp = ReceiveStamp(
        unit_name=job.unit_name,
        number=job.number,
        received_at=local(job.registered_at, app.settings.timezone),
        thai_digits=app.settings.stamp_digits == "thai",
    )
    # a derived file: the upload limit does not apply
    with app.store.local_path(job.sha256) as src, Staging(app.tmp_dir, limit=sys.maxsize) as staging:
        if job.kind == "pdf":
            stamp_pdf_to(src, staging, stamp, tmp_dir=app.tmp_dir)
        else:
            with tempfile.TemporaryDirectory(dir=app.tmp_dir) as tmp:
                pdf = Path(tmp) / "image.pdf"
                pdf.write_bytes(image_to_pdf(src))
                stamp_pdf_to(pdf, staging, stamp)
        staged = staging.finish()
    try:
        app.store.put(staged)
    finally:
        staged.path.unlink(missing_ok=True)
    with app.tx() as uow:
        return record_rendition(
            uow.session,
            attachment_id=job.attachment_id,
            kind="stamped",
            sha256=staged.sha256,
            size=staged.size,
            media_type="application/pdf",
            now=app.clock(),
        )


def main_documents(session: Session) -> list[tuple[Attachment, Registration, Registry]]:
    """The main document (first stampable file) of every registered letter, with the letter's first
    registration: what carries the receive stamp."""
    rows = session.exec(
        select(Attachment, Registration, Registry)
        .join(Registration, col(Registration.letter_id) == Attachment.letter_id)
        .join(Registry, col(Registry.id) == Registration.registry_id)
        .order_by(col(Attachment.letter_id), col(Attachment.position), col(Registration.id))
    ).all()
    found = []
    letters_done: set[int] = set()
    first_seen: set[int] = set()
    for att, reg, registry in rows:
        if att.letter_id not in first_seen:  # the letter's first registration: a letter the office sent is not
            first_seen.add(att.letter_id)  # stamped (its recipients' arrivals register the sender's files)
            if registry.kind not in RECEIVE_KINDS:
                letters_done.add(att.letter_id)
        if att.letter_id in letters_done or kind_of(att.media_type) not in STAMPABLE:
            continue
        letters_done.add(att.letter_id)
        found.append((att, reg, registry))
    return found


@dataclass
class RestampReport:
    stamped: int = 0
    failed: list[str] = field(default_factory=list)


def restamp_missing(app: Saraban) -> RestampReport:
    """Re-create stamped copies that a crash after commit left missing (or that were deferred, or over a budget:
    tried again with the same budgets). A file that cannot be stamped is reported and the rest go on."""
    from service.receiving import stampjob  # it imports this module

    report = RestampReport()
    claimer = stampjob.new_claimer(app.settings)
    waiting: set[int] = set()  # over a request's budgets: the stamp job's too, so claimed as it claims them
    with app.tx() as uow:
        s = uow.session
        stamped = {
            r.attachment_id
            for r in s.exec(select(Rendition).where(Rendition.kind == "stamped"))
            if app.store.exists(r.sha256)  # a row whose object vanished needs a new stamp too
        }
        jobs = []
        for att, reg, registry in main_documents(s):
            if att.id in stamped:
                continue
            unit = s.get(Unit, registry.unit_id)
            assert att.id is not None
            if att.stamp_status == TOO_COMPLEX:
                waiting.add(att.id)
            jobs.append(
                StampJob(
                    att.id,
                    att.sha256,
                    kind_of(att.media_type),
                    (unit.short_name or unit.name) if unit else "",
                    reg.number,
                    reg.registered_at,
                )
            )
    for job in jobs:
        held = job.attachment_id in waiting
        if held and not stampjob.claim(app, job.attachment_id, claimer=claimer):
            shown = app.public_ids.attachments.encode(job.attachment_id)
            report.failed.append(f"attachment {shown}: a node's stamp job is stamping it now (left to that job)")
            continue
        try:
            outcome = stamp_attachment(app, job)
        except Exception as exc:  # one bad file must not stop the others
            log.exception("re-stamping attachment %s failed", job.attachment_id)
            report.failed.append(
                f"attachment {app.public_ids.attachments.encode(job.attachment_id)}: {type(exc).__name__}: {exc}"
            )
            continue
        finally:
            if held:
                stampjob.release(app, job.attachment_id, claimer=claimer)
        if outcome.rendition is None:
            shown = app.public_ids.attachments.encode(job.attachment_id)  # as people see it
            report.failed.append(f"attachment {shown}: {outcome.status} ({outcome.reason})")
        else:
            report.stamped += 1
    return report


def kind_of(media_type: str) -> str:
    return {"application/pdf": "pdf", "image/jpeg": "jpeg", "image/png": "png", "image/gif": "gif"}.get(media_type, "")
