"""The printable receive register (ทะเบียนหนังสือรับ, ระเบียบงานสารบรรณ หมวด 2 ส่วนที่ 1): landscape A4, Thai, a table drawn
by the PDF toolkit (``service.pdf.table``: HarfBuzz shaping, subset Type0 fonts, raw PDF operators, Thai word-wrap).

Pure function: rows in, PDF bytes out. The column headings repeat at the top of every page, each page
carries the title, the unit and the year, a page number at the bottom; long Thai text wraps inside its cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from service.kit.thai import to_thai_digits
from service.pdf.geometry import MM
from service.pdf.table import Column, Sheet, Table, TableStyle


@dataclass(frozen=True)
class RegisterRow:
    number: int
    letter_no: str
    letter_date: str
    sender: str
    recipient: str
    subject: str
    action: str
    remarks: str
    registered_at: str


COLUMNS: tuple[tuple[str, float], ...] = (
    ("เลขทะเบียนรับ", 24),
    ("ที่", 30),
    ("ลงวันที่", 22),
    ("จาก", 34),
    ("ถึง", 28),
    ("เรื่อง", 62),
    ("การปฏิบัติ", 30),
    ("หมายเหตุ", 22),
    ("ลงทะเบียนเมื่อ", 25),
)
"""Heading and width in mm; the widths fill the 277 mm between 10 mm margins of landscape A4."""

_BODY_ALIGN = ("C", "L", "L", "L", "L", "L", "L", "L", "L")
_STYLE = TableStyle()  # the toolkit's landscape A4 with 10 mm margins, where a row always fits an empty page


def _cells(row: RegisterRow, digits: Callable[[str], str]) -> tuple[str, ...]:
    """The row's cells; the number and the two dates in the register's digits (the rest as the letter has it)."""
    return (
        digits(str(row.number)),
        row.letter_no,
        digits(row.letter_date),
        row.sender,
        row.recipient,
        row.subject,
        row.action,
        row.remarks,
        digits(row.registered_at),
    )


def render_register_pdf(
    *,
    title: str,
    unit_name: str,
    year_be: int,
    rows: Sequence[RegisterRow],
    thai_digits: bool = True,
    headings: Sequence[str] | None = None,
) -> bytes:
    """The register as a PDF: ``title`` (e.g. ``ทะเบียนหนังสือรับ``), the unit and B.E. year on every page.

    ``thai_digits`` applies to the receive numbers, the two date columns, the year and the page numbers; the
    other cells (the letter's own number, its subject …) are printed as given. ``headings`` replaces the column
    headings (the send register numbers its letters เลขทะเบียนส่ง); the widths stay.
    """
    digits: Callable[[str], str] = to_thai_digits if thai_digits else str  # the digits this register formats
    subtitle = f"{unit_name}  ประจำปี พ.ศ. {digits(str(year_be))}"

    def header(table: Table, sheet: Sheet) -> float:
        sheet.show("B", 14, title, table.centre, table.margin, 7 * MM, "C")
        sheet.show("R", 11, subtitle, table.centre, table.margin + 7 * MM, 6 * MM, "C")
        return table.margin + 15 * MM

    def footer(table: Table, sheet: Sheet, number: int) -> None:
        sheet.show("R", 9, f"หน้า {digits(str(number))}", table.centre, table.page_h - 11 * MM, 5 * MM, "C")

    names = list(headings) if headings is not None else [h for h, _ in COLUMNS]
    columns = [Column(h, w, a) for h, (_, w), a in zip(names, COLUMNS, _BODY_ALIGN, strict=True)]
    table = Table(columns, _STYLE, header=header, footer=footer)
    table.start()
    for item in rows:
        table.row(_cells(item, digits))
    if not rows:
        table.note("ไม่มีหนังสือรับ" if headings is None else "ไม่มีหนังสือในทะเบียน")
    return table.finish(title=title)


__all__ = ["COLUMNS", "RegisterRow", "render_register_pdf"]
