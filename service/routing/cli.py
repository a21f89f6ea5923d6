"""``saraban inbox USER``: what waits for a user, from the command line (the operator of the machine reads it)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import select

from service.access.roles import URGENCY_LABELS
from service.auth.core import load_actor
from service.context import from_env
from service.kit.console import out
from service.kit.thai import format_thai_datetime
from service.models import User
from service.routing.inbox import VIEWS, calendar_from
from service.routing.inbox import inbox as read_inbox


def inbox(
    username: str,
    view: Annotated[
        str, typer.Option(help="all, register, acknowledge, act, returned, overdue, older, following")
    ] = "all",
    days: Annotated[int, typer.Option(help="for --view older: more than this many days old")] = 3,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """What waits for USER (as a person and as a clerk of their units): counts per view and the items of one."""
    if view not in VIEWS:
        out.print(f"[red]unknown view {view}[/red]; one of {', '.join(VIEWS)}")
        raise typer.Exit(2)
    app = from_env()
    now = app.clock()
    with app.tx(readonly=True) as uow:
        user = uow.session.exec(select(User).where(User.username == username)).first()
        if user is None:
            out.print(f"[red]no user {username}[/red]")
            raise typer.Exit(1)
        actor = load_actor(uow.session, user)
        page = read_inbox(
            uow.session,
            actor,
            view=view,
            now=now,
            calendar=calendar_from(app.settings),
            older_than_days=days,
            limit=limit,
        )
    tz = app.settings.timezone
    out.print(" · ".join(f"{v} {n}" for v, n in page.counts.items()))
    table = Table(title=f"{username}: {view} ({page.total})")
    for heading in ("route", "letter", "urgency", "subject", "waiting", "from → to", "routed", "deadline", "late"):
        table.add_column(heading)
    for row in page.rows:
        i = row.item
        table.add_row(
            str(i.route_id or f"{i.source}:{i.item_id}"),
            str(i.letter_id),
            URGENCY_LABELS[i.urgency_level - 1],
            i.subject + (f"\n[yellow]ส่งคืน: {i.returned_reason}[/yellow]" if i.returned_reason else ""),
            i.waiting,
            f"{i.from_name} → {i.to_name}",
            format_thai_datetime(i.routed_at, tz=tz),
            format_thai_datetime(row.deadline, tz=tz) if row.deadline else "",
            "[red]เกินกำหนด[/red]" if row.overdue else "",
        )
    out.print(table)
