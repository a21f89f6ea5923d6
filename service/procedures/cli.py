"""``saraban procedures …``: the procedure templates (list, import, export), the yearly report, the dashboard and
the registers kept by processes from the command line. Acts on cases and registers run as a named user
(``--as``), whose rights apply and whose acts are audited like on the web; importing templates is the
installation operator's (or ``--as`` an administrator)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import select

from service.access.rule import Actor
from service.auth.core import load_actor
from service.context import Saraban, from_env
from service.edge.params import year_param
from service.kit.console import out
from service.kit.errors import NotFound
from service.models import Procedure, User
from service.procedures import cases, registers
from service.procedures.catalog import export_templates, import_templates
from service.procedures.report import report_pdf

cli = typer.Typer(help="Work processes (กระบวนงาน): templates, cases, yearly reports, registers.", no_args_is_help=True)

AsUser = Annotated[str, typer.Option("--as", help="The user the command acts as (their rights apply; audited).")]


def _actor(app: Saraban, username: str) -> Actor:
    with app.tx(readonly=True) as uow:
        user = uow.session.exec(select(User).where(User.username == username)).first()
        if user is None or not user.active:
            raise NotFound(f"no active user {username}", thai=f"ไม่พบผู้ใช้ {username}")
        return load_actor(uow.session, user)


def _procedure_id(app: Saraban, code: str) -> int:
    with app.tx(readonly=True) as uow:
        p = uow.session.exec(select(Procedure).where(Procedure.code == code)).first()
        if p is None and code.isdigit():
            p = uow.session.get(Procedure, int(code))
        if p is None or p.id is None:
            raise NotFound(f"no procedure {code}", thai=f"ไม่พบกระบวนงาน {code}")
        return p.id


@cli.command("list")
def list_templates() -> None:
    """The templates with their steps' count."""
    app = from_env()
    with app.tx(readonly=True) as uow:
        items = cases.list_procedures(uow.session)
    for p in items:
        mark = " [ลับ]" if p["confidential"] else ""
        out.print(f"{p['id']:>3}  {p['code']:<22} {len(p['steps']):>2} ขั้นตอน  {p['name']}{mark}")


@cli.command("export")
def export(
    out_file: Annotated[Path | None, typer.Argument(help="Write here (default: standard output).")] = None,
) -> None:
    """The database's templates as TOML (edit, then ``import``)."""
    app = from_env()
    with app.tx(readonly=True) as uow:
        text = export_templates(uow.session)
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text, encoding="utf-8")
        out.print(f"written {out_file}")


@cli.command("import")
def import_(
    in_file: Annotated[Path, typer.Argument(help="A TOML file of [[procedure]] templates.")],
    as_user: Annotated[str, typer.Option("--as", help="An administrator to record as the importer.")] = "",
) -> None:
    """Add or replace templates (by code); running cases keep the steps they were opened with. Audited."""
    app = from_env()
    actor = _actor(app, as_user) if as_user else None
    text = in_file.read_text(encoding="utf-8")
    with app.tx() as uow:
        result = import_templates(uow.session, actor, text, now=app.clock())
    out.print(f"added: {', '.join(result['added']) or '-'}; replaced: {', '.join(result['replaced']) or '-'}")


@cli.command("report")
def report(
    procedure: Annotated[str, typer.Argument(help="The procedure's code (e.g. welfare) or id.")],
    as_user: AsUser,
    out_file: Annotated[Path, typer.Option("--out")],
    year: Annotated[str | None, typer.Option(help="B.E. year (default: this year).")] = None,
) -> None:
    """The yearly report (แบบฟอร์มสรุปมาตรฐานงาน with the year's cases) as PDF; only cases the user may read."""
    app = from_env()
    actor = _actor(app, as_user)
    pid = _procedure_id(app, procedure)
    with app.tx(readonly=True) as uow:
        pdf = report_pdf(
            uow.session,
            actor,
            pid,
            year_param(year, app.clock()),
            today=cases.today_of(app.clock(), app.settings.timezone),
            thai_digits=app.settings.stamp_digits == "thai",
        )
    out_file.write_bytes(pdf)
    out.print(f"written {out_file} ({len(pdf)} bytes)")


@cli.command("dashboard")
def dashboard(as_user: AsUser, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Cases in progress, steps overdue, steps due within seven days (the user's readable cases)."""
    app = from_env()
    actor = _actor(app, as_user)
    with app.tx(readonly=True) as uow:
        board = cases.dashboard(uow.session, actor, today=cases.today_of(app.clock(), app.settings.timezone))
    if as_json:
        out.print_json(json.dumps(board, ensure_ascii=False))
        return
    c = board["counts"]
    out.print(f"กำลังดำเนินการ {c['in_progress']} · เกินกำหนด {c['overdue']} · ครบกำหนดใน 7 วัน {c['due_this_week']}")
    for s in board["overdue"]:
        out.print(f"  [red]เกินกำหนด {s['days_late']} วัน[/red] #{s['case_id']} {s['procedure']} ขั้นตอนที่ {s['no']}")


@cli.command("register-import")
def register_import(
    register: Annotated[str, typer.Argument(help="school_board | disadvantaged_children | learning_resources")],
    in_file: Annotated[Path, typer.Argument(help="CSV with the heading year,name,school,detail,letter_id")],
    as_user: AsUser,
) -> None:
    """Import rows into a register kept by a process (all or nothing; audited)."""
    app = from_env()
    actor = _actor(app, as_user)
    text = in_file.read_text(encoding="utf-8-sig")
    with app.tx() as uow:
        n = registers.import_csv(uow.session, actor, register, text, now=app.clock(), public_ids=app.public_ids)
    out.print(f"imported {n} row(s) into {register}")
