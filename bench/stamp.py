"""Stamp benchmark: CPU cost of the receive stamp, in process (no server).

    uv run python bench/stamp.py                         # 200 runs of each case
    uv run python bench/stamp.py -n 50
    uv run python bench/stamp.py --compare old_stamp.py  # also time a one-file copy of the stamp code (such as
                                                         # `git show ff83cb5:service/stamp.py`, before it became
                                                         # a package), interleaved with this one (same machine state)

Prints mean / p50 / p95 milliseconds (wall clock and process CPU) for ``render_stamp`` and for ``stamp_pdf`` on
a 1-page letter, a 20-page letter and a 1-page scan made by ``image_to_pdf``. The first call of each case (font
loading, caches) is run before timing and reported separately as "first".
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.samples import letter_jpeg, thai_letter_pdf  # noqa: E402

BKK = ZoneInfo("Asia/Bangkok")


def load(path: Path | None) -> ModuleType:
    if path is None:
        import service.receiving.stamp

        return service.receiving.stamp
    spec = importlib.util.spec_from_file_location(f"stamp_{abs(hash(path))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module


def cases(mod: ModuleType, tmp: Path) -> dict[str, Callable[[int], Any]]:
    letter1 = tmp / "letter1.pdf"
    letter1.write_bytes(thai_letter_pdf(pages=1))
    letter20 = tmp / "letter20.pdf"
    letter20.write_bytes(thai_letter_pdf(pages=20))
    jpeg = tmp / "scan.jpg"
    jpeg.write_bytes(letter_jpeg())
    scan = tmp / f"scan-{mod.__name__}.pdf"
    scan.write_bytes(mod.image_to_pdf(jpeg))

    def stamp(i: int) -> Any:
        return mod.ReceiveStamp("สพป.ขอนแก่น เขต ๕", 1000 + i, datetime(2026, 3, 23, 9, i % 60, tzinfo=BKK))

    return {
        "render_stamp": lambda i: mod.render_stamp(stamp(i)),
        "stamp_pdf 1-page letter": lambda i: mod.stamp_pdf(letter1, stamp(i)),
        "stamp_pdf 20-page letter": lambda i: mod.stamp_pdf(letter20, stamp(i)),
        "stamp_pdf 1-page scan": lambda i: mod.stamp_pdf(scan, stamp(i)),
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="timed runs per case (default 200)")
    parser.add_argument("--compare", type=Path, help="a one-file stamp module to time beside service.receiving.stamp")
    args = parser.parse_args()

    modules = {"current": load(None)}
    if args.compare is not None:
        modules["compare"] = load(args.compare.resolve())
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        runs = {label: cases(mod, tmp) for label, mod in modules.items()}
        names = list(runs["current"])
        print(f"{'case':<26} {'module':<8} {'first':>7} {'mean':>7} {'p50':>7} {'p95':>7} {'cpu mean':>9}  (ms)")
        for name in names:
            first: dict[str, float] = {}
            wall: dict[str, list[float]] = {label: [] for label in runs}
            cpu: dict[str, list[float]] = {label: [] for label in runs}
            for label, fns in runs.items():
                t0 = time.perf_counter()
                fns[name](0)
                first[label] = (time.perf_counter() - t0) * 1000
            for i in range(args.n):
                for label, fns in runs.items():  # interleaved: both see the same machine load
                    t0, c0 = time.perf_counter(), time.process_time()
                    fns[name](i)
                    wall[label].append((time.perf_counter() - t0) * 1000)
                    cpu[label].append((time.process_time() - c0) * 1000)
            for label in runs:
                w = wall[label]
                print(
                    f"{name:<26} {label:<8} {first[label]:7.1f} {statistics.fmean(w):7.2f} {pct(w, 0.5):7.2f} "
                    f"{pct(w, 0.95):7.2f} {statistics.fmean(cpu[label]):9.2f}"
                )


if __name__ == "__main__":
    main()
