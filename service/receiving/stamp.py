"""The receive stamp (ตรารับหนังสือ, ระเบียบงานสารบรรณ หมวด 2 ส่วนที่ 1) on page 1 of an incoming PDF.

Rendering (``drawing``, ``font``): the four lines are shaped with HarfBuzz (Thai marks stack through the font's
GSUB/GPOS) and written as PDF operators directly, with a Type0/CIDFontType2 font whose program is a subset of the
Thai font holding only the glyphs the stamp uses, assembled from glyph data read once per process. A ToUnicode
CMap built from HarfBuzz's clusters makes the stamp's text extractable.

Writing (``update``): the stamp is appended to page 1 as an *incremental update* written by hand (only page 1's
dictionary and the new objects): page 1 gets a new /Contents array ``[q, ...its own streams..., Q <stamp>]`` and
the stamp's fonts in a copy of its /Resources, so the original file is an exact byte prefix of the output
(digital signatures on the incoming PDF stay verifiable), page 1's own content streams are kept as they are, and
pages 2..N are untouched. The original is read lazily and copied in chunks: memory does not grow with its size.

Placement (``placement``, ``content``, ``geometry``): inside the top-right quarter of page 1 *as displayed*
(CropBox and /Rotate honoured), keeping a margin from the page edge, at the candidate position that overlaps the
least of the page's text, images and drawings, preferring the top-right corner. On a page that is one full-page
image (a scan), the image's pixels decide: the whitest region wins. Page 1's content is read once, by a small
tokenizer and graphics/text state machine.
"""

from __future__ import annotations

from service.pdf.drawing import render_stamp
from service.pdf.images import InvalidImage, image_to_pdf
from service.pdf.layout import DEFAULT_LAYOUT, MM, ReceiveStamp, StampLayout, stamp_lines
from service.pdf.placement import choose_stamp_rect
from service.pdf.reading import InvalidPdf, PasswordProtectedPdf, pdf_page_count
from service.pdf.update import Writer, stamp_pdf, stamp_pdf_to

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
    "stamp_lines",
    "stamp_pdf",
    "stamp_pdf_to",
]
