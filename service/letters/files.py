"""Opening a letter's file (the original or its stamped copy) for download: checked, audited."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from service import audit
from service.access.queries import get_visible_attachment
from service.access.rule import Actor
from service.kit.errors import NotFound
from service.kit.files import FileRef
from service.models import Rendition


def open_attachment(
    session: Session, actor: Actor, attachment_id: int, *, stamped: bool, now: datetime, where: audit.Where
) -> FileRef:
    att = get_visible_attachment(session, actor, attachment_id)
    ref = FileRef(att.sha256, att.size, att.media_type, att.filename)
    if stamped:
        r = session.exec(
            select(Rendition).where(Rendition.attachment_id == attachment_id, Rendition.kind == "stamped")
        ).first()
        if r is None:
            raise NotFound("this attachment has no stamped copy", thai="ไฟล์นี้ไม่มีฉบับประทับตรารับ")
        ref = FileRef(r.sha256, r.size, r.media_type, f"stamped-{att.filename.rsplit('.', 1)[0]}.pdf")
    audit.record(
        session,
        at=now,
        action="download",
        actor=actor,
        object_type="attachment",
        object_id=attachment_id,
        letter_id=att.letter_id,
        where=where,
        rendition="stamped" if stamped else "original",
        sha256=ref.sha256,
    )
    return ref
