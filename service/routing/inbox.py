"""The inbox: what waits for a user — as a person, and as a registry clerk of their units — to register,
acknowledge, act on, or take back; and what they sent that others still hold (follow-up).

Items come from a list of *sources* (``INBOX_SOURCES``), each a function ``(session, actor, now) → [InboxItem]``;
routed letters are the first. Another capability adds its own (electronic deliveries from other offices) by
appending to the list; the views, counts, deadlines and order are applied here to whatever the sources give.
Every source answers only with letters the actor may read (the reading rule's principals, as
``access.queries.visible_letter_ids`` applies them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, func, literal, not_, or_
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from service.access.policy import CLERKS
from service.access.roles import Role
from service.access.rule import Actor, actor_principals
from service.config import Settings
from service.kit.clock import from_db
from service.kit.thai import local
from service.models import Letter, LetterAccess, Routing, Unit, User
from service.routing.deadlines import WorkCalendar, deadline
from service.routing.rules import State


@dataclass(frozen=True)
class InboxItem:
    """One thing in someone's inbox, whatever its source."""

    source: str  # "route"; other sources name themselves ("delivery", …)
    item_id: int  # the id within its source
    letter_id: int
    waiting: str  # what it waits for: register | acknowledge | act | returned | following (others hold it)
    state: str
    subject: str
    urgency_level: int  # 1 ปกติ … 4 ด่วนที่สุด
    routed_at: datetime  # when it arrived: its age and deadline count from here
    due_at: datetime | None = None  # a due date set by whoever sent it
    deliver_by: datetime | None = None  # the letter's own ส่งภายใน
    returned_reason: str | None = None
    from_name: str = ""
    to_name: str = ""  # who holds it (a unit or a person)
    state_at: datetime | None = None  # since when it is in its state
    route_id: int | None = None
    url: str = ""


Source = Callable[[Session, Actor, datetime], list[InboxItem]]

WAITING = ("register", "acknowledge", "act", "returned")  # waits for the user (the "all" view)
VIEWS = ("all", *WAITING, "overdue", "older", "following")


@dataclass(frozen=True)
class Row:
    item: InboxItem
    deadline: datetime | None
    overdue: bool

    def as_dict(self, *, now: datetime, tz: str = "Asia/Bangkok") -> dict[str, Any]:
        i = self.item

        def iso(m: datetime | None) -> str | None:
            return None if m is None else local(m, tz).isoformat()

        return {
            "route_id": i.route_id,
            "letter_id": i.letter_id,
            "state": i.state,
            "subject": i.subject,
            "urgency_level": i.urgency_level,
            "routed_at": iso(i.routed_at),
            "due_at": iso(i.due_at),
            "overdue": self.overdue,
            "returned_reason": i.returned_reason,
            "source": i.source,
            "item_id": i.item_id,
            "waiting": i.waiting,
            "deadline": iso(self.deadline),
            "deliver_by": iso(i.deliver_by),
            "from": i.from_name,
            "to": i.to_name,
            "state_at": iso(i.state_at),
            "age_seconds": int((from_db(now) - from_db(i.routed_at)).total_seconds()),
            "url": i.url,
        }


@dataclass(frozen=True)
class Holder:
    """Who holds what the user's desk sent (follow-up per unit and per officer)."""

    name: str
    count: int
    overdue: int
    oldest: datetime


@dataclass(frozen=True)
class InboxPage:
    view: str
    total: int
    counts: dict[str, int]
    rows: list[Row] = field(default_factory=list)
    holders: list[Holder] = field(default_factory=list)  # for the ``following`` view


def inbox(
    session: Session,
    actor: Actor,
    *,
    view: str = "all",
    now: datetime,
    calendar: WorkCalendar | None = None,
    older_than_days: int = 3,
    limit: int = 50,
    offset: int = 0,
    sources: Sequence[Source] | None = None,
) -> InboxPage:
    """One view of the actor's inbox (``VIEWS``), most urgent first then oldest first, with the count of every view.

    ``overdue``: waiting items past their deadline (:func:`service.routing.deadlines.deadline`: the due date set, else
    working days by urgency, the letter's deliver-by when earlier); ``older``: waiting items that arrived more than
    ``older_than_days`` days ago; ``following``: what the user or their desk sent and others still hold.
    """
    if view not in VIEWS:
        view = "all"
    due = _Deadlines(calendar or WorkCalendar.of())
    items = [item for source in (INBOX_SOURCES if sources is None else sources) for item in source(session, actor, now)]
    rows = [_row(item, due, now) for item in items]
    older = from_db(now) - timedelta(days=older_than_days)
    chosen: dict[str, list[Row]] = {v: [] for v in VIEWS}
    for row in rows:
        for v in _views_of(row, older):
            chosen[v].append(row)
    counts = {v: len(r) for v, r in chosen.items()}
    counts["following"] += count_following(session, actor)
    holders: list[Holder] = []
    if view == "following":
        # Routes others hold can be many (a central registry follows everything it sent): the first page comes
        # sorted from the database; the holders' summary from a few columns of each.
        top = [_row(i, due, now) for i in following_items(session, actor, now, limit=offset + limit)]
        picked = sorted(chosen["following"] + top, key=_order)
        holders = _holders(chosen["following"], _following_facts(session, actor, due, now))
    else:
        picked = sorted(chosen[view], key=_order)
    return InboxPage(
        view=view,
        total=counts[view],
        counts=counts,
        rows=picked[offset : offset + limit],
        holders=holders,
    )


class _Deadlines:
    """Deadlines of many items at once: the default one depends only on the day an item counts from and its
    urgency, so it is worked out once per pair."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self.defaults: dict[tuple[date, int], datetime] = {}

    def of(self, item: InboxItem) -> datetime:
        return self.when(item.routed_at, item.urgency_level, item.due_at, item.deliver_by)

    def when(self, routed_at: datetime, urgency: int, due_at: datetime | None, deliver_by: datetime | None) -> datetime:
        if due_at is not None:
            return from_db(due_at)
        cal = self.calendar
        key = (cal.first_day(routed_at), urgency)
        default = self.defaults.get(key)
        if default is None:
            default = self.defaults[key] = deadline(cal, received_at=routed_at, urgency=urgency)
        return min(default, from_db(deliver_by)) if deliver_by is not None else default


def _holders(rows: Iterable[Row], routes: Iterable[tuple[str, datetime, bool]] = ()) -> list[Holder]:
    """Per holder: how many, how many late, since when the oldest; most held first. ``routes``: (holder, arrived,
    late) of followed routes, beside the rows of other sources."""
    by: dict[str, list[tuple[datetime, bool]]] = {}
    for row in rows:
        by.setdefault(row.item.to_name, []).append((from_db(row.item.routed_at), row.overdue))
    for name, arrived, late in routes:
        by.setdefault(name, []).append((from_db(arrived), late))
    held = [
        Holder(name=name, count=len(group), overdue=sum(late for _, late in group), oldest=min(a for a, _ in group))
        for name, group in by.items()
    ]
    return sorted(held, key=lambda h: (-h.count, h.oldest, h.name))


def _row(item: InboxItem, due: _Deadlines, now: datetime) -> Row:
    if item.waiting == "returned":
        return Row(item, None, overdue=False)  # nothing was due of the one it came back to
    when = due.of(item)
    return Row(item, when, overdue=from_db(now) > when)


def _views_of(row: Row, older: datetime) -> Iterable[str]:
    waiting = row.item.waiting
    if waiting == "following":
        yield "following"
        return
    yield "all"
    if waiting in WAITING:
        yield waiting
    if row.overdue:
        yield "overdue"
    if from_db(row.item.routed_at) < older:
        yield "older"


def _order(row: Row) -> tuple[int, datetime, str, int]:
    i = row.item
    return (-i.urgency_level, from_db(i.routed_at), i.source, i.item_id)


# ---------------------------------------------------------------------------------------------- routed letters

_OPEN = (State.SENT, State.REGISTERED, State.ACKNOWLEDGED, State.FORWARDED)


_R = Routing.__table__  # type: ignore[attr-defined]
_L = Letter.__table__  # type: ignore[attr-defined]
_ACCESS = LetterAccess.__table__  # type: ignore[attr-defined]


def _scope(actor: Actor) -> tuple[Any, Any]:
    """The conditions on routes: waiting for the actor (to them, to a unit they are a registry clerk of, returned
    to them or their desk), and followed by them (sent by them or their desk and not ended; for a head, also
    what went to their unit)."""
    me = actor.id
    desks = sorted(actor.units_with(CLERKS))
    heads = sorted(actor.units_with([Role.DIRECTOR]))
    mine_sent = or_(_R.c.from_user_id == me, _R.c.from_unit_id.in_(desks))
    waiting = or_(
        and_(_R.c.to_user_id == me, _R.c.state.in_([State.SENT, State.ACKNOWLEDGED])),
        and_(mine_sent, _R.c.state == State.RETURNED),
        and_(_R.c.to_unit_id.in_(desks), _R.c.state.in_([State.SENT, State.REGISTERED])),
    )
    # (``waiting`` is NULL, not false, for a route to a unit when compared with the actor's id: coalesce it)
    following = and_(
        or_(mine_sent, _R.c.to_unit_id.in_(heads)), _R.c.state.in_(_OPEN), not_(func.coalesce(waiting, false()))
    )
    return waiting, following


def _readable(actor: Actor) -> Any:
    """The reading rule as a condition on the route's letter, probed per route (``OFFSET 0`` keeps PostgreSQL from
    turning it into a join that hashes every letter the actor may read — a cost that grows with the year)."""
    return (
        sql_select(literal(1))
        .where(_ACCESS.c.letter_id == _R.c.letter_id, _ACCESS.c.principal.in_(sorted(actor_principals(actor))))
        .offset(0)
        .exists()
    )


_COLUMNS = (
    _R.c.id,
    _R.c.letter_id,
    _R.c.state,
    _R.c.from_user_id,
    _R.c.from_unit_id,
    _R.c.to_unit_id,
    _R.c.to_user_id,
    _R.c.routed_at,
    _R.c.state_at,
    _R.c.due_at,
    _R.c.returned_reason,
    _L.c.subject,
    _L.c.urgency,
    _L.c.deliver_by,
)


def route_items(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Routed letters waiting for the actor: to them (to acknowledge, to act on), to a unit they are a registry
    clerk of (to register, to act on: assign, complete or return), returned to them or their desk."""
    waiting, _following = _scope(actor)
    return _items(session, actor, waiting)


def following_items(session: Session, actor: Actor, now: datetime, *, limit: int | None = None) -> list[InboxItem]:
    """Follow-up: what the actor or their desk sent that others still hold (for a head, also what went to their
    unit), most urgent then oldest first; the first ``limit`` of them."""
    _waiting_cond, following = _scope(actor)
    return _items(session, actor, following, limit=limit)


def _following_facts(
    session: Session, actor: Actor, due: _Deadlines, now: datetime
) -> list[tuple[str, datetime, bool]]:
    """(holder, arrived, late) of every followed route: a few columns, no items built."""
    _waiting_cond, following = _scope(actor)
    rows = (
        session.connection()
        .execute(
            sql_select(_R.c.to_unit_id, _R.c.to_user_id, _R.c.routed_at, _R.c.due_at, _L.c.urgency, _L.c.deliver_by)
            .join(_L, _L.c.id == _R.c.letter_id)
            .where(following)
            .where(_readable(actor))
        )
        .all()
    )
    names = _names(session, [], units={r.to_unit_id for r in rows}, users={r.to_user_id for r in rows})
    moment = from_db(now)
    out = []
    for r in rows:
        key = ("unit", r.to_unit_id) if r.to_unit_id is not None else ("user", r.to_user_id)
        when = due.when(r.routed_at, r.urgency, r.due_at, r.deliver_by)
        out.append((names.get(key, ""), r.routed_at, moment > when))
    return out


def count_following(session: Session, actor: Actor) -> int:
    _waiting_cond, following = _scope(actor)
    return int(
        session.connection()
        .execute(sql_select(func.count()).select_from(_R).where(following).where(_readable(actor)))
        .scalar_one()
    )


def _items(session: Session, actor: Actor, condition: Any, *, limit: int | None = None) -> list[InboxItem]:
    query = sql_select(*_COLUMNS).join(_L, _L.c.id == _R.c.letter_id).where(condition).where(_readable(actor))
    if limit is not None:
        query = query.order_by(_L.c.urgency.desc(), _R.c.routed_at, _R.c.id).limit(limit)
    rows = session.connection().execute(query).all()
    names = _names(session, rows)
    desks = actor.units_with(CLERKS)
    items = []
    for r in rows:
        to_key = ("unit", r.to_unit_id) if r.to_unit_id is not None else ("user", r.to_user_id)
        items.append(
            InboxItem(
                source="route",
                item_id=r.id,
                route_id=r.id,
                letter_id=r.letter_id,
                waiting=_waiting(r, actor.id, desks),
                state=r.state,
                subject=r.subject,
                urgency_level=r.urgency,
                routed_at=r.routed_at,
                due_at=r.due_at,
                deliver_by=r.deliver_by,
                returned_reason=(r.returned_reason or None) if r.state == State.RETURNED else None,
                from_name=names.get(("unit", r.from_unit_id), "") or names.get(("user", r.from_user_id), ""),
                to_name=names.get(to_key, ""),
                state_at=r.state_at,
                url="",  # the edge links the letter by its public id, with this route as the anchor
            )
        )
    return items


def _waiting(r: Any, me: int, desks: set[int]) -> str:
    if r.state == State.RETURNED:
        return "returned"
    if r.to_user_id == me and r.state in (State.SENT, State.ACKNOWLEDGED):
        return "acknowledge" if r.state == State.SENT else "act"
    if r.to_unit_id in desks and r.state in (State.SENT, State.REGISTERED):
        return "register" if r.state == State.SENT else "act"
    return "following"


def _names(
    session: Session, rows: Sequence[Any], *, units: Iterable[int | None] = (), users: Iterable[int | None] = ()
) -> dict[tuple[str, int | None], str]:
    """Names of the people and units of ``rows`` (their from/to columns) and of ``units`` and ``users``."""
    users = (
        {u for u in users if u is not None}
        | {r.from_user_id for r in rows}
        | {r.to_user_id for r in rows if r.to_user_id is not None}
    )
    units = (
        {u for u in units if u is not None}
        | {r.from_unit_id for r in rows if r.from_unit_id is not None}
        | {r.to_unit_id for r in rows if r.to_unit_id is not None}
    )
    names: dict[tuple[str, int | None], str] = {("unit", None): "", ("user", None): ""}
    if users:
        for uid, full, username in session.exec(
            select(User.id, User.full_name, User.username).where(col(User.id).in_(sorted(users)))
        ):
            names[("user", uid)] = full or username
    if units:
        for uid, name, short in session.exec(
            select(Unit.id, Unit.name, Unit.short_name).where(col(Unit.id).in_(sorted(units)))
        ):
            names[("unit", uid)] = short or name
    return names


INBOX_SOURCES: list[Source] = [route_items]
"""Where inbox items come from; a capability with items of its own appends its source here."""


def has_waiting(session: Session, actor: Actor, *, now: datetime) -> bool:
    """Whether anything waits for the actor (the home page leads there first)."""
    return inbox(session, actor, view="all", now=now, limit=0).total > 0


def calendar_from(settings: Settings) -> WorkCalendar:
    """The office's working calendar from its settings (``SARABAN_DEADLINE_DAYS``, ``SARABAN_HOLIDAYS``, hours)."""
    return WorkCalendar.of(
        holidays=settings.holidays,
        days_by_urgency=settings.deadline_days,
        office_start=settings.office_start,
        office_end=settings.office_end,
        tz=settings.timezone,
    )
