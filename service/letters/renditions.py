"""Derived files of an attachment (the stamped copy, OCR text): one row per kind, replaced when re-made."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from service.kit.clock import to_db
from service.models import Rendition


def record_rendition(
    session: Session, *, attachment_id: int, kind: str, sha256: str, size: int, media_type: str, now: datetime
) -> Rendition:
    existing = session.exec(
        select(Rendition).where(Rendition.attachment_id == attachment_id, Rendition.kind == kind)
    ).first()
    if existing is not None:
        existing.sha256, existing.size, existing.media_type = sha256, size, media_type
        session.add(existing)
        session.flush()
        return existing
    row = Rendition(
        attachment_id=attachment_id, kind=kind, sha256=sha256, size=size, media_type=media_type, created_at=to_db(now)
    )
    session.add(row)
    session.flush()
    return row
