"""Table test of the one action policy (``service.access.policy.may``), written from the office's rules, not the code.

Each row: who, what act, on what, and the expected answer (``None`` = allowed, else the reason code). Sources:
ระเบียบงานสารบรรณ (registering, routing), ระเบียบว่าด้วยการรักษาความลับของทางราชการ พ.ศ. 2544 (secret letters go
to the secret register, kept by its registrar), DESIGN.md "Who uses it" (administrators manage and do not read,
auditors read only), ระเบียบงานสารบรรณ หมวด 3 (the records officer keeps, lends and lists for destruction; the head
approves a destruction list; the head, by default, approves loans; anyone of the office may ask to borrow).
"""

from __future__ import annotations

import pytest

from service.access.policy import (
    OFFICE,
    Action,
    BodyTarget,
    CaseTarget,
    GrantTarget,
    LetterTarget,
    LoanTarget,
    RegistryTarget,
    RouteTarget,
    clerk_of,
    is_director,
    is_member,
    is_person,
    may,
)
from service.access.roles import Role
from service.access.rule import Actor

OFFICE_UNIT, PROMO, POLICY = 1, 2, 3


def actor(uid: int, clearance: int, *roles: tuple[int, Role]) -> Actor:
    return Actor(id=uid, username=f"u{uid}", clearance=clearance, roles=frozenset(roles))


ADMIN = actor(1, 0, (OFFICE_UNIT, Role.ADMIN))
CENTRAL = actor(2, 0, (OFFICE_UNIT, Role.CENTRAL_CLERK))
GROUP = actor(3, 0, (PROMO, Role.GROUP_CLERK))
OFFICER = actor(4, 0, (PROMO, Role.OFFICER))
DIRECTOR = actor(5, 1, (OFFICE_UNIT, Role.DIRECTOR))
RECORDS = actor(6, 0, (OFFICE_UNIT, Role.RECORDS))
SECRET = actor(7, 3, (OFFICE_UNIT, Role.SECRET_REGISTRAR))
AUDITOR = actor(8, 0, (OFFICE_UNIT, Role.AUDITOR))
POLICY_CLERK = actor(9, 0, (POLICY, Role.GROUP_CLERK))
LOW_SECRET = actor(10, 1, (OFFICE_UNIT, Role.SECRET_REGISTRAR))
EVERYONE = (ADMIN, CENTRAL, GROUP, OFFICER, DIRECTOR, RECORDS, SECRET, AUDITOR, POLICY_CLERK)

CENTRAL_REG = RegistryTarget(kind="receive", unit_id=OFFICE_UNIT)
PROMO_REG = RegistryTarget(kind="receive", unit_id=PROMO, ancestors=(OFFICE_UNIT,))
SECRET_REG = RegistryTarget(kind="secret_receive", unit_id=OFFICE_UNIT)


def secret_reg(level: int) -> RegistryTarget:
    return RegistryTarget(kind="secret_receive", unit_id=OFFICE_UNIT, secrecy=level)


def ordinary(level: int, reg: RegistryTarget = CENTRAL_REG) -> RegistryTarget:
    return RegistryTarget(kind=reg.kind, unit_id=reg.unit_id, ancestors=reg.ancestors, secrecy=level)


def send_reg(kind: str, secrecy: int = 0, *, unit: int = OFFICE_UNIT) -> RegistryTarget:
    return RegistryTarget(
        kind=kind, unit_id=unit, ancestors=(OFFICE_UNIT,) if unit != OFFICE_UNIT else (), secrecy=secrecy
    )


OFFICE_SEND = send_reg("send")

AT_CENTRAL = LetterTarget(secrecy=0, holders={OFFICE_UNIT: "receive"})
AT_PROMO = LetterTarget(secrecy=0, holders={OFFICE_UNIT: "receive", PROMO: "receive"}, routed_units=frozenset({PROMO}))
SECRET_LETTER = LetterTarget(secrecy=2, holders={OFFICE_UNIT: "secret_receive"})
# the central registry's clerk sent a letter to the promotion group; the group clerk assigned it to the officer
TO_PROMO = RouteTarget(from_user_id=CENTRAL.id, from_unit_id=OFFICE_UNIT, to_unit_id=PROMO)
TO_OFFICER = RouteTarget(from_user_id=GROUP.id, from_unit_id=PROMO, to_user_id=OFFICER.id)
# the director sent a letter to the officer personally (no desk)
DIRECTOR_TO_OFFICER = RouteTarget(from_user_id=DIRECTOR.id, to_user_id=OFFICER.id)

ROWS: list[tuple[Actor, Action, object, str | None]] = [
    # knowing a registry exists: secret registries only for their registrars (and the administrators who set them up)
    *[(a, Action.KNOW_REGISTRY, CENTRAL_REG, None) for a in EVERYONE],
    (SECRET, Action.KNOW_REGISTRY, SECRET_REG, None),
    (ADMIN, Action.KNOW_REGISTRY, SECRET_REG, None),
    *[
        (a, Action.KNOW_REGISTRY, SECRET_REG, "secret_registry")
        for a in (CENTRAL, GROUP, OFFICER, DIRECTOR, RECORDS, AUDITOR, POLICY_CLERK)
    ],
    # opening a register: the unit's clerks and records officer, heads above it, auditors; the secret one its registrar
    (CENTRAL, Action.READ_REGISTER, CENTRAL_REG, None),
    (RECORDS, Action.READ_REGISTER, CENTRAL_REG, None),
    (DIRECTOR, Action.READ_REGISTER, CENTRAL_REG, None),
    (DIRECTOR, Action.READ_REGISTER, PROMO_REG, None),
    (AUDITOR, Action.READ_REGISTER, PROMO_REG, None),
    (GROUP, Action.READ_REGISTER, PROMO_REG, None),
    (GROUP, Action.READ_REGISTER, CENTRAL_REG, "not_reader"),
    (POLICY_CLERK, Action.READ_REGISTER, PROMO_REG, "not_reader"),
    (OFFICER, Action.READ_REGISTER, PROMO_REG, "not_reader"),
    (ADMIN, Action.READ_REGISTER, CENTRAL_REG, "not_reader"),
    (SECRET, Action.READ_REGISTER, SECRET_REG, None),
    (DIRECTOR, Action.READ_REGISTER, SECRET_REG, "not_reader"),
    (AUDITOR, Action.READ_REGISTER, SECRET_REG, "not_reader"),
    # registering: the registry's own clerks; secret letters only into the secret register by a cleared registrar
    (CENTRAL, Action.REGISTER, ordinary(0), None),
    (GROUP, Action.REGISTER, ordinary(0, PROMO_REG), None),
    (GROUP, Action.REGISTER, ordinary(0), "not_registrar"),
    (CENTRAL, Action.REGISTER, ordinary(0, PROMO_REG), "not_registrar"),
    (DIRECTOR, Action.REGISTER, ordinary(0), "not_registrar"),
    (ADMIN, Action.REGISTER, ordinary(0), "not_registrar"),
    (AUDITOR, Action.REGISTER, ordinary(0), "not_registrar"),
    (CENTRAL, Action.REGISTER, ordinary(1), "secret_in_ordinary_registry"),
    (SECRET, Action.REGISTER, secret_reg(3), None),
    (SECRET, Action.REGISTER, secret_reg(0), "ordinary_in_secret_registry"),
    (LOW_SECRET, Action.REGISTER, secret_reg(1), None),
    (LOW_SECRET, Action.REGISTER, secret_reg(2), "clearance_too_low"),
    (CENTRAL, Action.REGISTER, secret_reg(1), "not_registrar"),
    # a receive registry takes received letters only; numbers of the send-side series are issued, not registered
    (CENTRAL, Action.REGISTER, OFFICE_SEND, "not_receive_registry"),
    (SECRET, Action.REGISTER, send_reg("secret_send", 1), "not_receive_registry"),
    # issuing numbers (ลงทะเบียนส่ง), drafting and sending: the clerks of the unit that owns the series; the secret
    # send register only its registrar, cleared for the letter
    *[(CENTRAL, Action.ISSUE, send_reg(kind), None) for kind in ("send", "circular", "order", "announcement")],
    *[(GROUP, Action.ISSUE, send_reg(kind, unit=PROMO), None) for kind in ("send", "circular", "order")],
    (GROUP, Action.ISSUE, OFFICE_SEND, "not_registrar"),
    (CENTRAL, Action.ISSUE, send_reg("send", unit=PROMO), "not_registrar"),
    (POLICY_CLERK, Action.ISSUE, send_reg("send", unit=PROMO), "not_registrar"),
    (OFFICER, Action.ISSUE, send_reg("send", unit=PROMO), "not_registrar"),
    (DIRECTOR, Action.ISSUE, OFFICE_SEND, "not_registrar"),
    (ADMIN, Action.ISSUE, OFFICE_SEND, "not_registrar"),
    (AUDITOR, Action.ISSUE, OFFICE_SEND, "not_registrar"),
    (SECRET, Action.ISSUE, OFFICE_SEND, "not_registrar"),
    (CENTRAL, Action.ISSUE, send_reg("send", 1), "secret_in_ordinary_registry"),
    (CENTRAL, Action.ISSUE, send_reg("circular", 3), "secret_in_ordinary_registry"),
    (SECRET, Action.ISSUE, send_reg("secret_send", 3), None),
    (SECRET, Action.ISSUE, send_reg("secret_send", 0), "ordinary_in_secret_registry"),
    (LOW_SECRET, Action.ISSUE, send_reg("secret_send", 1), None),
    (LOW_SECRET, Action.ISSUE, send_reg("secret_send", 2), "clearance_too_low"),
    (CENTRAL, Action.ISSUE, send_reg("secret_send", 1), "not_registrar"),
    (CENTRAL, Action.ISSUE, CENTRAL_REG, "not_send_registry"),
    (SECRET, Action.ISSUE, secret_reg(1), "not_send_registry"),
    # routing: clerks and heads of a unit holding the letter, the director; a secret letter only its registrar
    (CENTRAL, Action.ROUTE, AT_CENTRAL, None),
    (DIRECTOR, Action.ROUTE, AT_CENTRAL, None),
    (GROUP, Action.ROUTE, AT_CENTRAL, "not_router"),
    (GROUP, Action.ROUTE, AT_PROMO, None),
    (OFFICER, Action.ROUTE, AT_PROMO, "not_router"),
    (RECORDS, Action.ROUTE, AT_CENTRAL, "not_router"),
    (AUDITOR, Action.ROUTE, AT_CENTRAL, "not_router"),
    (ADMIN, Action.ROUTE, AT_CENTRAL, "not_router"),
    (POLICY_CLERK, Action.ROUTE, AT_PROMO, "not_router"),
    (SECRET, Action.ROUTE, SECRET_LETTER, None),
    (DIRECTOR, Action.ROUTE, SECRET_LETTER, "not_router"),
    (CENTRAL, Action.ROUTE, SECRET_LETTER, "not_router"),
    # handling a routing: a unit's registry clerks what was sent to the unit, a person what was sent to them
    (GROUP, Action.HANDLE_ROUTE, TO_PROMO, None),
    *[(a, Action.HANDLE_ROUTE, TO_PROMO, "not_recipient") for a in EVERYONE if a is not GROUP],
    (OFFICER, Action.HANDLE_ROUTE, TO_OFFICER, None),
    *[(a, Action.HANDLE_ROUTE, TO_OFFICER, "not_recipient") for a in EVERYONE if a is not OFFICER],
    # taking one back: its sender, or a registry clerk of the desk it was sent from; nobody else (not the director)
    (CENTRAL, Action.RECALL_ROUTE, TO_PROMO, None),
    (GROUP, Action.RECALL_ROUTE, TO_OFFICER, None),
    (DIRECTOR, Action.RECALL_ROUTE, DIRECTOR_TO_OFFICER, None),
    *[(a, Action.RECALL_ROUTE, TO_PROMO, "not_sender") for a in EVERYONE if a is not CENTRAL],
    *[(a, Action.RECALL_ROUTE, TO_OFFICER, "not_sender") for a in EVERYONE if a is not GROUP],
    *[(a, Action.RECALL_ROUTE, DIRECTOR_TO_OFFICER, "not_sender") for a in EVERYONE if a is not DIRECTOR],
    # instructions (เกษียณหนังสือ): the director and group heads only
    (DIRECTOR, Action.INSTRUCT, AT_CENTRAL, None),
    (DIRECTOR, Action.INSTRUCT, SECRET_LETTER, None),
    *[(a, Action.INSTRUCT, AT_PROMO, "not_head") for a in EVERYONE if a is not DIRECTOR],
    # the audit trail: auditors only
    (AUDITOR, Action.READ_AUDIT, OFFICE, None),
    *[(a, Action.READ_AUDIT, OFFICE, "not_auditor") for a in EVERYONE if a is not AUDITOR],
    # accounts: administrators only
    (ADMIN, Action.MANAGE_USERS, OFFICE, None),
    (ADMIN, Action.SEE_ACCOUNTS, OFFICE, None),
    *[(a, Action.MANAGE_USERS, OFFICE, "not_admin") for a in EVERYONE if a is not ADMIN],
    *[(a, Action.SEE_ACCOUNTS, OFFICE, "not_admin") for a in EVERYONE if a is not ADMIN],
    # everyone signed in changes their own password and searches (results pass the reading rule)
    *[(a, Action.CHANGE_OWN_PASSWORD, OFFICE, None) for a in EVERYONE],
    *[(a, Action.SEARCH, OFFICE, None) for a in EVERYONE],
    # the archive: its keeper, the head and the auditors read it
    *[(a, Action.READ_ARCHIVE, OFFICE, None) for a in (RECORDS, DIRECTOR, AUDITOR)],
    *[
        (a, Action.READ_ARCHIVE, OFFICE, "not_archive_reader")
        for a in (ADMIN, CENTRAL, GROUP, OFFICER, SECRET, POLICY_CLERK)
    ],
    # the file plan: the records officer and the administrators (who set up the installation)
    (RECORDS, Action.MANAGE_FILE_PLAN, OFFICE, None),
    (ADMIN, Action.MANAGE_FILE_PLAN, OFFICE, None),
    *[(a, Action.MANAGE_FILE_PLAN, OFFICE, "not_records_officer") for a in (CENTRAL, DIRECTOR, AUDITOR, OFFICER)],
    # filing (ส่งเก็บ), the destruction list's paperwork, lending and the transfer: the records officer only
    *[
        (a, act, OFFICE, None)
        for act in (
            Action.FILE_LETTERS,
            Action.PREPARE_DESTRUCTION,
            Action.EXECUTE_DESTRUCTION,
            Action.LEND,
            Action.TRANSFER,
        )
        for a in (RECORDS,)
    ],
    *[
        (a, act, OFFICE, "not_records_officer")
        for act in (
            Action.FILE_LETTERS,
            Action.PREPARE_DESTRUCTION,
            Action.EXECUTE_DESTRUCTION,
            Action.LEND,
            Action.TRANSFER,
        )
        for a in EVERYONE
        if a is not RECORDS
    ],
    # a legal hold: the records officer or the head
    (RECORDS, Action.LEGAL_HOLD, OFFICE, None),
    (DIRECTOR, Action.LEGAL_HOLD, OFFICE, None),
    *[(a, Action.LEGAL_HOLD, OFFICE, "not_hold_keeper") for a in (ADMIN, CENTRAL, AUDITOR, OFFICER)],
    # ข้อ 69: the head approves the destruction list
    (DIRECTOR, Action.APPROVE_DESTRUCTION, OFFICE, None),
    *[(a, Action.APPROVE_DESTRUCTION, OFFICE, "not_director") for a in EVERYONE if a is not DIRECTOR],
    # anyone of the office may ask to borrow; an administrator's account does not
    *[(a, Action.REQUEST_LOAN, OFFICE, None) for a in EVERYONE if a is not ADMIN],
    (ADMIN, Action.REQUEST_LOAN, OFFICE, "not_staff"),
    # who approves a loan is configuration: the head by default
    (DIRECTOR, Action.APPROVE_LOAN, LoanTarget(), None),
    (RECORDS, Action.APPROVE_LOAN, LoanTarget(), "not_loan_approver"),
    (GROUP, Action.APPROVE_LOAN, LoanTarget(), "not_loan_approver"),
    (RECORDS, Action.APPROVE_LOAN, LoanTarget(frozenset({Role.DIRECTOR, Role.RECORDS})), None),
    (GROUP, Action.APPROVE_LOAN, LoanTarget(frozenset({Role.GROUP_CLERK})), None),
    # the two-person rule for secrets: the administrator asks, the head of the office (not a group head) approves
    (ADMIN, Action.SEE_SECRET_GRANTS, OFFICE, None),
    (DIRECTOR, Action.SEE_SECRET_GRANTS, OFFICE, None),
    *[(a, Action.SEE_SECRET_GRANTS, OFFICE, "not_admin_or_head") for a in (CENTRAL, SECRET, AUDITOR, OFFICER)],
    (DIRECTOR, Action.APPROVE_SECRET_GRANT, GrantTarget(requested_by=1, office_units=frozenset({OFFICE_UNIT})), None),
    (
        DIRECTOR,
        Action.APPROVE_SECRET_GRANT,
        GrantTarget(requested_by=5, office_units=frozenset({OFFICE_UNIT})),
        "same_person",
    ),
    (
        actor(11, 0, (PROMO, Role.DIRECTOR)),
        Action.APPROVE_SECRET_GRANT,
        GrantTarget(requested_by=1, office_units=frozenset({OFFICE_UNIT})),
        "not_office_head",
    ),
    *[
        (
            a,
            Action.APPROVE_SECRET_GRANT,
            GrantTarget(requested_by=1, office_units=frozenset({OFFICE_UNIT})),
            "not_office_head",
        )
        for a in (ADMIN, SECRET, AUDITOR, CENTRAL)
    ],
    # correcting and cancelling a registration: the registry's own clerks (ระเบียบงานสารบรรณ ข้อ 38), secret letters
    # only their registrar cleared for them; no one else, not the director nor the administrator
    *[
        row
        for act in (Action.CORRECT_REGISTRATION, Action.CANCEL_REGISTRATION)
        for row in [
            (CENTRAL, act, CENTRAL_REG, None),
            (GROUP, act, PROMO_REG, None),
            (GROUP, act, CENTRAL_REG, "not_registrar"),
            (POLICY_CLERK, act, PROMO_REG, "not_registrar"),
            (CENTRAL, act, PROMO_REG, "not_registrar"),
            *[(a, act, CENTRAL_REG, "not_registrar") for a in EVERYONE if a not in (CENTRAL,)],
            (SECRET, act, secret_reg(3), None),
            (LOW_SECRET, act, secret_reg(2), "clearance_too_low"),
            (CENTRAL, act, OFFICE_SEND, "not_receive_registry"),
        ]
    ],
]

# the office's work processes (issue 15): a group's case is worked on by the group's clerks and officers and the heads
# of the group or above; a child-protection case (พ.ร.บ. คุ้มครองเด็ก ม.27) only by the centre's members, whatever
# their role — not the group's clerk, the central registry, the auditors, nor a director who is not a member
PROMO_CASE = CaseTarget(unit_id=PROMO, ancestors=(OFFICE_UNIT,))
CENTRE_CASE = CaseTarget(unit_id=PROMO, ancestors=(OFFICE_UNIT,), confidential=True, member_ids=frozenset({OFFICER.id}))
ROWS += [
    *[(a, Action.RUN_CASE, PROMO_CASE, None) for a in (GROUP, OFFICER, DIRECTOR)],
    *[
        (a, Action.RUN_CASE, PROMO_CASE, "not_case_worker")
        for a in (ADMIN, CENTRAL, RECORDS, SECRET, AUDITOR, POLICY_CLERK)
    ],
    (OFFICER, Action.RUN_CASE, CENTRE_CASE, None),
    *[(a, Action.RUN_CASE, CENTRE_CASE, "not_centre_member") for a in EVERYONE if a is not OFFICER],
    # the templates: administrators import and export them
    (ADMIN, Action.MANAGE_PROCEDURES, OFFICE, None),
    *[(a, Action.MANAGE_PROCEDURES, OFFICE, "not_admin") for a in EVERYONE if a is not ADMIN],
    # the administrator's screens: units and registries (the director heads the office, does not administer it)
    (ADMIN, Action.MANAGE_UNITS, OFFICE, None),
    *[(a, Action.MANAGE_UNITS, OFFICE, "not_admin") for a in EVERYONE if a is not ADMIN],
    (ADMIN, Action.MANAGE_REGISTRIES, OFFICE, None),
    *[(a, Action.MANAGE_REGISTRIES, OFFICE, "not_admin") for a in EVERYONE if a is not ADMIN],
]


@pytest.mark.parametrize(("who", "action", "target", "expected"), ROWS, ids=lambda v: getattr(v, "username", None))
def test_policy_table(who: Actor, action: Action, target: object, expected: str | None) -> None:
    assert may(who, action, target) == expected  # type: ignore[arg-type]


def test_every_action_has_rows() -> None:
    """Every act that exists is covered by the table above (a new act needs its rows)."""
    assert {row[1] for row in ROWS} == set(Action)


def test_an_unknown_action_is_refused_by_default() -> None:
    pretend = "destroy_everything"
    assert all(may(a, pretend, OFFICE) == "no_rule" for a in EVERYONE)


def test_a_target_of_the_wrong_kind_is_refused() -> None:
    assert may(ADMIN, Action.MANAGE_USERS, CENTRAL_REG) == "wrong_target"
    assert may(CENTRAL, Action.ROUTE, CENTRAL_REG) == "wrong_target"


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (lambda: clerk_of(GROUP, [PROMO]), True),
        (lambda: clerk_of(GROUP, [POLICY]), False),
        (lambda: clerk_of(OFFICER, [PROMO]), False),
        (lambda: is_person(OFFICER, {OFFICER.id}), True),
        (lambda: is_person(GROUP, {OFFICER.id}), False),
        (lambda: is_director(DIRECTOR), True),
        (lambda: is_director(CENTRAL), False),
        (lambda: is_member(RECORDS, BodyTarget("destruction-committee-2569", frozenset({RECORDS.id}))), True),
        (lambda: is_member(AUDITOR, BodyTarget("child-protection-centre", frozenset({RECORDS.id}))), False),
    ],
)
def test_building_blocks_for_what_comes_next(check: object, expected: bool) -> None:  # noqa: FBT001
    assert check() is expected  # type: ignore[operator]
