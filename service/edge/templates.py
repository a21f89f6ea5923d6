"""The one Jinja environment: each concept keeps its pages in its own ``templates/``; shared layout lives here."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader

from service.access.roles import ROLE_TH, SECRECY_LABELS, URGENCY_LABELS
from service.audit.vocab import action_th, object_th
from service.edge.publicids import publish
from service.kit.errors import SarabanError
from service.kit.publicids import CURRENT
from service.kit.thai import format_thai_date, format_thai_datetime
from service.letters.vocab import CHANNELS, LETTER_TYPES

if TYPE_CHECKING:
    from service.edge.deps import Page

SERVICE = Path(__file__).parent.parent
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.loader = ChoiceLoader(
    [FileSystemLoader(str(d)) for d in sorted(SERVICE.glob("*/templates")) if d.is_dir()]
)
templates.env.globals.update(
    URGENCY_LABELS=URGENCY_LABELS,
    SECRECY_LABELS=SECRECY_LABELS,
    LETTER_TYPES=LETTER_TYPES,
    CHANNELS=CHANNELS,
    ROLE_TH=ROLE_TH,
)
templates.env.filters["action_th"] = action_th
templates.env.filters["object_th"] = object_th
templates.env.filters["thai_dt"] = lambda v: format_thai_datetime(datetime.fromisoformat(v)) if v else ""
templates.env.filters["thai_d"] = lambda v: format_thai_date(date.fromisoformat(v), thai_digits=False) if v else ""


def render(request: Request, name: str, page: Page | None, status: int = 200, **ctx: Any) -> HTMLResponse:
    """A page; the plain values it shows (dicts and lists) carry letters and attachments by their public ids."""
    codec = CURRENT.get()
    if codec is not None:
        ctx = {k: publish(v, codec) if isinstance(v, dict | list | tuple) else v for k, v in ctx.items()}
    return templates.TemplateResponse(
        request, name, {"page": page, "actor": page.actor if page else None, **ctx}, status_code=status
    )


def render_error_page(request: Request, exc: SarabanError) -> Response:
    return templates.TemplateResponse(
        request,
        "error.html",
        {"page": None, "actor": getattr(request.state, "actor", None), "error": exc},
        status_code=exc.status,
    )
