"""The receive flow end to end: check everything, store originals, register in one transaction, then stamp.

Order matters (bytes first, side effects after commit): nothing is stored or numbered for a bad request; originals
reach object
storage before the row that refers to them; derived files (the stamped copy, the index) come after the commit.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from service import audit
from service.access.rule import Actor
from service.context import Saraban
from service.kit.thai import be_year, local
from service.kit.uploads import CheckedFile, Upload, check_file
from service.letters.input import LetterIn
from service.letters.renditions import record_rendition
from service.letters.views import attachment_view, registration_view
from service.models import Attachment, Registration, Registry, Rendition, Unit
from service.receiving.duplicates import find_duplicates, refuse_duplicates
from service.receiving.record import (
    ReceiptDraft,
    Received,
    StoredFile,
    draft_receipt,
    plan_receipt,
    record_receipt,
)
from service.receiving.stamp import ReceiveStamp, image_to_pdf, stamp_pdf_to
from storage import Staging

log = logging.getLogger(__name__)
STAMPABLE = frozenset({"pdf", "jpeg", "png", "gif"})


@dataclass(frozen=True)
class StampJob:
    attachment_id: int
    sha256: str
    kind: str
    unit_name: str
    number: int
    registered_at: Any


def prepare_receipt(
    app: Saraban,
    *,
    actor: Actor,
    registry_id: int,
    data: LetterIn,
    upload: Upload,
    confirm_duplicate: bool = False,
) -> ReceiptDraft:
    """Everything before the write: the files checked, the clerk's right and the readers planned (reads only,
    outside the write lock), the duplicate warning (unless confirmed), the originals stored under their hashes, the
    rows drafted. A refusal here comes before anything is stored or numbered; the upload's temp files are gone
    afterwards either way."""
    try:
        checked = [check_file(f, allowed=app.settings.allowed_type_set) for f in upload.files]
        with app.tx(readonly=True) as uow:
            plan = plan_receipt(uow.session, actor, registry_id, data.secrecy)
            if app.settings.duplicate_check and not confirm_duplicate:
                assert plan.registry.id is not None
                earlier = find_duplicates(
                    uow.session,
                    actor,
                    registry_id=plan.registry.id,
                    year=be_year(local(app.clock(), app.settings.timezone)),
                    letter_no=data.letter_no,
                    sender=data.sender,
                    sha256s=[c.staged.sha256 for c in checked],
                )
                refuse_duplicates(earlier, tz=app.settings.timezone)
        stored = [_store(app, c) for c in checked]
    finally:
        upload.discard()
    return draft_receipt(plan, actor=actor, data=data, files=stored, now=app.clock())


def register_received(
    app: Saraban,
    *,
    actor: Actor,
    registry_id: int,
    data: LetterIn,
    upload: Upload,
    where: audit.Where,
    confirm_duplicate: bool = False,
) -> dict[str, Any]:
    """The one way a received letter is registered (API, web and tests): prepare, then the write in its own
    transaction (the next number, the rows, the readers, the audit), then the stamp and the index after commit.

    A letter that looks registered already (``service.receiving.duplicates``) is refused with 409
    ``possible_duplicate`` unless ``confirm_duplicate``."""
    draft = prepare_receipt(
        app, actor=actor, registry_id=registry_id, data=data, upload=upload, confirm_duplicate=confirm_duplicate
    )
    plan, stored = draft.plan, draft.files
    stamped: list[Rendition] = []
    with app.tx() as uow:
        received = record_receipt(uow.session, draft, where=where)
        letter_id = received.letter.id
        assert letter_id is not None
        if confirm_duplicate and app.settings.duplicate_check:
            _record_confirmed_duplicate(uow.session, draft, received, where=where)
        job = _stamp_job(received, stored, plan.unit_name, max_bytes=app.settings.stamp_max_mb * 1024 * 1024)
        if job is not None:
            uow.after_commit(lambda: stamped.append(stamp_attachment(app, job)))
        if app.indexer is not None:
            indexer = app.indexer
            uow.after_commit(lambda: indexer.enqueue(letter_id))
    attachments = [attachment_view(a, None) for a in received.attachments]
    response = {
        "letter_id": letter_id,
        "registration": registration_view(received.registration, plan.registry),
        "attachments": attachments,
    }
    for rendition in stamped:
        for view in attachments:
            if view["id"] == rendition.attachment_id:
                view["stamped_id"], view["stamped_sha256"] = rendition.id, rendition.sha256
    return response


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
            letter_no=received.letter.letter_no,
            sender=received.letter.sender,
            sha256s=[a.sha256 for a in received.attachments],
        )
        if e.registration_id != received.registration.id
    ]
    if earlier:
        audit.record(
            session,
            at=draft.now,
            action="duplicate_confirmed",
            actor=draft.actor,
            object_type="registration",
            object_id=received.registration.id or "",
            letter_id=received.letter.id,
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
    )


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
                number=received.registration.number,
                registered_at=received.registration.registered_at,
            )
    return None


def stamp_attachment(app: Saraban, job: StampJob) -> Rendition:
    """Produce and record the stamped copy; idempotent, so `saraban verify --repair` can re-run it.

    The copy is written to a staged temp file (hashed as it is written) and stored from there: neither the
    original nor the copy is held in memory.
    """
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


def restamp_missing(app: Saraban) -> int:
    """Re-create stamped copies that a crash after commit left missing."""
    count = 0
    with app.tx() as uow:
        s = uow.session
        letters_done = set()
        rows = s.exec(
            select(Attachment, Registration, Registry)
            .join(Registration, col(Registration.letter_id) == Attachment.letter_id)
            .join(Registry, col(Registry.id) == Registration.registry_id)
            .order_by(col(Attachment.letter_id), col(Attachment.position), col(Registration.id))
        ).all()
        stamped = {
            r.attachment_id
            for r in s.exec(select(Rendition).where(Rendition.kind == "stamped"))
            if app.store.exists(r.sha256)  # a row whose object vanished needs a new stamp too
        }
        jobs = []
        for att, reg, registry in rows:
            kind = _kind_of(att.media_type)
            if att.letter_id in letters_done or kind not in STAMPABLE:
                continue
            letters_done.add(att.letter_id)
            if att.id in stamped:
                continue
            unit = s.get(Unit, registry.unit_id)
            assert att.id is not None
            jobs.append(
                StampJob(
                    att.id,
                    att.sha256,
                    kind,
                    (unit.short_name or unit.name) if unit else "",
                    reg.number,
                    reg.registered_at,
                )
            )
    for job in jobs:
        stamp_attachment(app, job)
        count += 1
    return count


def _kind_of(media_type: str) -> str:
    return {"application/pdf": "pdf", "image/jpeg": "jpeg", "image/png": "png", "image/gif": "gif"}.get(media_type, "")
