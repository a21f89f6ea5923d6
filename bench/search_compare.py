"""Old-vs-new check for the query engine: the same queries on the same index must give the same totals, the same
hits in the same order and the same scores, bit for bit.

    uv run python bench/search_compare.py --index DIR --out /tmp/new.jsonl                 # this checkout's code
    uv run python bench/search_compare.py --index DIR --out /tmp/old.jsonl --code /work/main   # another checkout
    uv run python bench/search_compare.py --diff /tmp/old.jsonl /tmp/new.jsonl

One line per query (its description, total, hits as (doc id, score as float.hex())). The query set (about 700):
every kind of ``bench/search.py`` — single words, phrases, letter numbers, filters, two words in nearly every
letter, a phrase in every letter, five common words, date ranges, phrase + word mixes — in three sorts, as two
principal sets, pages 1 and 3. Build the index with ``bench/search.py --index DIR`` first.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import date
from pathlib import Path


def queries(rng: random.Random, school_names: tuple[str, ...], sender_codes: tuple[tuple[str, str], ...]) -> list:
    words = ["ทุน", "ประเมิน", "จมน้ำ", "กยศ.", "ยาเสพติด", "ศึกษา", "งบประมาณ", "ประจำปี", "คณะกรรมการ"]
    words += list(school_names[:4])
    phrases = [
        '"ทุนการศึกษา ประจำปี"',
        '"การป้องกันการจมน้ำ"',
        '"ต่อต้านยาเสพติดโลก"',
        '"พาน้องกลับมาเรียน"',
        '"คณะกรรมการสถานศึกษาขั้นพื้นฐาน"',
        '"ประเมินผลการบริหาร"',
        '"เงินให้กู้ยืมเพื่อการศึกษา"',
        '"สำนักงานเขตพื้นที่การศึกษา"',
        '"เขตพื้นที่การศึกษา"',
        '"พื้นที่การศึกษา"',
        '"การศึกษา"',
    ]
    everywhere = ["ศึกษา", "เขต", "สำนักงาน", "พื้นที่", "การ", "โรงเรียน", "เรียน"]
    common = [*everywhere, "และ", "ให้", "ขอ", "แจ้ง", "ดำเนินการ", "ทราบ", "เรื่อง"]
    texts: list[str] = [*words, *phrases]
    texts += [" ".join(rng.sample(everywhere, 2)) for _ in range(10)]
    texts += [" ".join(rng.sample(common, 5)) for _ in range(10)]
    texts += [f"{p} {w}" for p, w in zip(rng.sample(phrases, 4), rng.sample(words, 4), strict=True)]
    texts += ['"สำนักงานเขตพื้นที่การศึกษา" "ทุนการศึกษา ประจำปี"', '"เขตพื้นที่การศึกษา" โรงเรียน การ']
    for code, _name in rng.sample(list(sender_codes), 3):
        texts += [code, f"{code}/{rng.randrange(1, 4000)}"]
    out: list[tuple[str, dict]] = []
    for text in texts:
        for sort in ("relevance", "date_desc", "date_asc"):
            out.append((text, {"sort": sort}))
        out.append((text, {"sort": "relevance", "page": 2, "per_page": 50}))
        out.append((text, {"sort": "relevance", "date_from": date(2022, 3, 1), "date_to": date(2023, 9, 30)}))
    for text in rng.sample(texts, 12):
        out.append((text, {"sort": "relevance", "page": 3}))
        out.append((text, {"sort": "relevance", "date_from": date(2021, 12, 15), "date_to": date(2023, 9, 30)}))
        y = rng.choice((2021, 2022))
        out.append(
            (
                text,
                {
                    "sort": "date_desc",
                    "date_from": date(y, 1, 1),
                    "date_to": date(y, 6, 30),
                    "registry_ids": (rng.choice((1, 2, 3)),),
                },
            )
        )
    return out


def run(index: Path, out: Path, *, cold: bool = False) -> None:
    import search
    from eval.corpus import SCHOOL_NAMES, SENDER_CODES
    from search import SearchIndex, SearchQuery

    print(f"code: {search.__file__}")
    ix = SearchIndex(index, cache_units=0) if cold else SearchIndex(index)
    qs = queries(random.Random(5), SCHOOL_NAMES, SENDER_CODES)
    n = 0
    with out.open("w") as f:
        for who in (["unit:1", "auditor"], ["secret:3:1"]):
            for text, kw in qs:
                r = ix.search(SearchQuery(text=text, **kw), principals=who)
                key = {"who": who, "text": text, **{k: str(v) for k, v in kw.items()}}
                hits = [[h.doc_id, float(h.score).hex()] for h in r.hits]
                f.write(json.dumps({"q": key, "total": r.total, "hits": hits}, ensure_ascii=False) + "\n")
                n += 1
    ix.close()
    print(f"{n} queries written to {out}")


def diff(a: Path, b: Path) -> int:
    la, lb = a.read_text().splitlines(), b.read_text().splitlines()
    bad = 0
    for x, y in zip(la, lb, strict=True):
        if x != y:
            bad += 1
            if bad <= 5:
                print("DIFF\n  " + x[:400] + "\n  " + y[:400])
    print(f"{len(la)} queries compared: {bad} differ (totals, hit order, scores bit for bit)")
    return 1 if bad else 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1], help="checkout whose code runs")
    ap.add_argument("--cold", action="store_true", help="no per-segment caches (the engine's uncached paths)")
    ap.add_argument("--diff", nargs=2, type=Path, metavar=("OLD", "NEW"))
    args = ap.parse_args()
    if args.diff:
        sys.exit(diff(*args.diff))
    sys.path.insert(0, str(args.code.resolve()))
    run(args.index, args.out, cold=args.cold)


if __name__ == "__main__":
    main()
