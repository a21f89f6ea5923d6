"""The 20-year transfer (หนังสือครบ ๒๐ ปี, ระเบียบงานสารบรรณ หมวด 3 ส่วนที่ 1): the transfer list and the
keep-ourselves list of a year, and for each list an export package in BagIt layout (RFC 8493, the ``bagit``
library): ``data/files/`` holds the original files as received, ``data/metadata/`` the list as JSON and CSV with Thai
field names (:data:`FIELDS`, explained in ``data/metadata/README.txt``), ``manifest-sha256.txt`` every file's
SHA-256. The package is validated after it is written, and every original's hash is checked against the one the
database recorded when it was received.

Memory stays flat whatever the size: originals are copied from the store in chunks, ``bagit`` hashes in blocks, and
the API streams the package as a tar written by a thread into a small bounded queue (:func:`iter_tar`).
"""

from __future__ import annotations

import json
import queue
import shutil
import tarfile
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import bagit
from sqlmodel import Session, col, select

from retention.keeping import be
from retention.transfer import TransferCandidate, split_transfer
from service import audit
from service.access.policy import Action, require
from service.access.queries import visible_letter_ids
from service.access.rule import Actor
from service.archive.errors import refused
from service.archive.filing import active_holds, item_rows
from service.context import Saraban
from service.kit import csvsafe
from service.kit.clock import to_db
from service.kit.errors import NotFound
from service.kit.thai import local
from service.models import ArchiveItem, Attachment, Letter, TransferItem, TransferList

# (Thai field name, what it holds) — the metadata's columns, in order; documented in the package and the README.
FIELDS: tuple[tuple[str, str], ...] = (
    ("ลำดับที่", "position on the list"),
    ("รหัสรายการ", "archive item id"),
    ("รหัสหนังสือ", "letter id in Saraban"),
    ("ทะเบียน", "registry code of the first registration"),
    ("เลขทะเบียน", "registration number / B.E. year"),
    ("ที่", "the letter's own number, as printed"),
    ("ลงวันที่", "the letter's date, ISO 8601"),
    ("จาก", "sender"),
    ("ถึง", "recipient"),
    ("เรื่อง", "subject"),
    ("รหัสแฟ้ม", "file code"),
    ("ชื่อแฟ้ม", "file name"),
    ("อายุการเก็บ", "retention class"),
    ("เก็บถึง", "keep-until (B.E. year, or ห้ามทำลาย)"),
    ("วันที่ปฏิบัติเสร็จ", "the day the matter was completed, ISO 8601"),
    ("ที่เก็บต้นฉบับ", "where the paper original is kept"),
    ("ชื่อไฟล์", "the file's name as received"),
    ("ไฟล์ในแพ็กเกจ", "the file's path inside the package"),
    ("ขนาดไบต์", "size in bytes"),
    ("ชนิดไฟล์", "media type detected from the bytes"),
    ("SHA-256", "the SHA-256 recorded when the file was received"),
)
KIND_TH = {"transfer": "บัญชีส่งมอบหนังสือครบ ๒๐ ปี", "keep": "บัญชีหนังสือครบ ๒๐ ปีที่ขอเก็บเอง"}


# ---------------------------------------------------------------------------------------------- the lists


def draw_up_transfer(
    session: Session,
    *,
    actor: Actor,
    keep_item_ids: Sequence[int] = (),
    now: datetime,
    where: audit.Where | None = None,
    tz: str = "Asia/Bangkok",
) -> tuple[TransferList, TransferList]:
    """The year's transfer list and keep-ourselves list: every filed item made 20 years before the end of last
    year; those named in ``keep_item_ids`` (and those under legal hold) on the second list."""
    require(actor, Action.TRANSFER)
    today = local(now, tz).date()
    year = be(today.year)
    listed = set(session.exec(select(TransferItem.item_id)).all())
    rows = session.exec(
        select(ArchiveItem, Letter)
        .join(Letter, col(Letter.id) == ArchiveItem.letter_id)
        .where(ArchiveItem.state == "filed", col(ArchiveItem.letter_id).in_(visible_letter_ids(actor)))
        .order_by(col(ArchiveItem.file_code_id), col(ArchiveItem.id))
    ).all()
    held = active_holds(session, [i.id for i, _ in rows if i.id is not None])
    candidates = [
        TransferCandidate(item.id, letter.letter_date or item.completed_on, held=item.id in held)
        for item, letter in rows
        if item.id is not None and item.id not in listed
    ]
    to_archives, ourselves = split_transfer(candidates, year, keep=keep_item_ids)
    if not to_archives and not ourselves:
        raise refused("nothing_to_transfer")
    made = []
    for kind, ids in (("transfer", to_archives), ("keep", ourselves)):
        lst = TransferList(year=year, kind=kind, created_at=to_db(now), created_by=actor.id)
        session.add(lst)
        session.flush()
        assert lst.id is not None
        for n, item_id in enumerate(ids, start=1):
            session.add(TransferItem(list_id=lst.id, item_id=item_id, position=n))
        made.append(lst)
        audit.record(
            session,
            at=now,
            action="transfer_list_create",
            actor=actor,
            object_type="transfer_list",
            object_id=lst.id,
            where=where,
            kind=kind,
            year=year,
            items=ids,
        )
    session.flush()
    return made[0], made[1]


def get_transfer_list(session: Session, actor: Actor, list_id: int) -> TransferList:
    require(actor, Action.READ_ARCHIVE)
    lst = session.get(TransferList, list_id)
    if lst is None:
        raise NotFound(f"transfer list {list_id} not found", thai="ไม่พบบัญชีนี้")
    return lst


def transfer_rows(session: Session, list_id: int) -> list[dict[str, Any]]:
    items = session.exec(
        select(ArchiveItem)
        .join(TransferItem, col(TransferItem.item_id) == ArchiveItem.id)
        .where(TransferItem.list_id == list_id)
        .order_by(col(TransferItem.position))
    ).all()
    return item_rows(session, items)


def transfer_view(session: Session, actor: Actor, list_id: int) -> dict[str, Any]:
    lst = get_transfer_list(session, actor, list_id)
    return {
        "id": lst.id,
        "year": lst.year,
        "kind": lst.kind,
        "kind_th": KIND_TH[lst.kind],
        "items": [
            {"item_id": r["id"], "letter_id": r["letter_id"], "file_code": r["file_code"], "subject": r["subject"]}
            for r in transfer_rows(session, list_id)
        ],
    }


def all_transfer_lists(session: Session, actor: Actor) -> list[dict[str, Any]]:
    require(actor, Action.READ_ARCHIVE)
    return [
        {"id": x.id, "year": x.year, "kind": x.kind, "kind_th": KIND_TH[x.kind]}
        for x in session.exec(select(TransferList).order_by(col(TransferList.id).desc()))
    ]


# ---------------------------------------------------------------------------------------------- the package


@dataclass(frozen=True)
class PackageFile:
    item_id: int
    filename: str
    sha256: str
    size: int
    media_type: str
    path: str  # inside data/


def _safe(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "._-" else "_" for c in name).strip("._") or "file"
    return keep[:120]


def _records(session: Session, list_id: int) -> tuple[list[dict[str, Any]], list[PackageFile]]:
    rows = transfer_rows(session, list_id)
    letters = {x.id: x for x in session.exec(select(Letter).where(col(Letter.id).in_([r["letter_id"] for r in rows])))}
    records: list[dict[str, Any]] = []
    files: list[PackageFile] = []
    for n, r in enumerate(rows, start=1):
        letter = letters[r["letter_id"]]
        reg = r["registration"]
        base = {
            "ลำดับที่": n,
            "รหัสรายการ": r["id"],
            "รหัสหนังสือ": r["letter_id"],
            "ทะเบียน": reg["registry_code"] if reg else "",
            "เลขทะเบียน": f"{reg['number']}/{reg['year']}" if reg else "",
            "ที่": r["letter_no"],
            "ลงวันที่": r["letter_date"] or "",
            "จาก": letter.sender,
            "ถึง": letter.recipient,
            "เรื่อง": r["subject"],
            "รหัสแฟ้ม": r["file_code"],
            "ชื่อแฟ้ม": r["file_name"],
            "อายุการเก็บ": r["retention_class_name"],
            "เก็บถึง": r["keep_until_year"] or "ห้ามทำลาย",
            "วันที่ปฏิบัติเสร็จ": r["completed_on"],
            "ที่เก็บต้นฉบับ": r["location"],
        }
        atts = session.exec(
            select(Attachment).where(Attachment.letter_id == r["letter_id"]).order_by(col(Attachment.position))
        ).all()
        item_files = []
        for att in atts:
            f = PackageFile(
                item_id=r["id"],
                filename=att.filename,
                sha256=att.sha256,
                size=att.size,
                media_type=att.media_type,
                path=f"files/{n:05d}-item{r['id']}/{att.position + 1:02d}-{_safe(att.filename)}",
            )
            files.append(f)
            item_files.append(f)
        records.append({**base, "ไฟล์": [_file_fields(f) for f in item_files]})
    return records, files


def _file_fields(f: PackageFile) -> dict[str, Any]:
    return {
        "ชื่อไฟล์": f.filename,
        "ไฟล์ในแพ็กเกจ": f"data/{f.path}",
        "ขนาดไบต์": f.size,
        "ชนิดไฟล์": f.media_type,
        "SHA-256": f.sha256,
    }


class PackageInvalid(RuntimeError):
    """The written package did not validate (a file's bytes do not match the manifest or the database)."""


def write_package(
    app: Saraban,
    actor: Actor,
    list_id: int,
    dest: Path,
    *,
    where: audit.Where | None = None,
) -> bagit.Bag:
    """Write the list's package as a BagIt directory at ``dest`` (which must not exist), validate it, audit it."""
    with app.tx(readonly=True) as uow:
        lst = get_transfer_list(uow.session, actor, list_id)
        records, files = _records(uow.session, list_id)
        kind, year = lst.kind, lst.year
    dest.mkdir(parents=True)
    meta = dest / "metadata"
    meta.mkdir()
    for f in files:
        target = dest / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            for chunk in app.store.iter_chunks(f.sha256):
                out.write(chunk)
    (meta / "metadata.json").write_text(
        json.dumps({"บัญชี": KIND_TH[kind], "ปี": year, "รายการ": records}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    with (meta / "metadata.csv").open("w", encoding="utf-8-sig", newline="") as out:
        writer = csvsafe.writer(out)
        writer.writerow([name for name, _ in FIELDS])
        for rec in records:
            for fdict in rec["ไฟล์"] or [{}]:
                row = {**rec, **fdict}
                writer.writerow([row.get(name, "") for name, _ in FIELDS])
    (meta / "README.txt").write_text(
        f"{KIND_TH[kind]} ประจำปี พ.ศ. {year}\n\nmetadata.json / metadata.csv (UTF-8): one entry per item; the CSV has "
        "one row per file.\n\n" + "\n".join(f"{name}\t{meaning}" for name, meaning in FIELDS) + "\n",
        encoding="utf-8",
    )
    bag = bagit.make_bag(
        str(dest),
        bag_info={
            "Source-Organization": "Saraban",
            "External-Description": f"{KIND_TH[kind]} ประจำปี พ.ศ. {year}",
            "External-Identifier": f"saraban-transfer-{list_id}",
        },
        checksums=["sha256"],
    )
    validate_package(dest, files)
    with app.tx() as uow:
        audit.record(
            uow.session,
            at=app.clock(),
            action="transfer_package",
            actor=actor,
            object_type="transfer_list",
            object_id=list_id,
            where=where,
            files=len(files),
            bytes=sum(f.size for f in files),
        )
    return bag


def validate_package(dest: Path, files: Sequence[PackageFile]) -> None:
    """``bagit``'s validation (every payload file against ``manifest-sha256.txt``) and each original against the
    SHA-256 the database recorded when it was received."""
    bag = bagit.Bag(str(dest))
    try:
        bag.validate()
    except bagit.BagValidationError as exc:
        raise PackageInvalid(f"the package at {dest} does not validate: {exc}") from exc
    manifest = bag.payload_entries()
    for f in files:
        if manifest.get(f"data/{f.path}", {}).get("sha256") != f.sha256:
            raise PackageInvalid(f"data/{f.path}: its SHA-256 is not the one recorded for {f.filename}")


def iter_tar(root: Path, arcname: str, *, chunk: int = 1 << 20, cleanup: bool = False) -> Iterator[bytes]:
    """A tar of ``root`` as it is written, in chunks, with at most a few chunks in memory (a writer thread feeds a
    bounded queue). Closing the iterator early stops the writer; ``cleanup`` removes ``root`` at the end."""
    q: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=4)
    stop = threading.Event()

    class _Sink:
        def write(self, data: bytes) -> int:
            while not stop.is_set():
                try:
                    q.put(bytes(data), timeout=0.5)
                    return len(data)
                except queue.Full:
                    continue
            raise OSError("the reader went away")

    def run() -> None:
        try:
            with tarfile.open(fileobj=_Sink(), mode="w|", bufsize=chunk) as tar:  # type: ignore[call-overload]
                tar.add(str(root), arcname=arcname)
            q.put(None)
        except BaseException as exc:  # handed to the reader, raised there
            if not stop.is_set():
                q.put(exc)

    thread = threading.Thread(target=run, name="saraban-tar", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)
        if cleanup:
            shutil.rmtree(root.parent if root.parent.name.startswith("saraban-package-") else root, ignore_errors=True)


def package_stream(app: Saraban, actor: Actor, list_id: int, *, where: audit.Where | None = None) -> Iterator[bytes]:
    """Write and validate the package in a temp directory, then stream it as a tar and remove it."""
    app.tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="saraban-package-", dir=app.tmp_dir))
    root = tmp / f"transfer-{list_id}"
    try:
        write_package(app, actor, list_id, root, where=where)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return iter_tar(root, root.name, cleanup=True)
