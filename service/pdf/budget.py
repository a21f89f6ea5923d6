"""Budgets for reading untrusted files: how much a stamp may decompress, parse, decode and spend in time.

A small upload can be a bomb: a 150 KB PDF whose page-1 content is a flate stream of hundreds of megabytes of path
operators, or a 164 KB PNG of 13000 × 13000 pixels. Everything that reads an upload's insides to place or draw the
stamp runs under a :class:`Meter` (``with metered(budget):``): the decoded size of page 1's content streams
(decompression budget, also set as pypdf's own limits for the time being), the number of operators parsed, the
pixels of an image decoded (checked from its header, before decoding) and the time spent. Over any of them,
:class:`TooComplex` is raised and the letter is registered without the stamp (``stamp_status = "too_complex"``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from pypdf import apply_configuration

MIB = 1024 * 1024


@dataclass(frozen=True)
class Budget:
    content_bytes: int = 8 * MIB
    """Decoded bytes of page 1's content streams (forms included) and of any one stream pypdf decodes."""
    operators: int = 300_000
    """Content-stream operators parsed on page 1."""
    pixels: int = 25_000_000
    """Pixels of an image decoded (an A4 page scanned at 300 dpi is 8.7 million, at 500 dpi 24 million; Pillow's
    own limit is 89 million)."""
    seconds: float = 5.0
    """Wall-clock time for reading, placing and drawing one stamp."""


DEFAULT_BUDGET = Budget()


class TooComplex(Exception):
    """The file is over a budget: registered, not stamped."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class Meter:
    """What one stamp has spent so far against its budget."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.deadline = time.monotonic() + budget.seconds
        self.content_bytes = 0
        self.operators = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TooComplex(f"took longer than {self.budget.seconds:g} s")

    def add_content(self, count: int) -> None:
        self.content_bytes += count
        if self.content_bytes > self.budget.content_bytes:
            raise TooComplex(f"page content above {self.budget.content_bytes} bytes decoded")

    def add_operators(self, count: int) -> None:
        self.operators += count
        if self.operators > self.budget.operators:
            raise TooComplex(f"more than {self.budget.operators} operators on page 1")
        self.check_time()

    def check_pixels(self, width: int, height: int) -> None:
        if max(width, 0) * max(height, 0) > self.budget.pixels:
            raise TooComplex(f"an image of {width} × {height} pixels (at most {self.budget.pixels})")


_CURRENT: ContextVar[Meter | None] = ContextVar("saraban_stamp_meter", default=None)


def current() -> Meter:
    """The meter of the work under way, or a fresh one at the default budget (nothing reads unbounded)."""
    meter = _CURRENT.get()
    return meter if meter is not None else Meter(DEFAULT_BUDGET)


@contextmanager
def metered(budget: Budget = DEFAULT_BUDGET) -> Iterator[Meter]:
    """Run the block under ``budget``; pypdf's own decoding limits are lowered to it for the block."""
    meter = Meter(budget)
    token = _CURRENT.set(meter)
    limit = budget.content_bytes
    try:
        with apply_configuration(
            zlib_maximum_output_length=limit,
            lzw_maximum_output_length=limit,
            run_length_maximum_output_length=limit,
            brotli_maximum_output_length=limit,
            jbig2_maximum_output_length=limit,
            array_based_stream_maximum_output_length=limit,
            image_maximum_buffer_size=max(limit, budget.pixels * 4),
            stream_decoding_work_maximum_length=4 * limit,
            stream_parsing_work_maximum_count=budget.operators * 4,
        ):
            yield meter
    finally:
        _CURRENT.reset(token)
