"""Acceptance 4, the rule: when a routed letter is overdue, for a table of cases driven by an injected clock
(ด่วนที่สุด the same working day, ด่วนมาก 1, ด่วน 2, ปกติ 7 working days; weekends and the office's holidays are no
working days; after hours counts from the next working day; the letter's deliver-by and the router's due date).

March–April 2026: Mon 23 Mar; Sat 28, Sun 29 Mar; holidays configured: Mon 6 Apr (จักรี), 13–15 Apr (สงกรานต์).
Office hours 08.30–16.30 Bangkok.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from service.routing.deadlines import WorkCalendar, deadline, is_overdue

BKK = ZoneInfo("Asia/Bangkok")
CAL = WorkCalendar.of(holidays=[date(2026, 4, 6), date(2026, 4, 13), date(2026, 4, 14), date(2026, 4, 15)])
MOST, VERY, URGENT, NORMAL = 4, 3, 2, 1


def at(text: str) -> datetime:
    """``"2026-03-23 09:00"`` in Bangkok."""
    return datetime.fromisoformat(text).replace(tzinfo=BKK)


# received, urgency, due_at, deliver_by → the deadline
DEADLINES = [
    ("ด่วนที่สุด in the morning: the same day", "2026-03-23 09:00", MOST, None, None, "2026-03-23 16:30"),
    ("ด่วนที่สุด before office hours: the same day", "2026-03-23 07:10", MOST, None, None, "2026-03-23 16:30"),
    ("ด่วนที่สุด after hours: the next working day", "2026-03-23 17:05", MOST, None, None, "2026-03-24 16:30"),
    ("ด่วนที่สุด at closing time: the next working day", "2026-03-23 16:30", MOST, None, None, "2026-03-24 16:30"),
    ("ด่วนที่สุด on Saturday: Monday", "2026-03-28 10:00", MOST, None, None, "2026-03-30 16:30"),
    ("ด่วนที่สุด Friday after hours: Monday", "2026-03-27 18:00", MOST, None, None, "2026-03-30 16:30"),
    ("ด่วนมาก on Friday: one working day, over the weekend", "2026-03-27 10:00", VERY, None, None, "2026-03-30 16:30"),
    (
        "ด่วน on Thursday: two working days, over a weekend and a holiday",
        "2026-04-02 10:00",
        URGENT,
        None,
        None,
        "2026-04-07 16:30",
    ),
    ("ปกติ: seven working days, over Songkran", "2026-04-08 11:00", NORMAL, None, None, "2026-04-22 16:30"),
    ("ด่วนมาก on a holiday: counts from the next working day", "2026-04-13 09:00", VERY, None, None, "2026-04-17 16:30"),
    (
        "deliver-by earlier than the default wins",
        "2026-03-23 09:00",
        NORMAL,
        None,
        "2026-03-25 12:00",
        "2026-03-25 12:00",
    ),
    (
        "deliver-by later than the default changes nothing",
        "2026-03-23 09:00",
        MOST,
        None,
        "2026-03-27 12:00",
        "2026-03-23 16:30",
    ),
    (
        "a due date set by the router replaces the default",
        "2026-03-23 09:00",
        MOST,
        "2026-03-26 12:00",
        None,
        "2026-03-26 12:00",
    ),
    (
        "a due date set by the router, even before deliver-by",
        "2026-03-23 09:00",
        NORMAL,
        "2026-03-24 10:00",
        "2026-03-30 10:00",
        "2026-03-24 10:00",
    ),
]


@pytest.mark.parametrize(
    ("case", "received", "urgency", "due", "deliver_by", "expected"),
    DEADLINES,
    ids=lambda v: v if isinstance(v, str) and not v[0].isdigit() else None,
)
def test_deadline(
    case: str, received: str, urgency: int, due: str | None, deliver_by: str | None, expected: str
) -> None:
    got = deadline(
        CAL,
        received_at=at(received),
        urgency=urgency,
        due_at=at(due) if due else None,
        deliver_by=at(deliver_by) if deliver_by else None,
    )
    assert got == at(expected), case


# received, urgency, deliver_by, now → overdue?
OVERDUE = [
    ("ด่วนที่สุด, a minute before closing", "2026-03-23 09:00", MOST, None, "2026-03-23 16:29", False),
    ("ด่วนที่สุด, a minute after closing", "2026-03-23 09:00", MOST, None, "2026-03-23 16:31", True),
    ("ด่วนที่สุด after hours, next morning", "2026-03-23 17:05", MOST, None, "2026-03-24 10:00", False),
    ("ด่วนที่สุด after hours, next evening", "2026-03-23 17:05", MOST, None, "2026-03-24 16:31", True),
    ("ด่วนมาก Friday, over the weekend", "2026-03-27 10:00", VERY, None, "2026-03-29 20:00", False),
    ("ด่วนมาก Friday, Monday evening", "2026-03-27 10:00", VERY, None, "2026-03-30 16:31", True),
    ("ด่วน over the holiday: not yet on the holiday", "2026-04-02 10:00", URGENT, None, "2026-04-06 17:00", False),
    ("ด่วน over the holiday: the day after", "2026-04-02 10:00", URGENT, None, "2026-04-07 16:31", True),
    ("ปกติ: six working days later, not yet", "2026-04-08 11:00", NORMAL, None, "2026-04-21 16:31", False),
    ("deliver-by passed", "2026-03-23 09:00", NORMAL, "2026-03-25 12:00", "2026-03-25 12:01", True),
    ("deliver-by not yet", "2026-03-23 09:00", NORMAL, "2026-03-25 12:00", "2026-03-25 11:59", False),
]


@pytest.mark.parametrize(
    ("case", "received", "urgency", "deliver_by", "now", "expected"),
    OVERDUE,
    ids=lambda v: v if isinstance(v, str) and not v[0].isdigit() else None,
)
def test_overdue(case: str, received: str, urgency: int, deliver_by: str | None, now: str, expected: bool) -> None:  # noqa: FBT001
    got = is_overdue(
        CAL, now=at(now), received_at=at(received), urgency=urgency, deliver_by=at(deliver_by) if deliver_by else None
    )
    assert got is expected, case


def test_the_days_and_the_hours_are_settings() -> None:
    strict = WorkCalendar.of(days_by_urgency={URGENT: 0}, office_end=time(15, 30))
    assert deadline(strict, received_at=at("2026-03-23 09:00"), urgency=URGENT) == at("2026-03-23 15:30")
    assert deadline(strict, received_at=at("2026-03-23 16:00"), urgency=URGENT) == at("2026-03-24 15:30")
    assert deadline(strict, received_at=at("2026-03-23 09:00"), urgency=NORMAL) == at("2026-04-01 15:30")  # default 7
    assert deadline(WorkCalendar.of(), received_at=at("2026-04-13 09:00"), urgency=MOST) == at("2026-04-13 16:30")
