"""The register exported as it is shown (its filters applied): CSV, Excel (.xlsx) or the printable PDF, written to a
file the caller streams out and deletes. CSV and Excel read the register in batches (bounded memory for a year of
any size); the PDF is drawn from the rows in memory (the table toolkit lays pages out from them)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Literal

from sqlmodel import Session

from service import audit
from service.access.rule import Actor
from service.models import Unit
from service.registers.entries import (
    COLUMNS,
    NO_FILTER,
    RegisterFilter,
    columns_th,
    entries_pdf,
    iter_entries,
    readable_registry,
)
from service.registers.xlsx import write_xlsx

Format = Literal["csv", "xlsx", "pdf"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
STATUS_COLUMN = "สถานะ"
STATUS_TH = {"cancelled": "ยกเลิก", "reserved": "จองไว้", "expired": "จองไว้ (หมดอายุ)", "": ""}


@dataclass(frozen=True)
class Exported:
    filename: str
    media_type: str
    rows: int


def export_register(
    session: Session,
    actor: Actor,
    *,
    registry_id: int,
    year: int,
    fmt: Format,
    out: IO[bytes],
    filters: RegisterFilter = NO_FILTER,
    tz: str = "Asia/Bangkok",
    now: datetime,
    thai_digits: bool = True,
) -> Exported:
    """Write the (filtered) register of the B.E. year to ``out`` (reads only: it may run in a read-only transaction
    beside the registrations; :func:`audit_export` records it afterwards)."""
    registry = readable_registry(session, actor, registry_id)
    rows = iter_entries(session, actor, registry=registry, year=year, filters=filters, tz=tz, now=now)
    headings = [*columns_th(registry.kind), "ชั้นความเร็ว", "ไฟล์แนบ", STATUS_COLUMN]
    count = 0
    if fmt == "pdf":
        unit = session.get(Unit, registry.unit_id)
        entries = list(rows)
        count = len(entries)
        out.write(entries_pdf(registry, unit.name if unit else "", year, entries, thai_digits=thai_digits))
    elif fmt == "xlsx":
        count = write_xlsx(
            out,
            sheet=f"{registry.code} {year}",
            headings=headings,
            rows=(
                [
                    *(getattr(e, c) for c in COLUMNS),
                    e.urgency,
                    e.attachments,
                    STATUS_TH.get(e.status, e.status) + (" (แก้ไขแล้ว)" if e.corrected else ""),
                ]
                for e in rows
            ),
        )
    else:
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")  # Excel reads UTF-8 Thai only with a BOM
        writer = csv.writer(text)
        writer.writerow(headings)
        for e in rows:
            count += 1
            status = STATUS_TH.get(e.status, e.status) + (" (แก้ไขแล้ว)" if e.corrected else "")
            writer.writerow([*(getattr(e, c) for c in COLUMNS), e.urgency, e.attachments, status])
        text.flush()
        text.detach()
    return Exported(filename=f"register-{registry.code}-{year}.{fmt}", media_type=MEDIA[fmt], rows=count)


def audit_export(
    session: Session,
    actor: Actor,
    *,
    registry_id: int,
    year: int,
    fmt: Format,
    rows: int,
    filters: RegisterFilter,
    now: datetime,
    where: audit.Where | None = None,
) -> None:
    """Every export is audited with the filters it applied."""
    audit.record(
        session,
        at=now,
        action="export",
        actor=actor,
        object_type="registry",
        object_id=registry_id,
        where=where,
        year=year,
        format=fmt,
        rows=rows,
        filters={k: str(v) for k, v in filters.__dict__.items() if v not in (None, "")},
    )
