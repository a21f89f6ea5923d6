"""``saraban verify``: fixity of every stored file, orphans listed, stamps checked, crash leftovers listed; missing
stamped copies re-made and leftovers removed on request; ``--sample N`` for a quick periodic check."""

from __future__ import annotations

from typing import Annotated

import typer

from service.context import from_env
from service.integrity.core import clean_leftovers, verify_store
from service.kit.console import out
from service.receiving.flow import restamp_missing


def verify(
    repair: Annotated[
        bool, typer.Option(help="Re-create missing stamped copies (within the stamp's budgets); remove leftovers.")
    ] = False,
    sample: Annotated[
        int | None, typer.Option(help="Check only the hashes of this many objects picked at random.", min=0)
    ] = None,
) -> None:
    """Check that every stored file is present with its recorded hash; list orphan objects, unstamped main
    documents and what a crash left in the scratch directory."""
    app = from_env()
    if repair and sample is None:
        restamped = restamp_missing(app)
        for line in restamped.failed:
            out.print(f"[yellow]not stamped[/yellow] {line}")
        out.print(f"re-stamped {restamped.stamped} attachment(s), {len(restamped.failed)} could not be stamped")
        for path in clean_leftovers(app):
            out.print(f"removed leftover {path}")
    report = verify_store(app, sample=sample)
    for line in report.problems:
        out.print(f"[red]PROBLEM[/red] {line}")
    for key in report.orphans:
        out.print(f"[yellow]orphan[/yellow] {key}")
    for line in report.unstamped:
        out.print(f"[yellow]unstamped[/yellow] {line}")
    for line in report.leftovers:
        out.print(f"[yellow]leftover[/yellow] {line}")
    if sample is not None:
        out.print(f"checked a sample of {report.checked} object(s): {len(report.problems)} problem(s)")
    else:
        out.print(
            f"checked {report.checked} object(s): {len(report.problems)} problem(s), {len(report.orphans)} orphan(s)"
            + (f", {len(report.leftovers)} leftover(s)" if report.leftovers else "")
        )
    raise typer.Exit(1 if report.problems else 0)
