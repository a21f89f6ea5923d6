"""Where a box goes: the clearest spot of a page's region near an anchor (the top-right quarter for the receive
stamp), judged by the page's text, images and drawings and, on a scan, by the darkness of its pixels."""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Literal

from PIL import Image, ImageStat
from pypdf import apply_configuration, get_configuration

from service.pdf.budget import TooComplex, current
from service.pdf.content import _PlacedImage, _read_page
from service.pdf.geometry import MM, Matrix, Rect, _apply, _area, _frame, _overlap, _PageFrame

log = logging.getLogger(__name__)


class _InkMap:
    """Dark-pixel density of a page-sized image, looked up by display-space rectangles."""

    def __init__(self, image: Image.Image, placed: _PlacedImage, frame: _PageFrame) -> None:
        # threshold at full resolution (thin strokes survive), then average down: pixel value = ink density
        ink = image.convert("L").point(lambda p: 255 if p < 160 else 0)
        factor = int(max(ink.width, ink.height) / 400)
        self.ink = ink.reduce(factor) if factor > 1 else ink
        a, b, c, d, e, f = placed.ctm
        det = a * d - b * c
        if abs(det) < 1e-9:
            raise ValueError("degenerate image matrix")
        # inverse of the image matrix: user space → unit square
        self.inv: Matrix = (
            d / det,
            -b / det,
            -c / det,
            a / det,
            (c * f - d * e) / det,
            (b * e - a * f) / det,
        )
        self.frame = frame

    def density(self, display_rect: Rect) -> float:
        """Fraction of dark pixels under a display-space rectangle (0 = white paper)."""
        fr = self.frame
        corners = [(display_rect[0], display_rect[1]), (display_rect[2], display_rect[3])]
        user = [_display_to_user(fr, x, y) for x, y in corners]
        unit = [_apply(self.inv, u, v) for u, v in user]
        w, h = self.ink.size
        xs = sorted(min(max(p[0], 0.0), 1.0) * w for p in unit)
        ys = sorted((1.0 - min(max(p[1], 0.0), 1.0)) * h for p in unit)  # image rows run top-down
        box = (
            int(xs[0]),
            int(ys[0]),
            max(int(xs[0]) + 1, math.ceil(xs[1])),
            max(int(ys[0]) + 1, math.ceil(ys[1])),
        )
        return float(ImageStat.Stat(self.ink.crop(box)).mean[0]) / 255.0


def _display_to_user(fr: _PageFrame, dx: float, dy: float) -> tuple[float, float]:
    if fr.rotate == 90:
        a, b = fr.width - dy, dx
    elif fr.rotate == 180:
        a, b = fr.width - dx, fr.height - dy
    elif fr.rotate == 270:
        a, b = dy, fr.height - dx
    else:
        a, b = dx, dy
    return fr.x0 + a, fr.y0 + b


_INK_MIN_DECODE_SIDE = 1200
"""JPEG scans at least twice this size (long side, pixels) are decoded at half scale: a one-pixel stroke is then
still half dark, above the ink threshold."""


def _page_image(page: Any, name: str) -> Image.Image | None:
    """The decoded image XObject ``name`` (``/Im1``) of ``page``, or None.

    A plain JPEG (a scan, or a photo made into a PDF by :func:`image_to_pdf`) is decoded by Pillow straight from
    the stream, greyscale only and, when large, at half scale (libjpeg scales while decoding, which is much
    cheaper); other images go through pypdf.
    """
    meter = current()
    try:
        xobj = page["/Resources"]["/XObject"][name].get_object()
    except Exception as exc:
        log.info("no page image %s: %s", name, exc)
        return None
    try:
        width, height = int(xobj.get("/Width", 0)), int(xobj.get("/Height", 0))
    except (TypeError, ValueError):
        width = height = 0
    meter.check_pixels(width, height)  # from the dictionary, before a byte is decoded
    try:
        filters = xobj.get("/Filter")
        if "/Decode" not in xobj and (filters == "/DCTDecode" or filters == ["/DCTDecode"]):
            img = Image.open(io.BytesIO(xobj.get_data()))
            if img.format == "JPEG":
                meter.check_pixels(*img.size)
                if max(img.size) >= 2 * _INK_MIN_DECODE_SIDE:
                    img.draft("L", ((img.width + 1) // 2, (img.height + 1) // 2))
                else:
                    img.draft("L", img.size)
                return img
    except Exception as exc:
        log.info("cannot read the page image %s as a JPEG: %s", name, exc)
    # its pixels are within the budget: let pypdf decode that much (4 bytes a pixel at most), however low the
    # content streams' decompression limit is; only this image is decoded, not every image of the page
    room = max(width * height * 4 + 65536, get_configuration().zlib_maximum_output_length)
    try:
        with apply_configuration(zlib_maximum_output_length=room, image_maximum_buffer_size=room):
            return page.images[name].image  # type: ignore[no-any-return]
    except TooComplex:
        raise
    except Exception as exc:
        log.info("cannot decode the page image %s: %s", name, exc)
    return None


# ----------------------------------------------------------------------------------------------------
# Anchors


@dataclass(frozen=True)
class Anchor:
    """Where on a page (as displayed) a box goes: the region searched and the spot it prefers.

    ``top_right``: the top-right quarter, nearest its corner (the receive stamp). ``bottom_right``: the
    bottom-right quarter, nearest its corner (a keep-until stamp). ``top_centre``: the top band (upper quarter of
    the page, middle half of its width), nearest the top centre (an urgency mark). ``below``: under ``under``
    (a display-space rectangle, e.g. where the receive stamp went), centred on it, nearest it, down to a quarter
    of the page lower. Build with the constants, :meth:`below` or :meth:`parse`.
    """

    kind: Literal["top_right", "bottom_right", "top_centre", "below"]
    under: Rect | None = None

    TOP_RIGHT: ClassVar[Anchor]
    BOTTOM_RIGHT: ClassVar[Anchor]
    TOP_CENTRE: ClassVar[Anchor]

    def __post_init__(self) -> None:
        if (self.kind == "below") != (self.under is not None):
            raise ValueError("an anchor is 'below' exactly when it has a rectangle to go under")

    @staticmethod
    def below(rect: Rect) -> Anchor:
        return Anchor("below", tuple(float(v) for v in rect))  # type: ignore[arg-type]

    @staticmethod
    def parse(text: str) -> Anchor:
        """``top_right``, ``bottom_right``, ``top_centre`` or ``below:x0,y0,x1,y1`` (display space, points)."""
        kind, _, rest = text.strip().partition(":")
        if kind == "below":
            values = [float(v) for v in rest.split(",")]
            if len(values) != 4:
                raise ValueError(f"bad anchor {text!r}: below needs x0,y0,x1,y1")
            return Anchor.below((values[0], values[1], values[2], values[3]))
        if kind in ("top_right", "bottom_right", "top_centre") and not rest:
            return Anchor(kind)  # type: ignore[arg-type]
        raise ValueError(f"unknown anchor {text!r}")

    def __str__(self) -> str:
        if self.under is not None:
            return "below:" + ",".join(f"{v:g}" for v in self.under)
        return self.kind


Anchor.TOP_RIGHT = Anchor("top_right")
Anchor.BOTTOM_RIGHT = Anchor("bottom_right")
Anchor.TOP_CENTRE = Anchor("top_centre")


@dataclass(frozen=True)
class _Axis:
    grid: tuple[float, ...]
    """Positions a step apart, from the preferred one outwards."""
    extras: tuple[float, ...]
    """The ends of the range when the grid stops short of them."""


def _towards(home: float, end: float, step: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """From ``home`` to ``end`` (either side) by ``step``; the end itself as an extra when the grid misses it."""
    n = int(abs(home - end) // step) + 1
    sign = -1.0 if end < home else 1.0
    grid = tuple(home + sign * i * step for i in range(n))
    last = grid[-1]
    short = last > end + 0.5 if sign < 0 else last < end - 0.5
    return grid, ((end,) if short else ())


def _one_way(home: float, end: float, step: float) -> _Axis:
    grid, extras = _towards(home, end, step)
    return _Axis(grid, extras)


def _both_ways(lo: float, home: float, hi: float, step: float) -> _Axis:
    down, down_end = _towards(home, lo, step)
    up, up_end = _towards(home, hi, step)
    return _Axis(down + up[1:], down_end + up_end)


def _clamp(v: float, lo: float, hi: float) -> float:
    return max(lo, min(v, hi))


@dataclass(frozen=True)
class _Region:
    xs: _Axis
    ys: _Axis
    home: tuple[float, float]
    weights: tuple[float, float]
    """Cost of moving away from home, per point, along x and along y."""
    area: Rect
    """Obstacles outside it are ignored (it holds every candidate, grown by the padding)."""


def _region(anchor: Anchor, size: tuple[float, float], w: float, h: float, margin: float, step: float) -> _Region:
    width, height = size
    x_hi = max(width - margin - w, 0.0)  # the box's lower-left corner ranges, and the page limits
    y_hi = max(height - margin - h, 0.0)
    x_min = min(margin, x_hi)
    y_min = min(margin, y_hi)
    if anchor.kind == "top_right":
        # kept exactly as the receive stamp always chose: (lower-left corners of) the top-right quarter
        x_lo = max(min(min(width / 2, width - margin - w), x_hi), 0.0)
        y_lo = max(min(min(height / 2, height - margin - h), y_hi), 0.0)
        return _Region(
            _one_way(x_hi, x_lo, step),
            _one_way(y_hi, y_lo, step),
            (x_hi, y_hi),
            (1.0, 1.3),  # upward moves cost a little more than leftward ones (the corner is the habit)
            (width / 2 - w, height / 2 - h, width, height),
        )
    if anchor.kind == "bottom_right":
        x_lo = max(min(width / 2, x_hi), 0.0)
        y_top = _clamp(height / 2 - h, y_min, y_hi)
        return _Region(
            _one_way(x_hi, x_lo, step),
            _one_way(y_min, y_top, step),
            (x_hi, y_min),
            (1.0, 1.3),
            (width / 2 - w, 0.0, width, height / 2 + h),
        )
    if anchor.kind == "top_centre":
        cx = _clamp((width - w) / 2, x_min, x_hi)
        x_lo = _clamp(width / 4 - w / 2, x_min, cx)
        x_top = _clamp(3 * width / 4 - w / 2, cx, x_hi)
        y_lo = _clamp(3 * height / 4 - h, y_min, y_hi)
        return _Region(
            _both_ways(x_lo, cx, x_top, step),
            _one_way(y_hi, y_lo, step),
            (cx, y_hi),
            (1.0, 1.3),
            (x_lo - w, y_lo - h, x_top + 2 * w, height),
        )
    assert anchor.under is not None
    ux0, uy0, ux1, _uy1 = anchor.under
    gap = 1.0 * MM
    top = _clamp(uy0 - gap - h, y_min, y_hi)
    bottom = _clamp(top - height / 4, y_min, top)
    cx = _clamp((ux0 + ux1 - w) / 2, x_min, x_hi)
    x_lo = _clamp(cx - width / 4, x_min, cx)
    x_top = _clamp(cx + width / 4, cx, x_hi)
    return _Region(
        _both_ways(x_lo, cx, x_top, step),
        _one_way(top, bottom, step),
        (cx, top),
        (1.3, 1.0),  # under the box first: moving down costs less than moving aside
        (x_lo - w, bottom - h, x_top + 2 * w, top + 2 * h),
    )


# ----------------------------------------------------------------------------------------------------
# Choosing the spot


@lru_cache(maxsize=32)
def _candidates(
    size: tuple[float, float], w: float, h: float, margin: float, step: float, anchor: Anchor = Anchor.TOP_RIGHT
) -> tuple[Rect, ...]:
    """Box rectangles in display space inside the anchor's region of a page of ``size`` (as displayed), nearest
    the anchor's spot first."""
    region = _region(anchor, size, w, h, margin, step)
    xs, ys = region.xs, region.ys
    spots = [(x, y) for x in xs.grid for y in ys.grid]
    spots += [(x, y) for x in xs.extras for y in ys.grid]
    spots += [(x, y) for x in xs.grid for y in ys.extras]
    (hx, hy), (wx, wy) = region.home, region.weights
    spots.sort(key=lambda p: math.hypot(wx * (hx - p[0]), wy * (hy - p[1])))
    return tuple((x, y, x + w, y + h) for x, y in spots)


def choose_rect(
    page: Any,
    size: tuple[float, float],
    anchor: Anchor = Anchor.TOP_RIGHT,
    *,
    margin: float = 8.0 * MM,
    avoid: Sequence[Rect] = (),
) -> Rect:
    """Where on ``page`` (a pypdf page) a box of ``size`` (points, upright as displayed) goes near ``anchor``, as a
    display-space rectangle in points: the candidate spot of the anchor's region, at least ``margin`` from the
    page edge, that covers the least of the page's text, images and drawings (and of ``avoid``: boxes already
    placed), preferring the anchor's own spot. On a scan, the darkness of its pixels counts instead."""
    frame = _frame(page)
    w, h = size
    pad = 2.0 * MM  # keep clear of text by this much
    page_w, page_h = frame.display_size
    page_area = max(page_w * page_h, 1.0)
    step = 2.5 * MM
    area = _region(anchor, (page_w, page_h), w, h, margin, step).area

    content = _read_page(page)
    obstacles: list[tuple[Rect, float]] = [(frame.rect_to_display(r), 1.0) for r in content.text]
    ink: _InkMap | None = None
    for img in content.images:
        rect = frame.rect_to_display(img.rect)
        if _area(rect) >= 0.5 * page_area:
            if ink is None and img.name is not None:
                pil = _page_image(page, img.name)
                if pil is not None:
                    try:
                        ink = _InkMap(pil, img, frame)
                    except ValueError:
                        ink = None
            continue  # a background or scan: its pixels decide, not its rectangle
        obstacles.append((rect, 1.0))
    for r in content.paths:
        rect = frame.rect_to_display(r)
        if _area(rect) < 0.5 * page_area:
            obstacles.append((rect, 0.4))
    obstacles += [(r, 1.0) for r in avoid]
    # near the region only; hairlines get a little thickness; the biggest first, so that a hopeless
    # candidate is given up after a few
    near: list[tuple[float, float, float, float, float]] = []
    for r, weight in obstacles:
        if not (_overlap(r, area) > 0 or (_area(r) == 0 and _touches(r, area))):
            continue
        if r[2] - r[0] < 0.5 or r[3] - r[1] < 0.5:
            r = (r[0] - 0.5, r[1] - 0.5, r[2] + 0.5, r[3] + 0.5)
        near.append((*r, weight))
    near.sort(key=lambda o: -o[4] * (o[2] - o[0]) * (o[3] - o[1]))

    best: Rect | None = None
    best_cost = math.inf
    tolerance = 0.002 * w * h
    # candidates share a few dozen x positions: per x, the obstacles overlapping horizontally and by how much
    columns: dict[float, list[tuple[float, float, float]]] = {}
    meter = current()
    for cand in _candidates((page_w, page_h), w, h, margin, step, anchor):
        column = columns.get(cand[0])
        if column is None:
            meter.check_time()
            gx0, gx1 = cand[0] - pad, cand[2] + pad
            column = columns[cand[0]] = [
                (y0, y1, weight * (min(gx1, x1) - max(gx0, x0)))
                for x0, y0, x1, y1, weight in near
                if min(gx1, x1) - max(gx0, x0) > 0.0
            ]
        # cost: the weighted area of obstacles under the candidate grown by the padding
        gy0, gy1 = cand[1] - pad, cand[3] + pad
        limit = best_cost - tolerance  # costs only grow: stop adding once the candidate cannot win
        cost = 0.0
        for y0, y1, weighted_dx in column:
            dy = min(gy1, y1) - max(gy0, y0)
            if dy > 0.0:
                cost += weighted_dx * dy
                if cost >= limit:
                    break
        else:
            if ink is not None:
                cost += ink.density(cand) * w * h
            if cost < limit:
                best, best_cost = cand, cost
                if cost <= 0.0:
                    break
    assert best is not None
    return best


def _touches(r: Rect, s: Rect) -> bool:
    return r[0] <= s[2] and s[0] <= r[2] and r[1] <= s[3] and s[1] <= r[3]
