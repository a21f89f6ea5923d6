"""Static assets the pages need: the Thai font, served from the package so Thai renders on any machine."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from service.pdf.fonts import thai_font

router = APIRouter()


@router.get("/static/sarabun-{weight}.ttf", include_in_schema=False)
def font(weight: str) -> FileResponse:
    path = thai_font(bold=weight == "bold")
    return FileResponse(path, media_type="font/ttf", headers={"Cache-Control": "public, max-age=86400"})
