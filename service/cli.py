"""``saraban`` — the command line. Every command reads SARABAN_* settings like the server does.

The root holds what belongs to the installation (serve, demo, the schema); each concept adds its own commands.
"""

from __future__ import annotations

import shutil
import sys
import time
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
from service.integrity.core import clean_leftovers
from service.kit.console import err, out
from service.kit.errors import SarabanError
from service.outgoing.cli import numbers
from service.procedures.cli import cli as procedures_cli
from service.receiving.cli import stamp_job
from service.routing.cli import inbox
from service.serving import UVICORN_OPTIONS, default_workers, serve_supervised
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
cli.command("stamp-job")(stamp_job)


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
    workers: Annotated[
        int | None, typer.Option(help="Server processes (default: one per core, at least 2).", min=1)
    ] = None,
    index_in_process: Annotated[
        bool,
        typer.Option(
            help="One process that also indexes in a thread, instead of the server processes and the "
            "supervised index worker: for debugging."
        ),
    ] = False,
) -> None:
    """Run the web service (API at /api/v1, Thai web UI at /).

    By default: several server processes on one socket and the index worker, as supervised child processes
    (restarted when they die, stopped with the server). SARABAN_INDEX_MODE=worker set explicitly means the
    index worker runs elsewhere (`saraban worker`), so none is started here.
    """
    started = time.time()
    app = from_env()
    if demo:
        seed_demo_if_empty(app)
    # what a crash (kill -9, power loss) left in the scratch directory: older than this process, so no upload
    # of the server about to start (its workers start after this)
    for path in clean_leftovers(app, before=started):
        out.print(f"removed leftover {path}")
    s = app.settings
    h, p = host or s.host, port or s.port
    n = workers or (1 if index_in_process else default_workers())
    for line in missing_tools(ocr=s.ocr != "off"):
        out.print(f"[yellow]{line}[/yellow]")
    if index_in_process:
        if n > 1:
            raise typer.BadParameter("--index-in-process runs one process: use it with --workers 1")
        out.print(
            f"Saraban on http://{h}:{p}  (data: {s.data_dir.resolve()}, db: {s.sqlalchemy_url.split('://')[0]}"
            ", one process, indexing in a thread)"
        )
        s.index_mode = "thread"
        uvicorn.run(create_app(build(s)), host=h, port=p, log_level="warning", **UVICORN_OPTIONS)
        return
    external = s.index_mode == "worker" and "index_mode" in s.model_fields_set
    app.engine.dispose()
    if app.read_engine is not None:
        app.read_engine.dispose()
    out.print(
        f"Saraban on http://{h}:{p}  (data: {s.data_dir.resolve()}, db: {s.sqlalchemy_url.split('://')[0]}, "
        f"{n} server process(es), " + ("index worker run elsewhere" if external else "index worker") + ")"
    )
    sys.exit(serve_supervised(host=h, port=p, workers=n, index_worker=not external, say=out.print))


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
