"""The keep-until stamp (ระเบียบงานสารบรรณ ข้อ 54): ``เก็บถึง พ.ศ. ....`` or ``ห้ามทำลาย`` at the bottom right of page 1,
on a rendition of the letter's main document (its receive-stamped copy when it has one). The original is kept as it
is; the stamped copy is a rendition of kind ``keep_until``, made after the filing commits and made again when the
keep-until year changes (idempotent: a re-run makes the same bytes)."""

from __future__ import annotations

import logging
import sys

from sqlmodel import Session, col, select

from service.archive.plan import stamp_text
from service.context import Saraban
from service.letters.renditions import record_rendition
from service.models import ArchiveItem, Attachment, Rendition
from service.pdf.drawing import TextBox
from service.pdf.geometry import MM
from service.pdf.placement import Anchor
from service.pdf.update import Overlay, overlay_pdf_to
from storage import Staging

log = logging.getLogger(__name__)

KIND = "keep_until"
STAMP_COLOUR = (200, 16, 46)


def keep_until_box(text: str) -> TextBox:
    """One line in the receive stamp's red, framed, about 45 × 10 mm."""
    return TextBox(
        lines=[text],
        size_pt=14,
        width_pt=45 * MM,
        height_pt=10 * MM,
        colour=STAMP_COLOUR,
        border=True,
        border_pt=0.4 * MM,
        padding_pt=1.5 * MM,
    )


def _source(session: Session, letter_id: int) -> tuple[int, str] | None:
    """(attachment id, sha256 of the PDF to stamp): the main document's receive-stamped copy, else the first PDF."""
    atts = session.exec(
        select(Attachment).where(Attachment.letter_id == letter_id).order_by(col(Attachment.position))
    ).all()
    stamped = {
        r.attachment_id: r.sha256
        for r in session.exec(
            select(Rendition).where(col(Rendition.attachment_id).in_([a.id for a in atts]), Rendition.kind == "stamped")
        )
    }
    for att in atts:
        assert att.id is not None
        if att.id in stamped:
            return att.id, stamped[att.id]
        if att.media_type == "application/pdf":
            return att.id, att.sha256
    return None


def referenced(session: Session, sha256: str) -> bool:
    """Whether any attachment or rendition still names this object."""
    return (
        session.exec(select(Attachment.id).where(Attachment.sha256 == sha256)).first() is not None
        or session.exec(select(Rendition.id).where(Rendition.sha256 == sha256)).first() is not None
    )


def stamp_keep_until(app: Saraban, item_id: int) -> Rendition | None:
    """Make (or re-make) the item's keep-until copy; ``None`` when the letter has no PDF to stamp."""
    with app.tx(readonly=True) as uow:
        item = uow.session.get(ArchiveItem, item_id)
        if item is None or item.state != "filed":
            return None
        source = _source(uow.session, item.letter_id)
        text = stamp_text(item.keep_until_year, thai_digits=app.settings.stamp_digits == "thai")
    if source is None:
        return None
    attachment_id, sha = source
    overlay = Overlay(keep_until_box(text), page=0, anchor=Anchor.BOTTOM_RIGHT, margin_pt=8 * MM)
    with app.store.local_path(sha) as src, Staging(app.tmp_dir, limit=sys.maxsize) as staging:
        overlay_pdf_to(src, staging, [overlay], tmp_dir=app.tmp_dir)
        staged = staging.finish()
    try:
        app.store.put(staged)
    finally:
        staged.path.unlink(missing_ok=True)
    with app.tx() as uow:
        old = uow.session.exec(
            select(Rendition).where(Rendition.attachment_id == attachment_id, Rendition.kind == KIND)
        ).first()
        old_sha = old.sha256 if old is not None else None
        row = record_rendition(
            uow.session,
            attachment_id=attachment_id,
            kind=KIND,
            sha256=staged.sha256,
            size=staged.size,
            media_type="application/pdf",
            now=app.clock(),
        )
        superseded = old_sha is not None and old_sha != staged.sha256 and not referenced(uow.session, old_sha)
    if superseded and old_sha is not None:
        app.store.delete(old_sha)  # the copy with the former year: nothing names it any more
    return row


def stamp_items(app: Saraban, item_ids: list[int]) -> None:
    """After commit: stamp each item (a failure is logged; re-filing or the next change makes it again)."""
    for item_id in item_ids:
        try:
            stamp_keep_until(app, item_id)
        except Exception:
            log.exception("the keep-until stamp of archive item %s failed", item_id)
