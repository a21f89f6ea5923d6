"""Parameters people type: B.E. years and Thai or ISO dates, Thai digits accepted — all by the one date rule of
``service.kit.thai`` (README "Input limits"); anything else is a 422 with a Thai message."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from service.kit.clock import to_db
from service.kit.errors import InvalidInput
from service.kit.thai import BE_OFFSET, DateError, be_year, ce_year, local, parse_datetime, to_arabic_digits

if TYPE_CHECKING:
    from service.registers.entries import RegisterFilter


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


# ---------------------------------------------------------------------------------------------- registers


def _yes_no(raw: str | None) -> bool | None:
    return {"yes": True, "no": False}.get((raw or "").strip())


def int_param(raw: str | None, low: int, high: int, *, default: int, what: str) -> int:
    text = to_arabic_digits(raw or "").strip()
    if not text:
        return default
    if not text.isdigit() or len(text) > 12 or not low <= int(text) <= high:
        raise InvalidInput(f"{what} must be a whole number {low}..{high}", thai=f"{what} ไม่ถูกต้อง")
    return int(text)


def register_filter(params: Mapping[str, str], *, tz: str) -> RegisterFilter:
    """The filters chosen on a register (the page's or the API's query parameters); anything unreadable is refused
    in Thai."""
    from service.letters.vocab import parse_urgency
    from service.registers.entries import RegisterFilter

    urgency = params.get("urgency") or ""
    try:
        level = parse_urgency(urgency) if urgency else None
    except ValueError as exc:
        raise InvalidInput(str(exc), thai="ชั้นความเร็วไม่ถูกต้อง") from exc
    secrecy = params.get("secrecy") or ""
    status = params.get("status") or ""
    if status not in ("", "cancelled", "active"):
        raise InvalidInput("status must be cancelled or active", thai="สถานะไม่ถูกต้อง")
    return RegisterFilter(
        urgency=level,
        secrecy=int_param(secrecy, 1, 3, default=0, what="ชั้นความลับ") or None if secrecy else None,
        sender=" ".join((params.get("sender") or "").split())[:200],
        text=" ".join((params.get("q") or "").split())[:200],
        since=day_bound(params.get("since"), end=False, tz=tz),
        until=day_bound(params.get("until"), end=True, tz=tz),
        routed=_yes_no(params.get("routed")),
        has_attachment=_yes_no(params.get("files")),
        status=status,
    )
