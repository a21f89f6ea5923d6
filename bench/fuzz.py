"""Schemathesis over the whole OpenAPI, the long run (issue 10, acceptance 2): every operation, positive and negative
cases, as several demo users in turn (the central clerk, records, a group clerk, the director), checked for server
errors and for conformance to the schema.

    uv run python bench/fuzz.py                                  # SQLite, 300 s
    uv run python bench/fuzz.py --seconds 600 --examples 400
    uv run python bench/fuzz.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

With a PostgreSQL URL a fresh database ``saraban_fuzz_<random>`` is made on that server and dropped afterwards.
Prints the number of cases, the answers by status, and every finding (operation, check, first example as curl);
exits 1 when there is a server error or a finding. The test suite runs the same harness for 60 s per backend
(``tests/web/test_fuzz_api.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("SARABAN_PASSWORD_TIME_COST", "1")  # sign-in is not what is measured
os.environ.setdefault("SARABAN_PASSWORD_MEMORY_KIB", "8")
os.environ.setdefault("SARABAN_PASSWORD_PARALLELISM", "1")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from service.app import create_app  # noqa: E402
from service.config import Settings  # noqa: E402
from service.context import build  # noqa: E402
from service.demo import DEMO_PASSWORD, seed_demo  # noqa: E402
from service.kit.migrate import upgrade  # noqa: E402
from tests.fuzzing import run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--examples", type=int, default=300, help="at most this many cases per operation and mode")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server's URL (default: SQLite)")
    parser.add_argument("--database-prefix", default="saraban_fuzz", help="the fresh PostgreSQL database's prefix")
    parser.add_argument(
        "--users", default="central,records,group,director", help="demo users to fuzz as, the time shared among them"
    )
    args = parser.parse_args()

    admin = None
    url = ""
    if args.database_url:
        name = f"{args.database_prefix}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = args.database_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="saraban-fuzz-")), database_url=url, _env_file=None)
        upgrade(settings.sqlalchemy_url)
        saraban = build(settings, with_indexer=False)
        with saraban.tx() as uow:
            seed_demo(uow.session, now=saraban.clock())
        app = create_app(saraban)
        users = [u for u in args.users.split(",") if u]
        reports = []
        # every user signs in before any fuzzing: the cases include thousands of wrong sign-ins from this one
        # client, which the per-source throttle then refuses (a later sign-in in the loop got 429, no token)
        tokens = {}
        with TestClient(app) as c:
            for user in users:
                r = c.post("/api/v1/auth/token", data={"username": user, "password": DEMO_PASSWORD})
                tokens[user] = r.json()["access_token"]
        for user in users:
            headers = {"Authorization": f"Bearer {tokens[user]}"}
            reports.append(
                (user, run(app, headers, seconds=args.seconds / len(users), examples=args.examples, seed=args.seed))
            )
        saraban.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    backend = "PostgreSQL" if url else "SQLite"
    failed = False
    for user, report in reports:
        print(
            f"{backend} as {user}: {report.cases} cases over {report.operations} operations in {report.seconds:.0f} s; "
            f"server errors: {report.server_errors}; findings: {len(report.findings)}"
        )
        print("  answers by status:", dict(sorted(report.statuses.items())))
        for line in report.lines():
            print("   ", line)
        failed = failed or bool(report.server_errors or report.findings)
    total = sum(r.cases for _, r in reports)
    errors = sum(r.server_errors for _, r in reports)
    print(f"{backend}: {total} cases in all, {errors} server errors")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
