"""The API documentation works on a closed network: /docs loads nothing from outside 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Route

from tests.browser.conftest import NewPage
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_docs_render_offline(live_server: Callable[..., LiveServer], new_page: NewPage) -> None:
    server = live_server()
    page = new_page()
    outside: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(server.url + "/docs")
    page.wait_for_selector(".swagger-ui .title")
    assert "Saraban" in page.inner_text(".swagger-ui .title")
    page.get_by_text("/api/v1/registries/{registry_id}/receive").first.wait_for()  # listed from our OpenAPI
    assert outside == [], outside
