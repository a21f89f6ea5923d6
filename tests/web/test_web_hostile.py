"""Every web page and form (the API has Schemathesis, tests/web/test_fuzz_api.py) under hostile input: ids past
2^31, dates in 9999 and year 0, NUL and other control characters, an over-long field — as the users who reach the
most pages. A clear refusal (4xx, or the page with a Thai message) is right; a 5xx is a defect."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from service.app import create_app
from service.context import Saraban
from tests.web.test_auth import web_login

HOSTILE_IDS = ("2147483648", "99999999999999999999999", "-1", "๑๒")
HOSTILE_VALUES = (
    "9999-12-31",
    "0000-01-01",
    "31/2/2569",
    "a\x00b",
    "x" * 5000,
    "\u202efdp.exe",
    "-9223372036854775809",
)


def _routes(routes: list[object]) -> list[Route]:
    """The app's routes, into the routers it includes (FastAPI wraps each in an object holding the original)."""
    out: list[Route] = []
    for r in routes:
        if isinstance(r, Route):
            out.append(r)
        elif (inner := getattr(r, "original_router", None)) is not None:
            out += _routes(inner.routes)
    return out


def _pages(app: object) -> list[tuple[str, str]]:
    skip = ("/api/", "/docs", "/openapi", "/static", "/assets", "/logout")
    return sorted(
        (m, r.path)
        for r in _routes(app.routes)  # type: ignore[attr-defined]
        if not r.path.startswith(skip)
        for m in (r.methods or set()) - {"HEAD"}
    )


@pytest.mark.parametrize("user", ["group", "admin", "records", "centre", "director"])
def test_no_page_answers_5xx_to_hostile_input(saraban: Saraban, user: str) -> None:
    fastapi_app = create_app(saraban)
    with TestClient(fastapi_app, raise_server_exceptions=False) as c:
        csrf = web_login(c, user)
        failures = []
        pages = _pages(fastapi_app)
        assert len(pages) > 80, pages  # the sweep reaches the whole web UI, not a handful of routes
        for method, path in pages:
            params = re.findall(r"{(\w+)(?::\w+)?}", path)
            for i, bad_id in enumerate(HOSTILE_IDS):
                url = re.sub(r"{\w+(?::\w+)?}", bad_id, path)
                value = HOSTILE_VALUES[i % len(HOSTILE_VALUES)]
                query = {k: value for k in ("year", "q", "date_from", "date_to", "page", "offset", "since", "until")}
                if method == "GET":
                    r = c.get(url, params=query, follow_redirects=False)
                else:
                    form = {
                        "csrf": csrf,
                        **{
                            k: value
                            for k in (
                                "year",
                                "reason",
                                "text",
                                "name",
                                "subject",
                                "letter_date",
                                "due_date",
                                "username",
                                "password",
                                "full_name",
                                "clearance",
                                "unit_id",
                                "letter_id",
                                "procedure_id",
                                "from_letter_id",
                                "role",
                                "code",
                                "address",
                            )
                        },
                    }
                    r = c.request(method, url, data=form, follow_redirects=False)
                if r.status_code >= 500:
                    failures.append(f"{method} {url} ({params}) -> {r.status_code}: {r.text[:200]}")
        assert not failures, "\n".join(failures[:20])
