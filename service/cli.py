"""``saraban`` — the command line. Every command reads SARABAN_* settings like the server does."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from service.config import Settings

cli = typer.Typer(help="Saraban — ระบบสารบรรณ", no_args_is_help=True, add_completion=False)
user_cli = typer.Typer(help="Users: create, reset passwords, list.", no_args_is_help=True)
audit_cli = typer.Typer(help="The audit trail.", no_args_is_help=True)
db_cli = typer.Typer(help="The database schema.", no_args_is_help=True)
cli.add_typer(user_cli, name="user")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(db_cli, name="db")
out = Console()


def _context(*, with_indexer: bool = False):  # type: ignore[no-untyped-def]
    from service.context import build
    from service.migrate import upgrade

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.sqlalchemy_url)
    return build(settings, with_indexer=with_indexer)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to the configured database."""
    _context()
    out.print("database is at the newest schema")


@cli.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Seed the demo office when the database is empty.")] = False,
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[int, typer.Option(help="Server processes (the index has one writer per process).")] = 1,
) -> None:
    """Run the web service (API at /api/v1, Thai web UI at /)."""
    import uvicorn

    app = _context()
    if demo:
        seed_demo_if_empty(app)
    s = app.settings
    h, p = host or s.host, port or s.port
    out.print(f"Saraban on http://{h}:{p}  (data: {s.data_dir.resolve()}, db: {s.sqlalchemy_url.split('://')[0]})")
    if workers > 1:
        uvicorn.run("service.app:app_from_env", factory=True, host=h, port=p, workers=workers, log_level="warning")
    else:
        from service.app import create_app
        from service.context import build

        uvicorn.run(create_app(build(s)), host=h, port=p, log_level="warning")


def seed_demo_if_empty(app) -> None:  # type: ignore[no-untyped-def]
    from service.demo import DEMO_PASSWORD, is_empty, seed_demo

    with app.tx() as uow:
        if not is_empty(uow.session):
            out.print("demo: the database already has users; nothing seeded")
            return
        users = seed_demo(uow.session, now=app.clock())
    out.print(
        "[bold]Demo office seeded[/bold] (สพป.ขอนแก่น เขต ๕). Users, all with the password "
        f"[bold]{DEMO_PASSWORD}[/bold]:"
    )
    for username, roles in users:
        out.print(f"  {username:10} {roles}")


@cli.command()
def demo() -> None:
    """Seed the demo office into an empty database (refused otherwise)."""
    seed_demo_if_empty(_context())


@cli.command()
def verify(repair: Annotated[bool, typer.Option(help="Re-create missing stamped copies.")] = False) -> None:
    """Check that every stored file is present with its recorded hash; list orphan objects."""
    from service.integrity import verify_store

    app = _context()
    if repair:
        from service.receiving import restamp_missing

        out.print(f"re-stamped {restamp_missing(app)} attachment(s)")
    report = verify_store(app)
    for line in report.problems:
        out.print(f"[red]PROBLEM[/red] {line}")
    for key in report.orphans:
        out.print(f"[yellow]orphan[/yellow] {key}")
    out.print(f"checked {report.checked} object(s): {len(report.problems)} problem(s), {len(report.orphans)} orphan(s)")
    raise typer.Exit(1 if report.problems else 0)


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the hash chain and name the first broken link."""
    from service.audit import verify_chain

    app = _context()
    with app.tx() as uow:
        report = verify_chain(uow.session)
    if report.ok:
        out.print(f"audit chain intact: {report.events} event(s)")
        return
    out.print(f"[red]audit chain broken[/red]: {report.problem}")
    raise typer.Exit(1)


@cli.command()
def reindex(resume: Annotated[bool, typer.Option(help="Keep what is indexed; add what is missing.")] = False) -> None:
    """Rebuild the search index from the database and the stored originals."""
    from search import SearchIndex
    from service.indexing import reindex as run

    app = _context()
    index = SearchIndex(app.settings.index_path)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=out,
    ) as progress:
        task = progress.add_task("indexing", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        done = run(app, index, resume=resume, progress=tick)
    index.close()
    out.print(f"indexed {done} letter(s)")


@cli.command()
def worker(
    once: Annotated[bool, typer.Option(help="Index what is pending, then stop.")] = False,
    nice: Annotated[int, typer.Option(min=0, max=19, help="Lower the worker's CPU priority by this much.")] = 10,
) -> None:
    """Index pending letters (for SARABAN_INDEX_MODE=worker, where servers do not index themselves).

    Indexing is background work: on a machine it shares with the server it yields the CPU to registrations
    (``--nice``) and catches up in the gaps; the database holds what is pending, so nothing waits on it.
    """
    from search import SearchIndex
    from search.thai import load_dictionary
    from service.indexing import run_worker

    if nice:
        os.nice(nice)
    app = _context()
    index = SearchIndex(app.settings.index_path)
    load_dictionary()
    out.print("indexing worker started" + (" (once)" if once else ""))
    try:
        done = run_worker(app, index, once=once)
    except KeyboardInterrupt:
        done = 0
    index.close()
    out.print(f"indexed {done} letter(s)")


@user_cli.command("create")
def user_create(
    username: str,
    role: Annotated[list[str], typer.Option(help="UNIT_CODE:ROLE, repeatable (e.g. office:central_clerk)")],
    full_name: Annotated[str, typer.Option()] = "",
    clearance: Annotated[int, typer.Option(min=0, max=3)] = 0,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """Create a user with one or more roles."""
    from service.users import create_user

    app = _context()
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


@user_cli.command("reset-password")
def user_reset(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """Set a new password, unlock the account and sign out its sessions."""
    from sqlmodel import select

    from service.models import User
    from service.users import reset_password

    app = _context()
    with app.tx() as uow:
        user = uow.session.exec(select(User).where(User.username == username)).first()
        if user is None:
            out.print(f"[red]no user {username}[/red]")
            raise typer.Exit(1)
        reset_password(uow.session, user=user, password=password, now=app.clock(), actor_name="cli")
    out.print(f"password of {username} reset")


@user_cli.command("list")
def user_list() -> None:
    from sqlmodel import select

    from service.models import Membership, User

    app = _context()
    with app.tx() as uow:
        for user in uow.session.exec(select(User)):
            roles = [m.role for m in uow.session.exec(select(Membership).where(Membership.user_id == user.id))]
            out.print(f"{user.username:12} clearance={user.clearance} {','.join(roles)}")


def main() -> None:
    from service.errors import SarabanError

    try:
        cli()
    except SarabanError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc.detail}")
        sys.exit(2)
