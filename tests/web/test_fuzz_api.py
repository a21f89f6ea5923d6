"""Schemathesis over the whole OpenAPI as a signed-in clerk, on SQLite and PostgreSQL (issue 10, acceptance 2, the
short form; ``bench/fuzz.py`` is the long one): no server error, and every answer — problem+json included — as
the schema documents it (status codes, content types, headers, bodies). Derandomised: the same cases every run."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient

from service.app import create_app
from tests.conftest import MakeSaraban, login
from tests.fuzzing import run

SECONDS = float(os.environ.get("SARABAN_FUZZ_SECONDS", "60"))


def test_the_api_holds_under_fuzzing(make_saraban: MakeSaraban, any_db: str) -> None:
    app = create_app(make_saraban(any_db))
    with TestClient(app) as c:
        headers = login(c, "central")
    report = run(app, headers, seconds=SECONDS, examples=40, seed=10)
    print(f"{report.cases} cases over {report.operations} operations in {report.seconds:.0f} s: {report.statuses}")
    # every operation had its turn (each operation and mode at least one case; a negative mode may have none to
    # give), however many cases this machine managed in the time
    assert report.operations > 50 and report.cases >= report.operations, report
    assert report.server_errors == 0, "\n".join(report.lines())
    assert not report.findings, "\n".join(report.lines())
