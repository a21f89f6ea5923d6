"""The repository holds no half-finished merge: no conflict markers in any tracked text file."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)
TEXT = (".py", ".md", ".html", ".toml", ".yml", ".yaml", ".txt", ".cfg", ".ini", ".mako", ".css", ".js")


def tracked() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False).stdout
    files = [ROOT / line for line in out.splitlines() if line.endswith(TEXT)]
    return files or [p for p in ROOT.rglob("*") if p.suffix in TEXT and ".venv" not in p.parts]


def test_no_conflict_markers() -> None:
    files = tracked()
    assert any(f.name == "README.md" for f in files)
    bad = [str(f.relative_to(ROOT)) for f in files if f.is_file() and MARKER.search(f.read_text("utf-8", "replace"))]
    assert not bad, f"unresolved merge in {bad}"


def test_the_check_sees_a_marker() -> None:
    assert MARKER.search("x\n<<<<<<< HEAD\ny\n=======\nz\n>>>>>>> branch\n")
    assert not MARKER.search("a line with ======= inside\n")
