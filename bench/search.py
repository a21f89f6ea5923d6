"""Search benchmark: build N synthetic letters into a Whoosh index in a temp dir and time queries.

    uv run python bench/search.py --n 100000
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.corpus import SCHOOL_NAMES, SENDER_CODES, generate, thai_digits, to_index_doc
from search import SearchIndex, SearchQuery


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=5_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--limitmb", type=int, default=256)
    ap.add_argument("--keep", action="store_true", help="keep the index directory")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="saraban-bench-"))
    ix = SearchIndex(tmp / "ix", limitmb=args.limitmb, procs=args.procs, multisegment=args.procs > 1)
    t0 = time.perf_counter()
    batch = []
    done = 0
    for letter in generate(args.n, seed=7):
        principals = ("unit:1",) if letter.doc_id % 10 else ("secret:3:1",)
        batch.append(to_index_doc(letter, principals))
        if len(batch) >= args.batch:
            ix.upsert(batch)
            done += len(batch)
            batch = []
            print(f"  {done:>7} docs  {time.perf_counter() - t0:7.1f} s", flush=True)
    if batch:
        ix.upsert(batch)
    build = time.perf_counter() - t0
    size = dir_size(tmp / "ix")
    print(f"N={args.n}  build {build:.1f} s ({args.n / build:.0f} docs/s)  index {size / 1e6:.1f} MB")

    rng = random.Random(1)
    words = ["ทุน", "ประเมิน", "จมน้ำ", "กยศ.", "ยาเสพติด", "ศึกษา", "งบประมาณ", "อบรม", "คุ้มครอง",
             "สงเคราะห์", "ประจำปี", "คณะกรรมการ", "ใบสำคัญรับเงิน", *SCHOOL_NAMES]
    phrases = ['"ทุนการศึกษา ประจำปี"', '"การป้องกันการจมน้ำ"', '"ต่อต้านยาเสพติดโลก"', '"พาน้องกลับมาเรียน"',
               '"คณะกรรมการสถานศึกษาขั้นพื้นฐาน"', '"ประเมินผลการบริหาร"', '"เงินให้กู้ยืมเพื่อการศึกษา"']
    who = ["unit:1", "auditor"]

    def number_q() -> SearchQuery:
        code = rng.choice(SENDER_CODES)[0]
        n = str(rng.randrange(1, 4000))
        text = rng.choice((f"{code}/{n}", thai_digits(f"{code}/{n}"), code.replace(" ", "") + "/" + n, code))
        return SearchQuery(text=text)

    def filtered_q() -> SearchQuery:
        y = rng.choice((2021, 2022))
        return SearchQuery(text=rng.choice(words), date_from=date(y, 1, 1), date_to=date(y, 6, 30),
                           registry_ids=(rng.choice((1, 2, 3)),), sort="date_desc")

    kinds: dict[str, Callable[[], SearchQuery]] = {
        "word": lambda: SearchQuery(text=rng.choice(words)),
        "phrase": lambda: SearchQuery(text=rng.choice(phrases)),
        "number": number_q,
        "filtered": filtered_q,
    }
    ix.search(SearchQuery(text="ทุน"), principals=who)  # warm up (dictionary, searcher)
    for name, make in kinds.items():
        lat: list[float] = []
        totals: list[int] = []
        for _ in range(args.queries):
            q = make()
            t = time.perf_counter()
            r = ix.search(q, principals=who)
            lat.append((time.perf_counter() - t) * 1000)
            totals.append(r.total)
        print(f"{name:9s} p50 {statistics.median(lat):7.1f} ms  p95 {pct(lat, 0.95):7.1f} ms  "
              f"max {max(lat):7.1f} ms  (median hits {statistics.median(totals):.0f})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")
    ix.close()
    if args.keep:
        print(f"index kept at {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
