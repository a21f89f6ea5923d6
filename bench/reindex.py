"""Rebuild benchmark: `saraban reindex` (``Replica.rebuild``) over a PostgreSQL database loaded as bench/scale.py
loads it, in letters per second and CPU per letter.

    uv run python bench/reindex.py --n 20000                    # load scale_bench_20k, rebuild, drop it
    uv run python bench/reindex.py --n 20000 --keep             # keep the database for later runs
    uv run python bench/reindex.py --n 20000 --reuse --procs 1  # rebuild from the kept database again

The rebuild runs in this process exactly as ``saraban reindex`` runs it (claims, statuses, the cursor file, the
node's heartbeat), into an empty index directory. CPU is this process's plus its children's (the indexing
processes), user + system; PostgreSQL's own CPU is not counted. The machine may be shared: compare the CPU
figures, not only the wall-clock rate.
"""

from __future__ import annotations

import argparse
import inspect
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

import bench.scale  # noqa: E402
from bench.inbox import drop_database  # noqa: E402
from search import SearchIndex  # noqa: E402
from search.thai import load_dictionary  # noqa: E402
from service.config import Settings  # noqa: E402
from service.context import build  # noqa: E402
from service.indexing.indexer import reindex  # noqa: E402


def database_url(admin_url: str, size: int) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/reindex_bench_{size}"


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--n", type=int, default=20_000, help="letters in the database")
    ap.add_argument("--procs", type=int, default=0, help="indexing processes (0: the rebuild's default)")
    ap.add_argument("--keep", action="store_true", help="keep the database (reindex_bench_<n>)")
    ap.add_argument("--reuse", action="store_true", help="rebuild from a database kept by --keep")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="saraban-reindex-"))
    key = os.environ.setdefault("SARABAN_AUDIT_KEY", "scale-bench-audit-key")
    url = database_url(args.database_url, args.n)
    print(f"cpus {os.cpu_count()}; load {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    try:
        if not args.reuse:
            bench.scale.database_url = database_url  # the loader's database, under this bench's name
            url = bench.scale.build_database(args.database_url, args.n, work, key.encode())
        settings = Settings(data_dir=work, database_url=url, _env_file=None)  # type: ignore[call-arg]
        app = build(settings, with_indexer=False)
        index = SearchIndex(settings.index_path)
        load_dictionary()
        shown = [0.0]
        t0, c0 = time.perf_counter(), cpu_seconds()

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - shown[0] >= 10 or done == total:
                shown[0] = now
                print(f"  {done:,} / {total:,} handed to the index ({done / (now - t0):,.0f}/s)", flush=True)

        extra = {"procs": args.procs} if args.procs and "procs" in inspect.signature(reindex).parameters else {}
        done = reindex(app, index, resume=False, progress=progress, **extra)
        took, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        segments, count = index.segment_count(), index.doc_count()
        index.close()
        app.engine.dispose()
        print(
            f"rebuilt {done:,} letters ({count:,} in the index, {segments} segments) in {took:.1f} s: "
            f"{done / took:,.0f} letters/s wall; CPU {cpu:.1f} s = {cpu * 1000 / max(1, done):.2f} ms per letter "
            f"(this process + indexing processes; load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not args.keep:
            drop_database(args.database_url, url)


if __name__ == "__main__":
    main()
