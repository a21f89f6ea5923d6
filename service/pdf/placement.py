"""Where the stamp goes: the clearest spot of page 1's top-right quarter, judged by the page's text, images and
drawings and, on a scan, by the darkness of its pixels."""

from __future__ import annotations

import io
import logging
import math
from functools import lru_cache
from typing import Any

from PIL import Image, ImageStat

from service.pdf.content import _PlacedImage, _read_page
from service.pdf.geometry import Matrix, Rect, _apply, _area, _frame, _overlap, _PageFrame
from service.pdf.layout import DEFAULT_LAYOUT, MM, StampLayout

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
    try:
        xobj = page["/Resources"]["/XObject"][name].get_object()
        filters = xobj.get("/Filter")
        if "/Decode" not in xobj and (filters == "/DCTDecode" or filters == ["/DCTDecode"]):
            img = Image.open(io.BytesIO(xobj.get_data()))
            if img.format == "JPEG":
                if max(img.size) >= 2 * _INK_MIN_DECODE_SIDE:
                    img.draft("L", ((img.width + 1) // 2, (img.height + 1) // 2))
                else:
                    img.draft("L", img.size)
                return img
    except Exception as exc:
        log.info("cannot read the page image %s as a JPEG: %s", name, exc)
    wanted = name.lstrip("/")
    try:
        for img_file in page.images:
            base = img_file.name.lstrip("/")
            if base == wanted or base.rsplit(".", 1)[0] == wanted:
                return img_file.image  # type: ignore[no-any-return]
    except Exception as exc:
        log.info("cannot decode the page image %s: %s", name, exc)
    return None


# ----------------------------------------------------------------------------------------------------
# Choosing the spot


@lru_cache(maxsize=16)
def _candidates(size: tuple[float, float], w: float, h: float, margin: float, step: float) -> tuple[Rect, ...]:
    """Stamp rectangles in display space inside the top-right quarter of a page of ``size`` (as displayed),
    nearest the top-right corner first."""
    width, height = size
    x_hi = width - margin - w
    y_hi = height - margin - h
    x_lo = min(width / 2, x_hi)
    y_lo = min(height / 2, y_hi)
    x_hi, y_hi = max(x_hi, 0.0), max(y_hi, 0.0)
    x_lo, y_lo = max(min(x_lo, x_hi), 0.0), max(min(y_lo, y_hi), 0.0)
    nx = int((x_hi - x_lo) // step) + 1
    ny = int((y_hi - y_lo) // step) + 1
    spots = [(x_hi - i * step, y_hi - j * step) for i in range(nx) for j in range(ny)]
    if x_hi - (nx - 1) * step > x_lo + 0.5:
        spots += [(x_lo, y_hi - j * step) for j in range(ny)]
    if y_hi - (ny - 1) * step > y_lo + 0.5:
        spots += [(x_hi - i * step, y_lo) for i in range(nx)]
    # nearest the corner first; upward moves cost a little more than leftward ones (the corner is the habit)
    spots.sort(key=lambda p: math.hypot(x_hi - p[0], 1.3 * (y_hi - p[1])))
    return tuple((x, y, x + w, y + h) for x, y in spots)


def choose_stamp_rect(page: Any, layout: StampLayout = DEFAULT_LAYOUT) -> Rect:
    """Where on ``page`` (a pypdf page) the stamp goes, as a display-space rectangle in points."""
    frame = _frame(page)
    w, h = layout.width_mm * MM, layout.height_mm * MM
    margin = layout.margin_mm * MM
    pad = 2.0 * MM  # keep clear of text by this much
    page_w, page_h = frame.display_size
    page_area = max(page_w * page_h, 1.0)
    quarter: Rect = (page_w / 2 - w, page_h / 2 - h, page_w, page_h)

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
    # near the quarter only; hairlines get a little thickness; the biggest first, so that a hopeless
    # candidate is given up after a few
    near: list[tuple[float, float, float, float, float]] = []
    for r, weight in obstacles:
        if not (_overlap(r, quarter) > 0 or (_area(r) == 0 and _touches(r, quarter))):
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
    for cand in _candidates((page_w, page_h), w, h, margin, 2.5 * MM):
        column = columns.get(cand[0])
        if column is None:
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
