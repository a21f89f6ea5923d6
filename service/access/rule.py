"""Who may see what — the one rule (ระเบียบว่าด้วยการรักษาความลับของทางราชการ พ.ศ. 2544: need to know).

A letter carries a set of *principal* tokens; a user holds a set of tokens; the user sees the letter iff the sets
meet. The letter's tokens are materialised in ``letter_access`` (for SQL) and in the search index (for search), so
lists, reads, downloads, exports and search all apply the same rule.

Tokens:
- ``unit:U``        readers of unit U's registers (clerks, records officer of U) — ordinary letters only
- ``tree:U``        heads whose unit is U or an ancestor of it — ordinary letters only
- ``auditor``       auditors read every ordinary letter
- ``user:V:s``      routed to user V; a user holds ``user:V:0..clearance``
- ``secret:U:s``    the secret registry of unit U; its registrars hold ``secret:U:0..clearance``
- ``clerk:U``       the clerks of unit U's registers: all that is left of a letter whose registration there was
                    cancelled (issue 14: it leaves lists and search for everyone but the registry's own clerks)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from service.access.roles import REGISTRARS, ROUTABLE_ROLES, SECRET_KINDS, SUBTREE_READERS, UNIT_READERS, Role


@dataclass(frozen=True)
class Actor:
    """The signed-in user as the rules see them."""

    id: int
    username: str
    clearance: int
    roles: frozenset[tuple[int, Role]] = field(default_factory=frozenset)  # (unit_id, role)
    full_name: str = ""

    def has_role(self, role: Role, unit_id: int | None = None) -> bool:
        return any(r == role and (unit_id is None or u == unit_id) for u, r in self.roles)

    def units_with(self, roles: Iterable[Role]) -> set[int]:
        wanted = set(roles)
        return {u for u, r in self.roles if r in wanted}


@dataclass(frozen=True)
class RegistryPlace:
    """Where a letter is registered: the registry's kind, its unit and that unit's ancestors (nearest first)."""

    kind: str
    unit_id: int
    ancestors: Sequence[int] = ()
    cancelled: bool = False  # the registration's number was cancelled (corrections.cancel_registration)


@dataclass(frozen=True)
class RoutePlace:
    to_user_id: int | None = None
    to_unit_id: int | None = None
    to_unit_ancestors: Sequence[int] = ()


def letter_principals(*, secrecy: int, registries: Iterable[RegistryPlace], routes: Iterable[RoutePlace]) -> set[str]:
    """The tokens that may read a letter.

    A cancelled registration keeps the letter only for the registry's own clerks (``clerk:U``; a secret registry's
    registrars keep theirs): the number stays in their register, marked. When every place that holds the letter is
    a cancelled registration, nobody else reads it any more — not the heads, the auditors, nor a route's recipient.
    """
    tokens: set[str] = set()
    places = list(registries)
    live = [p for p in places if not p.cancelled]
    for place in places:
        if place.cancelled:
            tokens.add(f"secret:{place.unit_id}:{secrecy}" if place.kind in SECRET_KINDS else f"clerk:{place.unit_id}")
    if places and not live:
        return tokens
    for place in live:
        if place.kind in SECRET_KINDS:
            tokens.add(f"secret:{place.unit_id}:{secrecy}")
        elif secrecy == 0:
            tokens.add(f"unit:{place.unit_id}")
            tokens.update(f"tree:{u}" for u in (place.unit_id, *place.ancestors))
    for route in routes:
        if route.to_user_id is not None:
            tokens.add(f"user:{route.to_user_id}:{secrecy}")
        if route.to_unit_id is not None and secrecy == 0:
            tokens.add(f"unit:{route.to_unit_id}")
            tokens.update(f"tree:{u}" for u in (route.to_unit_id, *route.to_unit_ancestors))
    if secrecy == 0:
        tokens.add("auditor")
    return tokens


def actor_principals(actor: Actor) -> set[str]:
    """The tokens a user holds. An administrator's role grants none: it manages, it does not read."""
    tokens = {f"user:{actor.id}:{level}" for level in range(actor.clearance + 1)}
    for unit_id, role in actor.roles:
        if role in UNIT_READERS:
            tokens.add(f"unit:{unit_id}")
        if role in SUBTREE_READERS:
            tokens.add(f"tree:{unit_id}")
        if role in REGISTRARS["receive"]:
            tokens.add(f"clerk:{unit_id}")
        if role == Role.AUDITOR:
            tokens.add("auditor")
        if role == Role.SECRET_REGISTRAR:
            tokens.update(f"secret:{unit_id}:{level}" for level in range(actor.clearance + 1))
    return tokens


# ---------------------------------------------------------------------------------------------- procedure cases

CHILD_PROTECTION = "child-protection"  # ศูนย์เฉพาะกิจคุ้มครองและช่วยเหลือนักเรียน (ศูนย์ ฉก.ชน.), seeds/004


@dataclass(frozen=True)
class CaseScope:
    """Which cases of the office's work processes a user reads.

    An ordinary case is read like its group's register: the group's people (clerks, officers), the heads of the
    group or above it, the auditors. A confidential case (the child-protection centre's, พ.ร.บ. คุ้มครองเด็ก
    พ.ศ. 2546 ม.27: nobody may disclose a child's identity) only by the centre's members — not the group's clerk,
    not the central registry, not the auditors, whatever their role.
    """

    all_ordinary: bool
    units: frozenset[int]  # ordinary cases of these units
    subtree_roots: frozenset[int]  # and of these units' descendants
    member_of: frozenset[str]  # confidential cases of these bodies


CASE_WORKERS = frozenset({Role.CENTRAL_CLERK, Role.GROUP_CLERK, Role.OFFICER, Role.RECORDS, Role.DIRECTOR})


def sees_secret_letters(actor: Actor) -> bool:
    """Whether secret letters may be among what the actor reads (a clearance above ordinary, or the secret
    registrar): what others may learn of such an actor's reading — the hits of a search, say — is then a count
    oracle for secrets and is not shown to them (README, Security)."""
    return actor.clearance > 0 or actor.has_role(Role.SECRET_REGISTRAR)


def sees_account_name(actor: Actor, *, user_id: int, active: bool, roles: Iterable[str]) -> bool:
    """Whose name a person may see among the accounts (need to know): their own, and the people they may route
    letters to — active, in a role that receives routed letters — if they route letters at all; the secret
    registrar is known by name only to those who route secret letters (the secret registrars themselves)."""
    if user_id == actor.id:
        return True
    secret_router = actor.has_role(Role.SECRET_REGISTRAR)
    if not (secret_router or any(r in ROUTABLE_ROLES for _, r in actor.roles)):
        return False
    theirs = set(roles)
    if not active or not theirs & {r.value for r in ROUTABLE_ROLES}:
        return False
    return secret_router or Role.SECRET_REGISTRAR.value not in theirs


def case_scope(actor: Actor, bodies: Iterable[str] = ()) -> CaseScope:
    """``bodies``: the named bodies the user is a member of (from ``body_member``)."""
    return CaseScope(
        all_ordinary=actor.has_role(Role.AUDITOR),
        units=frozenset(actor.units_with(CASE_WORKERS)),
        subtree_roots=frozenset(actor.units_with(SUBTREE_READERS)),
        member_of=frozenset(bodies),
    )


def reads_case(scope: CaseScope, *, unit_id: int, ancestors: Sequence[int], confidential: bool, body: str) -> bool:
    """The rule for one case (the SQL filter in ``access.queries`` says the same)."""
    if confidential:
        return body in scope.member_of
    if scope.all_ordinary or unit_id in scope.units:
        return True
    return bool(scope.subtree_roots & {unit_id, *ancestors})
