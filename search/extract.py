"""Text from attachments: poppler's pdftotext (pypdf as fallback), OCR with tesseract (tha+eng) for scans/images.

Never raises: problems are reported in :attr:`Extracted.status`.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from search.textlayer import repair_text_layer

__all__ = ["Extracted", "extract_text", "ocr_available"]

PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
IMAGE_TYPES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/gif", "image/tiff", "image/bmp"})
#: below this many non-space characters per page a PDF is treated as scanned and OCR'd
MIN_CHARS_PER_PAGE = 30
TIMEOUT_TEXT = 60
TIMEOUT_OCR_PAGE = 120


@dataclass(frozen=True)
class Extracted:
    text: str
    status: str  # "ok", "ocr", "no-text", "ocr-unavailable", "error: …"


@lru_cache(maxsize=1)
def _ocr_available() -> bool:
    exe = shutil.which("tesseract")
    if not exe or not shutil.which("pdftoppm"):
        return False
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    langs = {line.strip() for line in (out.stdout + out.stderr).splitlines()}
    return "tha" in langs


def ocr_available() -> bool:
    """True when tesseract with the Thai model (and pdftoppm for PDFs) is installed."""
    return _ocr_available()


def _pdftotext(path: Path, max_pages: int) -> str | None:
    exe = shutil.which("pdftotext")
    if not exe:
        return None
    try:
        out = subprocess.run(
            [exe, "-layout", "-enc", "UTF-8", "-l", str(max_pages), str(path), "-"],
            capture_output=True,
            timeout=TIMEOUT_TEXT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.decode("utf-8", errors="replace")


def _pypdf_text(path: Path, max_pages: int) -> tuple[str, int]:
    from pypdf import PdfReader

    with path.open("rb") as fh:  # a path would make pypdf read the whole file into memory; a handle stays lazy
        reader = PdfReader(fh)
        pages = reader.pages[:max_pages]
        return "\n".join((p.extract_text() or "") for p in pages), len(pages)


def _page_count(path: Path, max_pages: int) -> int:
    try:
        from pypdf import PdfReader

        with path.open("rb") as fh:  # lazy: never the whole file in memory
            return min(len(PdfReader(fh).pages), max_pages)
    except Exception:
        return 1


def _tesseract(image: Path) -> str:
    out = subprocess.run(
        ["tesseract", str(image), "-", "-l", "tha+eng"],
        capture_output=True,
        timeout=TIMEOUT_OCR_PAGE,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.decode("utf-8", errors="replace").strip()[:200])
    return out.stdout.decode("utf-8", errors="replace")


def _ocr_pdf(path: Path, max_pages: int) -> str:
    with tempfile.TemporaryDirectory(prefix="saraban-ocr-") as tmp:
        subprocess.run(
            ["pdftoppm", "-r", "200", "-png", "-l", str(max_pages), str(path), str(Path(tmp) / "p")],
            capture_output=True,
            timeout=TIMEOUT_OCR_PAGE * 2,
            check=True,
        )
        return "\n".join(_tesseract(img) for img in sorted(Path(tmp).glob("p*.png")))


def _enough(text: str, pages: int) -> bool:
    return sum(1 for c in text if not c.isspace()) >= MIN_CHARS_PER_PAGE * max(1, pages)


def extract_text(path: Path, media_type: str, *, ocr: bool = True, max_pages: int = 50) -> Extracted:
    """Extract text from an attachment. PDFs: text layer first; scanned PDFs and images: OCR if available."""
    media_type = (media_type or "").split(";")[0].strip().lower()
    try:
        if media_type in PDF_TYPES:
            text = _pdftotext(path, max_pages)
            pages = _page_count(path, max_pages)
            if text is None or not _enough(text, pages):
                try:
                    alt, pages = _pypdf_text(path, max_pages)
                except Exception:
                    alt = ""
                if text is None or len(alt.strip()) > len(text.strip()):
                    text = alt
            text = repair_text_layer(text)
            if _enough(text, pages):
                return Extracted(text.strip(), "ok")
            if not ocr:
                return Extracted(text.strip(), "ok" if text.strip() else "no-text")
            if not ocr_available():
                return Extracted(text.strip(), "ocr-unavailable")
            return Extracted(_ocr_pdf(path, max_pages).strip(), "ocr")
        if media_type in IMAGE_TYPES:
            if not ocr:
                return Extracted("", "no-text")
            if not ocr_available():
                return Extracted("", "ocr-unavailable")
            if media_type == "image/gif":  # tesseract reads gif only via leptonica builds with giflib: convert
                from PIL import Image

                with tempfile.TemporaryDirectory(prefix="saraban-ocr-") as tmp:
                    png = Path(tmp) / "img.png"
                    with Image.open(path) as im:
                        im.convert("RGB").save(png)
                    return Extracted(_tesseract(png).strip(), "ocr")
            return Extracted(_tesseract(path).strip(), "ocr")
        if media_type.startswith("text/"):
            return Extracted(path.read_text(encoding="utf-8", errors="replace"), "ok")
        return Extracted("", "no-text")
    except Exception as e:
        return Extracted("", f"error: {type(e).__name__}: {e}"[:300])
