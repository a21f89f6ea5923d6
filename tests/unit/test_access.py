"""Table tests of the one access rule (service/access.py) — pure functions, no database.

domain.md §2 (secrecy): "Secret documents are registered by a designated secret-document registrar in a
**separate register**, visible only on a need-to-know basis." DESIGN.md "Who uses it": clerks read their unit's
registers, directors their unit and the units below, auditors every ordinary letter, administrators manage and
do not read.
"""

from __future__ import annotations

import pytest

from service.access.policy import may_read_registry, may_register
from service.access.roles import Role
from service.access.rule import (
    Actor,
    RegistryPlace,
    RoutePlace,
    actor_principals,
    letter_principals,
    sees_account_name,
)

OFFICE, PROMO, POLICY, OUTSIDE = 1, 2, 3, 99
ANC = {OFFICE: (), PROMO: (OFFICE,), POLICY: (OFFICE,)}


def actor(uid: int, clearance: int = 0, *roles: tuple[int, Role]) -> Actor:
    return Actor(id=uid, username=f"u{uid}", clearance=clearance, roles=frozenset(roles))


ADMIN = actor(1, 0, (OFFICE, Role.ADMIN))
CENTRAL = actor(2, 0, (OFFICE, Role.CENTRAL_CLERK))
GROUP = actor(3, 0, (PROMO, Role.GROUP_CLERK))
OFFICER = actor(4, 0, (PROMO, Role.OFFICER))
DIRECTOR = actor(5, 1, (OFFICE, Role.DIRECTOR))
RECORDS = actor(6, 0, (OFFICE, Role.RECORDS))
SECRET = actor(7, 3, (OFFICE, Role.SECRET_REGISTRAR))
AUDITOR = actor(8, 0, (OFFICE, Role.AUDITOR))
POLICY_CLERK = actor(9, 0, (POLICY, Role.GROUP_CLERK))
GROUP_HEAD = actor(10, 0, (PROMO, Role.DIRECTOR))
LOW_SECRET = actor(11, 1, (OFFICE, Role.SECRET_REGISTRAR))
NOBODY = actor(12, 3)


def reg(kind: str, unit: int) -> RegistryPlace:
    return RegistryPlace(kind=kind, unit_id=unit, ancestors=ANC.get(unit, ()))


# ---------------------------------------------------------------------------------------------- letter_principals

LETTER_CASES = [
    # (name, secrecy, registries, routes, expected tokens)
    ("ordinary in central", 0, [reg("receive", OFFICE)], [], {"unit:1", "tree:1", "auditor"}),
    (
        "ordinary in a group: group clerks, heads up the tree, auditor",
        0,
        [reg("receive", PROMO)],
        [],
        {"unit:2", "tree:2", "tree:1", "auditor"},
    ),
    (
        "ordinary in two registries",
        0,
        [reg("receive", OFFICE), reg("receive", POLICY)],
        [],
        {"unit:1", "tree:1", "unit:3", "tree:3", "auditor"},
    ),
    (
        "ordinary routed to a person",
        0,
        [reg("receive", OFFICE)],
        [RoutePlace(to_user_id=4)],
        {"unit:1", "tree:1", "auditor", "user:4:0"},
    ),
    (
        "ordinary routed to a unit",
        0,
        [reg("receive", OFFICE)],
        [RoutePlace(to_unit_id=PROMO, to_unit_ancestors=(OFFICE,))],
        {"unit:1", "tree:1", "auditor", "unit:2", "tree:2"},
    ),
    # §2: a secret letter lives in the separate register only, need-to-know: no unit, tree or auditor token.
    ("ลับ in the secret registry", 1, [reg("secret_receive", OFFICE)], [], {"secret:1:1"}),
    ("ลับมาก in the secret registry", 2, [reg("secret_receive", OFFICE)], [], {"secret:1:2"}),
    ("ลับที่สุด in the secret registry", 3, [reg("secret_receive", OFFICE)], [], {"secret:1:3"}),
    (
        "ลับ routed to a person carries the level",
        1,
        [reg("secret_receive", OFFICE)],
        [RoutePlace(to_user_id=5)],
        {"secret:1:1", "user:5:1"},
    ),
    (
        "secret never reaches a unit even when routed to one",
        2,
        [reg("secret_receive", OFFICE)],
        [RoutePlace(to_unit_id=PROMO, to_unit_ancestors=(OFFICE,))],
        {"secret:1:2"},
    ),
    ("a secret letter wrongly held by an ordinary registry gets no unit token", 1, [reg("receive", OFFICE)], [], set()),
    # issue 14: a cancelled registration keeps the letter for the registry's own clerks only
    (
        "cancelled: the registry's clerks alone, not its routes",
        0,
        [RegistryPlace(kind="receive", unit_id=PROMO, ancestors=(OFFICE,), cancelled=True)],
        [RoutePlace(to_user_id=4)],
        {"clerk:2"},
    ),
    (
        "cancelled in the secret registry: its registrars alone",
        1,
        [RegistryPlace(kind="secret_receive", unit_id=OFFICE, cancelled=True)],
        [RoutePlace(to_user_id=5)],
        {"secret:1:1"},
    ),
    (
        "cancelled in one registry, held by another",
        0,
        [RegistryPlace(kind="receive", unit_id=OFFICE, cancelled=True), reg("receive", POLICY)],
        [],
        {"clerk:1", "unit:3", "tree:3", "tree:1", "auditor"},
    ),
]


@pytest.mark.parametrize(
    ("name", "secrecy", "registries", "routes", "expected"), LETTER_CASES, ids=[c[0] for c in LETTER_CASES]
)
def test_letter_principals(
    name: str, secrecy: int, registries: list[RegistryPlace], routes: list[RoutePlace], expected: set[str]
) -> None:
    """domain.md §2: ordinary letters go to their units (and the auditor); secret ones to the register only."""
    assert letter_principals(secrecy=secrecy, registries=registries, routes=routes) == expected


# ---------------------------------------------------------------------------------------------- actor_principals

ACTOR_CASES = [
    ("admin manages, does not read", ADMIN, {"user:1:0"}),
    ("central clerk reads the office", CENTRAL, {"user:2:0", "unit:1", "clerk:1"}),
    ("group clerk reads the group", GROUP, {"user:3:0", "unit:2", "clerk:2"}),
    ("officer reads what is routed to them", OFFICER, {"user:4:0"}),
    ("director reads the subtree, and personal secrets up to clearance", DIRECTOR, {"user:5:0", "user:5:1", "tree:1"}),
    ("records reads the office", RECORDS, {"user:6:0", "unit:1"}),
    (
        "secret registrar reads the register up to clearance",
        SECRET,
        {"user:7:0", "user:7:1", "user:7:2", "user:7:3", "secret:1:0", "secret:1:1", "secret:1:2", "secret:1:3"},
    ),
    ("secret registrar with clearance 1", LOW_SECRET, {"user:11:0", "user:11:1", "secret:1:0", "secret:1:1"}),
    ("auditor", AUDITOR, {"user:8:0", "auditor"}),
    ("no role: only personal tokens", NOBODY, {"user:12:0", "user:12:1", "user:12:2", "user:12:3"}),
]


@pytest.mark.parametrize(("name", "who", "expected"), ACTOR_CASES, ids=[c[0] for c in ACTOR_CASES])
def test_actor_principals(name: str, who: Actor, expected: set[str]) -> None:
    assert actor_principals(who) == expected


# Who sees which letter, by the two functions together (the rule is: the token sets meet).
SEES_CASES = [
    # (letter description, secrecy, registries, routes, actors who see it)
    ("ordinary central", 0, [reg("receive", OFFICE)], [], {CENTRAL, RECORDS, DIRECTOR, AUDITOR}),
    ("ordinary promotion", 0, [reg("receive", PROMO)], [], {GROUP, DIRECTOR, GROUP_HEAD, AUDITOR}),
    ("ordinary policy (another group)", 0, [reg("receive", POLICY)], [], {POLICY_CLERK, DIRECTOR, AUDITOR}),
    (
        "ordinary policy routed to officer",
        0,
        [reg("receive", POLICY)],
        [RoutePlace(to_user_id=OFFICER.id)],
        {POLICY_CLERK, DIRECTOR, AUDITOR, OFFICER},
    ),
    ("ลับ", 1, [reg("secret_receive", OFFICE)], [], {SECRET, LOW_SECRET}),
    (
        "ลับ routed to the director",
        1,
        [reg("secret_receive", OFFICE)],
        [RoutePlace(to_user_id=DIRECTOR.id)],
        {SECRET, LOW_SECRET, DIRECTOR},
    ),
    ("ลับมาก", 2, [reg("secret_receive", OFFICE)], [], {SECRET}),
    ("ลับที่สุด", 3, [reg("secret_receive", OFFICE)], [], {SECRET}),
    # A token for a level the holder is not cleared for would be useless: user:V:s is held only for s <= clearance.
    (
        "ลับมาก routed (wrongly) to the director",
        2,
        [reg("secret_receive", OFFICE)],
        [RoutePlace(to_user_id=DIRECTOR.id)],
        {SECRET},
    ),
]
EVERYONE = [
    ADMIN,
    CENTRAL,
    GROUP,
    OFFICER,
    DIRECTOR,
    RECORDS,
    SECRET,
    AUDITOR,
    POLICY_CLERK,
    GROUP_HEAD,
    LOW_SECRET,
    NOBODY,
]


@pytest.mark.parametrize(
    ("name", "secrecy", "registries", "routes", "seers"), SEES_CASES, ids=[c[0] for c in SEES_CASES]
)
def test_who_sees(
    name: str, secrecy: int, registries: list[RegistryPlace], routes: list[RoutePlace], seers: set[Actor]
) -> None:
    """domain.md §2: need-to-know; a group clerk never reads another group's letter; clearance bounds secrets."""
    tokens = letter_principals(secrecy=secrecy, registries=registries, routes=routes)
    got = {a for a in EVERYONE if tokens & actor_principals(a)}
    assert {a.username for a in got} == {a.username for a in seers}


# ---------------------------------------------------------------------------------------------- may_register

REGISTER_CASES = [
    # (who, registry kind, registry unit, secrecy, expected refusal or None)
    (CENTRAL, "receive", OFFICE, 0, None),
    (CENTRAL, "receive", PROMO, 0, "not_registrar"),
    (GROUP, "receive", PROMO, 0, None),
    (GROUP, "receive", OFFICE, 0, "not_registrar"),
    (GROUP, "receive", POLICY, 0, "not_registrar"),
    (POLICY_CLERK, "receive", POLICY, 0, None),
    (OFFICER, "receive", PROMO, 0, "not_registrar"),
    (DIRECTOR, "receive", OFFICE, 0, "not_registrar"),
    (RECORDS, "receive", OFFICE, 0, "not_registrar"),
    (AUDITOR, "receive", OFFICE, 0, "not_registrar"),
    (ADMIN, "receive", OFFICE, 0, "not_registrar"),
    (NOBODY, "receive", OFFICE, 0, "not_registrar"),
    # §2: a secret letter is never registered in an ordinary register, even by its own clerk.
    (CENTRAL, "receive", OFFICE, 1, "secret_in_ordinary_registry"),
    (CENTRAL, "receive", OFFICE, 3, "secret_in_ordinary_registry"),
    (GROUP, "receive", PROMO, 2, "secret_in_ordinary_registry"),
    # …and the register's own registrar is not a registrar of the ordinary registers.
    (SECRET, "receive", OFFICE, 1, "not_registrar"),
    (SECRET, "secret_receive", OFFICE, 1, None),
    (SECRET, "secret_receive", OFFICE, 2, None),
    (SECRET, "secret_receive", OFFICE, 3, None),
    (SECRET, "secret_receive", OFFICE, 0, "ordinary_in_secret_registry"),
    (SECRET, "secret_receive", PROMO, 1, "not_registrar"),
    (LOW_SECRET, "secret_receive", OFFICE, 1, None),
    (LOW_SECRET, "secret_receive", OFFICE, 2, "clearance_too_low"),
    (CENTRAL, "secret_receive", OFFICE, 1, "not_registrar"),
    (DIRECTOR, "secret_receive", OFFICE, 1, "not_registrar"),
    (ADMIN, "secret_receive", OFFICE, 1, "not_registrar"),
    (NOBODY, "secret_receive", OFFICE, 1, "not_registrar"),
    (CENTRAL, "send", OFFICE, 0, "not_receive_registry"),  # a send register issues numbers, it takes no letters in
]


@pytest.mark.parametrize(
    ("who", "kind", "unit", "secrecy", "expected"),
    REGISTER_CASES,
    ids=[f"{c[0].username}-{c[1]}-{c[2]}-s{c[3]}" for c in REGISTER_CASES],
)
def test_may_register(who: Actor, kind: str, unit: int, secrecy: int, expected: str | None) -> None:
    """domain.md §2: only the secret-document registrar registers ลับ/ลับมาก/ลับที่สุด, in the separate register."""
    assert may_register(who, registry_kind=kind, registry_unit_id=unit, secrecy=secrecy) == expected


# ---------------------------------------------------------------------------------------------- may_read_registry

READ_CASES = [
    # (who, registry kind, registry unit, expected)
    (CENTRAL, "receive", OFFICE, True),
    (CENTRAL, "receive", PROMO, False),
    (RECORDS, "receive", OFFICE, True),
    (RECORDS, "receive", POLICY, False),
    (GROUP, "receive", PROMO, True),
    (GROUP, "receive", POLICY, False),
    (GROUP, "receive", OFFICE, False),
    (POLICY_CLERK, "receive", POLICY, True),
    (POLICY_CLERK, "receive", PROMO, False),
    (OFFICER, "receive", PROMO, False),
    (DIRECTOR, "receive", OFFICE, True),
    (DIRECTOR, "receive", PROMO, True),
    (DIRECTOR, "receive", POLICY, True),
    (GROUP_HEAD, "receive", PROMO, True),
    (GROUP_HEAD, "receive", OFFICE, False),
    (GROUP_HEAD, "receive", POLICY, False),
    (AUDITOR, "receive", OFFICE, True),
    (AUDITOR, "receive", POLICY, True),
    (ADMIN, "receive", OFFICE, False),
    (NOBODY, "receive", OFFICE, False),
    # §2: the separate register is opened by its registrar only — not the director, not the auditor.
    (SECRET, "secret_receive", OFFICE, True),
    (LOW_SECRET, "secret_receive", OFFICE, True),
    (SECRET, "secret_receive", PROMO, False),
    (SECRET, "receive", OFFICE, False),
    (DIRECTOR, "secret_receive", OFFICE, False),
    (AUDITOR, "secret_receive", OFFICE, False),
    (CENTRAL, "secret_receive", OFFICE, False),
    (ADMIN, "secret_receive", OFFICE, False),
    (NOBODY, "secret_receive", OFFICE, False),
]


@pytest.mark.parametrize(
    ("who", "kind", "unit", "expected"), READ_CASES, ids=[f"{c[0].username}-{c[1]}-{c[2]}" for c in READ_CASES]
)
def test_may_read_registry(who: Actor, kind: str, unit: int, expected: bool) -> None:  # noqa: FBT001
    """domain.md §2: registers are need-to-know; the secret register is its registrar's alone."""
    assert may_read_registry(who, registry_kind=kind, registry_unit_id=unit, ancestors=ANC.get(unit, ())) is expected


# Whose names a person may see among the accounts, written from the README's rule (Security: "the user list shows
# names only to those who route to them"), not from the code: (who asks, whose name, active, their roles) -> shown.
_ROUTER = Actor(id=1, username="clerk", clearance=0, roles=frozenset({(10, Role.GROUP_CLERK)}))
_SECRET = Actor(id=2, username="secret", clearance=3, roles=frozenset({(10, Role.SECRET_REGISTRAR)}))
_NOBODY = Actor(id=3, username="audit", clearance=0, roles=frozenset({(10, Role.AUDITOR)}))
ACCOUNT_NAMES = [
    (_ROUTER, 1, True, [], True),  # oneself, always
    (_NOBODY, 3, True, [], True),
    (_ROUTER, 9, True, ["officer"], True),  # a person one routes to
    (_ROUTER, 9, True, ["director"], True),
    (_ROUTER, 9, False, ["officer"], False),  # deactivated
    (_ROUTER, 9, True, ["auditor"], False),  # receives nothing routed
    (_ROUTER, 9, True, ["records"], False),
    (_ROUTER, 9, True, ["officer", "secret_registrar"], False),  # the secret registrar's name is not for everyone
    (_SECRET, 9, True, ["officer", "secret_registrar"], True),  # but for those who route secret letters
    (_SECRET, 9, True, ["officer"], True),
    (_NOBODY, 9, True, ["officer"], False),  # routes nothing: sees only themselves
]


@pytest.mark.parametrize(("actor", "user_id", "active", "roles", "shown"), ACCOUNT_NAMES)
def test_account_names_by_need_to_know(
    actor: Actor,
    user_id: int,
    active: bool,  # noqa: FBT001
    roles: list[str],
    shown: bool,  # noqa: FBT001
) -> None:
    assert sees_account_name(actor, user_id=user_id, active=active, roles=roles) is shown
