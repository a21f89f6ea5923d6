"""The receive flow end to end: check everything, store originals, register in one transaction, then stamp.

Order matters (DESIGN.md rules 2–3): nothing is stored or numbered for a bad request; originals reach object
storage before the row that refers to them; derived files (the stamped copy, the index) come after the commit.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service import audit
from service.access import Actor
from service.context import Saraban
from service.letters import (
    LetterIn,
    Received,
    StoredFile,
    check_may_register,
    letter_view,
    receive_letter,
    record_rendition,
    visible_registry,
)
from service.models import Attachment, Registry, Unit
from service.thai import local
from service.uploads import CheckedFile, Upload, check_file

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


def register_received(
    app: Saraban, *, actor: Actor, registry_id: int, data: LetterIn, upload: Upload, where: audit.Where
) -> dict[str, Any]:
    try:
        checked = [check_file(f, allowed=app.settings.allowed_type_set) for f in upload.files]
        with app.tx() as uow:  # fail fast before storing anything: the registry and the clerk's right
            registry = visible_registry(uow.session, actor, registry_id)
            check_may_register(uow.session, actor, registry, data.secrecy)
        stored = [_store(app, c) for c in checked]
    finally:
        upload.discard()
    now = app.clock()
    with app.tx() as uow:
        received = receive_letter(
            uow.session, actor=actor, registry_id=registry_id, data=data, files=stored, now=now, where=where
        )
        registry_row = uow.session.get(Registry, registry_id)
        assert registry_row is not None
        unit = uow.session.get(Unit, registry_row.unit_id)
        job = _stamp_job(received, stored, (unit.short_name or unit.name) if unit else "")
        letter_id = received.letter.id
        assert letter_id is not None
        if job is not None:
            uow.after_commit(lambda: stamp_attachment(app, job))
        if app.indexer is not None:
            indexer = app.indexer
            uow.after_commit(lambda: indexer.enqueue(letter_id))
    with app.tx() as uow:
        view = letter_view(uow.session, received.letter, tz=app.settings.timezone)
    return {
        "letter_id": letter_id,
        "registration": view["registrations"][0],
        "attachments": view["attachments"],
        "letter": view,
    }


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


def _stamp_job(received: Received, stored: list[StoredFile], unit_name: str) -> StampJob | None:
    """The main document is the first PDF or image; it carries the receive stamp (domain.md §3.2)."""
    for att, f in zip(received.attachments, stored, strict=True):
        if f.kind in STAMPABLE:
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


def stamp_attachment(app: Saraban, job: StampJob) -> None:
    """Produce and record the stamped copy; idempotent, so `saraban verify --repair` can re-run it."""
    from service.stamp import ReceiveStamp, image_to_pdf, stamp_pdf

    stamp = ReceiveStamp(
        unit_name=job.unit_name,
        number=job.number,
        received_at=local(job.registered_at, app.settings.timezone),
        thai_digits=app.settings.stamp_digits == "thai",
    )
    with app.store.local_path(job.sha256) as src:
        if job.kind == "pdf":
            data = stamp_pdf(src, stamp)
        else:
            with tempfile.TemporaryDirectory(dir=app.tmp_dir) as tmp:
                pdf = Path(tmp) / "image.pdf"
                pdf.write_bytes(image_to_pdf(src))
                data = stamp_pdf(pdf, stamp)
    sha = app.store.put_bytes(data)
    with app.tx() as uow:
        record_rendition(
            uow.session,
            attachment_id=job.attachment_id,
            kind="stamped",
            sha256=sha,
            size=len(data),
            media_type="application/pdf",
            now=app.clock(),
        )


def restamp_missing(app: Saraban) -> int:
    """Re-create stamped copies that a crash after commit left missing."""
    from sqlmodel import col, select

    from service.models import Registration, Rendition

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
        stamped = {r.attachment_id for r in s.exec(select(Rendition).where(Rendition.kind == "stamped"))}
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
