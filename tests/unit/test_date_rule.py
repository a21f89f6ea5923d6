"""The one rule for dates people type (README "Input limits"; issue 10 findings 4 and 13, issue 14 acceptance 4).

A year 2400–2700 is B.E., 1857–2157 is C.E., a two-digit year is the B.E. short form, anything else is refused; the
same in every format. Every refusal carries a Thai message.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from pydantic import BaseModel, ValidationError

from service.edge.params import day_bound, year_param
from service.kit.errors import InvalidInput
from service.kit.fields import BeYear, OfficeDate, OfficeDateTime
from service.kit.thai import DateError, format_thai_datetime, local, parse_date, parse_date_range, parse_datetime

ACCEPTED = [
    ("23/3/2565", date(2022, 3, 23)),
    ("๒๓/๓/๒๕๖๕", date(2022, 3, 23)),
    ("23-03-2565", date(2022, 3, 23)),
    ("23.3.65", date(2022, 3, 23)),  # B.E. short form
    ("23/3/2022", date(2022, 3, 23)),  # C.E. by the rule
    ("2022-03-23", date(2022, 3, 23)),  # ISO, C.E.
    ("2565-03-23", date(2022, 3, 23)),  # ISO digits, B.E. year: the same rule
    ("23 มีนาคม 2565", date(2022, 3, 23)),
    ("๒๓ มีนาคม ๒๕๖๕", date(2022, 3, 23)),
    ("23 มี.ค. 2565", date(2022, 3, 23)),
    ("23 มีค 2565", date(2022, 3, 23)),
    ("23มี.ค.65", date(2022, 3, 23)),
    ("23 มี.ค. พ.ศ. 2565", date(2022, 3, 23)),
    ("18 พ.ย. 2569", date(2026, 11, 18)),
    ("๑ ธ.ค. ๒๕๖๘", date(2025, 12, 1)),
    ("1 ธันวา 2568", date(2025, 12, 1)),  # the spoken short name
    ("29 ก.พ. 2567", date(2024, 2, 29)),  # a leap year
    ("1/1/2400", date(1857, 1, 1)),  # the first day of the range (B.E.)
    ("31/12/2700", date(2157, 12, 31)),  # the last (B.E.)
    ("1857-01-01", date(1857, 1, 1)),
    ("2157-12-31", date(2157, 12, 31)),
]

REFUSED = [
    "",
    "   ",
    "31/2/2568",  # no such day
    "๓๑/๔/๒๕๖๘",
    "29 ก.พ. 2568",  # not a leap year
    "0/1/2568",
    "1/13/2568",
    "1/0/2568",
    "1/1/200",  # a three-digit year
    "1/1/2399",  # just before the range (B.E.)
    "1/1/2701",  # just after
    "1/1/2158",  # C.E. just after
    "1/1/1856",  # C.E. just before
    "0000-01-01",
    "9999-12-31",
    "1/1/9999",
    "2300-01-01",  # neither era
    "32 มี.ค. 2565",
    "23 มีน 2565",  # not a month
    "23 March 2022",
    "23/3",
    "พรุ่งนี้",
    "1" * 200,
    "2022-02-30",
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted(text: str, expected: date) -> None:
    assert parse_date(text) == expected


_THAI = re.compile(r"[\u0e00-\u0e7f]")
_ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.mark.parametrize("text", REFUSED)
def test_refused_with_a_thai_message(text: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(text)
    thai = caught.value.thai
    assert _THAI.search(thai), thai
    said = re.sub(r"«[^»]*»", "", thai)  # what the user typed is quoted back as typed
    assert not _ENGLISH_WORD.search(said), f"English in the Thai message: {thai}"


@pytest.mark.parametrize("text", REFUSED)
def test_models_refuse_the_same_with_the_same_thai(text: str) -> None:
    class M(BaseModel):
        d: OfficeDate

    with pytest.raises(ValidationError) as caught:
        M(d=text)
    error = caught.value.errors()[0]
    inner = (error.get("ctx") or {}).get("error")
    if text.strip():
        assert isinstance(getattr(inner, "thai", None), str), error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-31T10:00:00+07:00", datetime(2026, 12, 31, 3, 0, tzinfo=UTC)),
        ("2569-12-31T10:00:00+07:00", datetime(2026, 12, 31, 3, 0, tzinfo=UTC)),
        ("๓๑/๑๒/๒๕๖๙", datetime(2026, 12, 31)),
    ],
)
def test_moments(text: str, expected: datetime) -> None:
    got = parse_datetime(text)
    assert got == expected


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59", "0001-01-01T00:00:00", "2200-01-01T00:00:00Z", "31/2/2569"])
def test_moments_out_of_range_are_refused(text: str) -> None:
    with pytest.raises(DateError):
        parse_datetime(text)

    class M(BaseModel):
        at: OfficeDateTime

    with pytest.raises(ValidationError):
        M(at=text)


def test_datetime_values_are_checked_too() -> None:
    with pytest.raises(DateError):
        parse_datetime(datetime(9999, 12, 31, 23, 59, 59))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("๑ พ.ย. ๒๕๖๙-๓๐ พ.ย. ๒๕๖๙", (date(2026, 11, 1), date(2026, 11, 30))),
        ("18 พ.ย. 2569", (date(2026, 11, 18), date(2026, 11, 18))),
        ("1/1/2565-31/3/2565", (date(2022, 1, 1), date(2022, 3, 31))),
        ("2022-01-01..2022-03-31", (date(2022, 1, 1), date(2022, 3, 31))),
        ("1/1/2565 ถึง 31/3/2565", (date(2022, 1, 1), date(2022, 3, 31))),
        ("-31/3/2565", (None, date(2022, 3, 31))),
    ],
)
def test_ranges(text: str, expected: tuple[date | None, date | None]) -> None:
    assert parse_date_range(text) == expected


@pytest.mark.parametrize("text", ["30/11/2569-1/11/2569", "1/1/2565-31/2/2565", "ไม่ใช่-วันที่", "1/1/9999-2/1/9999"])
def test_bad_ranges_are_refused_in_thai(text: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date_range(text)
    assert _THAI.search(caught.value.thai)


@pytest.mark.parametrize(("raw", "be"), [("2568", 2568), ("๒๕๖๘", 2568), ("2025", 2568), ("68", 2568)])
def test_years(raw: str, be: int) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert year_param(raw, now) == be

    class M(BaseModel):
        y: BeYear

    assert M(y=raw).y == be


@pytest.mark.parametrize("raw", ["9999", "0", "200", "2158", "2399", "99999999999999999999", "ปีนี้", "-1"])
def test_years_out_of_range(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        year_param(raw, datetime(2026, 1, 1, tzinfo=UTC))
    assert _THAI.search(caught.value.thai)


@pytest.mark.parametrize("raw", ["9999-12-31", "0001-01-01", "1/1/200"])
def test_period_bounds_out_of_range_are_422(raw: str) -> None:
    with pytest.raises(InvalidInput):
        day_bound(raw, end=True)


def test_the_formatter_is_total() -> None:
    """A moment stored before dates were checked (finding 4) still shows: no overflow in the local-time
    conversion."""
    for moment in (datetime(9999, 12, 31, 23, 59, 59), datetime(1, 1, 1), datetime(9999, 12, 31, tzinfo=UTC)):
        assert local(moment).year in (1, 9999)
        assert format_thai_datetime(moment)
