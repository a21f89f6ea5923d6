"""The receive stamp (ตรารับหนังสือ, ระเบียบงานสารบรรณ หมวด 2 ส่วนที่ 1) on page 1 of an incoming PDF.

What the stamp says and how big it is live here (``ReceiveStamp``, ``StampLayout``, ``stamp_lines``); drawing it
is one use of the PDF toolkit's overlay (``service.pdf``): a bordered red box of four centred lines
(:func:`stamp_box`) laid over page 1 at the ``top_right`` anchor.

Rendering (``service.pdf.drawing``, ``font``): the four lines are shaped with HarfBuzz (Thai marks stack through
the font's GSUB/GPOS) and written as PDF operators directly, with a Type0/CIDFontType2 font whose program is a
subset of the Thai font holding only the glyphs the stamp uses, assembled from glyph data read once per process. A
ToUnicode CMap built from HarfBuzz's clusters makes the stamp's text extractable.

Writing (``service.pdf.update``): the stamp is appended to page 1 as an *incremental update* written by hand (only
page 1's dictionary and the new objects): page 1 gets a new /Contents array ``[q, ...its own streams..., Q
<stamp>]`` and the stamp's fonts in a copy of its /Resources, so the original file is an exact byte prefix of the
output (digital signatures on the incoming PDF stay verifiable), page 1's own content streams are kept as they
are, and pages 2..N are untouched. The original is read lazily and copied in chunks: memory does not grow with its
size.

Placement (``service.pdf.placement``, ``content``, ``geometry``): inside the top-right quarter of page 1 *as
displayed* (CropBox and /Rotate honoured), keeping a margin from the page edge, at the candidate position that
overlaps the least of the page's text, images and drawings, preferring the top-right corner. On a page that is one
full-page image (a scan), the image's pixels decide: the whitest region wins. Page 1's content is read once, by a
small tokenizer and graphics/text state machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from service.kit.thai import format_thai_date, format_thai_time, to_thai_digits
from service.pdf.drawing import TextBox, TextLine, render_box
from service.pdf.geometry import MM, Rect
from service.pdf.images import InvalidImage, image_to_pdf
from service.pdf.placement import Anchor, choose_rect
from service.pdf.reading import InvalidPdf, PasswordProtectedPdf, pdf_page_count
from service.pdf.update import Overlay, Writer, overlay_pdf, overlay_pdf_to

# Common practice (not in the regulation's text): about 2.5 × 5 cm. Defaults, overridable per call through StampLayout.
STAMP_WIDTH_MM = 50.0
STAMP_HEIGHT_MM = 25.0
PAGE_MARGIN_MM = 8.0
STAMP_COLOUR = (200, 16, 46)


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


def stamp_box(stamp: ReceiveStamp, layout: StampLayout = DEFAULT_LAYOUT) -> TextBox:
    """The stamp as a toolkit box: the unit in bold (shrunk, then squeezed, to fit), the other three lines
    regular, centred, in the stamp's red with a 0.5 mm border."""
    unit, *rest = stamp_lines(stamp)
    return TextBox(
        lines=[TextLine(unit, bold=True, min_size_pt=layout.min_unit_font_size_pt), *rest],
        size_pt=layout.font_size_pt,
        line_height_pt=layout.line_height_mm * MM,
        width_pt=layout.width_mm * MM,
        height_pt=layout.height_mm * MM,
        colour=STAMP_COLOUR,
        border=True,
        border_pt=0.5 * MM,
        padding_pt=1.8 * MM,
    )


def stamp_overlay(stamp: ReceiveStamp, layout: StampLayout = DEFAULT_LAYOUT) -> Overlay:
    """The stamp as an overlay of page 1 at the top-right anchor (to combine with other boxes in one update)."""
    return Overlay(stamp_box(stamp, layout), page=0, anchor=Anchor.TOP_RIGHT, margin_pt=layout.margin_mm * MM)


def render_stamp(stamp: ReceiveStamp, layout: StampLayout = DEFAULT_LAYOUT) -> bytes:
    """The stamp alone as a one-page PDF exactly the size of the stamp box."""
    return render_box(stamp_box(stamp, layout))


def choose_stamp_rect(page: Any, layout: StampLayout = DEFAULT_LAYOUT) -> Rect:
    """Where on ``page`` (a pypdf page) the stamp goes, as a display-space rectangle in points."""
    return choose_rect(
        page, (layout.width_mm * MM, layout.height_mm * MM), Anchor.TOP_RIGHT, margin=layout.margin_mm * MM
    )


def stamp_pdf_to(
    src: Path,
    dst: Writer,
    stamp: ReceiveStamp,
    layout: StampLayout = DEFAULT_LAYOUT,
    *,
    tmp_dir: Path | None = None,
) -> int:
    """Write ``src`` with the receive stamp on page 1 to ``dst`` (``src`` is a prefix of what is written; see
    :func:`service.pdf.update.overlay_pdf_to`). Returns the number of bytes written."""
    return overlay_pdf_to(src, dst, [stamp_overlay(stamp, layout)], tmp_dir=tmp_dir).length


def stamp_pdf(src: Path, stamp: ReceiveStamp, layout: StampLayout = DEFAULT_LAYOUT) -> bytes:
    """``src`` with the receive stamp on page 1, as bytes (``src`` is a prefix of the result): for small files;
    :func:`stamp_pdf_to` writes a stamped copy of any size without holding it."""
    return overlay_pdf(src, [stamp_overlay(stamp, layout)])


__all__ = [
    "DEFAULT_LAYOUT",
    "MM",
    "InvalidImage",
    "InvalidPdf",
    "PasswordProtectedPdf",
    "ReceiveStamp",
    "StampLayout",
    "Writer",
    "choose_stamp_rect",
    "image_to_pdf",
    "pdf_page_count",
    "render_stamp",
    "stamp_box",
    "stamp_lines",
    "stamp_overlay",
    "stamp_pdf",
    "stamp_pdf_to",
]
