"""Instructions (เกษียณหนังสือ / สั่งการ): a director or group head writes on a letter, with the typed name and
position that stand for the signature (ระเบียบงานสารบรรณ as amended in 2564: with identity verification — a
signed-in account — a typed name is a signature). Shown on the letter; rendered on request onto a copy of the
receive-stamped PDF, under the receive stamp, as a derived file (the original and the stamped copy are kept)."""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from service import audit
from service.access.policy import Action, require
from service.access.queries import get_visible_letter, letter_target
from service.access.roles import Role
from service.access.rule import Actor
from service.context import Saraban
from service.indexing.changes import INSTRUCT, record_change
from service.kit.clock import from_db, to_db
from service.kit.errors import InvalidInput, NotFound
from service.kit.files import FileRef
from service.kit.thai import format_thai_date, format_thai_time, local
from service.letters.renditions import record_rendition
from service.models import Attachment, Instruction, Rendition, Routing, Unit
from service.pdf.drawing import TextBox, TextLine, thai_fonts
from service.pdf.geometry import MM
from service.pdf.images import image_to_pdf
from service.pdf.placement import Anchor
from service.pdf.reading import _reader
from service.pdf.table import Wrapper
from service.pdf.update import Overlay, overlay_pdf_to
from service.receiving.stamp import choose_stamp_rect
from storage import Staging

MAX_TEXT = 2000
INSTRUCTED = "instructed"  # the rendition kind: the stamped copy with the instructions under the stamp
INK = (20, 40, 150)  # a blue pen
BOX_WIDTH_MM = 62.0
TEXT_PT = 11.0


def default_position(session: Session, actor: Actor) -> str:
    """ผู้อำนวยการ + the unit where the actor is head (``ผู้อำนวยการกลุ่มส่งเสริมฯ``, ``ผู้อำนวยการ สพป.…``)."""
    units = sorted(actor.units_with([Role.DIRECTOR]))
    if not units:
        return ""
    unit = session.get(Unit, units[0])
    if unit is None:
        return "ผู้อำนวยการ"
    short = unit.short_name or unit.name
    return "ผู้อำนวยการ" + ("" if short.startswith("กลุ่ม") else " ") + short


def add_instruction(
    session: Session,
    *,
    actor: Actor,
    letter_id: int,
    text: str,
    name: str | None = None,
    position: str | None = None,
    now: datetime,
    where: audit.Where | None = None,
) -> Instruction:
    """Write an instruction on a letter the actor can read; a head only (``INSTRUCT``). When the actor holds an
    open routing of the letter, the instruction is linked to it."""
    letter = get_visible_letter(session, actor, letter_id)
    require(actor, Action.INSTRUCT, letter_target(session, letter))
    text = text.strip()
    if not text:
        raise InvalidInput("the instruction is empty", thai="กรุณาพิมพ์ข้อความเกษียณ/สั่งการ")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"at most {MAX_TEXT} characters", thai=f"ข้อความยาวเกิน {MAX_TEXT} ตัวอักษร")
    typed = (name if name is not None else actor.full_name or actor.username).strip()
    if not typed:
        raise InvalidInput("type your name: it stands for the signature", thai="กรุณาพิมพ์ชื่อผู้สั่งการ")
    route = session.exec(
        select(Routing)
        .where(Routing.letter_id == letter_id, Routing.to_user_id == actor.id)
        .order_by(col(Routing.id).desc())
    ).first()
    row = Instruction(
        letter_id=letter_id,
        route_id=route.id if route else None,
        author_id=actor.id,
        author_name=typed[:255],
        author_position=(position if position is not None else default_position(session, actor)).strip()[:255],
        text=text,
        at=to_db(now),
    )
    session.add(row)
    record_change(session, [letter], INSTRUCT)  # the index learns the instruction's words
    session.flush()
    audit.record(
        session,
        at=now,
        action="instruct",
        actor=actor,
        object_type="letter",
        object_id=letter_id,
        letter_id=letter_id,
        where=where,
        instruction_id=row.id,
    )
    return row


# ---------------------------------------------------------------------------------------------- the rendition


def instruction_box(i: Instruction, *, tz: str = "Asia/Bangkok", thai_digits: bool = True) -> TextBox:
    """One instruction as written under the stamp, kept small so it fits between the letter's lines: its text
    wrapped to the box, the typed name in brackets with the position, the date and time."""
    wrap = Wrapper(thai_fonts()["R"], TEXT_PT)
    pad = 1.0 * MM
    at = local(i.at, tz)
    signed = f"({i.author_name})" + (f" {i.author_position}" if i.author_position else "")
    lines: list[TextLine | str] = [
        *wrap.wrap(i.text, BOX_WIDTH_MM * MM - 2 * pad),
        TextLine(signed, min_size_pt=7),
        TextLine(
            f"{format_thai_date(at.date(), thai_digits=thai_digits)} {format_thai_time(at, thai_digits=thai_digits)}",
            size_pt=TEXT_PT - 1.5,
        ),
    ]
    return TextBox(
        lines=lines,
        size_pt=TEXT_PT,
        line_height_pt=TEXT_PT * 1.3,
        width_pt=BOX_WIDTH_MM * MM,
        colour=INK,
        border=False,
        padding_pt=pad,
    )


@dataclass(frozen=True)
class _Job:
    attachment: Attachment
    stamped: Rendition
    current: Rendition | None
    instructions: list[Instruction]


def _job(session: Session, actor: Actor, letter_id: int) -> _Job:
    get_visible_letter(session, actor, letter_id)
    atts = session.exec(
        select(Attachment).where(Attachment.letter_id == letter_id).order_by(col(Attachment.position))
    ).all()
    renditions = {
        (r.attachment_id, r.kind): r
        for r in session.exec(select(Rendition).where(col(Rendition.attachment_id).in_([a.id for a in atts])))
    }
    main = next((a for a in atts if (a.id, "stamped") in renditions), None)
    if main is None or main.id is None:
        raise NotFound("this letter has no stamped copy", thai="หนังสือนี้ไม่มีฉบับประทับตรารับ")
    instructions = list(
        session.exec(
            select(Instruction)
            .where(Instruction.letter_id == letter_id)
            .order_by(col(Instruction.at), col(Instruction.id))
        ).all()
    )
    if not instructions:
        raise NotFound("this letter has no instructions", thai="หนังสือนี้ยังไม่มีการเกษียณสั่งการ")
    return _Job(main, renditions[(main.id, "stamped")], renditions.get((main.id, INSTRUCTED)), instructions)


def _fresh(job: _Job) -> bool:
    latest = max(from_db(i.at) for i in job.instructions)
    return job.current is not None and from_db(job.current.created_at) >= latest


def instructed_copy(app: Saraban, *, actor: Actor, letter_id: int, where: audit.Where) -> FileRef:
    """The stamped copy with every instruction under the receive stamp, made when an instruction is newer than the
    last one made (the original and the stamped copy are kept; the rendition is replaced); the download audited."""
    with app.tx(readonly=True) as uow:
        job = _job(uow.session, actor, letter_id)
    rendition = job.current
    if not _fresh(job):
        rendition = render_instructed(app, job)
    assert rendition is not None
    att = job.attachment
    with app.tx() as uow:
        audit.record(
            uow.session,
            at=app.clock(),
            action="download",
            actor=actor,
            object_type="attachment",
            object_id=att.id or "",
            letter_id=letter_id,
            where=where,
            rendition=INSTRUCTED,
            sha256=rendition.sha256,
        )
    return FileRef(
        rendition.sha256, rendition.size, "application/pdf", f"instructed-{att.filename.rsplit('.', 1)[0]}.pdf"
    )


def render_instructed(app: Saraban, job: _Job) -> Rendition:
    """Lay the instructions under the receive stamp of the stamped copy (an incremental update of it: the stamped
    copy is a prefix of the result), store it and record it as the attachment's ``instructed`` rendition.

    Where the stamp went is found again the way the stamp was placed (on page 1 of the original), so the first
    instruction goes under it and the others under each other; the placement avoids the letter's text and the
    stamp itself."""
    s = app.settings
    boxes = [instruction_box(i, tz=s.timezone, thai_digits=s.stamp_digits == "thai") for i in job.instructions]
    att = job.attachment
    with (
        app.store.local_path(att.sha256) as original,
        app.store.local_path(job.stamped.sha256) as stamped,
        tempfile.TemporaryDirectory(dir=app.tmp_dir) as tmp,
        Staging(app.tmp_dir, limit=sys.maxsize) as staging,
    ):
        page_source = original
        if att.media_type != "application/pdf":
            page_source = Path(tmp) / "image.pdf"
            page_source.write_bytes(image_to_pdf(original))
        with page_source.open("rb") as fh:
            stamp_rect = choose_stamp_rect(_reader(fh).pages[0])
        overlays = [Overlay(boxes[0], page=0, anchor=Anchor.below(stamp_rect), margin_pt=4 * MM)]
        overlays += [Overlay(b, page=0, below_previous=True, margin_pt=4 * MM) for b in boxes[1:]]
        overlay_pdf_to(stamped, staging, overlays, tmp_dir=app.tmp_dir)
        staged = staging.finish()
    try:
        app.store.put(staged)
    finally:
        staged.path.unlink(missing_ok=True)
    with app.tx() as uow:
        assert att.id is not None
        row = record_rendition(
            uow.session,
            attachment_id=att.id,
            kind=INSTRUCTED,
            sha256=staged.sha256,
            size=staged.size,
            media_type="application/pdf",
            now=app.clock(),
        )
        row.created_at = to_db(app.clock())  # when this copy was made: newer instructions make it stale
        uow.session.add(row)
        return row
