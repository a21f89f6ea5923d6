"""Parameters people type: B.E. years and Thai or ISO dates, Thai digits accepted."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from service.kit.clock import to_db
from service.kit.errors import InvalidInput
from service.kit.thai import be_year, local, parse_date, to_arabic_digits


def year_param(raw: str | None, now: datetime) -> int:
    """A B.E. year (a C.E. year is taken as such); empty means this year."""
    if raw in (None, ""):
        return be_year(local(now))
    text = to_arabic_digits(str(raw)).strip()
    if not text.isdigit():
        raise InvalidInput(f"year must be a B.E. year such as 2568, got {raw!r}", thai="ปี พ.ศ. ไม่ถูกต้อง")
    year = int(text)
    return year + 543 if year < 2400 else year


def day_bound(raw: str | None, *, end: bool, tz: str = "Asia/Bangkok") -> datetime | None:
    """A period bound: an ISO date or datetime, or a Thai date; a bare date means that whole day (office time)."""
    if not raw:
        return None
    raw = to_arabic_digits(raw).strip()
    try:
        moment, bare_date = datetime.fromisoformat(raw), len(raw) <= 10
    except ValueError:
        try:
            moment, bare_date = datetime.combine(parse_date(raw), time()), True
        except ValueError as exc:
            raise InvalidInput(f"cannot read the date {raw!r}", thai="อ่านวันที่ไม่ได้") from exc
        if moment.year > 2400:
            moment = moment.replace(year=moment.year - 543)
    if bare_date and end:
        moment += timedelta(days=1)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return to_db(moment)
