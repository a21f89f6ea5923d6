"""Finding 11: letters and attachments are named by opaque public ids — consecutive registrations get ids that
neither count nor order them — and a secret letter's id answers exactly as an id that names nothing, in the
answer and in the auditor's view of the probe. The timing comparison is ``bench/public_ids.py``."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.context import Saraban
from tests.conftest import MakeSaraban, login, registry_id
from tests.publicids import internal_attachment_id, internal_id, public_attachment_id, public_id
from tests.samples import thai_letter_pdf


@pytest.fixture
def app(make_saraban: MakeSaraban) -> Saraban:
    return make_saraban()


@pytest.fixture
def c(app: Saraban) -> Iterator[TestClient]:
    with TestClient(create_app(app)) as client:
        yield client


def receive(c: TestClient, h: dict[str, str], registry: str = "central", **meta: Any) -> dict[str, Any]:
    r = c.post(
        f"/api/v1/registries/{registry_id(c, h, registry)}/receive",
        headers=h,
        data={"meta": json.dumps({"sender": "สพฐ.", "subject": "หนังสือทดสอบ", **meta})},
        files=[("files", ("letter.pdf", thai_letter_pdf(), "application/pdf"))],
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_consecutive_registrations_get_ids_that_reveal_no_order(app: Saraban, c: TestClient) -> None:
    h = login(c, "central")
    made = [receive(c, h, subject=f"หนังสือที่ {i}", letter_no=f"ศธ 1/{i}") for i in range(12)]
    ids = [m["letter_id"] for m in made]
    atts = [m["attachments"][0]["id"] for m in made]
    for some in (ids, atts):
        assert len(set(some)) == len(some) and all(isinstance(i, int) and 0 < i < 2**53 for i in some)
        # inside they are the database's running keys; outside neither their order nor their gaps show
        inside = [(internal_id if some is ids else internal_attachment_id)(app, i) for i in some]
        assert inside == list(range(inside[0], inside[0] + len(some)))
        assert some != sorted(some) and some != sorted(some, reverse=True)
        assert all(abs(b - a) > 1000 for a, b in itertools.pairwise(some))
    # the ids the API gave work in every URL, and the letter answers with the same id
    for m in made[:3]:
        letter = c.get(f"/api/v1/letters/{m['letter_id']}", headers=h).json()
        assert letter["id"] == m["letter_id"] and letter["attachments"][0]["id"] == m["attachments"][0]["id"]
        assert c.get(f"/api/v1/attachments/{letter['attachments'][0]['id']}/content", headers=h).status_code == 200
        assert c.get(f"/letters/{m['letter_id']}", headers=h).status_code in (200, 303, 401)
    listed = c.get("/api/v1/letters", headers=h).json()["letters"]
    assert {x["id"] for x in listed} >= set(ids)


def _same(r: httpx.Response, public: int) -> tuple[int, list[tuple[str, str]], str]:
    # the date apart, and the length (ids differ in digits; the bodies compared with the id replaced say the rest)
    headers = sorted(
        (k, v.replace(str(public), "N")) for k, v in r.headers.items() if k not in ("date", "content-length")
    )
    return r.status_code, headers, r.text.replace(str(public), "N")


def test_a_secret_id_and_a_missing_one_answer_byte_for_byte_alike(app: Saraban, c: TestClient) -> None:
    secret = receive(c, login(c, "secret"), "secret", subject="เรื่องลับ", secrecy="ลับ")
    secret_id, secret_att = secret["letter_id"], secret["attachments"][0]["id"]
    # ids that name nothing: one whose key the database could hold (it goes to the database) and one past it
    missing_id = public_id(app, internal_id(app, secret_id) + 1000)
    far_id = next(p for p in range(10**9, 10**9 + 1000) if app.public_ids.letters.decode(p) is None)
    missing_att = public_attachment_id(app, internal_attachment_id(app, secret_att) + 1000)
    auditor = login(c, "auditor")
    group = login(c, "group")

    for h in (auditor, group):
        answers = [_same(c.get(f"/api/v1/letters/{i}", headers=h), i) for i in (secret_id, missing_id, far_id)]
        assert answers[0][0] == 404 and answers[0] == answers[1] == answers[2]
        files = [_same(c.get(f"/api/v1/attachments/{i}/content", headers=h), i) for i in (secret_att, missing_att)]
        assert files[0][0] == 404 and files[0] == files[1]
        routes = [
            _same(c.post(f"/api/v1/letters/{i}/routes", headers=h, json={"to_unit_ids": [1]}), i)
            for i in (secret_id, missing_id)
        ]
        assert routes[0][0] in (403, 404) and routes[0] == routes[1]

    def probes(lid: int) -> list[dict[str, Any]]:
        events = c.get("/api/v1/audit/events", headers=auditor).json()
        # a refusal is recorded as not_found, or as permission_denied where the write gate refuses the route outright
        # (the auditor may route nothing): either way the same for a secret id and a missing one
        refusals = ("not_found", "permission_denied")
        return [e for e in events if e["action"] in refusals and str(lid) in e["detail"].get("path", "")]

    def seen(e: dict[str, Any], lid: int) -> str:
        drop = {k: v for k, v in e.items() if k not in ("seq", "at", "hash")}
        return json.dumps(drop, sort_keys=True, ensure_ascii=False).replace(str(lid), "N")

    a, b = probes(secret_id), probes(missing_id)
    assert len(a) == len(b) == 4, "\n".join(
        f"{e['actor']} {e['action']} {e['detail']}" for e in a + b
    )  # auditor and group, letter and routes
    assert [seen(e, secret_id) for e in a] == [seen(e, missing_id) for e in b]
    # the trail itself keeps no public id in place of a key: the secret letter's own events name its key
    mine = c.get(f"/api/v1/audit/events?letter_id={secret_id}", headers=auditor)
    assert mine.status_code == 200


def test_ids_past_the_permutation_answer_404_and_past_javascript_422(c: TestClient) -> None:
    h = login(c, "central")
    for path in ("/api/v1/letters/{}", "/api/v1/attachments/{}/content", "/api/v1/letters/{}/timeline"):
        for n in (2**48 + 1, 2**53):
            assert c.get(path.format(n), headers=h).status_code == 404, (path, n)
        assert c.get(path.format(2**53 + 1), headers=h).status_code == 422
