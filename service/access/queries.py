"""The reading rule applied to the database: every list, read, download and export filters through here."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import Connection, Integer, bindparam, literal, true
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from service.access.policy import Action, LetterTarget, RegistryTarget, may
from service.access.rule import Actor, RegistryPlace, RoutePlace, actor_principals, letter_principals
from service.kit.db import Prepared, json_elements
from service.kit.errors import NotFound
from service.models import Attachment, Delivery, Letter, LetterAccess, Outgoing, Registration, Registry, Routing, Unit

# A prepared statement: the unit walk runs on every registration (the ORM's and even Core's per-query cost showed
# in profiles).
_UNIT_T = Unit.__table__  # type: ignore[attr-defined]
_UNIT_PARENT = Prepared(sql_select(_UNIT_T.c.parent_id).where(_UNIT_T.c.id == bindparam("unit_id")))


def unit_ancestors(session: Session, unit_id: int) -> list[int]:
    """The unit's parent, grandparent, … up to the root (a cycle stops the walk)."""
    conn = session.connection()
    chain: list[int] = []
    parent = _parent(conn, unit_id)
    while parent is not None and parent not in chain:
        chain.append(parent)
        parent = _parent(conn, parent)
    return chain


def units_ancestors(session: Session, unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each unit's ancestors (nearest first), read a level at a time for all of them together: a delivery to
    30,000 schools is a handful of queries, not a walk per school (:func:`unit_ancestors` is the one-unit walk)."""
    parents: dict[int, int | None] = {}
    wanted = set(unit_ids)
    conn = session.connection()
    while wanted:
        rows = conn.execute(
            sql_select(_UNIT_T.c.id, _UNIT_T.c.parent_id).where(
                _UNIT_T.c.id.in_(sql_select(json_elements(conn.dialect.name, json.dumps(sorted(wanted)), int).c.value))
            )
        ).all()
        for unit_id, parent in rows:
            parents[unit_id] = parent
        wanted = {p for _, p in rows if p is not None and p not in parents}
    found: dict[int, list[int]] = {}
    for unit_id in unit_ids:
        chain: list[int] = []
        parent = parents.get(unit_id)
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = parents.get(parent)
        found[unit_id] = chain
    return found


def _parent(conn: Connection, unit_id: int) -> int | None:
    rows = _UNIT_PARENT.rows(conn, {"unit_id": unit_id})
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def letter_readers(session: Session, letter: Letter) -> set[str]:
    """A letter's principals derived from its registrations and routes (reads only).

    An outgoing letter is also held by its series' register from its draft on, and by each unit it was delivered
    to as if registered there (the receive register; the secret one for a secret letter) before that unit's clerk
    registers it.
    """
    assert letter.id is not None
    ancestors: dict[int, list[int]] = {}

    def place(kind: str, unit_id: int, *, cancelled: bool = False) -> RegistryPlace:
        if unit_id not in ancestors:
            ancestors[unit_id] = unit_ancestors(session, unit_id)
        return RegistryPlace(kind=kind, unit_id=unit_id, ancestors=ancestors[unit_id], cancelled=cancelled)

    held = select(Registry, Registration.cancelled).join(Registration, col(Registration.registry_id) == Registry.id)
    places = [
        place(reg.kind, reg.unit_id, cancelled=bool(cancelled))
        for reg, cancelled in session.exec(held.where(Registration.letter_id == letter.id))
    ]
    series = session.exec(
        select(Registry).join(Outgoing, col(Outgoing.registry_id) == Registry.id).where(Outgoing.letter_id == letter.id)
    ).first()
    if series is not None:
        places.append(place(series.kind, series.unit_id))
    for d in session.exec(select(Delivery).where(Delivery.letter_id == letter.id)):
        places.append(place("secret_receive" if d.secret else "receive", d.unit_id))
    routes = [
        RoutePlace(
            to_user_id=r.to_user_id,
            to_unit_id=r.to_unit_id,
            to_unit_ancestors=unit_ancestors(session, r.to_unit_id) if r.to_unit_id else (),
        )
        # a routing its sender took back (recalled) no longer lets its recipient read the letter
        for r in session.exec(select(Routing).where(Routing.letter_id == letter.id, Routing.state != "recalled"))
    ]
    return letter_principals(secrecy=letter.secrecy, registries=places, routes=routes)


def refresh_access(session: Session, letter: Letter) -> set[str]:
    """Re-derive a letter's principals and store them."""
    assert letter.id is not None
    tokens = letter_readers(session, letter)
    existing = {a.principal: a for a in session.exec(select(LetterAccess).where(LetterAccess.letter_id == letter.id))}
    for token, row in existing.items():
        if token not in tokens:
            session.delete(row)
    for token in tokens - existing.keys():
        session.add(LetterAccess(letter_id=letter.id, principal=token))
    session.flush()
    return tokens


def grant_readers(session: Session, rows: Iterable[tuple[int, str]]) -> None:
    """Add (letter, principal) rows that may exist already — one batch, existing rows left alone (a retried
    delivery, a delivered letter registered by its recipient)."""
    values = [{"letter_id": letter_id, "principal": principal} for letter_id, principal in rows]
    if not values:
        return
    conn = session.connection()
    _grant(conn.dialect.name).many(conn, values)


def grant_letter_readers(session: Session, letter_id: int, principals: Iterable[str]) -> None:
    """Add one letter's principals, however many (a circular delivered to 30,000 schools gives 60,000), in one
    statement that reads them from a JSON array; rows that exist are left alone."""
    tokens = sorted(set(principals))
    if not tokens:
        return
    conn = session.connection()
    table = LetterAccess.__table__  # type: ignore[attr-defined]
    values = json_elements(conn.dialect.name, json.dumps(tokens, ensure_ascii=False), str)
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)
    conn.execute(
        ins.from_select(
            ["letter_id", "principal"],
            # WHERE true: SQLite's parser needs it between an INSERT's SELECT and its ON CONFLICT
            sql_select(literal(letter_id, Integer), values.c.value).where(true()),
        ).on_conflict_do_nothing()
    )


@functools.cache
def _grant(dialect: str) -> Prepared:
    table = LetterAccess.__table__  # type: ignore[attr-defined]
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    stmt = ins.values(letter_id=bindparam("letter_id"), principal=bindparam("principal")).on_conflict_do_nothing()
    return Prepared(stmt)


def visible_letter_ids(actor: Actor) -> Any:
    """The one query filter: a subquery of the letter ids the actor may see."""
    return select(LetterAccess.letter_id).where(col(LetterAccess.principal).in_(sorted(actor_principals(actor))))


def sees_letter(actor: Actor, letter_id: Any) -> Any:
    """The same filter, correlated to one letter id column: ``EXISTS`` an access row of the actor's for it. For
    queries that first narrow to a few letters by an index (a duplicate's ที่ or hash), where the subquery of every
    letter the actor may see would cost as much as the office's whole year."""
    return (
        select(LetterAccess.letter_id)
        .where(LetterAccess.letter_id == letter_id, col(LetterAccess.principal).in_(sorted(actor_principals(actor))))
        .exists()
    )


def get_visible_letter(session: Session, actor: Actor, letter_id: int) -> Letter:
    """The one check for single objects: a letter the actor may not see does not exist (404). One query, the
    letter and the reading rule together: a letter one may not see and one that is not there cost the same, and
    the answer names no id (finding 11)."""
    letter = session.exec(select(Letter).where(col(Letter.id).in_(_seen(actor, letter_id)))).first()
    if letter is None:
        raise NotFound("letter not found", thai="ไม่พบหนังสือนี้")
    return letter


def _seen(actor: Actor, letter_id: Any) -> Any:
    """The actor's access row for one letter: the query starts from it, so a letter that is there but hidden and one
    that is not there are both an index probe of ``letter_access`` that finds nothing."""
    return select(LetterAccess.letter_id).where(
        LetterAccess.letter_id == letter_id, col(LetterAccess.principal).in_(sorted(actor_principals(actor)))
    )


def visible_registry(session: Session, actor: Actor, registry_id: int) -> Registry:
    """A registry the actor may know about; secret registries exist only for their registrars (and admins)."""
    registry = session.get(Registry, registry_id)
    if registry is None or hidden_registry(actor, registry):
        raise NotFound(f"registry {registry_id} not found", thai="ไม่พบทะเบียนนี้")
    return registry


class RegistryPlaced(Protocol):
    """What the policy needs of a registry: its kind and its unit (a ``Registry`` row, or plain values)."""

    @property
    def kind(self) -> str: ...
    @property
    def unit_id(self) -> int: ...


def hidden_registry(actor: Actor, registry: RegistryPlaced) -> bool:
    """Secret registries exist only for their registrars (and administrators, who manage them)."""
    return may(actor, Action.KNOW_REGISTRY, RegistryTarget(kind=registry.kind, unit_id=registry.unit_id)) is not None


def registry_target(session: Session, registry: Registry, *, secrecy: int = 0) -> RegistryTarget:
    """A registry as the action policy sees it."""
    return RegistryTarget(
        kind=registry.kind,
        unit_id=registry.unit_id,
        ancestors=tuple(unit_ancestors(session, registry.unit_id)),
        secrecy=secrecy,
    )


def letter_target(session: Session, letter: Letter) -> LetterTarget:
    """A letter as the action policy sees it: who holds it in a register, whom it was routed to."""
    assert letter.id is not None
    holders = {
        reg.unit_id: reg.kind
        for reg in session.exec(
            select(Registry)
            .join(Registration, col(Registration.registry_id) == Registry.id)
            .where(Registration.letter_id == letter.id)
        )
    }
    routes = session.exec(select(Routing).where(Routing.letter_id == letter.id, Routing.state != "recalled")).all()
    return LetterTarget(
        secrecy=letter.secrecy,
        holders=holders,
        routed_units=frozenset(r.to_unit_id for r in routes if r.to_unit_id is not None),
        routed_users=frozenset(r.to_user_id for r in routes if r.to_user_id is not None),
    )


def get_visible_attachment(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    """An attachment of a letter the actor may see, in one query like :func:`get_visible_letter`."""
    att = session.exec(
        select(Attachment).where(
            Attachment.id == attachment_id, col(Attachment.letter_id).in_(_seen(actor, Attachment.letter_id))
        )
    ).first()
    if att is None:
        raise NotFound("attachment not found", thai="ไม่พบไฟล์แนบนี้")
    return att


# ---------------------------------------------------------------------------------------------- procedure cases


def actor_bodies(session: Session, actor: Actor) -> set[str]:
    """The named bodies (the child-protection centre …) the user is a member of."""
    from service.models import BodyMember

    return set(session.exec(select(BodyMember.body).where(BodyMember.user_id == actor.id)))


def body_members(session: Session, body: str) -> frozenset[int]:
    from service.models import BodyMember

    return frozenset(session.exec(select(BodyMember.user_id).where(BodyMember.body == body)))


def _descendants(session: Session, roots: Iterable[int]) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for unit_id, parent_id in session.exec(select(Unit.id, Unit.parent_id)):
        if unit_id is not None:
            children.setdefault(parent_id, []).append(unit_id)
    found, todo = set(), list(roots)
    while todo:
        u = todo.pop()
        if u in found:
            continue
        found.add(u)
        todo.extend(children.get(u, []))
    return found


def visible_cases_clause(session: Session, actor: Actor) -> Any:
    """The reading rule for cases (``access.rule.case_scope``) as one SQL condition on ``ProcedureCase``: every
    list, count, dashboard and report filters through it; confidential cases only for the centre's members."""
    from sqlalchemy import and_, false, or_, true

    from service.access.rule import CHILD_PROTECTION, case_scope
    from service.models import ProcedureCase

    scope = case_scope(actor, actor_bodies(session, actor))
    units = set(scope.units) | _descendants(session, scope.subtree_roots)
    ordinary = true() if scope.all_ordinary else (col(ProcedureCase.unit_id).in_(sorted(units)) if units else false())
    secret = true() if CHILD_PROTECTION in scope.member_of else false()
    return or_(
        and_(col(ProcedureCase.confidential).is_(False), ordinary),
        and_(col(ProcedureCase.confidential).is_(True), secret),
    )


def get_visible_case(session: Session, actor: Actor, case_id: int) -> Any:
    """The one check for a single case: a case the user may not read does not exist (404, as a missing one)."""
    from service.access.rule import CHILD_PROTECTION, case_scope, reads_case
    from service.models import ProcedureCase

    case = session.get(ProcedureCase, case_id)
    if case is not None:
        scope = case_scope(actor, actor_bodies(session, actor))
        ancestors = unit_ancestors(session, case.unit_id)
        if reads_case(
            scope, unit_id=case.unit_id, ancestors=ancestors, confidential=case.confidential, body=CHILD_PROTECTION
        ):
            return case
    raise NotFound(f"case {case_id} not found", thai="ไม่พบเรื่องนี้")
