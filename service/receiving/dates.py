"""A received letter's dates that look mistyped (issue 14): far ahead, or from before B.E. 2500.

The one date rule (``kit.thai``/``kit.fields``) refuses what cannot be a date of the office (outside B.E. 2400–2700).
Inside that range a year slip — ``1/1/2575`` for ``1/1/2565``, a C.E. year read as B.E. — still gives a valid date;
a letter is hardly dated more than a year ahead (ระเบียบงานสารบรรณ ข้อ 12: the date is the day it is signed), and
none of an office's current letters is older than B.E. 2500. Such a date is registered only when the clerk
confirms it (``"confirm_date": true`` / the form's confirm box).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from service.kit.errors import InvalidInput
from service.kit.fields import InputError, load_json
from service.kit.thai import be_year, format_thai_date, local
from service.letters.input import LetterIn
from service.receiving.duplicates import truthy

OLDEST_BE = 2500
FIELD_TH = {"letter_date": "ลงวันที่", "deliver_by": "ส่งภายใน"}


class DateNeedsConfirmation(InvalidInput):
    """A date far ahead or before B.E. 2500: 422 unless the clerk confirms it."""

    code = "date_needs_confirmation"
    title = "Date needs confirmation"


def a_year_ahead(today: date) -> date:
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today + timedelta(days=365)


def unlikely_date(d: date, today: date) -> str | None:
    """Why the date needs confirming ("ahead", "old"), or ``None``. A year ahead to the day is still fine."""
    if d > a_year_ahead(today):
        return "ahead"
    if be_year(d) < OLDEST_BE:
        return "old"
    return None


def check_letter_dates(data: LetterIn, *, now: datetime, tz: str) -> None:
    """Raise 422 ``date_needs_confirmation`` (Thai) for the first unlikely date of the letter."""
    today = local(now, tz).date()
    for field in ("letter_date", "deliver_by"):
        value = getattr(data, field)
        if value is None:
            continue
        if isinstance(value, datetime):
            value = (local(value, tz) if value.tzinfo is not None else value).date()
        why = unlikely_date(value, today)
        if why is None:
            continue
        shown = format_thai_date(value, thai_digits=False)
        what = "เกินหนึ่งปีข้างหน้า" if why == "ahead" else f"ก่อนปี พ.ศ. {OLDEST_BE}"
        raise DateNeedsConfirmation(
            f"{field} {value.isoformat()} is {'more than a year ahead' if why == 'ahead' else 'before B.E. 2500'}; "
            "send confirm_date=true if it is right",
            thai=f"{FIELD_TH[field]} {shown} {what} โปรดตรวจสอบวันที่ หากถูกต้องให้ทำเครื่องหมายยืนยันวันที่",
            field=field,
            reason=why,
        )


def split_date_confirmation(raw: str | dict[str, Any]) -> tuple[str | dict[str, Any], bool]:
    """The letter's ``meta`` without its ``confirm_date`` flag, and the flag (true, 1, "true", "yes", "on")."""
    try:
        data = load_json(raw) if isinstance(raw, str) else raw
    except InputError:
        return raw, False  # the letter's own parser names the problem
    if not isinstance(data, dict) or "confirm_date" not in data:
        return raw, False
    data = dict(data)
    return data, truthy(data.pop("confirm_date"))
