"""Simulated upstream changes of whoosh-reloaded, to prove the search tests catch them (a pytest plugin).

    SARABAN_SIMULATE_WHOOSH=delta  uv run pytest -n 0 -p tests.whoosh_upstream tests/integration/test_search_layout.py
    SARABAN_SIMULATE_WHOOSH=rename uv run pytest -n 0 -p tests.whoosh_upstream tests/integration/test_search_layout.py

* ``delta``: posting blocks delta-code their ids from the previous block's last id instead of from 0 (a
  format change Whoosh's own reader follows, so Whoosh's search stays right). ``search/whoosh_layout.py`` decodes
  each block from 0: without its check of each block's last id against the header it would answer with wrong doc
  numbers and totals; with it, it falls back to Whoosh's reading (loudly) — the fast-path test fails either way.
* ``rename``: ``SegmentReader._terms`` renamed (``_terms_r``): the fast path cannot find the terms reader and falls
  back to Whoosh's reading (loudly); the fast-path test fails.

Nothing happens without the variable. The installed package is not touched: the methods are replaced in memory.
"""

from __future__ import annotations

import os
from typing import Any

from whoosh.codec import whoosh3
from whoosh.reading import SegmentReader
from whoosh.util.numlists import delta_decode, delta_encode


def _carry_deltas_across_blocks() -> None:
    writer, matcher = whoosh3.W3PostingsWriter, whoosh3.W3LeafMatcher
    start, goto = writer.start_postings, matcher._goto

    def start_postings(self: Any, *a: Any, **kw: Any) -> Any:
        self._prev_last = 0
        return start(self, *a, **kw)

    def _mini_ids(self: Any) -> tuple[int, ...]:
        ids = self._ids
        if self._byteids:
            return tuple(ids)
        out = list(delta_encode(ids))
        out[0] -= self._prev_last
        self._prev_last = ids[-1]
        return tuple(out)

    def _goto(self: Any, position: int) -> Any:
        self._base = getattr(self, "_maxid", None) or 0  # the previous block's last id
        return goto(self, position)

    def _read_ids(self: Any) -> None:
        if self._data is None:
            self._read_data()
        ids = self._data[0]
        if not self._byteids:
            ids = list(ids)
            ids[0] += self._base
            ids = tuple(delta_decode(ids))
        self._ids = ids

    writer.start_postings = start_postings
    writer._mini_ids = _mini_ids
    matcher._goto = _goto
    matcher._read_ids = _read_ids


def _rename_terms() -> None:
    for fn in vars(SegmentReader).values():
        code = getattr(fn, "__code__", None)
        if code is not None and "_terms" in code.co_names:
            fn.__code__ = code.replace(co_names=tuple("_terms_r" if n == "_terms" else n for n in code.co_names))


CHANGES = {"delta": _carry_deltas_across_blocks, "rename": _rename_terms}

if (change := os.environ.get("SARABAN_SIMULATE_WHOOSH")) is not None:
    CHANGES[change]()
