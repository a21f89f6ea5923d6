"""The receive stamp (ตรารับหนังสือ, domain.md §3.2) on page 1 of an incoming PDF, and PDF helpers for uploads.

Pure functions: bytes/paths in, bytes out. The stamp is rendered with fpdf2 (HarfBuzz shaping, Thai font) as a
one-page PDF the size of the stamp and merged onto page 1 with pypdf; the result is written
*incrementally* so the original file is an exact byte prefix of the output (digital signatures on the
incoming PDF stay verifiable) and pages 2..N are untouched.

Placement: inside the top-right quarter of page 1 *as displayed* (CropBox and /Rotate honoured), keeping
a margin from the page edge, at the candidate position that overlaps the least of the page's text, images
and drawings, preferring the top-right corner. On a page that is one full-page image (a scan), the
image's pixels decide: the whitest region wins.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from fpdf import FPDF
from PIL import Image, ImageOps, ImageStat, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.errors import PyPdfError
from pypdf.generic import ContentStream, StreamObject

from service.fonts import thai_font
from service.thai import format_thai_date, format_thai_time, to_thai_digits

log = logging.getLogger(__name__)

MM = 72 / 25.4
"""PDF points per millimetre."""

# domain.md §3.2 [R]: about 2.5 × 5 cm. Defaults, overridable per call through StampLayout.
STAMP_WIDTH_MM = 50.0
STAMP_HEIGHT_MM = 25.0
PAGE_MARGIN_MM = 8.0
STAMP_COLOUR = (200, 16, 46)

A4_MM = (210.0, 297.0)

Rect = tuple[float, float, float, float]
"""(x0, y0, x1, y1) in points, x0 < x1, y0 < y1."""


class InvalidPdf(Exception):
    """The file is not a PDF pypdf can read, has no pages, or is encrypted with a password."""


class InvalidImage(ValueError):
    """The file is not a JPEG/PNG/GIF image Pillow can decode."""


@dataclass(frozen=True)
class ReceiveStamp:
    unit_name: str
    """The receiving unit, e.g. ``สพป.ขอนแก่น เขต ๕``."""
    number: int
    """เลขรับ, the receive number."""
    received_at: datetime
    """An aware datetime, already in the office's zone (Asia/Bangkok)."""
    thai_digits: bool = True


@dataclass(frozen=True)
class StampLayout:
    width_mm: float = STAMP_WIDTH_MM
    height_mm: float = STAMP_HEIGHT_MM
    margin_mm: float = PAGE_MARGIN_MM
    font_size_pt: float = 12.0
    line_height_mm: float = 5.5
    min_unit_font_size_pt: float = 7.0


DEFAULT_LAYOUT = StampLayout()


def stamp_lines(stamp: ReceiveStamp) -> list[str]:
    """The four lines of the stamp: unit, ``เลขรับ n``, ``วันที่ d มี.ค. yyyy``, ``เวลา HH.MM น.``."""
    number = str(stamp.number)
    if stamp.thai_digits:
        number = to_thai_digits(number)
    return [
        stamp.unit_name.strip(),
        f"เลขรับ {number}",
        f"วันที่ {format_thai_date(stamp.received_at.date(), thai_digits=stamp.thai_digits)}",
        f"เวลา {format_thai_time(stamp.received_at, thai_digits=stamp.thai_digits)}",
    ]


# ----------------------------------------------------------------------------------------------------
# Rendering the stamp


def render_stamp(stamp: ReceiveStamp, layout: StampLayout = DEFAULT_LAYOUT) -> bytes:
    """The stamp alone as a one-page PDF exactly the size of the stamp box."""
    w, h = layout.width_mm, layout.height_mm
    pdf = FPDF(unit="mm", format=(w, h))
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creator("saraban")
    pdf.add_font("thai", "", str(thai_font()))
    pdf.add_font("thai", "B", str(thai_font(bold=True)))
    pdf.set_text_shaping(use_shaping_engine=True)
    pdf.add_page()
    pdf.set_draw_color(*STAMP_COLOUR)
    pdf.set_text_color(*STAMP_COLOUR)
    border = 0.5
    pdf.set_line_width(border)
    pdf.rect(border / 2, border / 2, w - border, h - border)

    lines = stamp_lines(stamp)
    pad = 1.8
    inner = w - 2 * pad
    line_h = layout.line_height_mm
    top = (h - line_h * len(lines)) / 2
    for i, text in enumerate(lines):
        style = "B" if i == 0 else ""
        size = layout.font_size_pt
        pdf.set_font("thai", style, size)
        if i == 0:
            # Shrink a long unit name, then squeeze it horizontally if even the smallest size is too wide.
            while pdf.get_string_width(text) > inner and size > layout.min_unit_font_size_pt:
                size = max(layout.min_unit_font_size_pt, size - 0.5)
                pdf.set_font("thai", style, size)
            width = pdf.get_string_width(text)
            if width > inner:
                pdf.set_stretching(max(40.0, 100.0 * inner / width))
        pdf.set_xy(pad, top + i * line_h)
        pdf.cell(w=inner, h=line_h, text=text, align="C")
        pdf.set_stretching(100)
    return bytes(pdf.output())


# ----------------------------------------------------------------------------------------------------
# Reading and checking PDFs


def _reader(data: bytes | BinaryIO) -> PdfReader:
    stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data
    head = stream.read(1024)
    stream.seek(0)
    if not head.lstrip().find(b"%PDF-") >= 0:
        raise InvalidPdf("not a PDF (no %PDF- header)")
    try:
        reader = PdfReader(stream, strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except (PyPdfError, NotImplementedError, ValueError) as exc:
                raise InvalidPdf(f"encrypted PDF cannot be opened: {exc}") from exc
            if not ok:
                raise InvalidPdf("the PDF is protected with a password")
        count = len(reader.pages)
    except InvalidPdf:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on garbage
        raise InvalidPdf(f"cannot read the PDF: {exc}") from exc
    if count == 0:
        raise InvalidPdf("the PDF has no pages")
    return reader


def pdf_page_count(src: Path) -> int:
    """The number of pages; raises InvalidPdf when the file is unreadable, empty or password-protected.

    Reads lazily from the file: a large PDF is never loaded whole.
    """
    with src.open("rb") as fh:
        return len(_reader(fh).pages)


# ----------------------------------------------------------------------------------------------------
# Geometry: display space (what a viewer shows: CropBox rotated by /Rotate, origin bottom-left, points)


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


# ----------------------------------------------------------------------------------------------------
# What is on the page


def _is_mark(ch: str) -> bool:
    o = ord(ch)
    return o == 0x0E31 or 0x0E34 <= o <= 0x0E3A or 0x0E47 <= o <= 0x0E4E or 0x0300 <= o <= 0x036F or o == 0x200B


def _text_width_em(text: str) -> float:
    """A generous estimate of a string's advance in ems (Thai marks have no advance)."""
    width = 0.0
    for ch in text:
        if _is_mark(ch):
            continue
        width += 0.3 if ch.isspace() else 0.6
    return width


def _text_boxes(page: Any) -> list[Rect]:
    """User-space boxes of the page's text, from the text matrices pypdf reports while extracting."""
    boxes: list[Rect] = []

    def visitor(text: str, cm: Any, tm: Any, _font: Any, font_size: Any) -> None:
        if not text or not text.strip():
            return
        try:
            m = _mul(tuple(float(v) for v in tm), tuple(float(v) for v in cm))  # type: ignore[arg-type]
            size = float(font_size) or 1.0
        except (TypeError, ValueError):
            return
        for k, line in enumerate(text.splitlines()):
            stripped = line.rstrip()
            if not stripped.strip():
                continue
            em = _text_width_em(stripped)
            local = (0.0, -0.3 * size - k * 1.2 * size, em * size, 1.05 * size - k * 1.2 * size)
            boxes.append(_transform_rect(m, local))

    try:
        page.extract_text(visitor_text=visitor)
    except Exception as exc:  # text extraction must never stop the stamp
        log.warning("cannot read the text positions on page 1: %s", exc)
    return boxes


@dataclass(frozen=True)
class _PlacedImage:
    rect: Rect  # user space
    ctm: Matrix  # maps the unit square onto the page
    name: str | None  # resource name when directly on the page (for pixel access)


def _graphics(page: Any) -> tuple[list[_PlacedImage], list[Rect]]:
    """Placed images and the boxes of painted paths, from the content stream (and forms, 2 levels deep)."""
    images: list[_PlacedImage] = []
    paths: list[Rect] = []

    def walk(contents: Any, resources: Any, base: Matrix, depth: int) -> None:
        try:
            ops = ContentStream(contents, page.pdf).operations
        except Exception as exc:
            log.warning("cannot parse page content: %s", exc)
            return
        xobjects: Any = {}
        try:
            if resources is not None and "/XObject" in resources:
                xobjects = resources["/XObject"].get_object()
        except Exception:
            xobjects = {}
        ctm = base
        stack: list[Matrix] = []
        path: list[tuple[float, float]] = []
        for operands, op in ops:
            if op == b"q":
                stack.append(ctm)
            elif op == b"Q":
                ctm = stack.pop() if stack else base
            elif op == b"cm" and len(operands) == 6:
                with contextlib.suppress(TypeError, ValueError):
                    ctm = _mul(tuple(float(v) for v in operands), ctm)  # type: ignore[arg-type]
            elif op in (b"m", b"l") and len(operands) >= 2:
                path.append(_apply(ctm, float(operands[0]), float(operands[1])))
            elif op in (b"c", b"v", b"y") and len(operands) >= 4:
                for i in range(0, len(operands) - 1, 2):
                    path.append(_apply(ctm, float(operands[i]), float(operands[i + 1])))
            elif op == b"re" and len(operands) == 4:
                x, y, w, h = (float(v) for v in operands)
                r = _transform_rect(ctm, (min(x, x + w), min(y, y + h), max(x, x + w), max(y, y + h)))
                path.extend([(r[0], r[1]), (r[2], r[3])])
            elif op in (b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"):
                if path:
                    paths.append(_bbox(path))
                path = []
            elif op == b"n":
                path = []
            elif op == b"INLINE IMAGE":
                images.append(_PlacedImage(_transform_rect(ctm, (0, 0, 1, 1)), ctm, None))
            elif op == b"Do" and operands:
                name = str(operands[0])
                try:
                    xobj = xobjects[name].get_object()
                except Exception:
                    continue
                subtype = xobj.get("/Subtype")
                if subtype == "/Image":
                    images.append(_PlacedImage(_transform_rect(ctm, (0, 0, 1, 1)), ctm, name if depth == 0 else None))
                elif subtype == "/Form" and depth < 2 and isinstance(xobj, StreamObject):
                    matrix = xobj.get("/Matrix")
                    form_m: Matrix = _IDENTITY
                    if matrix is not None and len(matrix) == 6:
                        form_m = tuple(float(v) for v in matrix)  # type: ignore[assignment]
                    walk(xobj, xobj.get("/Resources", resources), _mul(form_m, ctm), depth + 1)

    try:
        contents = page.get_contents()
        if contents is not None:
            resources = page.get("/Resources")
            walk(contents, resources.get_object() if resources is not None else None, _IDENTITY, 0)
    except Exception as exc:
        log.warning("cannot read the drawings on page 1: %s", exc)
    return images, paths


# ----------------------------------------------------------------------------------------------------
# Pixels of a scanned page


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


def _page_image(page: Any, name: str) -> Image.Image | None:
    """The decoded image XObject ``name`` (``/Im1``) of ``page``, or None."""
    wanted = name.lstrip("/")
    try:
        for img in page.images:
            base = img.name.lstrip("/")
            if base == wanted or base.rsplit(".", 1)[0] == wanted:
                return img.image  # type: ignore[no-any-return]
    except Exception as exc:
        log.info("cannot decode the page image %s: %s", name, exc)
    return None


# ----------------------------------------------------------------------------------------------------
# Choosing the spot


def _candidates(frame: _PageFrame, w: float, h: float, margin: float, step: float) -> Iterator[Rect]:
    """Stamp rectangles in display space inside the top-right quarter, nearest the top-right corner first."""
    width, height = frame.display_size
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
    for x, y in spots:
        yield x, y, x + w, y + h


def choose_stamp_rect(page: Any, layout: StampLayout = DEFAULT_LAYOUT) -> Rect:
    """Where on ``page`` (a pypdf page) the stamp goes, as a display-space rectangle in points."""
    frame = _frame(page)
    w, h = layout.width_mm * MM, layout.height_mm * MM
    margin = layout.margin_mm * MM
    pad = 2.0 * MM  # keep clear of text by this much
    page_w, page_h = frame.display_size
    page_area = max(page_w * page_h, 1.0)
    quarter: Rect = (page_w / 2 - w, page_h / 2 - h, page_w, page_h)

    obstacles: list[tuple[Rect, float]] = []
    for r in _text_boxes(page):
        obstacles.append((frame.rect_to_display(r), 1.0))
    images, paths = _graphics(page)
    ink: _InkMap | None = None
    for img in images:
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
    for r in paths:
        rect = frame.rect_to_display(r)
        if _area(rect) < 0.5 * page_area:
            obstacles.append((rect, 0.4))
    obstacles = [(r, wt) for r, wt in obstacles if _overlap(r, quarter) > 0 or (_area(r) == 0 and _touches(r, quarter))]

    best: Rect | None = None
    best_cost = math.inf
    tolerance = 0.002 * w * h
    for cand in _candidates(frame, w, h, margin, 2.5 * MM):
        grown = (cand[0] - pad, cand[1] - pad, cand[2] + pad, cand[3] + pad)
        cost = 0.0
        for r, weight in obstacles:
            if r[2] - r[0] < 0.5 or r[3] - r[1] < 0.5:  # a hairline: give it a little thickness
                r = (r[0] - 0.5, r[1] - 0.5, r[2] + 0.5, r[3] + 0.5)
            cost += weight * _overlap(grown, r)
        if ink is not None:
            cost += ink.density(cand) * w * h
        if cost < best_cost - tolerance:
            best, best_cost = cand, cost
            if cost <= 0.0:
                break
    assert best is not None
    return best


def _touches(r: Rect, s: Rect) -> bool:
    return r[0] <= s[2] and s[0] <= r[2] and r[1] <= s[3] and s[1] <= r[3]


# ----------------------------------------------------------------------------------------------------
# Stamping


def stamp_pdf(src: Path, stamp: ReceiveStamp, layout: StampLayout = DEFAULT_LAYOUT) -> bytes:
    """``src`` with the receive stamp on page 1, written incrementally (``src`` is a prefix of the result)."""
    data = src.read_bytes()
    reader = _reader(data)
    if reader.is_encrypted:
        raise InvalidPdf("encrypted PDFs cannot be stamped incrementally")
    rect = choose_stamp_rect(reader.pages[0], layout)
    frame = _frame(reader.pages[0])
    stamp_page = PdfReader(io.BytesIO(render_stamp(stamp, layout))).pages[0]
    try:
        writer = PdfWriter(reader, incremental=True)
        page = writer.pages[0]
        page.merge_transformed_page(
            stamp_page, Transformation(frame.placement_ctm(rect[0], rect[1])), over=True, expand=False
        )
        out = io.BytesIO()
        writer.write(out)
    except InvalidPdf:
        raise
    except Exception as exc:
        raise InvalidPdf(f"cannot stamp the PDF: {exc}") from exc
    result = out.getvalue()
    if not result.startswith(data):  # pragma: no cover - pypdf's incremental mode guarantees it
        raise InvalidPdf("the stamped PDF does not keep the original bytes")
    return result


# ----------------------------------------------------------------------------------------------------
# Images → PDF


_IMAGE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "MPO"})


def image_to_pdf(src: Path) -> bytes:
    """A JPEG/PNG/GIF as a one-page A4 PDF, the image scaled to fit (aspect kept, centred).

    The page is landscape when the image is wider than tall. JPEGs are embedded as they are (no re-encoding)
    unless their EXIF orientation asks for a rotation; animated GIFs give their first frame.
    """
    try:
        with Image.open(src) as probe:
            fmt = probe.format or ""
            if fmt not in _IMAGE_FORMATS:
                raise InvalidImage(f"unsupported image format {fmt or 'unknown'!r}: use JPEG, PNG or GIF")
            probe.load()
            orientation = _exif_orientation(probe)
            img: Image.Image | str
            if fmt == "JPEG" and orientation in (0, 1) and probe.mode in ("RGB", "L", "CMYK"):
                img = str(src)  # fpdf2 embeds the JPEG stream as it is
                size = probe.size
            else:
                upright = ImageOps.exif_transpose(probe)
                alpha = upright.mode in ("RGBA", "LA") or "transparency" in upright.info
                img = upright.convert("RGBA" if alpha and fmt == "PNG" else "RGB")
                size = img.size
    except InvalidImage:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(f"cannot read the image: {exc}") from exc

    landscape = size[0] > size[1]
    page_w, page_h = (A4_MM[1], A4_MM[0]) if landscape else A4_MM
    scale = min(page_w / size[0], page_h / size[1])
    w, h = size[0] * scale, size[1] * scale
    pdf = FPDF(unit="mm", format="A4", orientation="L" if landscape else "P")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creator("saraban")
    pdf.add_page()
    pdf.image(img, x=(page_w - w) / 2, y=(page_h - h) / 2, w=w, h=h)
    return bytes(pdf.output())


def _exif_orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(0x0112, 1))
    except Exception:
        return 1


__all__ = [
    "InvalidImage",
    "InvalidPdf",
    "ReceiveStamp",
    "StampLayout",
    "choose_stamp_rect",
    "image_to_pdf",
    "pdf_page_count",
    "render_stamp",
    "stamp_lines",
    "stamp_pdf",
]
