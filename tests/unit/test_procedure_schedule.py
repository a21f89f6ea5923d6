"""Due dates of a case's steps (seeds/001 แบบฟอร์มสรุปมาตรฐานงาน, the เวลาดำเนินการ column): pure functions."""

from __future__ import annotations

from datetime import date

import pytest

from service.procedures.schedule import Duration, due_dates, due_this_week, is_overdue, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 สัปดาห์", Duration(days=7)),
        ("๒ สัปดาห์", Duration(days=14)),
        ("3 วัน", Duration(days=3)),
        ("2 เดือน", Duration(months=2)),
        ("พฤษภาคม", Duration(month=5)),
        ("มีนาคมของปีถัดไป", Duration(month=3, next_year=True)),
        ("กุมภาพันธ์ของปีถัดไป", Duration(month=2, next_year=True)),
    ],
)
def test_durations_as_the_manuals_write_them(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "สัปดาห์", "0 วัน", "เร็ว ๆ นี้", "1 ปี", "พฤษภา"])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_weeks_follow_one_another_from_the_start() -> None:
    # งานสวัสดิการและสงเคราะห์นักเรียน: five steps of 1 สัปดาห์ each
    assert due_dates(["1 สัปดาห์"] * 5, start=date(2026, 6, 1), year_be=2569) == [
        date(2026, 6, 8),
        date(2026, 6, 15),
        date(2026, 6, 22),
        date(2026, 6, 29),
        date(2026, 7, 6),
    ]


def test_a_step_done_late_moves_the_next_ones() -> None:
    done = [date(2026, 6, 12), None, None]
    assert due_dates(["1 สัปดาห์"] * 3, start=date(2026, 6, 1), year_be=2569, done=done) == [
        date(2026, 6, 8),
        date(2026, 6, 19),
        date(2026, 6, 26),
    ]


def test_calendar_months_of_the_academic_year() -> None:
    # งานประสานและส่งเสริมสถานศึกษา…ความเข้มแข็งของชุมชน, ปีการศึกษา 2569 (May 2026 – March 2027)
    months = ["พฤษภาคม", "มิถุนายน", "สิงหาคม", "กุมภาพันธ์ของปีถัดไป", "มีนาคมของปีถัดไป"]
    assert due_dates(months, start=date(2026, 5, 10), year_be=2569) == [
        date(2026, 5, 31),
        date(2026, 6, 30),
        date(2026, 8, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
    ]


def test_months_span_keeps_the_day_or_the_months_last() -> None:
    assert due_dates(["1 เดือน", "1 เดือน"], start=date(2026, 1, 31), year_be=2569) == [
        date(2026, 2, 28),
        date(2026, 3, 28),
    ]


def test_overdue_and_due_this_week() -> None:
    today = date(2026, 6, 10)
    assert is_overdue(date(2026, 6, 9), state="pending", today=today)
    assert not is_overdue(date(2026, 6, 9), state="done", today=today)
    assert not is_overdue(today, state="pending", today=today)
    assert due_this_week(today, state="pending", today=today)
    assert due_this_week(date(2026, 6, 16), state="pending", today=today)
    assert due_this_week(date(2026, 6, 17), state="pending", today=today)
    assert not due_this_week(date(2026, 6, 18), state="pending", today=today)
    assert not due_this_week(date(2026, 6, 9), state="pending", today=today)
