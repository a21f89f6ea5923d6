"""``saraban audit …``: the audit trail from the command line."""

from __future__ import annotations

import typer

from service.audit.chain import verify_chain
from service.context import from_env
from service.kit.console import out

cli = typer.Typer(help="The audit trail.", no_args_is_help=True)


@cli.command("verify")
def audit_verify() -> None:
    """Walk the hash chain and its keyed checkpoints and name the first broken link.

    The walk reads a snapshot up to the head it saw (a read-only transaction): registrations go on meanwhile.
    """
    app = from_env()
    with app.tx(readonly=True) as uow:
        report = verify_chain(uow.session, app.audit_key)
    if report.ok:
        out.print(f"audit chain intact: {report.events} event(s)")
        return
    out.print(f"[red]audit chain broken[/red]: {report.problem}")
    raise typer.Exit(1)
