"""The deployed shape: PostgreSQL + an S3 object store (moto's real HTTP server), the app over real HTTP.

receive -> download the original -> download the stamped copy -> `saraban verify`, then damage the bucket and
see verify name the attachment.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from service.context import Saraban
from service.demo import DEMO_PASSWORD
from service.integrity.core import verify_store
from storage import S3Store
from tests.cli import run_saraban
from tests.conftest import LiveServer
from tests.samples import corrupt_pdf, letter_jpeg, thai_letter_pdf

pytestmark = [pytest.mark.s3, pytest.mark.postgres]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def s3_settings(s3_server: dict[str, str]) -> dict[str, Any]:
    return {
        "store": "s3",
        "s3_endpoint": s3_server["endpoint"],
        "s3_access_key": s3_server["access_key"],
        "s3_secret_key": s3_server["secret_key"],
        "s3_bucket": f"saraban-{uuid.uuid4().hex[:16]}",
        "s3_secure": False,
    }


def cli_env(app: Saraban, pg_url: str, settings: dict[str, Any]) -> dict[str, str]:
    return {
        "SARABAN_DATA_DIR": str(app.settings.data_dir.resolve()),
        "SARABAN_DATABASE_URL": pg_url,
        "SARABAN_STORE": "s3",
        "SARABAN_S3_ENDPOINT": settings["s3_endpoint"],
        "SARABAN_S3_ACCESS_KEY": settings["s3_access_key"],
        "SARABAN_S3_SECRET_KEY": settings["s3_secret_key"],
        "SARABAN_S3_BUCKET": settings["s3_bucket"],
        "SARABAN_S3_SECURE": "false",
        "COLUMNS": "400",
        "NO_COLOR": "1",
    }


def test_receive_download_stamp_verify_on_postgres_and_s3(
    live_server: Callable[..., LiveServer], pg_url: str, s3_server: dict[str, str], tmp_path: Path
) -> None:
    settings = s3_settings(s3_server)
    server = live_server(pg_url, **settings)
    app: Saraban = server.server.config.app.state.saraban
    assert isinstance(app.store, S3Store)
    assert app.engine.dialect.name == "postgresql"

    with httpx.Client(base_url=server.url, timeout=120) as http:
        r = http.post("/api/v1/auth/token", data={"username": "central", "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        reg = next(x["id"] for x in http.get("/api/v1/registries").json() if x["code"] == "central")

        pdf, jpeg = thai_letter_pdf(pages=3), letter_jpeg()
        meta = {
            "letter_no": "ศธ ๐๔๐๔๕/๑๒๓",
            "letter_date": "๒๓ มีนาคม ๒๕๖๕",
            "sender": "สพฐ.",
            "subject": "ขอความอนุเคราะห์ข้อมูลนักเรียนทุนการศึกษา",
        }
        r = http.post(
            f"/api/v1/registries/{reg}/receive",
            files=[
                ("meta", (None, json.dumps(meta, ensure_ascii=False))),
                ("files", ("letter.pdf", pdf, "application/pdf")),
                ("files", ("scan.jpg", jpeg, "image/jpeg")),
            ],
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["registration"]["number"] == 1
        att_pdf, att_jpeg = body["attachments"]
        assert (att_pdf["sha256"], att_jpeg["sha256"]) == (sha(pdf), sha(jpeg))
        assert att_pdf["stamped_id"] is not None and att_jpeg["stamped_id"] is None

        # originals come back byte for byte, streamed from the bucket
        for att, data in ((att_pdf, pdf), (att_jpeg, jpeg)):
            got = http.get(f"/api/v1/attachments/{att['id']}/content")
            assert got.status_code == 200, got.text
            assert got.headers["content-length"] == str(len(data))
            assert sha(got.content) == sha(data)

        stamped = http.get(f"/api/v1/attachments/{att_pdf['id']}/stamped")
        assert stamped.status_code == 200, stamped.text
        assert stamped.content.startswith(pdf)
        reader = PdfReader(io.BytesIO(stamped.content))
        assert len(reader.pages) == 3
        assert "เลขรับ" in reader.pages[0].extract_text()
        assert "เลขรับ" not in reader.pages[1].extract_text()

        letter = http.get(f"/api/v1/letters/{body['letter_id']}").json()
        assert letter["letter_date"] == "2022-03-23"
        assert letter["letter_no_normalised"] == "ศธ04045/123"

        # everything is in the bucket, and nothing else
        stamped_sha = att_pdf["stamped_sha256"]
        keys = set(app.store.keys())
        assert keys == {sha(pdf), sha(jpeg), stamped_sha}
        assert app.store.hash_of(sha(pdf)) == sha(pdf)
        assert not any(app.tmp_dir.rglob("*")) if app.tmp_dir.exists() else True

        # a bad upload adds no object and no number
        r = http.post(
            f"/api/v1/registries/{reg}/receive",
            files=[
                ("meta", (None, json.dumps(meta, ensure_ascii=False))),
                ("files", ("ok.pdf", thai_letter_pdf(pages=1, subject="อีกฉบับ"), "application/pdf")),
                ("files", ("broken.pdf", corrupt_pdf(), "application/pdf")),
            ],
        )
        assert r.status_code == 415 and r.json()["code"] == "invalid_file", r.text
        assert set(app.store.keys()) == keys
        r = http.post(f"/api/v1/registries/{reg}/receive", files=[("meta", (None, json.dumps(meta)))])
        assert r.status_code == 201 and r.json()["registration"]["number"] == 2, r.text

    report = verify_store(app)
    assert report.problems == [] and report.orphans == [] and report.checked == 3

    env = cli_env(app, pg_url, settings)
    run = run_saraban(["verify"], env=env, cwd=tmp_path)  # the command line, in this process (tests/cli.py)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "checked 3 object(s): 0 problem(s), 0 orphan(s)" in run.stdout

    # damage: the original disappears from the bucket, a stray object appears
    app.store.delete(sha(pdf))
    stray = app.store.put_bytes(b"not referenced by anything")
    run = run_saraban(["verify"], env=env, cwd=tmp_path)
    out = run.stdout + run.stderr
    assert run.returncode != 0, out
    [problem] = [line for line in out.splitlines() if "PROBLEM" in line]
    assert f"attachment {att_pdf['id']} (letter.pdf)" in problem and "missing" in problem
    assert any("orphan" in line and stray in line for line in out.splitlines()), out
