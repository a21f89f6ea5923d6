"""Search benchmark: build N synthetic letters into a Whoosh index in a temp dir and time queries.

    uv run python bench/search.py --n 100000
    uv run python bench/search.py --n 20000 --index /tmp/ix20k     # build once, reuse on later runs
    uv run python bench/search.py --n 20000 --index /tmp/ix20k --cold     # without the decoded-postings cache
    uv run python bench/search.py --n 20000 --index /tmp/ix20k --profile phrase   # cProfile one kind

The build is one bulk load (``SearchIndex.add_new``) with ``--procs`` indexing processes (Whoosh's MpWriter, one
segment each); "N docs" progress lines count documents handed to the writer. Each kind runs ``--queries`` queries
as ``unit:1`` + ``auditor`` (one letter in ten is secret and never counted); p50/p95/max are per query, snippets
included; CPU is the query thread's CPU time (the machine may be shared), ``first`` the CPU time of the kind's first
query (what it pays before the per-segment caches hold its lists, phrase counts and term scores).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.corpus import SCHOOL_NAMES, SENDER_CODES, generate, thai_digits, to_index_doc
from search import IndexDoc, SearchIndex, SearchQuery
from search.index import POSTINGS_CACHE_UNITS


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=5_000, help="progress line every BATCH documents")
    ap.add_argument("--commits", type=int, default=1, help="build in this many commits (then optimize)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--procs", type=int, default=2, help="indexing processes (Whoosh MpWriter): one segment each")
    ap.add_argument("--limitmb", type=int, default=256)
    ap.add_argument("--keep", action="store_true", help="keep the index directory")
    ap.add_argument("--index", type=Path, help="index directory to reuse (built there, and kept, if missing)")
    ap.add_argument(
        "--kinds",
        default="word,phrase,number,filtered,common2,phrase_all,five,date90",
        help="query kinds to time (comma-separated); the last four are the worst cases: two words in nearly every "
        "letter, a phrase in every letter, five words, a 90 %% date range sorted newest first",
    )
    ap.add_argument("--cold", action="store_true", help="no decoded-postings cache (every query reads its lists)")
    ap.add_argument("--profile", metavar="KIND", help="cProfile the queries of this kind (top 30 by cumulative)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="saraban-bench-"))
    ix_dir = args.index or tmp / "ix"
    reuse = args.index is not None and any(ix_dir.glob("*.toc"))
    ix = SearchIndex(
        ix_dir,
        limitmb=args.limitmb,
        procs=args.procs,
        multisegment=args.procs > 1,
        cache_units=0 if args.cold else POSTINGS_CACHE_UNITS,
    )
    if reuse and ix.outdated:
        print(f"index at {ix_dir} has an older layout: rebuilding")
        ix.clear()
        reuse = False
    if reuse:
        n_docs = ix.doc_count()
        print(
            f"reusing index {ix_dir}: {n_docs} docs, {ix.segment_count()} segment(s), {dir_size(ix_dir) / 1e6:.1f} MB"
        )
    else:
        ix.clear()
        t0 = time.perf_counter()

        def docs(start: int, stop: int) -> Iterator[IndexDoc]:
            for letter in islice(generate(args.n, seed=7), start, stop):
                principals = ("unit:1",) if letter.doc_id % 10 else ("secret:3:1",)
                yield to_index_doc(letter, principals)
                if letter.doc_id % args.batch == 0:
                    print(f"  {letter.doc_id:>7} docs  {time.perf_counter() - t0:7.1f} s", flush=True)

        # --commits 1: one writer, one commit, one segment (Whoosh sorts its spilled runs at commit) — what a
        # bulk rebuild does; --commits K: K commits (Whoosh merges small segments as it goes), then optimize()
        step = -(-args.n // args.commits)
        for start in range(0, args.n, step):
            ix.add_new(docs(start, min(args.n, start + step)))
        t1 = time.perf_counter()
        if args.commits > 1:
            ix.optimize()  # one segment
        build = time.perf_counter() - t0
        size = dir_size(ix_dir)
        print(
            f"N={args.n}  build {build:.1f} s ({args.n / build:.0f} docs/s, of which optimize "
            f"{time.perf_counter() - t1:.1f} s)  index {size / 1e6:.1f} MB  segments {ix.segment_count()}",
            flush=True,
        )

    rng = random.Random(1)
    words = [
        "ทุน",
        "ประเมิน",
        "จมน้ำ",
        "กยศ.",
        "ยาเสพติด",
        "ศึกษา",
        "งบประมาณ",
        "อบรม",
        "คุ้มครอง",
        "สงเคราะห์",
        "ประจำปี",
        "คณะกรรมการ",
        "ใบสำคัญรับเงิน",
        *SCHOOL_NAMES,
    ]
    phrases = [
        '"ทุนการศึกษา ประจำปี"',
        '"การป้องกันการจมน้ำ"',
        '"ต่อต้านยาเสพติดโลก"',
        '"พาน้องกลับมาเรียน"',
        '"คณะกรรมการสถานศึกษาขั้นพื้นฐาน"',
        '"ประเมินผลการบริหาร"',
        '"เงินให้กู้ยืมเพื่อการศึกษา"',
    ]
    who = ["unit:1", "auditor"]

    def number_q() -> SearchQuery:
        code = rng.choice(SENDER_CODES)[0]
        n = str(rng.randrange(1, 4000))
        text = rng.choice((f"{code}/{n}", thai_digits(f"{code}/{n}"), code.replace(" ", "") + "/" + n, code))
        return SearchQuery(text=text)

    def filtered_q() -> SearchQuery:
        y = rng.choice((2021, 2022))
        return SearchQuery(
            text=rng.choice(words),
            date_from=date(y, 1, 1),
            date_to=date(y, 6, 30),
            registry_ids=(rng.choice((1, 2, 3)),),
            sort="date_desc",
        )

    # in (nearly) every letter of the corpus: the area office's name and the common words of a letter
    everywhere = ["ศึกษา", "เขต", "สำนักงาน", "พื้นที่", "การ", "โรงเรียน", "เรียน"]
    common = [*everywhere, "และ", "ให้", "ขอ", "แจ้ง", "ดำเนินการ", "ทราบ", "เรื่อง"]

    def date90_q() -> SearchQuery:  # the corpus spans 2021-10-01 .. 2023-09-30: all but its first ~10 %
        return SearchQuery(
            text=rng.choice(words), date_from=date(2021, 12, 15), date_to=date(2023, 9, 30), sort="date_desc"
        )

    kinds: dict[str, Callable[[], SearchQuery]] = {
        "word": lambda: SearchQuery(text=rng.choice(words)),
        "phrase": lambda: SearchQuery(text=rng.choice(phrases)),
        "number": number_q,
        "filtered": filtered_q,
        "common2": lambda: SearchQuery(text=" ".join(rng.sample(everywhere, 2))),
        "phrase_all": lambda: SearchQuery(text=rng.choice(('"สำนักงานเขตพื้นที่การศึกษา"', '"เขตพื้นที่การศึกษา"'))),
        "five": lambda: SearchQuery(text=" ".join(rng.sample(common, 5))),
        "date90": date90_q,
    }
    ix.search(SearchQuery(text="ทุน"), principals=who)  # warm up (dictionary, searcher)
    wanted = args.kinds.split(",")
    for name, make in kinds.items():
        if name not in wanted and name != args.profile:
            continue
        lat: list[float] = []
        cpu: list[float] = []
        totals: list[int] = []
        prof = cProfile.Profile() if name == args.profile else None
        for _ in range(args.queries):
            q = make()
            t, c = time.perf_counter(), time.thread_time()
            if prof is not None:
                prof.enable()
            r = ix.search(q, principals=who)
            if prof is not None:
                prof.disable()
            lat.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
            totals.append(r.total)
        print(
            f"{name:10s} p50 {statistics.median(lat):7.1f} ms  p95 {pct(lat, 0.95):7.1f} ms  "
            f"max {max(lat):7.1f} ms  (median hits {statistics.median(totals):.0f}; CPU p50 "
            f"{statistics.median(cpu):.1f} p95 {pct(cpu, 0.95):.1f} first {cpu[0]:.1f} ms)",
            flush=True,
        )
        if prof is not None:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB" + (f" (largest indexing subprocess {children:.0f} MB)" if children else ""))
    ix.close()
    if args.index is None and args.keep:
        print(f"index kept at {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
