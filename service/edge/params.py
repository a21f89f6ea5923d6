"""Parameters people type: B.E. years and Thai or ISO dates, Thai digits accepted — all by the one date rule of
``service.kit.thai`` (README "Input limits"); anything else is a 422 with a Thai message."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from service.kit.clock import to_db
from service.kit.errors import InvalidInput
from service.kit.thai import BE_OFFSET, DateError, be_year, ce_year, local, parse_datetime, to_arabic_digits


def year_param(raw: str | int | None, now: datetime) -> int:
    """A B.E. year by the one rule (a C.E. year in 1857–2157 is taken as such); empty means this year."""
    if raw in (None, ""):
        return be_year(local(now))
    text = to_arabic_digits(str(raw)).strip()
    if not text.isdigit() or len(text) > 4:
        raise InvalidInput(f"year must be a B.E. year such as 2568, got {raw!r}", thai="ปี พ.ศ. ไม่ถูกต้อง เช่น ๒๕๖๘")
    try:
        return ce_year(int(text), short=len(text) == 2) + BE_OFFSET
    except DateError as exc:
        raise InvalidInput(str(exc), thai=exc.thai) from exc


def day_bound(raw: str | None, *, end: bool, tz: str = "Asia/Bangkok") -> datetime | None:
    """A period bound: an ISO date or datetime, or a Thai date; a bare date means that whole day (office time)."""
    if not raw:
        return None
    try:
        moment = parse_datetime(raw)
    except DateError as exc:
        raise InvalidInput(str(exc), thai=exc.thai) from exc
    bare_date = ":" not in raw  # a date, not a moment: the whole day
    if bare_date and end:
        moment += timedelta(days=1)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return to_db(moment)
