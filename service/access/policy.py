"""Who may *do* what — the one action policy, beside the reading rule (``service.access.rule``).

``may(actor, action, target)`` answers with a reason code when the act is refused, or ``None`` when it is allowed.
Every act of every concept asks here; an action without a rule is refused (``no_rule``), so a new act cannot be
forgotten into being allowed. Reading a letter is not an action: whether a letter exists for a user at all is the
reading rule's answer, asked before any action on it.

The targets carry plain values (unit ids, kinds, secrecy), never ORM rows, so the rules are pure and the table
test can state them independently of the database. The building blocks the next capabilities need are here
already: a unit's clerk acting on what was routed to the unit (``LetterTarget.routed_units``), a person on what was
routed to them (``routed_users``), a director on everything in the office, the records officer on the archive, and
the members of a named body (a destruction committee, the child-protection centre) on that body's items
(``BodyTarget``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from service.access.roles import (
    RECEIVE_KINDS,
    REGISTRARS,
    SECRET_KINDS,
    SEND_KINDS,
    SUBTREE_READERS,
    UNIT_READERS,
    Role,
)
from service.access.rule import Actor
from service.kit.errors import Forbidden


class Action(StrEnum):
    """The acts of the office that someone may or may not do."""

    KNOW_REGISTRY = "know_registry"  # that a registry exists at all (secret registries are known to few)
    READ_REGISTER = "read_register"  # open a register's listing (rows still pass the reading rule)
    REGISTER = "register"  # enter a received letter in a registry (ลงทะเบียนรับ)
    ISSUE = "issue"  # draft, number, reserve or cancel numbers of, and send letters from a send-side registry
    ROUTE = "route"  # send a letter on to a unit or a person (ส่งต่อ)
    READ_AUDIT = "read_audit"  # read the audit trail
    MANAGE_USERS = "manage_users"  # create users, reset passwords, deactivate/reactivate, unlock, roles, clearance
    SEE_ACCOUNTS = "see_accounts"  # see users' roles and clearance
    CHANGE_OWN_PASSWORD = "change_own_password"
    SEARCH = "search"  # results, counts and snippets still pass the reading rule
    # the archive (ระเบียบงานสารบรรณ หมวด 3)
    READ_ARCHIVE = "read_archive"  # the archive's items, lists, holds and loans (letters still pass the reading rule)
    MANAGE_FILE_PLAN = "manage_file_plan"  # file codes and retention periods
    FILE_LETTERS = "file_letters"  # file a completed letter under a file code and retention class (ส่งเก็บ)
    LEGAL_HOLD = "legal_hold"  # place or release a legal hold
    PREPARE_DESTRUCTION = "prepare_destruction"  # draw up the list, record the committee, its decisions, the Archives
    APPROVE_DESTRUCTION = "approve_destruction"  # the head's approval of a destruction list
    EXECUTE_DESTRUCTION = "execute_destruction"  # carry out an approved list
    REQUEST_LOAN = "request_loan"  # ask to borrow an archived item
    APPROVE_LOAN = "approve_loan"  # approve or refuse a loan (who: configuration, ``SARABAN_LOAN_APPROVERS``)
    LEND = "lend"  # hand out, take back, record an outsider's viewing or copying
    TRANSFER = "transfer"  # the 20-year transfer lists and packages
    HANDLE_ROUTE = "handle_route"  # register, acknowledge, return, forward or complete what was routed to one
    RECALL_ROUTE = "recall_route"  # take back what one's desk sent (nobody acted on it yet, or it came back)
    INSTRUCT = "instruct"  # write an instruction on a letter (เกษียณหนังสือ / สั่งการ)
    CORRECT_REGISTRATION = "correct_registration"  # correct a received letter's particulars (the registry's clerks)
    CANCEL_REGISTRATION = "cancel_registration"  # cancel a receive number with a reason (the registry's clerks)
    # the office's work processes (กระบวนงาน)
    RUN_CASE = "run_case"  # open a case, attach letters to its steps, mark steps done, keep the process's register
    MANAGE_PROCEDURES = "manage_procedures"  # import and export the procedure templates
    # the two-person rule for secrets: an administrator asks, the head of the office approves
    SEE_SECRET_GRANTS = "see_secret_grants"  # list the requests for clearance, the secret role, cleared passwords
    APPROVE_SECRET_GRANT = "approve_secret_grant"  # approve or refuse such a request
    # the administrator's screens (issue 14): the office's units and its registries
    MANAGE_UNITS = "manage_units"  # create and edit groups, outside parties, schools (letter codes, addresses)
    MANAGE_REGISTRIES = "manage_registries"  # create and rename registries, close a registry's year


# ---------------------------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class OfficeTarget:
    """Acts on the installation as a whole (users, the audit trail, search)."""


OFFICE = OfficeTarget()


@dataclass(frozen=True)
class RegistryTarget:
    """A registry: its kind, its unit and that unit's ancestors (nearest first)."""

    kind: str
    unit_id: int
    ancestors: Sequence[int] = ()
    secrecy: int = 0  # of the letter about to be registered, for REGISTER


@dataclass(frozen=True)
class LetterTarget:
    """A letter the actor can already read: its secrecy, the units holding it in a registry (unit → registry kind),
    and whom it was routed to."""

    secrecy: int = 0
    holders: Mapping[int, str] = field(default_factory=dict)
    routed_units: frozenset[int] = frozenset()
    routed_users: frozenset[int] = frozenset()


@dataclass(frozen=True)
class BodyTarget:
    """An item that belongs to a named body (a destruction committee, the child-protection centre)."""

    body: str
    member_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class LoanTarget:
    """A loan to approve, with the roles the office lets approve loans (configuration)."""

    approvers: frozenset[Role] = frozenset({Role.DIRECTOR})


@dataclass(frozen=True)
class RouteTarget:
    """One step of a letter's journey: where it was sent from (a person, and the desk: a unit or None) and to
    (a unit or a person)."""

    from_user_id: int
    from_unit_id: int | None = None
    to_unit_id: int | None = None
    to_user_id: int | None = None


@dataclass(frozen=True)
class CaseTarget:
    """A case of a work process: the group that runs it (and that group's ancestors), whether it is confidential,
    and the members of the body that keeps confidential cases."""

    unit_id: int
    ancestors: Sequence[int] = ()
    confidential: bool = False
    member_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class GrantTarget:
    """A request that reaches secrets: who asked, and the office's top units (whose director is its head)."""

    requested_by: int
    office_units: frozenset[int] = frozenset()


Target = OfficeTarget | RegistryTarget | LetterTarget | BodyTarget | LoanTarget | RouteTarget | CaseTarget | GrantTarget

# ---------------------------------------------------------------------------------------------- who is who


def is_director(actor: Actor) -> bool:
    """The head of the office (ผู้อำนวยการ) acts on everything in the office."""
    return actor.has_role(Role.DIRECTOR)


CLERKS = frozenset({Role.CENTRAL_CLERK, Role.GROUP_CLERK})


def clerk_of(actor: Actor, units: Iterable[int]) -> bool:
    """A registry clerk of one of these units."""
    return bool(actor.units_with(CLERKS) & set(units))


def is_person(actor: Actor, users: Iterable[int]) -> bool:
    return actor.id in set(users)


def is_member(actor: Actor, body: BodyTarget) -> bool:
    return actor.id in body.member_ids


# ---------------------------------------------------------------------------------------------- rules

Rule = Callable[[Actor, Any], "str | None"]

# Who routes a letter on: the clerks and heads of a unit that holds it in a register, the director; a secret
# letter only its secret registrar (ระเบียบว่าด้วยการรักษาความลับของทางราชการ พ.ศ. 2544: need to know).
ROUTERS = frozenset({Role.CENTRAL_CLERK, Role.GROUP_CLERK, Role.DIRECTOR, Role.SECRET_REGISTRAR})


def _know_registry(actor: Actor, t: RegistryTarget) -> str | None:
    if t.kind in SECRET_KINDS and not (actor.has_role(Role.SECRET_REGISTRAR, t.unit_id) or actor.has_role(Role.ADMIN)):
        return "secret_registry"
    return None


def _read_register(actor: Actor, t: RegistryTarget) -> str | None:
    if t.kind in SECRET_KINDS:
        return None if actor.has_role(Role.SECRET_REGISTRAR, t.unit_id) else "not_reader"
    if actor.has_role(Role.AUDITOR) or t.unit_id in actor.units_with(UNIT_READERS):
        return None
    return None if actor.units_with(SUBTREE_READERS) & {t.unit_id, *t.ancestors} else "not_reader"


def _register(actor: Actor, t: RegistryTarget) -> str | None:
    """ระเบียบงานสารบรรณ ข้อ 38 (ลงทะเบียนรับ) by the registry's clerks; secret letters only in the secret register,
    by a registrar cleared for them (ระเบียบว่าด้วยการรักษาความลับของทางราชการ พ.ศ. 2544)."""
    if t.kind not in RECEIVE_KINDS:
        return "not_receive_registry"
    return _registrar(actor, t)


def _issue(actor: Actor, t: RegistryTarget) -> str | None:
    """ระเบียบงานสารบรรณ ข้อ 39-41 (การส่งหนังสือ: ลงทะเบียนส่ง, เลขที่หนังสือ) by the clerks of the unit that owns
    the series; secret letters only from the secret send register, by a registrar cleared for them."""
    if t.kind not in SEND_KINDS:
        return "not_send_registry"
    return _registrar(actor, t)


def _registrar(actor: Actor, t: RegistryTarget) -> str | None:
    if not any(actor.has_role(r, t.unit_id) for r in REGISTRARS.get(t.kind, frozenset())):
        return "not_registrar"
    if t.kind in SECRET_KINDS:
        if t.secrecy == 0:
            return "ordinary_in_secret_registry"
        if actor.clearance < t.secrecy:
            return "clearance_too_low"
    elif t.secrecy > 0:
        return "secret_in_ordinary_registry"
    return None


def _route(actor: Actor, t: LetterTarget) -> str | None:
    if t.secrecy > 0:
        secret_units = [u for u, kind in t.holders.items() if kind in SECRET_KINDS]
        return None if any(actor.has_role(Role.SECRET_REGISTRAR, u) for u in secret_units) else "not_router"
    if is_director(actor) or any(actor.has_role(r, u) for u in t.holders for r in ROUTERS):
        return None
    return "not_router"


def _handle_route(actor: Actor, t: RouteTarget) -> str | None:
    """What was routed to a unit is handled by the unit's registry clerks (ธุรการกลุ่ม registers it, assigns it or
    sends it back); what was routed to a person, by that person only."""
    if t.to_user_id is not None:
        return None if is_person(actor, [t.to_user_id]) else "not_recipient"
    if t.to_unit_id is not None and clerk_of(actor, [t.to_unit_id]):
        return None
    return "not_recipient"


def _recall_route(actor: Actor, t: RouteTarget) -> str | None:
    """The sender takes back what they sent, or a registry clerk of the desk it was sent from (a colleague at the
    central registry takes back what the registry sent)."""
    if actor.id == t.from_user_id or (t.from_unit_id is not None and clerk_of(actor, [t.from_unit_id])):
        return None
    return "not_sender"


def _instruct(actor: Actor, t: LetterTarget) -> str | None:
    """ผู้อำนวยการ and group heads (ผอ.กลุ่ม, the director role in a group) write instructions on the letters they
    can read (whether a letter exists for them is the reading rule's answer, asked first)."""
    return None if actor.has_role(Role.DIRECTOR) else "not_head"


def _role(role: Role, reason: str) -> Rule:
    def rule(actor: Actor, _: Any) -> str | None:
        return None if actor.has_role(role) else reason

    return rule


def _anyone(_actor: Actor, _target: Any) -> str | None:
    return None


def _roles(roles: Iterable[Role], reason: str) -> Rule:
    wanted = frozenset(roles)

    def rule(actor: Actor, _: Any) -> str | None:
        return None if any(actor.has_role(r) for r in wanted) else reason

    return rule


def _staff(actor: Actor, _target: Any) -> str | None:
    """Someone working in the office (an administrator's account manages, it does not borrow letters)."""
    return None if any(r != Role.ADMIN for _, r in actor.roles) else "not_staff"


def _approve_loan(actor: Actor, t: LoanTarget) -> str | None:
    """การยืมหนังสือ: the lending is approved by whom the office names (by default the head)."""
    return None if any(actor.has_role(r) for r in t.approvers) else "not_loan_approver"


def _run_case(actor: Actor, t: CaseTarget) -> str | None:
    """A group's process is run by its people (clerks, officers) and its heads; a child-protection case only by the
    centre's members (พ.ร.บ. คุ้มครองเด็ก พ.ศ. 2546 ม.27), whatever their role."""
    if t.confidential:
        return None if actor.id in t.member_ids else "not_centre_member"
    workers = (Role.GROUP_CLERK, Role.OFFICER, Role.CENTRAL_CLERK)
    if any(actor.has_role(r, t.unit_id) for r in workers):
        return None
    if any(actor.has_role(Role.DIRECTOR, u) for u in (t.unit_id, *t.ancestors)):
        return None
    return "not_case_worker"


def _approve_secret_grant(actor: Actor, t: GrantTarget) -> str | None:
    """Two-person rule: clearance, the secret registrar's role and a cleared account's password take effect only
    when the head of the office (ผู้อำนวยการ, the director of a top unit) approves, never the one who asked
    (ระเบียบว่าด้วยการรักษาความลับของทางราชการ พ.ศ. 2544: the head of the agency names who may know secrets)."""
    if not any(actor.has_role(Role.DIRECTOR, u) for u in t.office_units):
        return "not_office_head"
    return "same_person" if actor.id == t.requested_by else None


# The archive's readers: its keeper, the head, the auditors (the letters themselves still pass the reading rule).
ARCHIVE_READERS = (Role.RECORDS, Role.DIRECTOR, Role.AUDITOR)


RULES: dict[str, tuple[type, Rule]] = {
    Action.KNOW_REGISTRY: (RegistryTarget, _know_registry),
    Action.READ_REGISTER: (RegistryTarget, _read_register),
    Action.REGISTER: (RegistryTarget, _register),
    Action.ISSUE: (RegistryTarget, _issue),
    Action.ROUTE: (LetterTarget, _route),
    Action.READ_AUDIT: (OfficeTarget, _role(Role.AUDITOR, "not_auditor")),
    Action.MANAGE_USERS: (OfficeTarget, _role(Role.ADMIN, "not_admin")),
    Action.SEE_ACCOUNTS: (OfficeTarget, _role(Role.ADMIN, "not_admin")),
    Action.CHANGE_OWN_PASSWORD: (OfficeTarget, _anyone),
    Action.SEARCH: (OfficeTarget, _anyone),
    Action.READ_ARCHIVE: (OfficeTarget, _roles(ARCHIVE_READERS, "not_archive_reader")),
    Action.MANAGE_FILE_PLAN: (OfficeTarget, _roles((Role.RECORDS, Role.ADMIN), "not_records_officer")),
    Action.FILE_LETTERS: (OfficeTarget, _role(Role.RECORDS, "not_records_officer")),
    Action.LEGAL_HOLD: (OfficeTarget, _roles((Role.RECORDS, Role.DIRECTOR), "not_hold_keeper")),
    Action.PREPARE_DESTRUCTION: (OfficeTarget, _role(Role.RECORDS, "not_records_officer")),
    Action.APPROVE_DESTRUCTION: (OfficeTarget, _role(Role.DIRECTOR, "not_director")),
    Action.EXECUTE_DESTRUCTION: (OfficeTarget, _role(Role.RECORDS, "not_records_officer")),
    Action.REQUEST_LOAN: (OfficeTarget, _staff),
    Action.APPROVE_LOAN: (LoanTarget, _approve_loan),
    Action.LEND: (OfficeTarget, _role(Role.RECORDS, "not_records_officer")),
    Action.TRANSFER: (OfficeTarget, _role(Role.RECORDS, "not_records_officer")),
    Action.HANDLE_ROUTE: (RouteTarget, _handle_route),
    Action.RECALL_ROUTE: (RouteTarget, _recall_route),
    Action.INSTRUCT: (LetterTarget, _instruct),
    Action.CORRECT_REGISTRATION: (RegistryTarget, _register),
    Action.CANCEL_REGISTRATION: (RegistryTarget, _register),
    Action.RUN_CASE: (CaseTarget, _run_case),
    Action.MANAGE_PROCEDURES: (OfficeTarget, _role(Role.ADMIN, "not_admin")),
    Action.SEE_SECRET_GRANTS: (OfficeTarget, _roles((Role.ADMIN, Role.DIRECTOR), "not_admin_or_head")),
    Action.APPROVE_SECRET_GRANT: (GrantTarget, _approve_secret_grant),
    Action.MANAGE_UNITS: (OfficeTarget, _role(Role.ADMIN, "not_admin")),
    Action.MANAGE_REGISTRIES: (OfficeTarget, _role(Role.ADMIN, "not_admin")),
}


def may(actor: Actor, action: str, target: Target = OFFICE) -> str | None:
    """Why ``actor`` may not do ``action`` to ``target``, or ``None`` when they may. Unknown acts are refused."""
    entry = RULES.get(action)
    if entry is None:
        return "no_rule"
    kind, rule = entry
    if not isinstance(target, kind):
        return "wrong_target"
    return rule(actor, target)


# Thai for people, English for logs, per reason (the API's problem+json carries both).
REFUSALS: dict[str, tuple[str, str]] = {
    "not_admin": ("administrators only", "เฉพาะผู้ดูแลระบบ"),
    "not_auditor": ("only auditors read the audit trail", "เฉพาะผู้ตรวจสอบเท่านั้นที่ดูบันทึกการใช้งานได้"),
    "not_router": ("you may not route this letter", "ท่านไม่มีสิทธิ์ส่งต่อหนังสือนี้"),
    "not_reader": ("you may not read this register", "ท่านไม่มีสิทธิ์เปิดทะเบียนนี้"),
    "not_registrar": ("you may not register letters in this registry", "ท่านไม่มีสิทธิ์ลงทะเบียนในทะเบียนนี้"),
    "not_receive_registry": ("this is not a receive registry", "ทะเบียนนี้ไม่ใช่ทะเบียนหนังสือรับ"),
    "not_send_registry": ("this is not a send-side registry", "ทะเบียนนี้ไม่ใช่ทะเบียนหนังสือส่ง"),
    "clearance_too_low": ("your clearance is below this letter's secrecy", "ระดับการเข้าถึงชั้นความลับไม่เพียงพอ"),
    "not_archive_reader": (
        "only the records officer, the head and auditors read the archive",
        "เฉพาะเจ้าหน้าที่เก็บรักษา ผู้บังคับบัญชา และผู้ตรวจสอบ เท่านั้นที่ดูทะเบียนเก็บรักษาได้",
    ),
    "not_records_officer": ("only the records officer does this", "เฉพาะเจ้าหน้าที่เก็บรักษาหนังสือเท่านั้น"),
    "not_hold_keeper": (
        "only the records officer or the head places or releases a legal hold",
        "เฉพาะเจ้าหน้าที่เก็บรักษาหรือผู้บังคับบัญชาเท่านั้นที่ระงับหรือยกเลิกการระงับการทำลายได้",
    ),
    "not_director": ("only the head of the office approves", "เฉพาะหัวหน้าส่วนราชการเท่านั้นที่อนุมัติได้"),
    "not_staff": ("only staff of the office borrow letters", "เฉพาะเจ้าหน้าที่ของสำนักงานเท่านั้นที่ยืมหนังสือได้"),
    "not_loan_approver": ("you may not approve loans", "ท่านไม่มีสิทธิ์อนุมัติการยืมหนังสือ"),
    "not_recipient": ("this routing was not sent to you", "หนังสือนี้ไม่ได้ส่งถึงท่านหรือหน่วยงานของท่าน"),
    "not_sender": ("only the sender may take this routing back", "เฉพาะผู้ส่งเท่านั้นที่เรียกคืนได้"),
    "not_centre_member": (
        "only the child-protection centre's members work on its cases",
        "เฉพาะเจ้าหน้าที่ศูนย์เฉพาะกิจคุ้มครองและช่วยเหลือนักเรียนเท่านั้น",
    ),
    "not_case_worker": (
        "only the group's staff and heads work on its processes",
        "เฉพาะบุคลากรและผู้บริหารของกลุ่มที่รับผิดชอบกระบวนงานนี้เท่านั้น",
    ),
    "not_office_head": (
        "only the head of the office approves access to secrets",
        "เฉพาะหัวหน้าส่วนราชการเท่านั้นที่อนุมัติสิทธิ์เข้าถึงความลับได้",
    ),
    "same_person": (
        "the one who asked may not approve their own request",
        "ผู้ขอไม่สามารถอนุมัติคำขอของตนเองได้ ต้องเป็นอีกบุคคลหนึ่ง",
    ),
    "not_admin_or_head": (
        "administrators and the head of the office only",
        "เฉพาะผู้ดูแลระบบและหัวหน้าส่วนราชการ",
    ),
    "not_head": (
        "only a director or group head writes instructions",
        "เฉพาะผู้อำนวยการหรือผู้อำนวยการกลุ่มเท่านั้นที่เกษียณสั่งการได้",
    ),
}


def require(actor: Actor, action: str, target: Target = OFFICE) -> None:
    """Raise ``Forbidden`` (403) with the reason's message when ``may`` refuses."""
    why = may(actor, action, target)
    if why is not None:
        detail, thai = REFUSALS.get(why, (f"not allowed ({why})", "ท่านไม่มีสิทธิ์ทำรายการนี้"))
        raise Forbidden(detail, thai=thai, reason=why)


_ALL_KINDS = tuple(sorted(RECEIVE_KINDS | SEND_KINDS))


def _some_targets(actor: Actor, kind: type) -> Iterable[Target]:
    """The targets an act could have for this actor: built from the actor's own units and id, every registry
    kind and secrecy. The rules compare a target's units and people with the actor's, so an act the actor may do
    to some real target they may do to one of these (``could``)."""
    units = sorted({u for u, _ in actor.roles}) or [0]
    if kind is OfficeTarget:
        yield OFFICE
    elif kind is RegistryTarget:
        for unit in units:
            for k in _ALL_KINDS:
                for secrecy in range(4):
                    yield RegistryTarget(kind=k, unit_id=unit, ancestors=tuple(units), secrecy=secrecy)
    elif kind is LetterTarget:
        for unit in units:
            for k in _ALL_KINDS:
                for secrecy in range(4):
                    yield LetterTarget(
                        secrecy=secrecy,
                        holders={unit: k},
                        routed_units=frozenset(units),
                        routed_users=frozenset({actor.id}),
                    )
    elif kind is RouteTarget:
        for unit in units:
            yield RouteTarget(from_user_id=actor.id, from_unit_id=unit, to_unit_id=unit, to_user_id=actor.id)
            yield RouteTarget(from_user_id=actor.id, from_unit_id=unit, to_unit_id=unit)
    elif kind is CaseTarget:
        for unit in units:
            yield CaseTarget(unit_id=unit, ancestors=tuple(units))
            yield CaseTarget(unit_id=unit, confidential=True, member_ids=frozenset({actor.id}))
    elif kind is GrantTarget:
        yield GrantTarget(requested_by=0, office_units=frozenset(units))
    elif kind is LoanTarget:
        yield LoanTarget(approvers=frozenset(r for _, r in actor.roles))


def could(actor: Actor, action: str) -> str | None:
    """Why ``actor`` may not do ``action`` to anything at all, or ``None`` when some target exists they may do it
    to. Asked from the token alone, before a request's body is read (``service.edge.gate``): the right to the
    very target is ``may``'s, asked again when the target is known."""
    entry = RULES.get(action)
    if entry is None:
        return "no_rule"
    kind, rule = entry
    why: str | None = "no_rule"
    for target in _some_targets(actor, kind):
        why = rule(actor, target)
        if why is None:
            return None
    return why


def require_could(actor: Actor, action: str) -> None:
    """Raise ``Forbidden`` (403) when ``could`` refuses."""
    why = could(actor, action)
    if why is not None:
        detail, thai = REFUSALS.get(why, (f"not allowed ({why})", "ท่านไม่มีสิทธิ์ทำรายการนี้"))
        raise Forbidden(detail, thai=thai, reason=why)


def may_register(actor: Actor, *, registry_kind: str, registry_unit_id: int, secrecy: int) -> str | None:
    """``may(actor, REGISTER, …)`` spelled out: why the actor may not register a letter of this secrecy here."""
    return may(actor, Action.REGISTER, RegistryTarget(kind=registry_kind, unit_id=registry_unit_id, secrecy=secrecy))


def may_read_registry(actor: Actor, *, registry_kind: str, registry_unit_id: int, ancestors: Sequence[int]) -> bool:
    """``may(actor, READ_REGISTER, …)`` spelled out: whether the actor may open this register."""
    target = RegistryTarget(kind=registry_kind, unit_id=registry_unit_id, ancestors=tuple(ancestors))
    return may(actor, Action.READ_REGISTER, target) is None
