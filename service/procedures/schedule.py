"""When each step of a case is due — pure functions of the template (seeds/001, แบบฟอร์มสรุปมาตรฐานงาน: the
เวลาดำเนินการ column gives either a span after the previous step, "1 สัปดาห์", or a month of the year,
"พฤษภาคม" … "มีนาคมของปีถัดไป").

A span counts from the previous step: from the day it was done when it is done, otherwise from its due date (the
first step counts from the case's start). A calendar month is that month's last day in the case's year: the
academic year (ปีการศึกษา) runs from May, so a month named "…ของปีถัดไป" is in the following calendar year.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from service.kit.thai import BE_OFFSET, MONTHS_FULL, to_arabic_digits

NEXT_YEAR = "ของปีถัดไป"
_SPAN = re.compile(r"^\s*(\d+)\s*(วัน|สัปดาห์|เดือน)\s*$")
_UNIT_DAYS = {"วัน": 1, "สัปดาห์": 7}


@dataclass(frozen=True)
class Duration:
    """Either ``days``/``months`` after the previous step, or a calendar ``month`` (1–12) of the year."""

    days: int = 0
    months: int = 0
    month: int | None = None
    next_year: bool = False


def parse_duration(text: str) -> Duration:
    """ "1 สัปดาห์" → 7 days; "2 เดือน" → 2 months; "พฤษภาคม" → May; "มีนาคมของปีถัดไป" → March of the next year.
    Thai digits are read. Anything else is refused (ValueError)."""
    raw = to_arabic_digits(text).strip()
    m = _SPAN.match(raw)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if n < 1:
            raise ValueError(f"duration must be at least 1: {text!r}")
        return Duration(months=n) if unit == "เดือน" else Duration(days=n * _UNIT_DAYS[unit])
    next_year = raw.endswith(NEXT_YEAR)
    name = raw.removesuffix(NEXT_YEAR).strip()
    months = [m for m in MONTHS_FULL if m]
    if name in months:
        return Duration(month=months.index(name) + 1, next_year=next_year)
    raise ValueError(f"not a duration or a month: {text!r}")


def add_months(d: date, n: int) -> date:
    month0 = d.month - 1 + n
    year, month = d.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def due_on(duration: Duration, *, after: date, year_be: int) -> date:
    """One step's due date: ``after`` (the previous step's done or due day) plus the span, or the last day of the
    named month in the case's year."""
    if duration.month is not None:
        year = year_be - BE_OFFSET + (1 if duration.next_year else 0)
        return date(year, duration.month, calendar.monthrange(year, duration.month)[1])
    if duration.months:
        return add_months(after, duration.months)
    return after + timedelta(days=duration.days)


def due_dates(durations: Sequence[str], *, start: date, year_be: int, done: Sequence[date | None] = ()) -> list[date]:
    """Every step's due date in order; ``done[i]`` is the day step i was done (or None)."""
    result: list[date] = []
    after = start
    for i, text in enumerate(durations):
        due = due_on(parse_duration(text), after=after, year_be=year_be)
        result.append(due)
        finished = done[i] if i < len(done) else None
        after = finished if finished is not None else due
    return result


def is_overdue(due: date, *, state: str, today: date) -> bool:
    return state != "done" and due < today


def due_this_week(due: date, *, state: str, today: date) -> bool:
    """Due today or within the next seven days, and not done."""
    return state != "done" and today <= due <= today + timedelta(days=7)
