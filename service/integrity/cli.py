"""``saraban verify``: fixity of every stored file, orphans listed, missing stamped copies re-made on request."""

from __future__ import annotations

from typing import Annotated

import typer

from service.context import from_env
from service.integrity.core import verify_store
from service.kit.console import out
from service.receiving.flow import restamp_missing


def verify(repair: Annotated[bool, typer.Option(help="Re-create missing stamped copies.")] = False) -> None:
    """Check that every stored file is present with its recorded hash; list orphan objects."""
    app = from_env()
    if repair:
        restamped = restamp_missing(app)
        for line in restamped.failed:
            out.print(f"[yellow]not stamped[/yellow] {line}")
        out.print(f"re-stamped {restamped.stamped} attachment(s), {len(restamped.failed)} could not be stamped")
    report = verify_store(app)
    for line in report.problems:
        out.print(f"[red]PROBLEM[/red] {line}")
    for key in report.orphans:
        out.print(f"[yellow]orphan[/yellow] {key}")
    out.print(f"checked {report.checked} object(s): {len(report.problems)} problem(s), {len(report.orphans)} orphan(s)")
    raise typer.Exit(1 if report.problems else 0)
