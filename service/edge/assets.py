"""Static assets the pages need: the Thai font, served from the package so Thai renders on any machine, and the one
small script (the error page's way back; the CSP allows scripts from this origin only, never inline)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from service.pdf.fonts import thai_font

router = APIRouter()


@router.get("/static/sarabun-{weight}.ttf", include_in_schema=False)
def font(weight: str) -> FileResponse:
    path = thai_font(bold=weight == "bold")
    return FileResponse(path, media_type="font/ttf", headers={"Cache-Control": "public, max-age=86400"})


BACK_JS = Path(__file__).parent / "static" / "back.js"


@router.get("/static/back.js", include_in_schema=False)
def back_script() -> FileResponse:
    return FileResponse(BACK_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})
