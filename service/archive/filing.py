"""Filing (ส่งเก็บ, ระเบียบงานสารบรรณ ข้อ 54): a completed letter goes into the archive under a file code and a
retention class, with the year it is kept until; the items as the archive lists them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from retention.keeping import STORAGE_KIND_TH, StorageKind, keep_until_year
from retention.loans import LoanState
from service import audit
from service.access.policy import Action, require
from service.access.queries import get_visible_letter, visible_letter_ids
from service.access.rule import Actor
from service.archive.errors import refused
from service.archive.plan import get_file_code, get_retention_class, stamp_text
from service.indexing.changes import FILE, record_change
from service.kit.clock import to_db
from service.kit.errors import InvalidInput, NotFound
from service.kit.files import FileRef
from service.kit.thai import local
from service.models import (
    ArchiveItem,
    Attachment,
    FileCode,
    LegalHold,
    Letter,
    Loan,
    Registration,
    Registry,
    Rendition,
    RetentionClass,
    Tombstone,
)
from service.routing.queries import journey_completed_on


@dataclass(frozen=True)
class Filing:
    """What the records officer asks: these letters, under this file code and class, kept here."""

    letter_ids: Sequence[int]
    file_code_id: int
    retention_class_id: int
    location: str = ""
    storage_kind: StorageKind = StorageKind.COMPLETED
    completed_on: date | None = None
    """The day the matter was completed, for older files registered afterwards; ``None``: the journey's."""


def file_letters(
    session: Session,
    *,
    actor: Actor,
    filing: Filing,
    now: datetime,
    where: audit.Where | None = None,
    tz: str = "Asia/Bangkok",
) -> list[ArchiveItem]:
    """File every letter of ``filing`` or none: a letter the actor cannot see, one filed already or destroyed,
    or one whose journey is not completed (with no completion date given) refuses the whole request."""
    require(actor, Action.FILE_LETTERS)
    ids = list(dict.fromkeys(filing.letter_ids))
    if not ids:
        raise InvalidInput("name at least one letter", thai="เลือกหนังสือที่จะส่งเก็บอย่างน้อยหนึ่งฉบับ")
    file_code = get_file_code(session, filing.file_code_id)
    cls = get_retention_class(session, filing.retention_class_id)
    today = local(now, tz).date()
    if filing.completed_on is not None and filing.completed_on > today:
        raise refused("completed_in_future")
    items = []
    for letter_id in ids:
        get_visible_letter(session, actor, letter_id)
        if session.get(Tombstone, letter_id) is not None:
            raise refused("letter_destroyed", letter_id=letter_id)
        if session.exec(select(ArchiveItem).where(ArchiveItem.letter_id == letter_id)).first() is not None:
            raise refused("already_filed", letter_id=letter_id)
        completed = filing.completed_on or journey_completed_on(session, letter_id, tz=tz)
        if completed is None:
            raise refused("journey_not_completed", letter_id=letter_id)
        item = ArchiveItem(
            letter_id=letter_id,
            file_code_id=filing.file_code_id,
            retention_class_id=filing.retention_class_id,
            storage_kind=filing.storage_kind.value,
            location=filing.location.strip(),
            completed_on=completed,
            keep_until_year=keep_until_year(completed, cls.years),
            filed_at=to_db(now),
            filed_by=actor.id,
        )
        session.add(item)
        session.flush()
        record_change(session, [letter_id], FILE)
        audit.record(
            session,
            at=now,
            action="archive_file",
            actor=actor,
            object_type="archive_item",
            object_id=item.id or 0,
            letter_id=letter_id,
            where=where,
            file_code=file_code.code,
            retention_class=cls.code,
            completed_on=completed.isoformat(),
            keep_until_year=item.keep_until_year,
            location=item.location,
        )
        items.append(item)
    return items


def get_item(session: Session, actor: Actor, item_id: int) -> ArchiveItem:
    """An item of the archive the actor may read (its letter passes the reading rule); else 404."""
    require(actor, Action.READ_ARCHIVE)
    item = session.get(ArchiveItem, item_id)
    if item is None:
        raise NotFound(f"archive item {item_id} not found", thai="ไม่พบหนังสือในที่เก็บนี้")
    get_visible_letter(session, actor, item.letter_id)
    return item


def change_item(
    session: Session,
    *,
    actor: Actor,
    item_id: int,
    retention_class_id: int | None = None,
    file_code_id: int | None = None,
    location: str | None = None,
    now: datetime,
    where: audit.Where | None = None,
) -> ArchiveItem:
    """Re-file an item: another class (its keep-until year follows), another file, another shelf."""
    require(actor, Action.FILE_LETTERS)
    item = get_item(session, actor, item_id)
    if item.state != "filed":
        raise refused("item_not_filed", item_id=item_id)
    before = {
        "retention_class_id": item.retention_class_id,
        "file_code_id": item.file_code_id,
        "location": item.location,
        "keep_until_year": item.keep_until_year,
    }
    if retention_class_id is not None:
        cls = get_retention_class(session, retention_class_id)
        item.retention_class_id = retention_class_id
        item.keep_until_year = keep_until_year(item.completed_on, cls.years)
    if file_code_id is not None:
        get_file_code(session, file_code_id)
        item.file_code_id = file_code_id
    if location is not None:
        item.location = location.strip()
    session.add(item)
    session.flush()
    audit.record(
        session,
        at=now,
        action="archive_change",
        actor=actor,
        object_type="archive_item",
        object_id=item_id,
        letter_id=item.letter_id,
        where=where,
        before=before,
        after={
            "retention_class_id": item.retention_class_id,
            "file_code_id": item.file_code_id,
            "location": item.location,
            "keep_until_year": item.keep_until_year,
        },
    )
    return item


# ---------------------------------------------------------------------------------------------- reading


def active_holds(session: Session, item_ids: Sequence[int]) -> dict[int, list[LegalHold]]:
    out: dict[int, list[LegalHold]] = {}
    if not item_ids:
        return out
    for h in session.exec(
        select(LegalHold).where(col(LegalHold.item_id).in_(item_ids), col(LegalHold.released_at).is_(None))
    ):
        out.setdefault(h.item_id, []).append(h)
    return out


def items_out(session: Session, item_ids: Sequence[int]) -> set[int]:
    """The items lent out and not back."""
    if not item_ids:
        return set()
    return set(
        session.exec(
            select(Loan.item_id).where(col(Loan.item_id).in_(item_ids), Loan.state == LoanState.OUT.value)
        ).all()
    )


def first_registration(session: Session, letter_id: int) -> tuple[Registration, Registry] | None:
    row = session.exec(
        select(Registration, Registry)
        .join(Registry, col(Registry.id) == Registration.registry_id)
        .where(Registration.letter_id == letter_id)
        .order_by(col(Registration.id))
    ).first()
    return (row[0], row[1]) if row else None


def item_rows(session: Session, items: Sequence[ArchiveItem]) -> list[dict[str, Any]]:
    """Items as plain values with their letter, file, class, holds and loan state (a handful of queries)."""
    ids = [i.id for i in items if i.id is not None]
    letters = {x.id: x for x in session.exec(select(Letter).where(col(Letter.id).in_([i.letter_id for i in items])))}
    files = {f.id: f for f in session.exec(select(FileCode))}
    classes = {c.id: c for c in session.exec(select(RetentionClass))}
    holds = active_holds(session, ids)
    out = items_out(session, ids)
    rows = []
    for item in items:
        letter = letters.get(item.letter_id)
        reg = first_registration(session, item.letter_id)
        f, c = files.get(item.file_code_id), classes.get(item.retention_class_id)
        rows.append(
            {
                "id": item.id,
                "letter_id": item.letter_id,
                "letter_no": letter.letter_no if letter else "",
                "letter_date": letter.letter_date.isoformat() if letter and letter.letter_date else None,
                "subject": letter.subject if letter else "",
                "sender": letter.sender if letter else "",
                "registration": {"registry_code": reg[1].code, "year": reg[0].year, "number": reg[0].number}
                if reg
                else None,
                "file_code_id": item.file_code_id,
                "file_code": f.code if f else "",
                "file_name": f.name if f else "",
                "retention_class_id": item.retention_class_id,
                "retention_class": c.code if c else "",
                "retention_class_name": c.name if c else "",
                "years": c.years if c else None,
                "storage_kind": item.storage_kind,
                "storage_kind_th": STORAGE_KIND_TH.get(StorageKind(item.storage_kind), item.storage_kind),
                "location": item.location,
                "completed_on": item.completed_on.isoformat(),
                "keep_until_year": item.keep_until_year,
                "stamp": stamp_text(item.keep_until_year),
                "state": item.state,
                "holds": [
                    {"id": h.id, "reason": h.reason, "placed_at": local(h.placed_at).isoformat()}
                    for h in holds.get(item.id or 0, [])
                ],
                "on_loan": (item.id or 0) in out,
                "filed_at": local(item.filed_at).isoformat(),
            }
        )
    return rows


def item_view(session: Session, actor: Actor, item_id: int) -> dict[str, Any]:
    return item_rows(session, [get_item(session, actor, item_id)])[0]


def list_items(
    session: Session, actor: Actor, *, state: str | None = "filed", limit: int = 200, offset: int = 0
) -> list[dict[str, Any]]:
    """The archive's items the actor may read, newest first."""
    require(actor, Action.READ_ARCHIVE)
    q = select(ArchiveItem).where(col(ArchiveItem.letter_id).in_(visible_letter_ids(actor)))
    if state:
        q = q.where(ArchiveItem.state == state)
    items = session.exec(q.order_by(col(ArchiveItem.id).desc()).offset(offset).limit(limit)).all()
    return item_rows(session, items)


def open_keep_until_copy(
    session: Session, actor: Actor, item_id: int, *, now: datetime, where: audit.Where | None = None
) -> FileRef:
    """The item's keep-until-stamped copy for download (audited)."""
    item = get_item(session, actor, item_id)
    row = session.exec(
        select(Rendition)
        .join(Attachment, col(Attachment.id) == Rendition.attachment_id)
        .where(Attachment.letter_id == item.letter_id, Rendition.kind == "keep_until")
    ).first()
    if row is None:
        raise NotFound("this item has no keep-until copy", thai="หนังสือนี้ยังไม่มีฉบับประทับตราอายุการเก็บ")
    audit.record(
        session,
        at=now,
        action="download",
        actor=actor,
        object_type="attachment",
        object_id=row.attachment_id,
        letter_id=item.letter_id,
        where=where,
        rendition="keep_until",
        sha256=row.sha256,
    )
    return FileRef(row.sha256, row.size, row.media_type, f"keep-until-{item.letter_id}.pdf")
