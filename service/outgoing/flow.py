"""The outgoing acts end to end, each in its own transaction, side effects after the commit (the index, e-mail)."""

from __future__ import annotations

import logging
from typing import Any

from service import audit
from service.access.rule import Actor
from service.context import Saraban
from service.kit.errors import disk_full
from service.kit.thai import local
from service.kit.uploads import Upload, check_file
from service.letters.views import attachment_view
from service.outgoing.delivery import MailJob, Sent, record_mail_result, register_delivery, send_letter
from service.outgoing.drafting import attach_files, create_draft, outgoing_of, series_of
from service.outgoing.input import OutgoingIn
from service.outgoing.mail import send_mail, smtp_configured
from service.outgoing.numbers import issue_number
from service.outgoing.series import require_issuer
from service.receiving.record import StoredFile

log = logging.getLogger(__name__)


def _reindex_after(app: Saraban, uow: Any, letter_id: int) -> None:
    if app.indexer is not None:
        indexer = app.indexer
        uow.after_commit(lambda: indexer.enqueue(letter_id))


def draft(app: Saraban, *, actor: Actor, data: OutgoingIn, where: audit.Where) -> dict[str, Any]:
    with app.tx() as uow:
        drafted = create_draft(uow.session, actor, data, now=app.clock(), where=where)
        letter_id = drafted.letter.id
        assert letter_id is not None
        _reindex_after(app, uow, letter_id)
    return {"letter_id": letter_id, "state": drafted.outgoing.state}


def check_may_attach(app: Saraban, *, actor: Actor, letter_id: int) -> None:
    """The issuer's right to the letter's files, checked before the upload is read (the routes call it first)."""
    with app.tx(readonly=True) as uow:
        outgoing, letter = outgoing_of(uow.session, actor, letter_id)
        require_issuer(uow.session, actor, series_of(uow.session, outgoing), letter.secrecy)


def upload_files(app: Saraban, *, actor: Actor, letter_id: int, upload: Upload, where: audit.Where) -> dict[str, Any]:
    """Check every file, store the originals under their hashes, then record them (bytes first, as receiving)."""
    try:
        checked = [
            check_file(f, allowed=app.settings.allowed_type_set, max_pixels=app.settings.stamp_max_pixels)
            for f in upload.files
        ]
        stored = []
        for c in checked:
            app.store.put(c.staged)
            stored.append(
                StoredFile(
                    filename=c.filename,
                    sha256=c.staged.sha256,
                    size=c.staged.size,
                    media_type=c.media.media_type,
                    kind=c.media.kind,
                    pages=c.pages,
                    active_content=c.active_content,
                    original_name=c.original,
                    too_complex=c.too_complex,
                )
            )
    except OSError as exc:  # a full disk: nothing is recorded
        if (full := disk_full(exc)) is not None:
            raise full from exc
        raise
    finally:
        upload.discard()
    with app.tx() as uow:
        rows = attach_files(uow.session, actor, letter_id, stored, now=app.clock(), where=where)
        _reindex_after(app, uow, letter_id)
    return {"letter_id": letter_id, "attachments": [attachment_view(a, None) for a in rows]}


def issue(
    app: Saraban, *, actor: Actor, letter_id: int, reservation_id: int | None, where: audit.Where
) -> dict[str, Any]:
    with app.tx() as uow:
        issued = issue_number(
            uow.session,
            actor,
            letter_id,
            reservation_id=reservation_id,
            now=app.clock(),
            thai_digits=app.settings.stamp_digits == "thai",
            tz=app.settings.timezone,
            where=where,
        )
        _reindex_after(app, uow, letter_id)
    reg = issued.registration
    return {
        "letter_id": letter_id,
        "letter_no": issued.letter_no,
        "state": "issued",
        "registration": {"id": reg.id, "registry_id": reg.registry_id, "year": reg.year, "number": reg.number},
    }


def send(app: Saraban, *, actor: Actor, letter_id: int, where: audit.Where) -> dict[str, Any]:
    """Deliveries, posts and the e-mails' record in one transaction; the e-mails go out after it commits and what
    the SMTP server said is recorded in another."""
    smtp = smtp_configured(app.settings)
    with app.tx() as uow:
        sent: Sent = send_letter(uow.session, actor, letter_id, now=app.clock(), smtp=smtp, where=where)
        _reindex_after(app, uow, letter_id)
    outside = {o["id"]: o for o in sent.outside}
    for job in sent.mail:
        result = deliver_mail(app, job)
        outside[job.recipient_id].update(result)
    return {"letter_id": letter_id, "deliveries": sent.deliveries, "outside": list(outside.values())}


def deliver_mail(app: Saraban, job: MailJob) -> dict[str, Any]:
    """Send one e-mail and record the outcome (an SMTP failure is recorded, not raised: the letter was sent to
    everyone else, and sending again retries the failed ones)."""
    message_id: str | None = None
    error: str | None = None
    try:
        message_id = send_mail(app.settings, app.store, job)
    except Exception as exc:
        log.warning("e-mail to %s failed: %s", job.to_email, exc)
        error = f"{type(exc).__name__}: {exc}"
    now = app.clock()
    with app.tx() as uow:
        record_mail_result(uow.session, job, message_id=message_id, error=error, now=now)
    return {
        "state": "emailed" if message_id else "failed",
        "message_id": message_id,
        "error": error,
        "sent_at": local(now, app.settings.timezone).isoformat() if message_id else None,
    }


def register(
    app: Saraban, *, actor: Actor, delivery_id: int, registry_id: int | None, where: audit.Where
) -> dict[str, Any]:
    with app.tx() as uow:
        result = register_delivery(
            uow.session, actor, delivery_id, registry_id=registry_id, now=app.clock(), where=where
        )
        _reindex_after(app, uow, int(result["letter_id"]))
    return result
