"""Table tests of the archive rules (``retention/``), written from the regulation, with the day passed in (the
injected clock): ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ พ.ศ. 2526 หมวด 3 — ส่วนที่ 1 การเก็บรักษา (ข้อ 52–57: kinds
of storage, retention, the keep-until stamp), ส่วนที่ 2 การยืม (outsiders view or copy, never borrow), ส่วนที่ 3
การทำลาย (ข้อ 66: within 60 days after the year's end; ข้อ 67 as amended in 2560: a chair and at least two members of
ปฏิบัติการ/ชำนาญงาน level or above; ข้อ 68: keep longer or destroy; ข้อ 69: the head approves, the National
Archives are told and have 60 days to object).
"""

from __future__ import annotations

from datetime import date

import pytest

from retention.committee import (
    DEFAULT_LEVELS,
    CommitteeRole,
    Member,
    committee_problem,
    level_qualifies,
    parse_levels,
    unqualified,
)
from retention.destruction import (
    DEFAULT_WINDOW,
    ArchivesAnswer,
    ItemFacts,
    ListFacts,
    approval_refusal,
    decision_refusal,
    execution_refusal,
    ineligibility,
    listing_refusal,
    notification_refusal,
    objection_window_ends,
    parse_window,
    sixtieth_day,
)
from retention.keeping import (
    DEFAULT_CLASSES,
    keep_until_passed,
    keep_until_stamp,
    keep_until_year,
    new_keep_until_problem,
    retention_problem,
)
from retention.loans import (
    AccessKind,
    BorrowerKind,
    LoanFacts,
    LoanState,
    LoanStep,
    access_refusal,
    days_overdue,
    due_date_problem,
    is_overdue,
    next_state,
)
from retention.transfer import TransferCandidate, reached_transfer_age, split_transfer

CLASS_YEARS = {c.code: c.years for c in DEFAULT_CLASSES}

# ---------------------------------------------------------------------------------------------- ส่วนที่ 1 การเก็บรักษา


def test_the_default_classes_are_the_regulations() -> None:
    """ข้อ 57: 10 years as a rule, permanent (ห้ามทำลาย), at least 1 year for routine matters, financial per the
    finance rules (configurable; 5 by default)."""
    assert CLASS_YEARS["general"] == 10
    assert CLASS_YEARS["permanent"] is None
    assert CLASS_YEARS["routine"] == 1
    assert CLASS_YEARS["financial"] == 5
    assert all(retention_problem(y) is None for y in CLASS_YEARS.values())


@pytest.mark.parametrize(("years", "expected"), [(1, None), (10, None), (None, None), (0, "retention_below_minimum")])
def test_no_class_keeps_less_than_a_year(years: int | None, expected: str | None) -> None:
    assert retention_problem(years) == expected


@pytest.mark.parametrize(
    ("completed_on", "cls", "expected"),
    [
        # ข้อ 54/57: 31 December of (the year of completion + the class's years), in B.E.
        (date(2025, 6, 16), "general", 2578),  # 2568 + 10
        (date(2025, 1, 1), "general", 2578),  # the first day of the year counts as that year
        (date(2025, 12, 31), "general", 2578),  # and so does the last (Bangkok's calendar day, not UTC's)
        (date(2026, 1, 1), "general", 2579),  # one day later: one year more
        (date(2025, 12, 31), "routine", 2569),
        (date(2026, 1, 1), "routine", 2570),
        (date(2024, 2, 29), "financial", 2572),  # a leap day
        (date(2025, 6, 16), "copy", 2573),
        (date(2025, 6, 16), "permanent", None),  # ห้ามทำลาย: no year
        (date(1990, 3, 1), "general", 2543),  # an old paper file filed late keeps its own completion year
    ],
)
def test_keep_until_year(completed_on: date, cls: str, expected: int | None) -> None:
    assert keep_until_year(completed_on, CLASS_YEARS[cls]) == expected


@pytest.mark.parametrize(
    ("year_be", "today", "passed"),
    [
        (2568, date(2025, 12, 31), False),  # kept *until* 31 December 2568 inclusive
        (2568, date(2026, 1, 1), True),
        (2578, date(2026, 1, 1), False),
        (None, date(2999, 1, 1), False),  # permanent never passes
    ],
)
def test_keep_until_passed(year_be: int | None, today: date, passed: bool) -> None:  # noqa: FBT001
    assert keep_until_passed(year_be, today) is passed


@pytest.mark.parametrize(
    ("year_be", "digits", "expected"),
    [(2578, "thai", "เก็บถึง พ.ศ. ๒๕๗๘"), (2578, "arabic", "เก็บถึง พ.ศ. 2578"), (None, "thai", "ห้ามทำลาย")],
)
def test_keep_until_stamp(year_be: int | None, digits: str, expected: str) -> None:
    """ข้อ 54: the stamp at the bottom right of page 1."""
    assert keep_until_stamp(year_be, digits=digits) == expected


@pytest.mark.parametrize(
    ("current", "proposed", "expected"),
    [
        (2568, 2573, None),
        (2568, 2568, "keep_year_not_later"),
        (2568, 2560, "keep_year_not_later"),
        (2568, None, "keep_needs_year"),
    ],
)
def test_a_kept_item_gets_a_later_year(current: int, proposed: int | None, expected: str | None) -> None:
    """ข้อ 68: the committee writes the new keep-until year in การพิจารณา."""
    assert new_keep_until_problem(current, proposed) == expected


# ---------------------------------------------------------------------------------------------- ส่วนที่ 3 การทำลาย: window


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 12, 31), "outside_window"),
        (date(2026, 1, 1), None),  # the day after the year's end
        (date(2026, 2, 28), None),
        (date(2026, 3, 1), None),  # the 60th day of a common year
        (date(2026, 3, 2), "outside_window"),
        (date(2024, 2, 29), None),  # a leap year: the leap day is inside
        (date(2024, 3, 1), None),  # and 1 March stays in the configured window
        (date(2024, 3, 2), "outside_window"),
        (date(2026, 7, 1), "outside_window"),
    ],
)
def test_the_default_listing_window(today: date, expected: str | None) -> None:
    assert listing_refusal(today, DEFAULT_WINDOW) == expected


@pytest.mark.parametrize(("year", "expected"), [(2026, date(2026, 3, 1)), (2024, date(2024, 2, 29))])
def test_sixty_days_after_the_years_end(year: int, expected: date) -> None:
    """ข้อ 66 counted literally: in a leap year the 60th day is 29 February (the default window still runs to 1
    March, the date the offices work to)."""
    assert sixtieth_day(year) == expected


@pytest.mark.parametrize(
    ("window", "today", "inside"),
    [
        ("01-01/02-29", date(2025, 2, 28), True),  # 29 February in a common year is the 28th
        ("01-01/02-29", date(2025, 3, 1), False),
        ("01-01/02-29", date(2024, 2, 29), True),
        ("12-15/02-15", date(2025, 12, 20), True),  # a window over the new year
        ("12-15/02-15", date(2026, 2, 15), True),
        ("12-15/02-15", date(2026, 2, 16), False),
        ("12-15/02-15", date(2026, 12, 14), False),
        (" 1-1 / 3-1 ", date(2026, 3, 1), True),
    ],
)
def test_a_configured_window(window: str, today: date, inside: bool) -> None:  # noqa: FBT001
    assert parse_window(window).contains(today) is inside


@pytest.mark.parametrize("bad", ["", "01-01", "13-01/03-01", "01-32/03-01", "02-30/03-01", "1/1-3/1", "a-b/c-d"])
def test_a_window_that_cannot_be_read_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        parse_window(bad)


# ---------------------------------------------------------------------------------------------- eligibility

TODAY = date(2026, 1, 15)  # B.E. 2569, inside the window


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (ItemFacts(keep_until_year=2568), None),  # kept until 31 Dec 2568: due in January 2569
        (ItemFacts(keep_until_year=2560), None),  # long overdue
        (ItemFacts(keep_until_year=2569), "not_due"),  # until the end of this year
        (ItemFacts(keep_until_year=2578), "not_due"),
        (ItemFacts(keep_until_year=None), "permanent"),  # ห้ามทำลาย
        (ItemFacts(keep_until_year=None, held=True), "permanent"),
        (ItemFacts(keep_until_year=2568, held=True), "held"),  # a legal hold wins over the date
        (ItemFacts(keep_until_year=2568, on_loan=True), "on_loan"),
        (ItemFacts(keep_until_year=2568, destroyed=True), "already_destroyed"),
        (ItemFacts(keep_until_year=None, destroyed=True), "already_destroyed"),
    ],
)
def test_eligibility(item: ItemFacts, expected: str | None) -> None:
    assert ineligibility(item, TODAY) == expected


# ---------------------------------------------------------------------------------------------- committee


def m(name: str, level: str = "ชำนาญการ", role: CommitteeRole = CommitteeRole.MEMBER) -> Member:
    return Member(name=name, position="นักวิชาการ", level=level, role=role)


CHAIR = m("นายประธาน", "ชำนาญการพิเศษ", CommitteeRole.CHAIR)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ([CHAIR, m("นายหนึ่ง"), m("นางสอง", "ชำนาญงาน")], None),  # a chair and two members
        ([CHAIR, m("นายหนึ่ง", "ปฏิบัติการ"), m("นางสอง", "อาวุโส"), m("นายสาม", "ระดับ ชำนาญการ พิเศษ")], None),
        ([CHAIR, m("นายหนึ่ง")], "too_few_members"),  # at least two besides the chair
        ([CHAIR], "too_few_members"),
        ([m("นายหนึ่ง"), m("นางสอง"), m("นายสาม")], "no_chair"),
        ([CHAIR, m("นายรอง", role=CommitteeRole.CHAIR), m("นางสอง")], "more_than_one_chair"),
        ([CHAIR, m("นายหนึ่ง"), m("นางสอง", "ปฏิบัติงาน")], "level_not_qualified"),  # general type below ชำนาญงาน
        ([CHAIR, m("นายหนึ่ง"), m("นางสอง", "ครูผู้ช่วย")], "level_not_qualified"),
        ([m("นายประธาน", "ลูกจ้างประจำ", CommitteeRole.CHAIR), m("นายหนึ่ง"), m("นางสอง")], "level_not_qualified"),
        ([CHAIR, m("นายหนึ่ง"), m("นายหนึ่ง")], "duplicate_member"),
        ([CHAIR, m("นายหนึ่ง"), m("  ")], "member_without_name"),
        ([], "no_chair"),
    ],
)
def test_committee_qualification(members: list[Member], expected: str | None) -> None:
    assert committee_problem(members) == expected


def test_the_levels_are_configuration() -> None:
    """An office that may appoint permanent employees in case of need lists that level too."""
    members = [CHAIR, m("นายหนึ่ง"), m("นางสอง", "ลูกจ้างประจำ")]
    assert committee_problem(members) == "level_not_qualified"
    assert unqualified(members) == ["นางสอง"]
    levels = parse_levels(",".join((*DEFAULT_LEVELS, "ลูกจ้างประจำ")))
    assert committee_problem(members, levels) is None
    assert parse_levels("") == DEFAULT_LEVELS
    assert level_qualifies(" ระดับชำนาญงาน ")
    assert not level_qualifies("ปฏิบัติงาน")


# ---------------------------------------------------------------------------------------------- the list's steps

NOTIFIED = date(2026, 2, 1)
APPROVED = ListFacts(has_committee=True, approved=True)


@pytest.mark.parametrize(
    ("rule", "facts", "expected"),
    [
        (decision_refusal, ListFacts(), "committee_missing"),
        (decision_refusal, ListFacts(has_committee=True), None),
        (decision_refusal, APPROVED, "already_approved"),
        (approval_refusal, ListFacts(), "committee_missing"),
        (approval_refusal, ListFacts(has_committee=True, undecided=2), "undecided_items"),
        (approval_refusal, ListFacts(has_committee=True), None),
        (approval_refusal, APPROVED, "already_approved"),
        (notification_refusal, ListFacts(has_committee=True), "not_approved"),
        (notification_refusal, APPROVED, None),
        (notification_refusal, ListFacts(executed=True), "already_executed"),
    ],
)
def test_the_steps_of_a_list(rule: object, facts: ListFacts, expected: str | None) -> None:
    assert rule(facts) == expected  # type: ignore[operator]


@pytest.mark.parametrize(
    ("facts", "today", "expected"),
    [
        (ListFacts(has_committee=True), date(2026, 6, 1), "not_approved"),
        (APPROVED, date(2026, 6, 1), "archives_not_notified"),
        (
            ListFacts(has_committee=True, approved=True, archives_notified_on=NOTIFIED),
            date(2026, 2, 2),
            "objection_window_open",
        ),
        (
            ListFacts(has_committee=True, approved=True, archives_notified_on=NOTIFIED),
            date(2026, 4, 2),
            "objection_window_open",
        ),  # the 60th day after 1 February
        (ListFacts(has_committee=True, approved=True, archives_notified_on=NOTIFIED), date(2026, 4, 3), None),
        (
            ListFacts(
                has_committee=True,
                approved=True,
                archives_notified_on=NOTIFIED,
                archives_answer=ArchivesAnswer.APPROVED,
            ),
            date(2026, 2, 10),
            None,
        ),  # an answer ends the wait
        (
            ListFacts(
                has_committee=True,
                approved=True,
                archives_notified_on=NOTIFIED,
                archives_answer=ArchivesAnswer.OBJECTED,
            ),
            date(2026, 6, 1),
            "archives_objected",
        ),
        (
            ListFacts(has_committee=True, approved=True, archives_notified_on=NOTIFIED, executed=True),
            date(2026, 6, 1),
            "already_executed",
        ),
    ],
)
def test_when_a_list_may_be_carried_out(facts: ListFacts, today: date, expected: str | None) -> None:
    assert execution_refusal(facts, today) == expected


def test_the_objection_window_is_configuration() -> None:
    facts = ListFacts(has_committee=True, approved=True, archives_notified_on=NOTIFIED)
    assert objection_window_ends(NOTIFIED) == date(2026, 4, 2)
    assert execution_refusal(facts, date(2026, 2, 12), objection_days=10) is None
    assert execution_refusal(facts, date(2026, 2, 11), objection_days=10) == "objection_window_open"


# ---------------------------------------------------------------------------------------------- ส่วนที่ 2 การยืม


@pytest.mark.parametrize(
    ("kind", "who", "secrecy", "clearance", "expected"),
    [
        (AccessKind.BORROW, BorrowerKind.STAFF, 0, 0, None),
        (AccessKind.BORROW, BorrowerKind.OUTSIDER, 0, 0, "outsider_cannot_borrow"),  # never a borrower
        (AccessKind.VIEW, BorrowerKind.OUTSIDER, 0, 0, None),  # may look, with permission
        (AccessKind.COPY, BorrowerKind.OUTSIDER, 0, 0, None),  # or copy
        (AccessKind.BORROW, BorrowerKind.STAFF, 1, 0, "clearance_too_low"),  # secrets: need to know
        (AccessKind.BORROW, BorrowerKind.STAFF, 2, 2, None),
        (AccessKind.VIEW, BorrowerKind.OUTSIDER, 1, 3, "clearance_too_low"),
    ],
)
def test_who_may_borrow(
    kind: AccessKind, who: BorrowerKind, secrecy: int, clearance: int, expected: str | None
) -> None:
    assert access_refusal(kind, who, secrecy=secrecy, clearance=clearance) == expected


@pytest.mark.parametrize(
    ("state", "step", "expected"),
    [
        (LoanState.REQUESTED, LoanStep.APPROVE, LoanState.APPROVED),
        (LoanState.REQUESTED, LoanStep.REFUSE, LoanState.REFUSED),
        (LoanState.APPROVED, LoanStep.HAND_OUT, LoanState.OUT),
        (LoanState.OUT, LoanStep.RETURN, LoanState.RETURNED),
        (LoanState.REQUESTED, LoanStep.HAND_OUT, None),  # not before approval
        (LoanState.RETURNED, LoanStep.RETURN, None),
        (LoanState.REFUSED, LoanStep.APPROVE, None),
    ],
)
def test_the_steps_of_a_loan(state: LoanState, step: LoanStep, expected: LoanState | None) -> None:
    assert next_state(state, step) == expected


@pytest.mark.parametrize(
    ("loan", "today", "overdue", "days"),
    [
        (LoanFacts(LoanState.OUT, date(2026, 3, 10)), date(2026, 3, 10), False, 0),  # due today: not yet
        (LoanFacts(LoanState.OUT, date(2026, 3, 10)), date(2026, 3, 11), True, 1),
        (LoanFacts(LoanState.OUT, date(2025, 12, 31)), date(2026, 1, 2), True, 2),  # across the new year
        (LoanFacts(LoanState.RETURNED, date(2026, 3, 10)), date(2026, 4, 1), False, 0),  # returned clears it
        (LoanFacts(LoanState.APPROVED, None), date(2026, 4, 1), False, 0),
    ],
)
def test_overdue(loan: LoanFacts, today: date, overdue: bool, days: int) -> None:  # noqa: FBT001
    assert is_overdue(loan, today) is overdue
    assert days_overdue(loan, today) == days


@pytest.mark.parametrize(
    ("out", "due", "expected"),
    [(date(2026, 3, 1), date(2026, 3, 8), None), (date(2026, 3, 1), date(2026, 3, 1), "due_before_hand_out")],
)
def test_a_due_date_comes_after_the_hand_out(out: date, due: date, expected: str | None) -> None:
    assert due_date_problem(out, due) == expected


# ---------------------------------------------------------------------------------------------- transfer at 20 years


@pytest.mark.parametrize(
    ("made_on", "list_year_be", "expected"),
    [
        (date(2005, 12, 31), 2569, True),  # 20 years by the end of 2025 (2568): on the January 2569 list
        (date(2006, 1, 1), 2569, False),
        (date(2006, 1, 1), 2570, True),
        (date(1990, 5, 5), 2569, True),
    ],
)
def test_transfer_age(made_on: date, list_year_be: int, expected: bool) -> None:  # noqa: FBT001
    assert reached_transfer_age(made_on, list_year_be) is expected


def test_transfer_and_keep_ourselves_lists() -> None:
    old = date(2000, 1, 1)
    items = [
        TransferCandidate(1, old),
        TransferCandidate(2, old),
        TransferCandidate(3, old, held=True),
        TransferCandidate(4, old, destroyed=True),
        TransferCandidate(5, date(2020, 1, 1)),
    ]
    assert split_transfer(items, 2569, keep=[2]) == ([1], [2, 3])
