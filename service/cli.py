"""``saraban`` — the command line. Every command reads SARABAN_* settings like the server does.

The root holds what belongs to the installation (serve, demo, the schema); each concept adds its own commands.
"""

from __future__ import annotations

import shutil
import sys
from typing import Annotated

import typer
import uvicorn

from search.extract import ocr_available
from service.app import create_app
from service.archive.cli import cli as archive_cli
from service.audit.cli import cli as audit_cli
from service.context import Saraban, build, from_env
from service.demo import DEMO_PASSWORD, is_empty, seed_demo
from service.indexing.cli import reindex, worker
from service.integrity.cli import verify
from service.kit.console import err, out
from service.kit.errors import SarabanError
from service.outgoing.cli import numbers
from service.procedures.cli import cli as procedures_cli
from service.routing.cli import inbox
from service.users.cli import cli as user_cli

cli = typer.Typer(help="Saraban — ระบบสารบรรณ", no_args_is_help=True, add_completion=False)
db_cli = typer.Typer(help="The database schema.", no_args_is_help=True)
cli.add_typer(user_cli, name="user")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(archive_cli, name="archive")
cli.add_typer(db_cli, name="db")
cli.add_typer(procedures_cli, name="procedures")
cli.command()(verify)
cli.command()(reindex)
cli.command()(worker)
cli.command()(numbers)
cli.command()(inbox)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to the configured database."""
    from_env()
    out.print("database is at the newest schema")


@cli.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Seed the demo office when the database is empty.")] = False,
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[int, typer.Option(help="Server processes (the index has one writer per process).")] = 1,
) -> None:
    """Run the web service (API at /api/v1, Thai web UI at /)."""
    app = from_env()
    if demo:
        seed_demo_if_empty(app)
    s = app.settings
    h, p = host or s.host, port or s.port
    out.print(f"Saraban on http://{h}:{p}  (data: {s.data_dir.resolve()}, db: {s.sqlalchemy_url.split('://')[0]})")
    for line in missing_tools(ocr=s.ocr != "off"):
        out.print(f"[yellow]{line}[/yellow]")
    if workers > 1:
        # A worker loads the PDF and font libraries before it answers uvicorn's health check; on a busy machine
        # that takes longer than uvicorn's 5 s, and the supervisor would restart workers forever.
        uvicorn.run(
            "service.app:app_from_env",
            factory=True,
            host=h,
            port=p,
            workers=workers,
            log_level="warning",
            timeout_worker_healthcheck=120,
        )
    else:
        uvicorn.run(create_app(build(s)), host=h, port=p, log_level="warning")


def missing_tools(*, ocr: bool) -> list[str]:
    """The optional system tools this machine lacks, and what each costs (said at start-up, in Thai and English)."""
    lines = []
    if shutil.which("pdftotext") is None:
        lines.append(
            "ไม่พบ pdftotext (poppler-utils): อ่านข้อความใน PDF ได้ไม่ครบ / pdftotext missing: PDF text is read by "
            "pypdf only, less faithfully (apt-get install poppler-utils)"
        )
    if ocr and not ocr_available():
        lines.append(
            "ไม่พบ tesseract ภาษาไทย: ค้นหาข้อความในเอกสารสแกนไม่ได้ / tesseract with the Thai model missing: scans "
            "will not be searchable (apt-get install tesseract-ocr tesseract-ocr-tha)"
        )
    return lines


def seed_demo_if_empty(app: Saraban) -> None:
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
    seed_demo_if_empty(from_env())


def main() -> None:
    try:
        cli()
    except SarabanError as exc:
        err.print(f"[red]error:[/red] {exc.detail}")
        sys.exit(2)
