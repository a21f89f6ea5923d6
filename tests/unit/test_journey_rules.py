# ruff: noqa: E501  (the tables read best one state per line)
"""Table test of the journey's state machine (``service.routing.rules``), written from the office's practice (the seeds'
registry procedure and AMSS++ screens), not from the code.

Each grid: the route's state (rows) × the step (columns) → the new state, or ``409:code`` / ``403:code``.
"""

from __future__ import annotations

import pytest

from service.routing.rules import ENDED, MOVES, Kind, Refusal, Relation, State, Step, settle, transition

STEPS = (Step.REGISTER, Step.ACKNOWLEDGE, Step.RETURN, Step.FORWARD, Step.COMPLETE, Step.RECALL)

# A unit (a group) as the recipient: its clerk registers, returns, assigns (forwards) or completes; never acknowledges.
UNIT_AS_RECIPIENT = """
state        | register                  | acknowledge        | return                   | forward                  | complete                 | recall
sent         | registered                | 409:units_register | returned                 | 409:not_received         | 409:not_received         | 403:not_sender
registered   | 409:already_registered    | 409:units_register | returned                 | forwarded                | completed                | 403:not_sender
forwarded    | 409:already_registered    | 409:units_register | 409:waiting_on_forwarded | forwarded                | 409:waiting_on_forwarded | 403:not_sender
returned     | 409:returned              | 409:returned       | 409:returned             | 409:returned             | 409:returned             | 403:not_sender
completed    | 409:ended                 | 409:ended          | 409:ended                | 409:ended                | 409:ended                | 403:not_sender
recalled     | 409:ended                 | 409:ended          | 409:ended                | 409:ended                | 409:ended                | 403:not_sender
"""

# A person as the recipient: acknowledges (a read receipt), returns, forwards or completes; never registers.
PERSON_AS_RECIPIENT = """
state        | register                  | acknowledge              | return                   | forward          | complete                 | recall
sent         | 409:persons_acknowledge   | acknowledged             | returned                 | 409:not_received | 409:not_received         | 403:not_sender
acknowledged | 409:persons_acknowledge   | 409:already_acknowledged | returned                 | forwarded        | completed                | 403:not_sender
forwarded    | 409:persons_acknowledge   | 409:already_acknowledged | 409:waiting_on_forwarded | forwarded        | 409:waiting_on_forwarded | 403:not_sender
returned     | 409:returned              | 409:returned             | 409:returned             | 409:returned     | 409:returned             | 403:not_sender
completed    | 409:ended                 | 409:ended                | 409:ended                | 409:ended        | 409:ended                | 403:not_sender
recalled     | 409:ended                 | 409:ended                | 409:ended                | 409:ended        | 409:ended                | 403:not_sender
"""

# The sender: only recalls — what nobody acted on yet, or what came back; every recipient's step is not theirs.
SENDER = """
state        | register          | acknowledge       | return            | forward           | complete          | recall
sent         | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | recalled
registered   | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | 409:already_acted
acknowledged | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | 409:already_acted
forwarded    | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | 409:already_acted
returned     | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | recalled
completed    | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | 409:ended
recalled     | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | 403:not_recipient | 409:ended
"""

# Someone else (neither side): refused as not theirs, whatever the state.
OTHER = {step: f"403:{'not_sender' if step is Step.RECALL else 'not_recipient'}" for step in STEPS}


def _grid(text: str) -> dict[tuple[State, Step], str]:
    head, *rows = text.strip().splitlines()
    assert [c.strip() for c in head.split("|")][1:] == [s.value for s in STEPS]
    cells: dict[tuple[State, Step], str] = {}
    for line in rows:
        state, *outcomes = (c.strip() for c in line.split("|"))
        for step, outcome in zip(STEPS, outcomes, strict=True):
            cells[(State(state), step)] = outcome
    return cells


def _show(outcome: State | Refusal) -> str:
    return f"{outcome.status}:{outcome.code}" if isinstance(outcome, Refusal) else outcome.value


CASES = [
    *[("unit", s, step, {Relation.RECIPIENT}, want) for (s, step), want in _grid(UNIT_AS_RECIPIENT).items()],
    *[("person", s, step, {Relation.RECIPIENT}, want) for (s, step), want in _grid(PERSON_AS_RECIPIENT).items()],
    *[
        (kind, s, step, {Relation.SENDER}, want)
        for kind in ("unit", "person")
        for (s, step), want in _grid(SENDER).items()
    ],
    *[(kind, s, step, set(), OTHER[step]) for kind in ("unit", "person") for s in State for step in STEPS],
]


@pytest.mark.parametrize(("kind", "state", "step", "relations", "expected"), CASES)
def test_transition_table(kind: Kind, state: State, step: Step, relations: set[Relation], expected: str) -> None:
    assert _show(transition(kind, state, step, relations)) == expected


def test_one_who_is_both_sender_and_recipient_may_do_either() -> None:
    both = {Relation.SENDER, Relation.RECIPIENT}
    assert transition("person", State.SENT, Step.ACKNOWLEDGE, both) == State.ACKNOWLEDGED
    assert transition("person", State.SENT, Step.RECALL, both) == State.RECALLED


def test_the_tables_cover_every_move_the_machine_knows() -> None:
    """Every move of ``MOVES`` appears as an allowed cell above (a move added to the code needs a row here)."""
    allowed = {(k, s, st) for k, s, st, r, want in CASES if not want.startswith(("403", "409")) and r}
    for (kind, step), moves in MOVES.items():
        for state in moves:
            assert (kind, state, step) in allowed, (kind, state, step)


@pytest.mark.parametrize(
    ("kind", "children", "expected"),
    [
        ("unit", [], None),  # nothing forwarded yet
        ("unit", [State.SENT], None),
        ("unit", [State.COMPLETED, State.ACKNOWLEDGED], None),  # one officer still at it
        ("unit", [State.COMPLETED], State.COMPLETED),
        ("unit", [State.COMPLETED, State.RECALLED], State.COMPLETED),
        ("unit", [State.RECALLED, State.RECALLED], State.REGISTERED),  # all taken back: the clerk acts again
        ("person", [State.RECALLED], State.ACKNOWLEDGED),
        ("person", [State.RETURNED], None),  # returned to the forwarder, who decides
        ("person", [State.FORWARDED], None),
    ],
)
def test_settle_a_forwarded_route(kind: Kind, children: list[State], expected: State | None) -> None:
    assert settle(kind, children) == expected


def test_ended_states() -> None:
    assert {State.COMPLETED, State.RECALLED} == ENDED
