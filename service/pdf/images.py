"""A JPEG, PNG or GIF made into a one-page A4 PDF, so that it can carry the stamp."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageOps, UnidentifiedImageError

from service.pdf.budget import TooComplex, current

A4_MM = (210.0, 297.0)
COPY_MAX_PIXELS = 2480 * 3508
"""A decoded image larger than A4 at 300 dpi is reduced to about that for its stamped copy (the original is kept
as it came): what follows (the PDF, placing the stamp) then works on a page-sized image."""


class InvalidImage(ValueError):
    """The file is not a JPEG/PNG/GIF image Pillow can decode."""


_IMAGE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "MPO"})


def image_to_pdf(src: Path) -> bytes:
    """A JPEG/PNG/GIF as a one-page A4 PDF, the image scaled to fit (aspect kept, centred).

    The page is landscape when the image is wider than tall. JPEGs are embedded as they are (no re-encoding)
    unless their EXIF orientation asks for a rotation; animated GIFs give their first frame. The pixel budget of
    the work under way (``service.pdf.budget``) is checked from the header, before the image is decoded.
    """
    try:
        with warnings.catch_warnings():  # the pixel budget below decides, far below Pillow's warning
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            probe = Image.open(src)
        with probe:
            fmt = probe.format or ""
            if fmt not in _IMAGE_FORMATS:
                raise InvalidImage(f"unsupported image format {fmt or 'unknown'!r}: use JPEG, PNG or GIF")
            current().check_pixels(*probe.size)
            orientation = _exif_orientation(probe)
            img: Image.Image | str
            if fmt == "JPEG" and orientation in (0, 1) and probe.mode in ("RGB", "L", "CMYK"):
                img = str(src)  # fpdf2 embeds the JPEG stream as it is (not decoded here)
                size = probe.size
            else:
                probe.load()
                upright = ImageOps.exif_transpose(probe)
                factor = math.ceil(math.sqrt(upright.width * upright.height / COPY_MAX_PIXELS))
                if factor > 1:  # the stamped copy of a very large image: at most A4 at 300 dpi
                    upright = upright.reduce(factor)
                alpha = upright.mode in ("RGBA", "LA") or "transparency" in upright.info
                grey = upright.mode in ("1", "L") and not alpha
                img = upright.convert("RGBA" if alpha and fmt == "PNG" else ("L" if grey else "RGB"))
                size = img.size
    except (InvalidImage, TooComplex):
        raise
    except Image.DecompressionBombError as exc:
        raise TooComplex(f"the image is a decompression bomb: {exc}") from exc
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
