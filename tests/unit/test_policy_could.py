"""``policy.could``: the right asked from the token alone, before a request's body is read (``edge.gate``).

It must never refuse someone ``may`` would allow on a real target (a clerk would be locked out of their own
work), and it must refuse those whose roles allow the act on nothing (the auditor writes nothing).
"""

from __future__ import annotations

import itertools

import pytest

from service.access.policy import (
    RULES,
    Action,
    CaseTarget,
    LetterTarget,
    LoanTarget,
    RegistryTarget,
    RouteTarget,
    could,
    may,
)
from service.access.roles import RECEIVE_KINDS, SEND_KINDS, Role
from service.access.rule import Actor

UNITS = (1, 2, 3)


def actor(uid: int, clearance: int, *roles: tuple[int, Role]) -> Actor:
    return Actor(id=uid, username=f"u{uid}", clearance=clearance, roles=frozenset(roles))


ACTORS = [
    actor(1, 0, (1, Role.CENTRAL_CLERK)),
    actor(2, 0, (2, Role.GROUP_CLERK), (2, Role.OFFICER)),
    actor(3, 0, (3, Role.OFFICER)),
    actor(4, 2, (1, Role.DIRECTOR)),
    actor(5, 0, (1, Role.RECORDS)),
    actor(6, 3, (1, Role.SECRET_REGISTRAR)),
    actor(7, 0, (1, Role.AUDITOR)),
    actor(8, 0, (1, Role.ADMIN)),
]


def real_targets() -> dict[type, list[object]]:
    """Targets over other units, people, kinds and secrecy than the actor's own (what ``could`` builds from)."""
    kinds = sorted(RECEIVE_KINDS | SEND_KINDS)
    return {
        RegistryTarget: [
            RegistryTarget(kind=k, unit_id=u, ancestors=(1,), secrecy=s)
            for k, u, s in itertools.product(kinds, UNITS, range(4))
        ],
        LetterTarget: [
            LetterTarget(secrecy=s, holders={u: k}, routed_units=frozenset({u}), routed_users=frozenset({p}))
            for k, u, s, p in itertools.product(kinds, UNITS, range(4), range(1, 9))
        ],
        RouteTarget: [
            RouteTarget(from_user_id=f, from_unit_id=u, to_unit_id=t, to_user_id=p)
            for f, u, t, p in itertools.product(range(1, 9), UNITS, UNITS, (None, *range(1, 9)))
        ],
        CaseTarget: [
            CaseTarget(unit_id=u, ancestors=(1,), confidential=c, member_ids=frozenset({m}))
            for u, c, m in itertools.product(UNITS, (False, True), range(1, 9))
        ],
        LoanTarget: [LoanTarget(approvers=frozenset({r})) for r in Role],
    }


@pytest.mark.parametrize("who", ACTORS, ids=lambda a: a.username)
def test_could_never_refuses_what_may_allows(who: Actor) -> None:
    targets = real_targets()
    for action, (kind, _rule) in RULES.items():
        allowed_somewhere = any(may(who, action, t) is None for t in targets.get(kind, []))  # type: ignore[arg-type]
        if allowed_somewhere:
            assert could(who, action) is None, (who.username, action)


def test_the_auditor_could_write_almost_nothing() -> None:
    auditor = ACTORS[6]
    allowed = {a for a in Action if could(auditor, a) is None}
    # reading, searching, their own password; asking to borrow (any staff); and what could be routed to a person
    # or a case of a body one belongs to (asked again on the very route or case, before its body: 404 or 403);
    # approving loans is the office's configuration (the gate asks it with the configured approvers)
    assert allowed == {
        Action.KNOW_REGISTRY,
        Action.APPROVE_LOAN,
        Action.READ_AUDIT,
        Action.READ_ARCHIVE,
        Action.READ_REGISTER,
        Action.SEARCH,
        Action.CHANGE_OWN_PASSWORD,
        Action.REQUEST_LOAN,
        Action.HANDLE_ROUTE,
        Action.RECALL_ROUTE,
        Action.RUN_CASE,
    }


def test_roles_could_what_their_work_is() -> None:
    central, _group, officer, director, records, secret, _auditor, admin = ACTORS
    assert could(central, Action.REGISTER) is None and could(central, Action.ISSUE) is None
    assert could(central, Action.FILE_LETTERS) is not None
    assert could(officer, Action.REGISTER) is not None and could(officer, Action.ROUTE) is not None
    assert could(director, Action.INSTRUCT) is None and could(director, Action.APPROVE_SECRET_GRANT) is None
    assert could(records, Action.FILE_LETTERS) is None and could(records, Action.REGISTER) is not None
    assert could(secret, Action.REGISTER) is None
    assert could(admin, Action.MANAGE_USERS) is None and could(admin, Action.REGISTER) is not None
    assert could(admin, Action.REQUEST_LOAN) is not None
