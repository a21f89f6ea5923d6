"""``saraban verify`` after crashes (issue 10, findings 7 and 16): a main document without its stamp or with two is
a problem; ``--repair`` goes on past a file it cannot stamp and says so; leftovers of a crash are listed and
removed; ``--sample N`` checks N objects picked at random."""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from service.app import create_app
from service.context import Saraban
from service.integrity.core import clean_leftovers
from service.models import Attachment, Rendition
from service.receiving.stamp import ReceiveStamp, stamp_pdf_to
from tests.conftest import MakeSaraban, login, registry_id
from tests.integration.test_verify import verify
from tests.publicids import internal_attachment_id
from tests.samples import letter_png, thai_letter_pdf


@dataclass
class Letter:
    letter_id: int
    attachment_id: int
    sha256: str
    stamped_sha256: str


def _register(app: Saraban, name: str, data: bytes, ctype: str) -> Letter:
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        r = client.post(
            f"/api/v1/registries/{reg}/receive",
            headers=h,
            files=[
                ("meta", (None, json.dumps({"sender": "สพฐ.", "subject": name}))),
                ("files", (name, data, ctype)),
            ],
        )
        assert r.status_code == 201, r.text
        att = r.json()["attachments"][0]
        return Letter(r.json()["letter_id"], att["id"], att["sha256"], att["stamped_sha256"])


@pytest.fixture
def app(make_saraban: MakeSaraban) -> Saraban:
    return make_saraban()


def _drop_stamp(app: Saraban, attachment_id: int) -> None:
    """As a crash between the commit and the stamp leaves it (``attachment_id``: the API's public id)."""
    attachment_id = internal_attachment_id(app, attachment_id)
    with app.tx() as uow:
        for r in uow.session.exec(select(Rendition).where(Rendition.attachment_id == attachment_id)):
            uow.session.delete(r)


def test_a_main_document_without_its_stamp_is_a_problem_until_repaired(app: Saraban, tmp_path: Path) -> None:
    letter = _register(app, "a.pdf", thai_letter_pdf(pages=1), "application/pdf")
    _drop_stamp(app, letter.attachment_id)
    run = verify(app, tmp_path)
    assert run.code != 0, run.out
    assert f"attachment {letter.attachment_id} (a.pdf) of letter {letter.letter_id}: the main document lacks" in run.out
    assert verify(app, tmp_path, "--repair").code == 0
    assert verify(app, tmp_path).code == 0


def test_a_stamped_copy_with_two_stamps_is_a_problem(app: Saraban, tmp_path: Path) -> None:
    letter = _register(app, "a.pdf", thai_letter_pdf(pages=1), "application/pdf")
    twice = io.BytesIO()
    with app.store.local_path(letter.stamped_sha256) as once:
        stamp_pdf_to(once, twice, ReceiveStamp("สพป.", 2, app.clock()))
    sha = app.store.put_bytes(twice.getvalue())
    with app.tx() as uow:
        rendition = uow.session.exec(
            select(Rendition).where(Rendition.attachment_id == internal_attachment_id(app, letter.attachment_id))
        ).one()
        rendition.sha256, rendition.size = sha, len(twice.getvalue())
        uow.session.add(rendition)
    app.store.delete(letter.stamped_sha256)
    run = verify(app, tmp_path)
    assert run.code != 0, run.out
    assert "carries 2 stamps" in run.out


def test_a_stamped_image_has_one_stamp(app: Saraban, tmp_path: Path) -> None:
    _register(app, "scan.png", letter_png(), "image/png")
    run = verify(app, tmp_path)
    assert run.code == 0, run.out


def test_repair_goes_on_past_a_file_it_cannot_stamp(app: Saraban, tmp_path: Path) -> None:
    """An 8-byte PNG signature stored before uploads were checked: --repair reports it and stamps the rest."""
    bad = _register(app, "scan.png", letter_png(), "image/png")
    good = _register(app, "b.pdf", thai_letter_pdf(pages=1), "application/pdf")
    signature = b"\x89PNG\r\n\x1a\n"
    sha = app.store.put_bytes(signature)
    with app.tx() as uow:
        att = uow.session.get(Attachment, internal_attachment_id(app, bad.attachment_id))
        assert att is not None
        att.sha256, att.size = sha, len(signature)
        uow.session.add(att)
    _drop_stamp(app, bad.attachment_id)
    _drop_stamp(app, good.attachment_id)
    run = verify(app, tmp_path, "--repair")
    assert "re-stamped 1 attachment(s), 1 could not be stamped" in run.out, run.out
    assert f"not stamped attachment {bad.attachment_id}: unstampable" in run.out
    assert run.code == 0, run.out
    after = verify(app, tmp_path)
    assert f"unstamped attachment {bad.attachment_id} (scan.png)" in after.out
    assert "0 problem(s)" in after.out


def test_leftovers_of_a_crash_are_listed_and_removed(app: Saraban, tmp_path: Path) -> None:
    _register(app, "a.pdf", thai_letter_pdf(pages=1), "application/pdf")
    app.tmp_dir.mkdir(parents=True, exist_ok=True)
    stale = app.tmp_dir / "staged-abc123.part"
    stale.write_bytes(b"x" * 1000)
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    fresh = app.tmp_dir / "staged-inflight.part"  # an upload in progress
    fresh.write_bytes(b"y")
    run = verify(app, tmp_path)
    assert run.code == 0, run.out
    assert f"leftover {stale} (1000 bytes" in run.out
    assert "inflight" not in run.out
    assert "1 leftover(s)" in run.out
    run = verify(app, tmp_path, "--repair")
    assert f"removed leftover {stale}" in run.out
    assert not stale.exists() and fresh.exists()


def test_leftovers_older_than_the_process_are_cleaned(app: Saraban) -> None:
    app.tmp_dir.mkdir(parents=True, exist_ok=True)
    old = app.tmp_dir / "staged-old.part"
    old.write_bytes(b"x")
    os.utime(old, (time.time() - 5, time.time() - 5))
    assert clean_leftovers(app, before=time.time() - 1) == [old]
    assert not old.exists()


def test_sample_checks_that_many_objects(app: Saraban, tmp_path: Path) -> None:
    letter = _register(app, "a.pdf", thai_letter_pdf(pages=1), "application/pdf")
    run = verify(app, tmp_path, "--sample", "1")
    assert run.code == 0 and "checked a sample of 1 object(s): 0 problem(s)" in run.out, run.out
    path = app.settings.store_path / letter.sha256[:2] / letter.sha256[2:4] / letter.sha256
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    run = verify(app, tmp_path, "--sample", "5")  # more than there are: every object
    assert run.code != 0, run.out
    assert "checked a sample of 2 object(s): 1 problem(s)" in run.out
    assert "altered" in run.out
