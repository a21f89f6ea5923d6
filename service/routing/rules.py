"""The journey of a routed letter as a pure state machine: state × step × who the actor is to the route → the new
state, or a refusal (403: not the actor's to do; 409: not in this state).

In the office of the seeds (ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด 2 ส่วนที่ 1, as AMSS++ runs it) the central registry
routes a letter to groups and people. At a group its clerk *registers* it in the group's receive register (the
group's own number) or *returns* it with a reason; a person *acknowledges* it (a read receipt). Whoever holds it
then *forwards* it (the group clerk assigns officers; an officer passes it on) or *completes* it with the action
taken (การปฏิบัติ). The sender may *recall* what nobody has acted on yet, and takes back what was returned. A route
that was forwarded is done when every route it was forwarded to has ended (:func:`settle`).

Who the actor is to a route comes from the action policy (``service.access.policy``: ``HANDLE_ROUTE`` makes the
recipient — the person, or a registry clerk of the unit; ``RECALL_ROUTE`` the sender's desk); this module is only
the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Kind = Literal["unit", "person"]


class State(StrEnum):
    SENT = "sent"  # ส่งแล้ว: waiting for the recipient
    REGISTERED = "registered"  # ลงทะเบียนรับแล้ว (a unit, with its own number)
    ACKNOWLEDGED = "acknowledged"  # รับทราบแล้ว (a person)
    RETURNED = "returned"  # ส่งคืนแล้ว: back with the sender
    FORWARDED = "forwarded"  # ส่งต่อแล้ว: waiting for the ones it was forwarded to
    COMPLETED = "completed"  # ปฏิบัติแล้ว (with the action taken)
    RECALLED = "recalled"  # เรียกคืนแล้ว (by the sender)


class Step(StrEnum):
    REGISTER = "register"
    ACKNOWLEDGE = "acknowledge"
    RETURN = "return"
    FORWARD = "forward"
    COMPLETE = "complete"
    RECALL = "recall"


class Relation(StrEnum):
    RECIPIENT = "recipient"  # the person it was sent to, or a registry clerk of the unit it was sent to
    SENDER = "sender"  # who sent it, or a registry clerk of the desk it was sent from


ENDED = frozenset({State.COMPLETED, State.RECALLED})
# Where the route is, once received: what a forwarded route falls back to when everything it went on to was recalled.
RECEIVED = {"unit": State.REGISTERED, "person": State.ACKNOWLEDGED}

WHO: dict[Step, Relation] = {
    Step.REGISTER: Relation.RECIPIENT,
    Step.ACKNOWLEDGE: Relation.RECIPIENT,
    Step.RETURN: Relation.RECIPIENT,
    Step.FORWARD: Relation.RECIPIENT,
    Step.COMPLETE: Relation.RECIPIENT,
    Step.RECALL: Relation.SENDER,
}

# (kind, step) → {from state: to state}; everything else is refused (see ``_why_not``).
MOVES: dict[tuple[Kind, Step], dict[State, State]] = {
    ("unit", Step.REGISTER): {State.SENT: State.REGISTERED},
    ("person", Step.ACKNOWLEDGE): {State.SENT: State.ACKNOWLEDGED},
    ("unit", Step.RETURN): {State.SENT: State.RETURNED, State.REGISTERED: State.RETURNED},
    ("person", Step.RETURN): {State.SENT: State.RETURNED, State.ACKNOWLEDGED: State.RETURNED},
    ("unit", Step.FORWARD): {State.REGISTERED: State.FORWARDED, State.FORWARDED: State.FORWARDED},
    ("person", Step.FORWARD): {State.ACKNOWLEDGED: State.FORWARDED, State.FORWARDED: State.FORWARDED},
    ("unit", Step.COMPLETE): {State.REGISTERED: State.COMPLETED},
    ("person", Step.COMPLETE): {State.ACKNOWLEDGED: State.COMPLETED},
    ("unit", Step.RECALL): {State.SENT: State.RECALLED, State.RETURNED: State.RECALLED},
    ("person", Step.RECALL): {State.SENT: State.RECALLED, State.RETURNED: State.RECALLED},
}


@dataclass(frozen=True)
class Refusal:
    code: str
    status: int  # 403 (who) or 409 (state)


REFUSALS: dict[str, tuple[str, str]] = {
    "not_recipient": ("this routing was not sent to you", "หนังสือนี้ไม่ได้ส่งถึงท่านหรือหน่วยงานของท่าน"),
    "not_sender": ("only the sender may take this routing back", "เฉพาะผู้ส่งเท่านั้นที่เรียกคืนได้"),
    "ended": ("this routing has ended (completed or recalled)", "รายการนี้สิ้นสุดแล้ว (ปฏิบัติแล้วหรือถูกเรียกคืน)"),
    "returned": ("this routing was returned to its sender", "หนังสือนี้ส่งคืนผู้ส่งแล้ว"),
    "already_registered": ("the unit has already registered this routing", "หน่วยงานลงทะเบียนรับหนังสือนี้แล้ว"),
    "already_acknowledged": ("this routing was already acknowledged", "รับทราบหนังสือนี้แล้ว"),
    "not_received": (
        "the routing must be registered or acknowledged first",
        "ต้องลงทะเบียนรับหรือรับทราบหนังสือก่อน",
    ),
    "units_register": ("a routing to a unit is registered, not acknowledged", "หนังสือที่ส่งถึงหน่วยงานต้องลงทะเบียนรับ"),
    "persons_acknowledge": (
        "a routing to a person is acknowledged, not registered",
        "หนังสือที่ส่งถึงบุคคลใช้การรับทราบ ไม่ต้องลงทะเบียนรับ",
    ),
    "waiting_on_forwarded": (
        "this routing was forwarded; it completes when the routings it went on to end",
        "ส่งต่อแล้ว รายการนี้จะเสร็จสิ้นเมื่อผู้รับต่อปฏิบัติครบ",
    ),
    "already_acted": (
        "the recipient has already acted on this routing; it can no longer be recalled",
        "ผู้รับดำเนินการแล้ว เรียกคืนไม่ได้",
    ),
}


def transition(kind: Kind, state: State, step: Step, relations: Iterable[Relation]) -> State | Refusal:
    """The state after ``step``, or why not: first who (403), then the state (409)."""
    who = WHO[step]
    if who not in set(relations):
        return Refusal("not_recipient" if who is Relation.RECIPIENT else "not_sender", 403)
    moves = MOVES.get((kind, step), {})
    if state in moves:
        return moves[state]
    return Refusal(_why_not(kind, state, step), 409)


def _why_not(kind: Kind, state: State, step: Step) -> str:
    if state in ENDED:
        return "ended"
    if step is Step.RECALL:
        return "already_acted"
    if state is State.RETURNED:
        return "returned"
    if step is Step.REGISTER:
        return "persons_acknowledge" if kind == "person" else "already_registered"
    if step is Step.ACKNOWLEDGE:
        return "units_register" if kind == "unit" else "already_acknowledged"
    if state is State.SENT:
        return "not_received"
    return "waiting_on_forwarded"  # return or complete a forwarded route


def settle(kind: Kind, children: Iterable[State]) -> State | None:
    """A forwarded route once the routes it was forwarded to change: completed when all have ended and one was
    completed; back where it was received when all were recalled (the holder acts again); else still forwarded."""
    states = list(children)
    if not states or any(s not in ENDED for s in states):
        return None
    return State.COMPLETED if State.COMPLETED in states else RECEIVED[kind]


def kind_of(*, to_unit_id: int | None) -> Kind:
    return "unit" if to_unit_id is not None else "person"


STATE_TH: dict[str, str] = {
    State.SENT: "รอดำเนินการ",
    State.REGISTERED: "ลงทะเบียนรับแล้ว",
    State.ACKNOWLEDGED: "รับทราบแล้ว",
    State.RETURNED: "ส่งคืนแล้ว",
    State.FORWARDED: "ส่งต่อแล้ว",
    State.COMPLETED: "ปฏิบัติแล้ว",
    State.RECALLED: "เรียกคืนแล้ว",
}
STEP_TH: dict[str, str] = {
    "route": "ส่ง",
    Step.REGISTER: "ลงทะเบียนรับ",
    Step.ACKNOWLEDGE: "รับทราบ",
    Step.RETURN: "ส่งคืน",
    Step.FORWARD: "ส่งต่อ",
    Step.COMPLETE: "ปฏิบัติเสร็จ",
    Step.RECALL: "เรียกคืน",
    "instruct": "เกษียณสั่งการ",
}
