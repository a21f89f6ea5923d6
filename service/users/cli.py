"""``saraban user …``: accounts from the command line (the operator of the machine acts as administrator)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import select

from service.context import from_env
from service.kit.console import out
from service.models import Membership, User
from service.users.core import create_user, reset_password

cli = typer.Typer(help="Users: create, reset passwords, list.", no_args_is_help=True)


@cli.command("create")
def user_create(
    username: str,
    role: Annotated[list[str], typer.Option(help="UNIT_CODE:ROLE, repeatable (e.g. office:central_clerk)")],
    full_name: Annotated[str, typer.Option()] = "",
    clearance: Annotated[int, typer.Option(min=0, max=3)] = 0,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """Create a user with one or more roles."""
    app = from_env()
    pairs = [tuple(r.split(":", 1)) for r in role]
    if any(len(p) != 2 for p in pairs):
        out.print("[red]--role takes UNIT_CODE:ROLE[/red]")
        raise typer.Exit(2)
    with app.tx() as uow:
        create_user(
            uow.session,
            username=username,
            password=password,
            full_name=full_name,
            clearance=clearance,
            roles=[(u, r) for u, r in pairs],
            now=app.clock(),
            actor_name="cli",
        )
    out.print(f"created {username}")


@cli.command("reset-password")
def user_reset(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """Set a new password, unlock the account and sign out its sessions."""
    app = from_env()
    with app.tx() as uow:
        user = uow.session.exec(select(User).where(User.username == username)).first()
        if user is None or user.id is None:
            out.print(f"[red]no user {username}[/red]")
            raise typer.Exit(1)
        reset_password(uow.session, user_id=user.id, password=password, now=app.clock(), actor_name="cli")
    out.print(f"password of {username} reset")


@cli.command("list")
def user_list() -> None:
    app = from_env()
    with app.tx() as uow:
        for user in uow.session.exec(select(User)):
            roles = [m.role for m in uow.session.exec(select(Membership).where(Membership.user_id == user.id))]
            out.print(f"{user.username:12} clearance={user.clearance} {','.join(roles)}")
