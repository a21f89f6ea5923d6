"""Upload bombs against a real server: the worst time and RSS growth of registering small files that are expensive to
read (issue 10, finding 2).

    uv run python bench/bombs.py            # each bomb 3 times
    uv run python bench/bombs.py -n 5

Starts ``saraban serve`` on a fresh demo database (a temp dir), registers an ordinary letter first (so that what
any upload loads once is in the baseline), then each bomb ``-n`` times, sampling the server's RSS every 5 ms:

- ``pdf-flate-150k``: a ~150 KB PDF whose page-1 content stream inflates to ~150 MB of path operators;
- ``pdf-flate-50k``: the same at ~50 KB;
- ``png-13000``: a 164 KB greyscale PNG of 13000 × 13000 pixels;
- ``png-5000``: a 5000 × 5000 PNG (25 million pixels: at the default pixel budget, stamped).

Prints, per bomb: the stamp status, the worst wall time of the request and the worst RSS growth over the baseline.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.bombs import flate_bomb_pdf, pixel_bomb_png  # noqa: E402
from tests.conftest import DatabaseTemplates  # noqa: E402
from tests.integration.test_upload_bombs import (  # noqa: E402
    MB,
    Peak,
    ServerProcess,
    _central_registry,
    _receive,
    _token,
)
from tests.samples import thai_letter_pdf  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=3, help="runs of each bomb")
    args = parser.parse_args()
    bombs = [
        ("pdf-flate-150k", flate_bomb_pdf(150), "bomb.pdf", "application/pdf"),
        ("pdf-flate-50k", flate_bomb_pdf(50), "bomb.pdf", "application/pdf"),
        ("png-13000", pixel_bomb_png(13000), "bomb.png", "image/png"),
        ("png-5000", pixel_bomb_png(5000), "big.png", "image/png"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        templates = DatabaseTemplates(Path(tmp) / "templates", "bench")
        data_dir = Path(tmp) / "data"
        templates.copy_sqlite(data_dir)
        server = ServerProcess(data_dir)
        try:
            headers = _token(server, "central")
            reg = _central_registry(server, headers)
            r = _receive(server, headers, "letter.pdf", thai_letter_pdf(pages=1), "application/pdf")
            r.raise_for_status()
            print(f"{'bomb':<16} {'bytes':>8} {'status':<12} {'worst s':>8} {'worst RSS +MB':>14}")
            for name, data, filename, ctype in bombs:
                worst_s, worst_rss, status = 0.0, 0, ""
                for _ in range(args.n):
                    with Peak(server) as peak:
                        started = time.monotonic()
                        r = _receive(server, headers, filename, data, ctype, reg)
                        took = time.monotonic() - started
                    r.raise_for_status()
                    status = r.json()["attachments"][0]["stamp_status"]
                    worst_s, worst_rss = max(worst_s, took), max(worst_rss, peak.growth)
                    print(f"  {name} {took:.2f} s {peak.growth / MB:.1f} MB", file=sys.stderr)
                print(f"{name:<16} {len(data):>8} {status:<12} {worst_s:>8.2f} {worst_rss / MB:>14.1f}")
        finally:
            server.stop()
            templates.close()


if __name__ == "__main__":
    main()
