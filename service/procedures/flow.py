"""The procedure acts end to end, each in its own transaction (API, pages and command line call these)."""

from __future__ import annotations

from typing import Any

from service import audit
from service.access.rule import Actor
from service.context import Saraban
from service.procedures import cases


def _today(app: Saraban) -> Any:
    return cases.today_of(app.clock(), app.settings.timezone)


def open_case(
    app: Saraban,
    *,
    actor: Actor,
    procedure_id: int,
    year: int,
    from_letter_id: int | None,
    title: str = "",
    incident: dict[str, Any] | None = None,
    where: audit.Where | None = None,
) -> dict[str, Any]:
    with app.tx() as uow:
        case = cases.open_case(
            uow.session,
            actor,
            procedure_id=procedure_id,
            year=year,
            from_letter_id=from_letter_id,
            now=app.clock(),
            tz=app.settings.timezone,
            title=title,
            incident=incident,
            where=where,
        )
        assert case.id is not None
        return cases.case_view(uow.session, actor, case.id, today=_today(app))


def attach(
    app: Saraban, *, actor: Actor, case_id: int, step_id: int, letter_id: int, where: audit.Where | None = None
) -> dict[str, Any]:
    with app.tx() as uow:
        cases.attach_letter(uow.session, actor, case_id, step_id, letter_id, now=app.clock(), where=where)
        return cases.case_view(uow.session, actor, case_id, today=_today(app))


def done(app: Saraban, *, actor: Actor, case_id: int, step_id: int, where: audit.Where | None = None) -> dict[str, Any]:
    with app.tx() as uow:
        cases.mark_done(uow.session, actor, case_id, step_id, now=app.clock(), tz=app.settings.timezone, where=where)
        return cases.case_view(uow.session, actor, case_id, today=_today(app))


def issue(
    app: Saraban,
    *,
    actor: Actor,
    case_id: int,
    step_id: int,
    subject: str,
    recipients: list[dict[str, Any]],
    summary: str = "",
    where: audit.Where | None = None,
) -> dict[str, Any]:
    """The step's letter drafted and numbered in one transaction; indexed for search after it commits."""
    with app.tx() as uow:
        letter, letter_no = cases.issue_from_step(
            uow.session,
            actor,
            case_id,
            step_id,
            subject=subject,
            recipients=recipients,
            summary=summary,
            now=app.clock(),
            thai_digits=app.settings.stamp_digits == "thai",
            tz=app.settings.timezone,
            where=where,
        )
        letter_id = letter.id
        assert letter_id is not None
        if app.indexer is not None:
            indexer = app.indexer
            uow.after_commit(lambda: indexer.enqueue(letter_id))
        view = cases.case_view(uow.session, actor, case_id, today=_today(app))
    return {"letter_id": letter_id, "letter_no": letter_no, "case": view}


def dashboard(app: Saraban, *, actor: Actor) -> dict[str, Any]:
    with app.tx(readonly=True) as uow:
        return cases.dashboard(uow.session, actor, today=_today(app))
