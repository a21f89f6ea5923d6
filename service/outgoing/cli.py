"""``saraban numbers``: the auditors' number report of a registry and year from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from service.context import from_env
from service.edge.params import year_param
from service.edge.publicids import publish
from service.kit.console import err, out
from service.outgoing.numbers import number_report, registry_by_code

STATUS_TH = {
    "issued": "ออกเลข",
    "used": "ใช้เลขที่จอง",
    "reserved": "จองไว้",
    "expired": "จองไว้ หมดอายุ",
    "cancelled": "ยกเลิก",
}


def numbers(
    registry: Annotated[str, typer.Argument(help="The registry's code (e.g. office-send) or id.")],
    year: Annotated[str | None, typer.Option(help="B.E. year (default: this year).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Every number of a registry's year — issued, reserved, used, expired, cancelled, by whom and when — and the
    check: exits non-zero when a number is missing (a gap) or held twice (a duplicate)."""
    app = from_env()
    with app.tx(readonly=True) as uow:
        found = registry_by_code(uow.session, registry)
        report = number_report(
            uow.session, found, year_param(year, app.clock()), now=app.clock(), tz=app.settings.timezone
        )
    if as_json:
        out.print_json(json.dumps(publish(report, app.public_ids), ensure_ascii=False))  # public ids
    else:
        table = Table(title=f"{report['registry']['name']} ({report['registry']['code']}) พ.ศ. {report['year']}")
        for heading in ("เลข", "สถานะ", "ที่", "โดย", "เมื่อ", "เหตุผล"):
            table.add_column(heading)
        for n in report["numbers"]:
            by = n["cancelled_by"] or n["issued_by"] or n["reserved_by"] or ""
            at = n["cancelled_at"] or n["issued_at"] or n["reserved_at"] or ""
            reason = n["cancel_reason"] or n["reason"] or ""
            table.add_row(
                str(n["number"]), STATUS_TH.get(n["status"], n["status"]), n["letter_no"] or "", by, at[:16], reason
            )
        out.print(table)
        out.print(
            f"last number {report['last_number']}; gaps: {report['gaps'] or 'none'}; "
            f"duplicates: {report['duplicates'] or 'none'}; beyond the counter: {report['beyond_counter'] or 'none'}"
        )
    if not report["ok"]:
        err.print("[red]the number series is broken[/red]")
        raise typer.Exit(1)
