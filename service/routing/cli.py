"""``saraban inbox USER``: what waits for a user, from the command line (the operator of the machine reads it)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
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
    out.print(" · ".join(f"{v} {n}" for v, n in page.counts.items()), soft_wrap=True)
    out.print(f"[bold]{username}: {view} ({page.total})[/bold]")
    for row in page.rows:
        i = row.item
        flags = [URGENCY_LABELS[i.urgency_level - 1]] + (["[red]เกินกำหนด[/red]"] if row.overdue else [])
        due = f" · กำหนด {format_thai_datetime(row.deadline, tz=tz)}" if row.deadline else ""
        out.print(
            f"{i.route_id or f'{i.source}:{i.item_id}'}  {' · '.join(flags)} · {escape(i.subject)}"
            f" (หนังสือ {app.public_ids.letters.encode(i.letter_id)})"
            f" — {i.waiting}: {escape(i.from_name)} → {escape(i.to_name)}"
            f" · ส่ง {format_thai_datetime(i.routed_at, tz=tz)}{due}",
            soft_wrap=True,
        )
        if i.returned_reason:
            out.print(f"    [yellow]ส่งคืน: {escape(i.returned_reason)}[/yellow]", soft_wrap=True)
