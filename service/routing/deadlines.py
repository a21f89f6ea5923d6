"""When a routed letter is due, in working days (pure: the calendar and the clock are given).

ระเบียบงานสารบรรณ พ.ศ. 2526 ข้อ 15 (ชั้นความเร็ว): ด่วนที่สุด is handled at once, ด่วนมาก as fast as possible, ด่วน
faster than usual. The office turns those into working-day deadlines (a setting, ``SARABAN_DEADLINE_DAYS``; by
default ด่วนที่สุด the same working day, ด่วนมาก 1, ด่วน 2, ปกติ 7). Weekends and the office's public holidays
(``SARABAN_HOLIDAYS``) are not working days; a letter that arrives after office hours or on a day off counts from
the next working day. A due date set by whoever routed it replaces the default; the letter's own deliver-by
(ส่งภายใน) brings the default forward when it is earlier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from service.kit.clock import from_db

DEFAULT_DAYS: Mapping[int, int] = {4: 0, 3: 1, 2: 2, 1: 7}  # urgency (1 ปกติ … 4 ด่วนที่สุด) → working days


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    office_start: time = time(8, 30)
    office_end: time = time(16, 30)
    days_by_urgency: Mapping[int, int] = field(default_factory=lambda: dict(DEFAULT_DAYS))
    tz: str = "Asia/Bangkok"

    @staticmethod
    def of(
        *,
        holidays: Iterable[date] = (),
        days_by_urgency: Mapping[int, int] | None = None,
        office_start: time = time(8, 30),
        office_end: time = time(16, 30),
        tz: str = "Asia/Bangkok",
    ) -> WorkCalendar:
        return WorkCalendar(
            holidays=frozenset(holidays),
            office_start=office_start,
            office_end=office_end,
            days_by_urgency={**DEFAULT_DAYS, **(days_by_urgency or {})},
            tz=tz,
        )

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5 and d not in self.holidays

    def next_working_day(self, d: date) -> date:
        """The first working day after ``d``."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    def first_day(self, received_at: datetime) -> date:
        """The working day a letter counts from: the day it arrived, unless that is a day off or it arrived after
        office hours (then the next working day)."""
        moment = from_db(received_at).astimezone(ZoneInfo(self.tz))
        day = moment.date()
        if not self.is_working_day(day) or moment.time() >= self.office_end:
            return self.next_working_day(day)
        return day

    def end_of(self, d: date) -> datetime:
        return datetime.combine(d, self.office_end, tzinfo=ZoneInfo(self.tz))


def deadline(
    calendar: WorkCalendar,
    *,
    received_at: datetime,
    urgency: int,
    due_at: datetime | None = None,
    deliver_by: datetime | None = None,
) -> datetime:
    """When the routed letter is due: ``due_at`` when one was set; else the close of office hours on the working
    day ``days_by_urgency[urgency]`` working days after the day it counts from, or the letter's deliver-by when
    that is earlier."""
    if due_at is not None:
        return from_db(due_at)
    days = calendar.days_by_urgency.get(urgency, DEFAULT_DAYS[1])
    default = calendar.end_of(calendar.add_working_days(calendar.first_day(received_at), days))
    if deliver_by is not None:
        return min(default, from_db(deliver_by))
    return default


def is_overdue(
    calendar: WorkCalendar,
    *,
    now: datetime,
    received_at: datetime,
    urgency: int,
    due_at: datetime | None = None,
    deliver_by: datetime | None = None,
) -> bool:
    """Past its deadline (:func:`deadline`) at ``now``."""
    return from_db(now) > deadline(
        calendar, received_at=received_at, urgency=urgency, due_at=due_at, deliver_by=deliver_by
    )
