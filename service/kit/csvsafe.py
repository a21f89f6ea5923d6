"""CSV for spreadsheets without formula injection: every export writes through here.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel and LibreOffice as
a formula (``=HYPERLINK(…)`` from a sign-in name, a subject): it is written with a leading ``'`` so it stays text.
Numbers are left alone, and so is a lone ``-`` (the registers' "none"); only text is neutralised.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and value != "-":  # a lone dash is "none"
        return "'" + value
    return value


class _Writable(Protocol):
    def write(self, s: str, /) -> Any: ...


class SafeWriter:
    """``csv.writer`` whose rows are neutralised cell by cell."""

    def __init__(self, out: _Writable, **kw: Any) -> None:
        self._w = csv.writer(out, **kw)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._w.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: _Writable, **kw: Any) -> SafeWriter:
    return SafeWriter(out, **kw)
