"""How long a letter is kept, and until when (ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ พ.ศ. 2526 หมวด 3 ส่วนที่ 1:
การเก็บรักษา).

Plain values only: dates are ``datetime.date`` in the office's calendar, years are Buddhist-era (พ.ศ.) integers,
``None`` for a period means *permanent* (ห้ามทำลาย).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

BE_OFFSET = 543


def be(year_ce: int) -> int:
    """The Buddhist-era year of a Gregorian year (2025 → 2568)."""
    return year_ce + BE_OFFSET


def ce(year_be: int) -> int:
    """The Gregorian year of a Buddhist-era year (2568 → 2025)."""
    return year_be - BE_OFFSET


class StorageKind(StrEnum):
    """ข้อ 52: the three ways a letter is kept."""

    IN_PROGRESS = "in_progress"  # การเก็บระหว่างปฏิบัติ (ข้อ 53)
    COMPLETED = "completed"  # การเก็บเมื่อปฏิบัติเสร็จแล้ว (ข้อ 54)
    CHECKING = "checking"  # การเก็บไว้เพื่อใช้ในการตรวจสอบ (ข้อ 55)


STORAGE_KIND_TH: dict[StorageKind, str] = {
    StorageKind.IN_PROGRESS: "เก็บระหว่างปฏิบัติ",
    StorageKind.COMPLETED: "เก็บเมื่อปฏิบัติเสร็จแล้ว",
    StorageKind.CHECKING: "เก็บไว้เพื่อใช้ในการตรวจสอบ",
}


@dataclass(frozen=True)
class RetentionClass:
    """A retention period under a code: ``years`` is ``None`` for a permanent class (ห้ามทำลาย)."""

    code: str
    name: str
    years: int | None
    note: str = ""

    @property
    def permanent(self) -> bool:
        return self.years is None


# ข้อ 57 (อายุการเก็บหนังสือ): at least 10 years as a rule; permanent for what has value to history or serves as
# evidence; per the law or regulation that applies; routine matters at least 1 year; financial documents per the
# Ministry of Finance's rules (5 years after the audit is common practice, not the regulation's text, so it is
# configuration); copies whose original is kept elsewhere (common practice: 5 years). These are the seeded
# defaults; an office edits them.
DEFAULT_CLASSES: tuple[RetentionClass, ...] = (
    RetentionClass("general", "หนังสือทั่วไป (เก็บ ๑๐ ปี)", 10, "ข้อ 57: โดยปกติไม่น้อยกว่า ๑๐ ปี"),
    RetentionClass("permanent", "ห้ามทำลาย", None, "ข้อ 57: มีคุณค่าทางประวัติศาสตร์หรือเป็นหลักฐาน"),
    RetentionClass("routine", "เรื่องธรรมดาที่ไม่สำคัญ (เก็บ ๑ ปี)", 1, "ข้อ 57: เรื่องธรรมดาไม่น้อยกว่า ๑ ปี"),
    RetentionClass("financial", "หลักฐานการเงิน (เก็บ ๕ ปี)", 5, "ข้อ 57: ตามระเบียบกระทรวงการคลัง (ปรับได้)"),
    RetentionClass("copy", "สำเนาที่มีต้นเรื่องเก็บไว้ที่อื่น (เก็บ ๕ ปี)", 5, "ปฏิบัติทั่วไป (ปรับได้)"),
)

MIN_YEARS = 1
"""ข้อ 57: nothing (not even a routine matter) is kept for less than a year."""


def retention_problem(years: int | None) -> str | None:
    """Why a retention period cannot be a class's (``None``: it can). Permanent is ``None`` years."""
    if years is not None and years < MIN_YEARS:
        return "retention_below_minimum"
    return None


def keep_until_year(completed_on: date, years: int | None) -> int | None:
    """ข้อ 54: the B.E. year stamped ``เก็บถึง พ.ศ. ....``: kept to 31 December of (the year the matter was
    completed + the retention years). ``None`` for a permanent class (stamped ``ห้ามทำลาย``)."""
    if years is None:
        return None
    return be(completed_on.year) + years


def keep_until_date(year_be: int | None) -> date | None:
    """The last day an item with this keep-until year must still be kept (31 December), or ``None``: forever."""
    return None if year_be is None else date(ce(year_be), 12, 31)


def keep_until_passed(year_be: int | None, today: date) -> bool:
    """Whether the keep-until date is behind us (never, for a permanent item)."""
    last = keep_until_date(year_be)
    return last is not None and today > last


def keep_until_stamp(year_be: int | None, *, digits: str = "thai") -> str:
    """ข้อ 54: the words stamped at the bottom right of page 1: ``เก็บถึง พ.ศ. ๒๕๗๘`` or ``ห้ามทำลาย``."""
    if year_be is None:
        return "ห้ามทำลาย"
    year = str(year_be)
    if digits == "thai":
        year = year.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    return f"เก็บถึง พ.ศ. {year}"


def new_keep_until_problem(current_be: int | None, proposed_be: int | None) -> str | None:
    """ข้อ 68: a committee that keeps an item longer writes a *later* keep-until year in การพิจารณา."""
    if proposed_be is None:
        return "keep_needs_year"
    if current_be is not None and proposed_be <= current_be:
        return "keep_year_not_later"
    return None
