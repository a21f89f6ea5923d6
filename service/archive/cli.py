"""``saraban archive …``: the archive from the command line, acting as a named user (``--as``), whose rights apply
and whose acts are audited like on the web."""

from __future__ import annotations

import resource
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import select

from service.access.rule import Actor
from service.archive import destruction, filing, forms, loans, transfer
from service.archive.stamping import stamp_items
from service.auth.core import load_actor
from service.context import Saraban, from_env
from service.kit.console import out
from service.kit.errors import InvalidInput, NotFound
from service.kit.publicids import NOWHERE
from service.kit.thai import local, parse_date
from service.models import FileCode, RetentionClass, User

cli = typer.Typer(help="The archive: filing, the destruction list, loans, the 20-year transfer.", no_args_is_help=True)

AsUser = Annotated[str, typer.Option("--as", help="The user the command acts as (their rights apply; audited).")]


def _actor(app: Saraban, username: str) -> Actor:
    with app.tx(readonly=True) as uow:
        user = uow.session.exec(select(User).where(User.username == username)).first()
        if user is None or not user.active:
            raise NotFound(f"no active user {username}", thai=f"ไม่พบผู้ใช้ {username}")
        return load_actor(uow.session, user)


@cli.command("items")
def items(as_user: AsUser, state: str = "filed") -> None:
    """List the archive's items."""
    app = from_env()
    actor = _actor(app, as_user)
    with app.tx(readonly=True) as uow:
        rows = filing.list_items(uow.session, actor, state=state or None, limit=10_000)
    for r in rows:
        hold = " [ระงับการทำลาย]" if r["holds"] else ""
        out.print(f"{r['id']:>6}  {r['file_code']:<8} {r['stamp']:<18} {r['subject']}{hold}")
    out.print(f"{len(rows)} item(s)")


@cli.command("file")
def file_letters(
    letter_ids: list[int],
    as_user: AsUser,
    file_code: Annotated[str, typer.Option(help="รหัสแฟ้ม")],
    retention: Annotated[str, typer.Option("--class", help="retention class code (general, permanent, routine …)")],
    location: str = "",
    completed_on: Annotated[str, typer.Option(help="ISO or Thai date; default: the journey's")] = "",
) -> None:
    """File completed letters under a file code and retention class."""
    app = from_env()
    actor = _actor(app, as_user)
    try:
        done_on = parse_date(completed_on) if completed_on else None
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    # the letters as people see them (public ids); one naming nothing is not found like any unseen letter
    internal = [app.public_ids.letters.decode(i) or NOWHERE for i in letter_ids]
    with app.tx() as uow:
        s = uow.session
        fcode = s.exec(select(FileCode).where(FileCode.code == file_code)).first()
        cls = s.exec(select(RetentionClass).where(RetentionClass.code == retention)).first()
        if fcode is None or cls is None or fcode.id is None or cls.id is None:
            raise NotFound("no such file code or retention class", thai="ไม่พบรหัสแฟ้มหรือประเภทอายุการเก็บ")
        made = filing.file_letters(
            s,
            actor=actor,
            filing=filing.Filing(internal, fcode.id, cls.id, location=location, completed_on=done_on),
            now=app.clock(),
            tz=app.settings.timezone,
        )
        ids = [i.id for i in made if i.id is not None]
        uow.after_commit(lambda: stamp_items(app, ids))
        result = [(i.id, i.letter_id, i.keep_until_year) for i in made]
    for item_id, letter_id, year in result:
        shown = app.public_ids.letters.encode(letter_id)
        out.print(f"letter {shown} filed as item {item_id}, kept until {year or 'ห้ามทำลาย'}")


@cli.command("destruction-list")
def destruction_list(as_user: AsUser) -> None:
    """Draw up this year's destruction list (inside SARABAN_DESTRUCTION_WINDOW)."""
    app = from_env()
    actor = _actor(app, as_user)
    with app.tx() as uow:
        lst = destruction.draw_up_list(
            uow.session, actor=actor, window=app.settings.window, now=app.clock(), tz=app.settings.timezone
        )
        assert lst.id is not None
        view = destruction.list_view(uow.session, actor, lst.id, objection_days=app.settings.objection_days)
    out.print(f"destruction list {view['id']} of {view['year']}: {len(view['items'])} item(s)")
    for row in view["items"]:
        out.print(f"{row['position']:>4}  {row['file_code']:<8} {row['letter_no']:<20} {row['subject']}")


@cli.command("overdue")
def overdue(as_user: AsUser) -> None:
    """Loans past their due date."""
    app = from_env()
    actor = _actor(app, as_user)
    with app.tx(readonly=True) as uow:
        rows = loans.list_loans(
            uow.session, actor, today=local(app.clock(), app.settings.timezone).date(), overdue=True
        )
    for r in rows:
        out.print(
            f"loan {r['id']}: {r['borrower_name']} — {r['subject']} (due {r['due_on']}, {r['days_overdue']} days)"
        )
    out.print(f"{len(rows)} overdue loan(s)")


@cli.command("storage-list")
def storage_list(as_user: AsUser, out_file: Annotated[Path, typer.Option("--out")], file_code: str = "") -> None:
    """Print the storage list (บัญชีหนังสือส่งเก็บ) to a PDF file."""
    app = from_env()
    actor = _actor(app, as_user)
    with app.tx() as uow:
        fid = None
        if file_code:
            row = uow.session.exec(select(FileCode).where(FileCode.code == file_code)).first()
            if row is None:
                raise NotFound(f"no file code {file_code}", thai="ไม่พบรหัสแฟ้มนี้")
            fid = row.id
        data = forms.storage_list_pdf(
            uow.session, actor, file_code_id=fid, now=app.clock(), thai_digits=app.settings.stamp_digits == "thai"
        )
    out_file.write_bytes(data)
    out.print(f"wrote {out_file} ({len(data)} bytes)")


@cli.command("package")
def package(list_id: int, as_user: AsUser, out_dir: Annotated[Path, typer.Option("--out")]) -> None:
    """Write a transfer list's BagIt package to a new directory and validate it; prints the peak memory."""
    app = from_env()
    actor = _actor(app, as_user)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux: the high-water mark so far
    bag = transfer.write_package(app, actor, list_id, out_dir)
    files = len(bag.payload_entries())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file())
    out.print(f"package {out_dir}: {files} file(s), {size} bytes, valid")
    print(f"peak RSS {peak / 1024:.0f} MiB (before writing {before / 1024:.0f} MiB)", file=sys.stderr)
