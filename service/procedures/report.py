"""The yearly report of a work process, in the layout of the manuals' work-standard table (seeds/001,
แบบฟอร์มสรุปมาตรฐานงาน: ลำดับที่ · รายละเอียดงาน · เวลาดำเนินการ · มาตรฐานคุณภาพงาน · ผู้รับผิดชอบ), with what
the year's cases did: each step's due date, its letters (ที่ and date) and its status. Landscape A4, Thai, drawn by
the PDF toolkit (``service.pdf.table``) as the printed registers are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlmodel import Session

from service.access.rule import Actor
from service.kit.thai import format_thai_date, to_thai_digits
from service.pdf.geometry import MM
from service.pdf.table import Column, Sheet, Table, TableStyle
from service.procedures.cases import STATE_TH, case_view, get_procedure, list_cases

COLUMNS = (
    Column("ลำดับที่", 14, "C"),
    Column("รายละเอียดงาน", 70, "L"),
    Column("เวลาดำเนินการ", 24, "L"),
    Column("กำหนดเสร็จ", 24, "L"),
    Column("มาตรฐานคุณภาพงาน", 38, "L"),
    Column("ผู้รับผิดชอบ", 35, "L"),
    Column("หนังสือ (ที่ / ลงวันที่)", 48, "L"),
    Column("สถานะ", 24, "L"),
)
_STYLE = TableStyle()  # the toolkit's landscape A4 with 10 mm margins, where a row always fits an empty page


def report_pdf(
    session: Session, actor: Actor, procedure_id: int, year: int, *, today: date, thai_digits: bool = True
) -> bytes:
    """Every case of the process for B.E. ``year`` the user may read (the reading rule), step by step."""
    procedure = get_procedure(session, procedure_id)
    digits: Callable[[str], str] = to_thai_digits if thai_digits else str

    def d(iso: str | None) -> str:
        return format_thai_date(date.fromisoformat(iso), thai_digits=thai_digits) if iso else ""

    def header(table: Table, sheet: Sheet) -> float:
        sheet.show("B", 14, "แบบฟอร์มสรุปมาตรฐานงาน", table.centre, table.margin, 7 * MM, "C")
        sheet.show("R", 11, f"ชื่องาน {procedure.name}"[:150], table.centre, table.margin + 7 * MM, 6 * MM, "C")
        line = f"{procedure.group_name}  ประจำปี พ.ศ. {digits(str(year))}"
        sheet.show("R", 11, line, table.centre, table.margin + 13 * MM, 6 * MM, "C")
        return table.margin + 21 * MM

    def footer(table: Table, sheet: Sheet, number: int) -> None:
        sheet.show("R", 9, f"หน้า {digits(str(number))}", table.centre, table.page_h - 11 * MM, 5 * MM, "C")

    table = Table(COLUMNS, _STYLE, header=header, footer=footer)
    table.start()
    found = list_cases(session, actor, procedure_id=procedure_id, year=year)
    for item in reversed(found):  # oldest first
        view = case_view(session, actor, int(item["id"]), today=today)
        state = "เสร็จสิ้น" if view["state"] == "done" else "กำลังดำเนินการ"
        title = f"เรื่อง {view['title']} (เริ่ม {d(view['start_on'])}, {state})"
        table.row(["", title, "", "", "", "", "", ""], heading=True)
        for s in view["steps"]:
            letters = "\n".join(
                f"ที่ {lt['letter_no'] or '-'} ลงวันที่ {d(lt['letter_date']) or '-'}" for lt in s["letters"]
            )
            status = STATE_TH[s["state"]]
            if s["done_on"]:
                status += f" {d(s['done_on'])}"
            table.row(
                [
                    digits(f"{s['no']}."),
                    s["name"],
                    s["duration"],
                    d(s["due_on"]),
                    s["quality"],
                    s["responsible"],
                    letters,
                    status,
                ]
            )
    if not found:
        table.note(f"ไม่มีเรื่องของกระบวนงานนี้ในปี พ.ศ. {digits(str(year))}")
    return table.finish(title=f"รายงานกระบวนงาน {procedure.name} {year}")
