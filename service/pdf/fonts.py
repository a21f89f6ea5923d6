"""Where the Thai fonts are: PyPI ``fontpkg-sarabun`` first, Debian's Laksaman (TLWG) as a fallback."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_LAKSAMAN_DIR = Path("/usr/share/fonts/truetype/tlwg")


def _sarabun_dir() -> Path | None:
    try:
        import fontpkg_sarabun
    except ImportError:
        return None
    return Path(fontpkg_sarabun.__file__).parent / "files"


@lru_cache(maxsize=4)
def thai_font(*, bold: bool = False) -> Path:
    """The path of a TTF that covers Thai and ASCII: Sarabun (Regular/Bold), else Laksaman.

    Raises ``FileNotFoundError`` naming the packages to install when neither is present.
    """
    candidates: list[Path] = []
    sarabun = _sarabun_dir()
    if sarabun is not None:
        candidates.append(sarabun / ("Sarabun-Bold.ttf" if bold else "Sarabun-Regular.ttf"))
    candidates.append(_LAKSAMAN_DIR / ("Laksaman-Bold.ttf" if bold else "Laksaman.ttf"))
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        "no Thai font found: install the PyPI package fontpkg-sarabun "
        "or the Debian package fonts-tlwg-laksaman-ttf (tried: " + ", ".join(map(str, candidates)) + ")"
    )
