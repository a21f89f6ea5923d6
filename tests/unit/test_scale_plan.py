"""The scale bench's pure helpers: how an installation of N letters is split into offices, and the flatness ratio."""

from __future__ import annotations

import pytest

from bench.scale import office_letters, plan_offices, ratio


def test_whole_offices_then_a_part() -> None:
    assert plan_offices(100, 40) == [1.0, 1.0, 0.5]
    assert plan_offices(80, 40) == [1.0, 1.0]
    assert plan_offices(10, 40) == [0.25]


def test_nothing_to_plan() -> None:
    assert plan_offices(0, 40) == []


def test_the_shares_add_up_to_the_size() -> None:
    per = office_letters()
    for size in (100_000, 1_000_000):
        assert sum(plan_offices(size, per)) * per == pytest.approx(size)


def test_ratio() -> None:
    assert ratio(10.0, 15.0) == 1.5
    assert ratio(0.0, 1.0) == float("inf")
