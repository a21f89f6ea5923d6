"""The yearly destruction cycle (ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ พ.ศ. 2526 หมวด 3 ส่วนที่ 3: การทำลายหนังสือ):
when the list is drawn up, which items may go on it, and when a list may be carried out.

Every rule answers with a stable reason code (``None``: allowed), like the action policy, so the service turns
the code into its refusal and the table tests state the regulation without a database.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from retention.keeping import keep_until_passed

# ---------------------------------------------------------------------------------------------- the window


@dataclass(frozen=True)
class MonthDay:
    month: int
    day: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"no month {self.month}")
        if not 1 <= self.day <= calendar.monthrange(2024, self.month)[1]:  # 2024: a leap year allows 02-29
            raise ValueError(f"no day {self.day} in month {self.month}")

    def in_year(self, year: int) -> date:
        """This month-day in ``year`` (29 February falls back to the 28th in a common year)."""
        return date(year, self.month, min(self.day, calendar.monthrange(year, self.month)[1]))

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True)
class Window:
    """A yearly range of days, both ends included; it may wrap over the new year (``12-15/02-15``)."""

    start: MonthDay
    end: MonthDay

    @property
    def wraps(self) -> bool:
        return (self.end.month, self.end.day) < (self.start.month, self.start.day)

    def contains(self, day: date) -> bool:
        if self.wraps:
            return day >= self.start.in_year(day.year) or day <= self.end.in_year(day.year)
        return self.start.in_year(day.year) <= day <= self.end.in_year(day.year)

    def __str__(self) -> str:
        return f"{self.start}/{self.end}"


_RANGE = re.compile(r"\s*(\d{1,2})-(\d{1,2})\s*/\s*(\d{1,2})-(\d{1,2})\s*")


def parse_window(text: str) -> Window:
    """``MM-DD/MM-DD`` (e.g. ``01-01/03-01``) → a :class:`Window`; raises ``ValueError`` naming what is wrong."""
    m = _RANGE.fullmatch(text)
    if m is None:
        raise ValueError(f"a destruction window is MM-DD/MM-DD, not {text!r}")
    a, b, c, d = (int(g) for g in m.groups())
    return Window(MonthDay(a, b), MonthDay(c, d))


DAYS_AFTER_YEAR_END = 60
"""ข้อ 66: the survey is made within 60 days after the end of the calendar year."""

DEFAULT_WINDOW = parse_window("01-01/03-01")
"""ข้อ 66 read as the offices read it: 1 January to 1 March (60 days after 31 December in a common year; in a leap
year the 60th day is 29 February, and 1 March stays in the window). Configuration: ``SARABAN_DESTRUCTION_WINDOW``."""


def sixtieth_day(year: int) -> date:
    """ข้อ 66: the last of the 60 days after 31 December of ``year - 1`` (1 March, or 29 February in a leap year)."""
    return date(year - 1, 12, 31) + timedelta(days=DAYS_AFTER_YEAR_END)


def listing_refusal(today: date, window: Window = DEFAULT_WINDOW) -> str | None:
    """Whether the destruction list may be drawn up today (ข้อ 66)."""
    return None if window.contains(today) else "outside_window"


# ---------------------------------------------------------------------------------------------- items


@dataclass(frozen=True)
class ItemFacts:
    """What the rules need to know of one archived item."""

    keep_until_year: int | None  # B.E.; None: permanent (ห้ามทำลาย)
    held: bool = False  # under a legal hold
    destroyed: bool = False
    on_loan: bool = False  # lent out and not back


def ineligibility(item: ItemFacts, today: date) -> str | None:
    """Why an item may not be listed for (or go to) destruction today; ``None`` when it may.

    ข้อ 57: an item stamped ห้ามทำลาย is never destroyed; ข้อ 66: only what has reached its keep-until date is
    listed; an item under legal hold is kept whatever its date; a lent item is destroyed only once it is back;
    what is destroyed is gone."""
    if item.destroyed:
        return "already_destroyed"
    if item.keep_until_year is None:
        return "permanent"
    if item.held:
        return "held"
    if item.on_loan:
        return "on_loan"
    if not keep_until_passed(item.keep_until_year, today):
        return "not_due"
    return None


class Decision(StrEnum):
    """ข้อ 68: the committee marks each item destroy (X in การพิจารณา) or keeps it until a new year."""

    DESTROY = "destroy"
    KEEP = "keep"


# ---------------------------------------------------------------------------------------------- the list


class ArchivesAnswer(StrEnum):
    APPROVED = "approved"
    OBJECTED = "objected"


OBJECTION_DAYS = 60
"""ข้อ 69: the National Archives have 60 days to object; their silence is consent. ``SARABAN_OBJECTION_DAYS``."""


@dataclass(frozen=True)
class ListFacts:
    """Where a destruction list stands."""

    has_committee: bool = False
    undecided: int = 0  # items the committee has not marked yet
    approved: bool = False
    archives_notified_on: date | None = None
    archives_answer: ArchivesAnswer | None = None
    executed: bool = False


def objection_window_ends(notified_on: date, days: int = OBJECTION_DAYS) -> date:
    """The last day the National Archives may still object (ข้อ 69)."""
    return notified_on + timedelta(days=days)


def committee_refusal(facts: ListFacts) -> str | None:
    """The committee is appointed before the list is decided; once approved it is fixed."""
    if facts.executed:
        return "already_executed"
    if facts.approved:
        return "already_approved"
    return None


def decision_refusal(facts: ListFacts) -> str | None:
    """ข้อ 68: the committee decides the items of a list it was appointed to, before the head approves it."""
    if facts.executed:
        return "already_executed"
    if facts.approved:
        return "already_approved"
    if not facts.has_committee:
        return "committee_missing"
    return None


def approval_refusal(facts: ListFacts) -> str | None:
    """ข้อ 68–69: the head approves a list the committee has reviewed item by item."""
    if facts.executed:
        return "already_executed"
    if facts.approved:
        return "already_approved"
    if not facts.has_committee:
        return "committee_missing"
    if facts.undecided:
        return "undecided_items"
    return None


def notification_refusal(facts: ListFacts) -> str | None:
    """ข้อ 69: only an approved list goes to the National Archives."""
    if facts.executed:
        return "already_executed"
    if not facts.approved:
        return "not_approved"
    return None


def execution_refusal(facts: ListFacts, today: date, *, objection_days: int = OBJECTION_DAYS) -> str | None:
    """ข้อ 69: nothing is destroyed before the head has approved the list, the National Archives have been sent
    it, and they have consented — by their answer, or by letting ``objection_days`` pass without objecting."""
    if facts.executed:
        return "already_executed"
    if not facts.approved:
        return "not_approved"
    if facts.archives_notified_on is None:
        return "archives_not_notified"
    if facts.archives_answer == ArchivesAnswer.OBJECTED:
        return "archives_objected"
    if facts.archives_answer == ArchivesAnswer.APPROVED:
        return None
    if today <= objection_window_ends(facts.archives_notified_on, objection_days):
        return "objection_window_open"
    return None
