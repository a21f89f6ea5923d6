"""Printable pages for letters that go on paper, drawn by the PDF toolkit's tables (``service.pdf.table``): the
delivery book page (สมุดส่งหนังสือ, ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด 2 ส่วนที่ 2: the receiver signs for the
letter) and the envelope address sheet (ใบจ่าหน้าซอง) — pure functions (rows in, PDF bytes out) and their use for
one letter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from service.access.rule import Actor
from service.kit.thai import to_thai_digits
from service.outgoing.delivery import paper_recipients
from service.pdf.geometry import MM
from service.pdf.table import Column, Sheet, Table, TableStyle


@dataclass(frozen=True)
class BookRow:
    number: str  # เลขทะเบียนส่ง
    letter_no: str
    sender: str
    addressee: str  # name and address
    remarks: str


_BOOK = (
    Column("เลขทะเบียนส่ง", 24, "C"),
    Column("ที่", 36),
    Column("จาก", 45),
    Column("ถึง", 82),
    Column("ลงชื่อผู้รับ", 40),
    Column("วันและเวลาที่รับ", 28),
    Column("หมายเหตุ", 22),
)
_LANDSCAPE = TableStyle(max_lines=24)
_PORTRAIT = TableStyle(
    page_w_mm=210, page_h_mm=297, body_pt=15.0, head_pt=11.0, line_mm=7.2, pad_y_mm=3.0, max_lines=12
)


def _frame(
    title: str, subtitle: str, digits: Callable[[str], str]
) -> tuple[Callable[[Table, Sheet], float], Callable[[Table, Sheet, int], None]]:
    def header(table: Table, sheet: Sheet) -> float:
        sheet.show("B", 14, title, table.centre, table.margin, 7 * MM, "C")
        sheet.show("R", 11, subtitle, table.centre, table.margin + 7 * MM, 6 * MM, "C")
        return table.margin + 15 * MM

    def footer(table: Table, sheet: Sheet, number: int) -> None:
        sheet.show("R", 9, f"หน้า {digits(str(number))}", table.centre, table.page_h - 11 * MM, 5 * MM, "C")

    return header, footer


def delivery_book_pdf(*, unit_name: str, day: str, rows: Sequence[BookRow], thai_digits: bool = True) -> bytes:
    """สมุดส่งหนังสือ: one row per addressee, with room for the receiver's signature and the time of receipt."""
    digits: Callable[[str], str] = to_thai_digits if thai_digits else str
    header, footer = _frame("สมุดส่งหนังสือ", f"{unit_name}  วันที่ {digits(day)}", digits)
    table = Table(_BOOK, _LANDSCAPE, header=header, footer=footer)
    table.start()
    for r in rows:
        table.row((digits(r.number), r.letter_no, r.sender, r.addressee, "", "", r.remarks))
    if not rows:
        table.note("ไม่มีผู้รับที่ส่งทางไปรษณีย์หรือนำส่ง")
    return table.finish(title="สมุดส่งหนังสือ")


def address_sheet_pdf(*, sender: str, letter_no: str, addressees: Sequence[tuple[str, str]]) -> bytes:
    """ใบจ่าหน้าซอง: each addressee's name and postal address in large type, to cut out or copy onto the envelope."""
    header, footer = _frame("ใบจ่าหน้าซอง", f"ที่ {letter_no}  จาก {sender}", str)
    table = Table([Column("ผู้รับ (เรียน) และที่อยู่", 190)], _PORTRAIT, header=header, footer=footer)
    table.start()
    for name, address in addressees:
        table.row((f"เรียน {name}   {address}",))
    if not addressees:
        table.note("ไม่มีผู้รับที่ส่งทางไปรษณีย์")
    return table.finish(title="ใบจ่าหน้าซอง")


def delivery_book_for(session: Session, actor: Actor, letter_id: int, *, tz: str, thai_digits: bool) -> bytes:
    """The delivery book page of one letter (its postal addressees), for the sending unit's readers."""
    letter, number, posts, unit_name, day = paper_recipients(session, actor, letter_id, tz=tz)
    rows = [
        BookRow(number, letter.letter_no, unit_name, f"{r.name} {r.address}", "สำเนา" if r.copy_only else "")
        for r in posts
    ]
    return delivery_book_pdf(unit_name=unit_name, day=day, rows=rows, thai_digits=thai_digits)


def address_sheet_for(session: Session, actor: Actor, letter_id: int, *, tz: str) -> bytes:
    """The envelope address sheet of one letter, for the sending unit's readers."""
    letter, _, posts, unit_name, _ = paper_recipients(session, actor, letter_id, tz=tz)
    return address_sheet_pdf(
        sender=unit_name, letter_no=letter.letter_no, addressees=[(r.name, r.address) for r in posts]
    )
