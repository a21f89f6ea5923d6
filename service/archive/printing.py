"""The archive's printed forms (ระเบียบงานสารบรรณ หมวด 3), drawn with the PDF toolkit's tables
(``service.pdf.table``) like the printed register: the storage list (บัญชีหนังสือส่งเก็บ), the loan card
(บัตรยืมหนังสือ), the destruction list (บัญชีหนังสือขอทำลาย) with the committee's typed names as the signed
destruction record, and the 20-year transfer and keep-ourselves lists.

Pure functions: plain rows in, PDF bytes out. Dates arrive as ISO strings and are printed in Thai (B.E., Thai
month abbreviations, Thai digits unless ``thai_digits`` is off).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from retention.committee import ROLE_TH, CommitteeRole
from service.kit.thai import format_thai_date, to_thai_digits
from service.pdf.geometry import MM
from service.pdf.table import Column, Sheet, Table, TableStyle

Row = Mapping[str, Any]

_LANDSCAPE = TableStyle(max_lines=24)


def _digits(thai_digits: bool) -> Callable[[str], str]:  # noqa: FBT001
    return to_thai_digits if thai_digits else str


def thai_day(iso: str | None, *, thai_digits: bool = True) -> str:
    return format_thai_date(date.fromisoformat(iso), thai_digits=thai_digits) if iso else ""


def _document(
    title: str,
    subtitle: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    style: TableStyle = _LANDSCAPE,
    empty: str = "ไม่มีรายการ",
    signatures: Sequence[tuple[str, str]] = (),
    thai_digits: bool = True,
) -> bytes:
    """A titled table, page numbers at the foot, and (optionally) signature lines under the table: (name, role)."""
    digits = _digits(thai_digits)

    def header(table: Table, sheet: Sheet) -> float:
        sheet.show("B", 14, title, table.centre, table.margin, 7 * MM, "C")
        sheet.show("R", 11, subtitle, table.centre, table.margin + 7 * MM, 6 * MM, "C")
        return table.margin + 15 * MM

    def footer(table: Table, sheet: Sheet, number: int) -> None:
        sheet.show("R", 9, f"หน้า {digits(str(number))}", table.centre, table.page_h - 11 * MM, 5 * MM, "C")

    table = Table(columns, style, header=header, footer=footer)
    table.start()
    for cells in rows:
        table.row(cells)
    if not rows:
        table.note(empty)
    if signatures:
        table.y += 8 * MM
        for name, role in signatures:
            if table.y + 16 * MM > table.bottom:
                table.new_page()
                table.y += 4 * MM
            x = table.margin + table.inner_w * 0.55
            table.sheet.show("R", 11, f"ลงชื่อ {name}", x, table.y, 6 * MM, "L")
            table.sheet.show("R", 10, role, x + 12 * MM, table.y + 6 * MM, 5 * MM, "L")
            table.y += 14 * MM
    return table.finish(title=title)


# ---------------------------------------------------------------------------------------------- storage list


def render_storage_list(
    rows: Sequence[Row], *, unit_name: str, file_label: str = "", thai_digits: bool = True
) -> bytes:
    """บัญชีหนังสือส่งเก็บ (ข้อ 54): ลำดับที่, รหัสแฟ้ม, ที่, ลงวันที่, เรื่อง, อายุการเก็บ, หมายเหตุ."""
    d = _digits(thai_digits)
    columns = [
        Column("ลำดับที่", 16, "C"),
        Column("รหัสแฟ้ม", 24),
        Column("ที่", 40),
        Column("ลงวันที่", 28),
        Column("เรื่อง", 99),
        Column("อายุการเก็บ", 34),
        Column("หมายเหตุ", 36),
    ]
    cells = [
        (
            d(str(n)),
            r["file_code"],
            r["letter_no"],
            thai_day(r["letter_date"], thai_digits=thai_digits),
            r["subject"],
            r["stamp"],
            r.get("location", ""),
        )
        for n, r in enumerate(rows, start=1)
    ]
    subtitle = unit_name + (f"  แฟ้ม {file_label}" if file_label else "")
    return _document("บัญชีหนังสือส่งเก็บ", subtitle, columns, cells, thai_digits=thai_digits)


# ---------------------------------------------------------------------------------------------- loan card


def render_loan_card(item: Row, loans: Sequence[Row], *, thai_digits: bool = True) -> bytes:
    """บัตรยืมหนังสือ: รายการ (with the file code), ผู้ยืม, ผู้รับ, วันยืม, กำหนดส่งคืน, ผู้ส่งคืน, วันส่งคืน — one line per
    loan of the item; an outsider's viewing or copying is printed as such, not as a loan."""
    columns = [
        Column("รายการ", 83),
        Column("ผู้ยืม", 52),
        Column("ผู้รับ", 34),
        Column("วันยืม", 24),
        Column("กำหนดส่งคืน", 26),
        Column("ผู้ส่งคืน", 34),
        Column("วันส่งคืน", 24),
    ]
    label = f"{item['file_code']} {item['letter_no']} {item['subject']}".strip()
    cells = []
    for loan in loans:
        who = ", ".join(x for x in (loan["borrower_name"], loan["borrower_position"], loan["borrower_unit"]) if x)
        if loan["kind"] != "borrow":
            cells.append(
                (
                    f"{label} ({loan['kind_th']})",
                    who,
                    "",
                    thai_day(loan["requested_at"][:10], thai_digits=thai_digits),
                    "",
                    "",
                    "",
                )
            )
            continue
        cells.append(
            (
                label,
                who,
                loan["received_by"],
                thai_day(loan["handed_out_on"], thai_digits=thai_digits),
                thai_day(loan["due_on"], thai_digits=thai_digits),
                loan["returned_by"] if loan["returned_on"] else "",
                thai_day(loan["returned_on"], thai_digits=thai_digits),
            )
        )
    subtitle = f"รหัสแฟ้ม {item['file_code']}  เรื่อง {item['subject']}"
    return _document("บัตรยืมหนังสือ", subtitle, columns, cells, empty="ยังไม่มีการยืม", thai_digits=thai_digits)


# ---------------------------------------------------------------------------------------------- destruction list


def consideration(row: Row, *, thai_digits: bool = True) -> str:
    """การพิจารณา (ข้อ 68): ``X`` to destroy, ``เก็บถึง พ.ศ. ....`` to keep, blank while undecided."""
    if row["decision"] == "destroy":
        return "X"
    if row["decision"] == "keep" and row["keep_until_year"]:
        return f"เก็บถึง พ.ศ. {_digits(thai_digits)(str(row['keep_until_year']))}"
    return ""


def render_destruction_list(view: Row, *, unit_name: str, thai_digits: bool = True) -> bytes:
    """บัญชีหนังสือขอทำลาย (ข้อ 66): ลำดับที่, รหัสแฟ้ม, ที่, ลงวันที่, เรื่อง, การพิจารณา, หมายเหตุ; under it the committee's
    typed names (ข้อ 67–68), and once carried out, the destruction record: when and how."""
    d = _digits(thai_digits)
    columns = [
        Column("ลำดับที่", 16, "C"),
        Column("รหัสแฟ้ม", 24),
        Column("ที่", 40),
        Column("ลงวันที่", 28),
        Column("เรื่อง", 103),
        Column("การพิจารณา", 30, "C"),
        Column("หมายเหตุ", 36),
    ]
    cells = [
        (
            d(str(r["position"])),
            r["file_code"],
            r["letter_no"],
            thai_day(r["letter_date"], thai_digits=thai_digits),
            r["subject"],
            consideration(r, thai_digits=thai_digits),
            r["remark"],
        )
        for r in view["items"]
    ]
    subtitle = f"{unit_name}  ประจำปี พ.ศ. {d(str(view['year']))}"
    if view.get("executed_at"):
        subtitle += f"  ทำลายเมื่อ {thai_day(view['executed_at'][:10], thai_digits=thai_digits)} โดยวิธี {view['method']}"
    signatures = [
        (f"{m['name']}", f"{ROLE_TH.get(CommitteeRole(m['role']), m['role'])}  {m['position']} ระดับ{m['level']}")
        for m in view["committee"]
    ]
    return _document("บัญชีหนังสือขอทำลาย", subtitle, columns, cells, signatures=signatures, thai_digits=thai_digits)


# ---------------------------------------------------------------------------------------------- transfer


def render_transfer_list(
    rows: Sequence[Row], *, kind: str, unit_name: str, year: int, thai_digits: bool = True
) -> bytes:
    """บัญชีส่งมอบหนังสือครบ ๒๐ ปี (``kind`` transfer) or the keep-ourselves list (``keep``)."""
    d = _digits(thai_digits)
    title = "บัญชีส่งมอบหนังสือครบ ๒๐ ปี" if kind == "transfer" else "บัญชีหนังสือครบ ๒๐ ปีที่ขอเก็บเอง"
    columns = [
        Column("ลำดับที่", 16, "C"),
        Column("รหัสแฟ้ม", 24),
        Column("ที่", 40),
        Column("ลงวันที่", 28),
        Column("เรื่อง", 123),
        Column("หมายเหตุ", 46),
    ]
    cells = [
        (
            d(str(n)),
            r["file_code"],
            r["letter_no"],
            thai_day(r["letter_date"], thai_digits=thai_digits),
            r["subject"],
            r.get("remark", ""),
        )
        for n, r in enumerate(rows, start=1)
    ]
    return _document(title, f"{unit_name}  ประจำปี พ.ศ. {d(str(year))}", columns, cells, thai_digits=thai_digits)
