"""Procedures over the API: the templates, cases and their steps, the dashboard, the yearly report, the
registers kept by processes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, field_validator

from service.edge.deps import ActorDep, app_of, where
from service.edge.errors import PDF
from service.edge.params import year_param
from service.kit.fields import BeYear, Id, Text
from service.kit.publicids import LetterField
from service.kit.thai import to_arabic_digits
from service.procedures import cases, flow, registers
from service.procedures.report import report_pdf

router = APIRouter(prefix="/api/v1")


@router.get("/procedures")
def procedures(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    with app_of(request).tx(readonly=True) as uow:
        return cases.list_procedures(uow.session)


@router.get("/procedures/{procedure_id}")
def procedure(request: Request, procedure_id: Id, actor: ActorDep) -> dict[str, Any]:
    with app_of(request).tx(readonly=True) as uow:
        return cases.procedure_view(uow.session, cases.get_procedure(uow.session, procedure_id))


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    procedure_id: Id
    year: BeYear
    from_letter_id: LetterField | None = None
    title: Text = ""
    category: Text = ""
    facts: Text = ""
    first_help: Text = ""
    info_source: Text = ""
    reporter: Text = ""

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, value: object) -> object:
        return to_arabic_digits(value).strip() if isinstance(value, str) else value


@router.post("/cases", status_code=201)
def open_case(request: Request, actor: ActorDep, body: CaseIn) -> dict[str, Any]:
    incident = body.model_dump(include=set(cases.INCIDENT_FIELDS))
    return flow.open_case(
        app_of(request),
        actor=actor,
        procedure_id=body.procedure_id,
        year=body.year,
        from_letter_id=body.from_letter_id,
        title=body.title,
        incident=incident,
        where=where(request),
    )


@router.get("/cases")
def case_list(
    request: Request,
    actor: ActorDep,
    procedure_id: Id | None = None,
    year: str | None = None,
    state: str | None = None,
    q: Text = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict[str, Any]:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        y = year_param(year, app.clock()) if year else None
        items = cases.list_cases(uow.session, actor, procedure_id=procedure_id, year=y, state=state, q=q, limit=limit)
    return {"total": len(items), "items": items}


@router.get("/cases/dashboard")
def dashboard(request: Request, actor: ActorDep) -> dict[str, Any]:
    return flow.dashboard(app_of(request), actor=actor)


@router.get("/cases/{case_id}")
def case(request: Request, case_id: Id, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        return cases.case_view(uow.session, actor, case_id, today=cases.today_of(app.clock(), app.settings.timezone))


class LetterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    letter_id: LetterField


@router.post("/cases/{case_id}/steps/{step_id}/letters")
def attach(request: Request, case_id: Id, step_id: Id, actor: ActorDep, body: LetterIn) -> dict[str, Any]:
    return flow.attach(
        app_of(request), actor=actor, case_id=case_id, step_id=step_id, letter_id=body.letter_id, where=where(request)
    )


@router.post("/cases/{case_id}/steps/{step_id}/done")
def done(request: Request, case_id: Id, step_id: Id, actor: ActorDep) -> dict[str, Any]:
    return flow.done(app_of(request), actor=actor, case_id=case_id, step_id=step_id, where=where(request))


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: Text
    summary: Text = ""
    recipients: list[dict[str, Any]] | None = None  # as POST /outgoing; default: the first saved group (schools)


@router.post("/cases/{case_id}/steps/{step_id}/issue", status_code=201)
def issue(request: Request, case_id: Id, step_id: Id, actor: ActorDep, body: IssueIn) -> dict[str, Any]:
    app = app_of(request)
    recipients = body.recipients
    if recipients is None:
        with app.tx(readonly=True) as uow:
            group = cases.default_group(uow.session)
        recipients = [{"group_id": group.id}] if group is not None else []
    return flow.issue(
        app,
        actor=actor,
        case_id=case_id,
        step_id=step_id,
        subject=body.subject,
        summary=body.summary,
        recipients=recipients,
        where=where(request),
    )


@router.get("/procedures/{procedure_id}/report.pdf", response_model=None, responses=PDF)
def report(request: Request, procedure_id: Id, actor: ActorDep, year: str | None = None) -> Response:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        pdf = report_pdf(
            uow.session,
            actor,
            procedure_id,
            year_param(year, app.clock()),
            today=cases.today_of(app.clock(), app.settings.timezone),
            thai_digits=app.settings.stamp_digits == "thai",
        )
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": "inline; filename=report.pdf"})


# ---------------------------------------------------------------------------------------------- registers


@router.get("/procedure-registers/{register}")
def register_list(request: Request, register: str, actor: ActorDep, year: str | None = None) -> dict[str, Any]:
    app = app_of(request)
    with app.tx(readonly=True) as uow:
        y = year_param(year, app.clock()) if year else None
        items = registers.entries(uow.session, actor, register, year=y)
    return {"register": register, "total": len(items), "items": items}


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: BeYear
    name: Text
    school: Text = ""
    detail: Text = ""
    letter_id: LetterField | None = None


@router.post("/procedure-registers/{register}", status_code=201)
def register_add(request: Request, register: str, actor: ActorDep, body: EntryIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        row = registers.add_entry(
            uow.session, actor, register, body.model_dump(), now=app.clock(), where=where(request)
        )
        return registers.entry_view(row)


@router.post("/procedure-registers/{register}/import", status_code=201)
async def register_import(request: Request, register: str, actor: ActorDep) -> dict[str, Any]:
    """A CSV body (UTF-8, heading row: year,name,school,detail,letter_id)."""
    app = app_of(request)
    text = (await request.body()).decode("utf-8-sig", errors="replace")
    with app.tx() as uow:
        n = registers.import_csv(
            uow.session, actor, register, text, now=app.clock(), where=where(request), public_ids=app.public_ids
        )
    return {"register": register, "imported": n}
