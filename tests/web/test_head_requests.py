"""HEAD answers as the GET it stands for, without the body (``service.edge.head``): what uptime monitors and
``curl -I`` send. The same status, headers and rights as GET; no body on the wire. Against the live server (uvicorn
is what drops the body)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from tests.conftest import LiveServer, login, registry_id
from tests.samples import thai_letter_pdf
from tests.web.test_http_head_bound import exchange


def test_head_answers_as_get_without_a_body(live_server: Callable[..., LiveServer]) -> None:
    server = live_server()
    with httpx.Client(base_url=server.url, timeout=30) as c:
        for path in ("/healthz", "/login"):
            got, head = c.get(path), c.head(path)
            assert head.status_code == got.status_code == 200, path
            assert head.headers["content-type"] == got.headers["content-type"]
            assert int(head.headers["content-length"]) > 0
            for name in ("content-security-policy", "x-frame-options", "cache-control"):
                assert head.headers[name] == got.headers[name], (path, name)
        # on the wire: headers only, even for a page
        status, headers, body = exchange(server.port, b"HEAD /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert status == 200 and headers["content-type"].startswith("text/html") and body == b""

        # a file: its length without its bytes, and only for whom GET would give it
        central = login(c, "central")  # type: ignore[arg-type]
        pdf = thai_letter_pdf(subject="ทดสอบคำขอ HEAD")
        r = c.post(
            f"/api/v1/registries/{registry_id(c, central, 'central')}/receive",  # type: ignore[arg-type]
            headers=central,
            data={"meta": json.dumps({"sender": "สพฐ.", "subject": "ทดสอบคำขอ HEAD"}, ensure_ascii=False)},
            files=[("files", ("letter.pdf", pdf, "application/pdf"))],
        )
        assert r.status_code == 201, r.text
        url = f"/api/v1/attachments/{r.json()['attachments'][0]['id']}/content"
        head = c.head(url, headers=central)
        assert head.status_code == 200 and int(head.headers["content-length"]) == len(pdf)
        assert head.content == b""
        school = login(c, "school1")  # type: ignore[arg-type]
        for who in (school, {}):
            got, head = c.get(url, headers=who), c.head(url, headers=who)
            assert head.status_code == got.status_code and head.status_code in (401, 403, 404), who
            assert head.content == b""
        # a path that has no GET answers HEAD as GET would
        assert c.head("/api/v1/auth/token").status_code == c.get("/api/v1/auth/token").status_code == 405
