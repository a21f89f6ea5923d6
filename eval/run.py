"""Thai relevance evaluation: `uv run python eval/run.py` prints recall@10 and precision@10."""

from __future__ import annotations

import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.corpus import generate, to_index_doc
from eval.queries import build_queries
from search import SearchIndex, SearchQuery

DEFINITION = """definitions (R = relevant set from the letters' own facts, top = the engine's ranked ids):
  recall@10    = |R ∩ top[:10]| / min(10, |R|)
  precision@10 = |R ∩ top[:k]| / k  with k = min(10, |R|)   (a query with 3 relevant letters is judged on its top 3)"""


def main(n: int = 480, verbose: bool = "-v" in sys.argv) -> tuple[float, float]:  # noqa: FBT001
    letters = list(generate(n))
    queries = build_queries(letters)
    with tempfile.TemporaryDirectory() as tmp:
        ix = SearchIndex(Path(tmp) / "ix")
        ix.upsert([to_index_doc(x, ("unit:1",)) for x in letters])
        per_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
        full_recall: dict[str, list[float]] = defaultdict(list)
        for q in queries:
            res = ix.search(
                SearchQuery(text=q.text, date_from=q.date_from, date_to=q.date_to, per_page=10), principals=["unit:1"]
            )
            top = [h.doc_id for h in res.hits]
            everything = ix.search(
                SearchQuery(text=q.text, date_from=q.date_from, date_to=q.date_to, per_page=500),
                principals=["unit:1"],
            )
            full_recall[q.kind].append(len(q.relevant & {h.doc_id for h in everything.hits}) / len(q.relevant))
            k = min(10, len(q.relevant))
            r = len(q.relevant & set(top[:10])) / k
            p = len(q.relevant & set(top[:k])) / k
            per_kind[q.kind].append((r, p))
            if verbose and (r < 1 or p < 1):
                print(
                    f"  {q.kind:10s} {q.text!r:40s} |R|={len(q.relevant):3d} total={res.total:3d} R={r:.2f} P={p:.2f}"
                )
        ix.close()
    allrp = [x for v in per_kind.values() for x in v]
    print(f"corpus {len(letters)} letters, {len(allrp)} queries")
    print(DEFINITION)
    for kind, v in sorted(per_kind.items()):
        print(
            f"  {kind:10s} n={len(v):3d}  recall@10 {sum(r for r, _ in v) / len(v):.3f}  "
            f"precision@10 {sum(p for _, p in v) / len(v):.3f}  "
            f"recall(all results) {sum(full_recall[kind]) / len(v):.3f}"
        )
    rec = sum(r for r, _ in allrp) / len(allrp)
    prec = sum(p for _, p in allrp) / len(allrp)
    print(f"ALL  recall@10 {rec:.3f}  precision@10 {prec:.3f}  (targets 0.95 / 0.90)")
    return rec, prec


if __name__ == "__main__":
    main()
