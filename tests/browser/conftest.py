"""Browser fixtures: a headless Debian Chromium driven by sync Playwright, plus sign-in and API helpers.

``playwright install`` is not used: the tests drive the system Chromium at /usr/bin/chromium. Without it the
tests skip locally and fail under CI (``tests.conftest.need``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from service.config import Settings
from service.context import build
from service.demo import DEMO_PASSWORD
from tests.conftest import DatabaseTemplates, LiveServer, dispose, need
from tests.pages_scan import RECORDERS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Playwright's default timeout for actions and expectations (ms); the app answers in well under a second.
TIMEOUT_MS = 15_000
# ... and for expect(): contexts' default timeout does not reach assertions, which kept Playwright's 5 s — too short
# for a form post that stamps a PDF while the rest of the suite loads the 2 cores (CI saw one time out)
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    need(CHROMIUM.exists(), f"Chromium not installed at {CHROMIUM}")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


NewPage = Callable[[], Page]


def module_server(
    tmp_path_factory: pytest.TempPathFactory, database_templates: DatabaseTemplates, **settings: Any
) -> Iterator[LiveServer]:
    """One live server on a copy of the seeded demo office (SQLite) for a whole test module: the module's tests
    share it (and its state), so each test works on accounts, units and letters of its own."""
    data_dir = tmp_path_factory.mktemp("module-server")
    database_templates.copy_sqlite(data_dir)
    app = build(Settings(data_dir=data_dir, _env_file=None, **settings), with_indexer=False)
    server = LiveServer(app)
    try:
        yield server
    finally:
        server.stop()
        RECORDERS.remove(server.recorder)
        dispose(app)


@pytest.fixture(autouse=True)
def no_english_on_pages() -> Iterator[None]:
    """Thai everywhere a person looks: after each test, every HTML page the live servers it started served is
    scanned for English sentences outside code values (``tests.pages_scan``); any found fails the test."""
    first = len(RECORDERS)
    # servers started before the test (a module's shared server): only the pages served during this test
    seen = {id(r): len(r.pages) for r in RECORDERS}
    yield
    found: dict[str, list[str]] = {}
    for recorder in RECORDERS:
        for path, pieces in recorder.english(since=seen.get(id(recorder), 0)).items():
            found.setdefault(path, []).extend(p for p in pieces if p not in found.get(path, []))
    del RECORDERS[first:]
    assert not found, f"English on pages people read: {found}"


@pytest.fixture
def new_page(browser: Browser) -> Iterator[NewPage]:
    """Pages in fresh browser contexts (own cookies: one signed-in user each), closed after the test."""
    contexts: list[BrowserContext] = []

    def make() -> Page:
        ctx = browser.new_context(
            locale="th-TH", timezone_id="Asia/Bangkok", accept_downloads=True, viewport={"width": 1280, "height": 1000}
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def sign_in(page: Page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the Thai login form and wait to leave it."""
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def settle(page: Page) -> None:
    """Wait until a page that shows a PDF has settled. A letter page embeds the stamped PDF; Chromium's viewer then
    loads a few hundred scripts of its own in the frame and fetches the file again, and while it does the page has
    been seen to move under a click, and (CI, a loaded machine) a submitted form to be lost: the director's
    instruction not recorded, the page still showing the filled form. Settled first, as a person reading the
    letter before writing on it would be."""
    page.wait_for_load_state("networkidle")


def submit(page: Page, button: str) -> None:
    """Click a form's submit button once the page has settled; fails saying so if the browser sent no form."""
    settle(page)
    with page.expect_request(lambda r: r.method == "POST" and r.frame == page.main_frame):
        page.click(button)


# ---------------------------------------------------------------------------------------------- API helpers


class Api:
    """A signed-in API client for one demo user of a live server."""

    def __init__(self, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30)
        r = self.client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert r.status_code == 200, r.text
        self.client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def registry_id(self, code: str) -> int:
        r = self.client.get("/api/v1/registries")
        assert r.status_code == 200, r.text
        for reg in r.json():
            if reg["code"] == code:
                return int(reg["id"])
        raise LookupError(code)

    def receive(
        self, registry_code: str, meta: dict[str, Any], pdf: bytes | None = None, filename: str = "letter.pdf"
    ) -> dict[str, Any]:
        files = [("files", (filename, pdf, "application/pdf"))] if pdf is not None else None
        r = self.client.post(
            f"/api/v1/registries/{self.registry_id(registry_code)}/receive",
            data={"meta": json.dumps(meta, ensure_ascii=False)},
            files=files,
        )
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def wait_searchable(self, q: str, timeout: float = 30) -> dict[str, Any]:
        """Poll the search API until ``q`` finds at least one letter (the indexer runs after commit)."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.client.get("/api/v1/search", params={"q": q})
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            if body["total"] >= 1:
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"{q!r} not searchable after {timeout} s: {body}")
            time.sleep(0.3)

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def api() -> Iterator[Callable[[str, str], Api]]:
    made: list[Api] = []

    def make(base_url: str, username: str) -> Api:
        a = Api(base_url, username)
        made.append(a)
        return a

    yield make
    for a in made:
        a.close()
