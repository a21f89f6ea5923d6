"""Page geometry: display space (the CropBox turned by /Rotate, origin bottom-left, points, as a viewer shows
it), matrices and rectangles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MM = 72 / 25.4
"""PDF points per millimetre."""

Rect = tuple[float, float, float, float]
"""(x0, y0, x1, y1) in points, x0 < x1, y0 < y1."""


@dataclass(frozen=True)
class _PageFrame:
    x0: float
    y0: float
    width: float  # CropBox width in user space
    height: float
    rotate: int  # 0, 90, 180, 270 (clockwise, as /Rotate)

    @property
    def display_size(self) -> tuple[float, float]:
        if self.rotate in (90, 270):
            return self.height, self.width
        return self.width, self.height

    def to_display(self, u: float, v: float) -> tuple[float, float]:
        a, b = u - self.x0, v - self.y0
        if self.rotate == 90:
            return b, self.width - a
        if self.rotate == 180:
            return self.width - a, self.height - b
        if self.rotate == 270:
            return self.height - b, a
        return a, b

    def rect_to_display(self, r: Rect) -> Rect:
        (ax, ay), (bx, by) = self.to_display(r[0], r[1]), self.to_display(r[2], r[3])
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)

    def placement_ctm(self, px: float, py: float) -> tuple[float, float, float, float, float, float]:
        """The matrix drawing an upright (as displayed) object with its lower-left corner at (px, py)."""
        x0, y0, w, h = self.x0, self.y0, self.width, self.height
        if self.rotate == 90:
            return 0, 1, -1, 0, x0 + w - py, y0 + px
        if self.rotate == 180:
            return -1, 0, 0, -1, x0 + w - px, y0 + h - py
        if self.rotate == 270:
            return 0, -1, 1, 0, x0 + py, y0 + h - px
        return 1, 0, 0, 1, x0 + px, y0 + py


def _frame(page: Any) -> _PageFrame:
    box = page.cropbox
    left, bottom, right, top = (float(v) for v in (box.left, box.bottom, box.right, box.top))
    rotate = int(page.rotation or 0) % 360
    if rotate % 90:
        rotate = 0
    return _PageFrame(
        x0=min(left, right),
        y0=min(bottom, top),
        width=abs(right - left),
        height=abs(top - bottom),
        rotate=rotate,
    )


Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF order: a point is transformed by m first)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _bbox(points: Sequence[tuple[float, float]]) -> Rect:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _transform_rect(m: Matrix, r: Rect) -> Rect:
    x0, y0, x1, y1 = r
    return _bbox([_apply(m, x0, y0), _apply(m, x1, y0), _apply(m, x0, y1), _apply(m, x1, y1)])


def _area(r: Rect) -> float:
    return max(0.0, r[2] - r[0]) * max(0.0, r[3] - r[1])


def _overlap(r: Rect, s: Rect) -> float:
    return max(0.0, min(r[2], s[2]) - max(r[0], s[0])) * max(0.0, min(r[3], s[3]) - max(r[1], s[1]))
