"""The search index follows the journey: a routed letter is found by its new readers (and no longer by a group whose
routing was recalled), and by the words of an instruction written on it."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlmodel import select

from service.app import create_app
from service.models import Unit
from tests.conftest import MakeSaraban, login, registry_id


def test_the_index_learns_readers_and_instructions(make_saraban: MakeSaraban) -> None:
    app = make_saraban(with_indexer=True)
    with app.tx() as uow:
        policy = uow.session.exec(select(Unit).where(Unit.code == "policy")).one().id
    with TestClient(create_app(app)) as c:
        central, group2, director = login(c, "central"), login(c, "group2"), login(c, "director")
        r = c.post(
            f"/api/v1/registries/{registry_id(c, central, 'central')}/receive",
            headers=central,
            data={"meta": json.dumps({"sender": "สพฐ.", "subject": "โครงการโรงเรียนคุณธรรม"})},
        )
        letter = r.json()["letter_id"]
        assert app.indexer is not None and app.indexer.wait_idle(60)

        def found(who: dict[str, str], q: str) -> list[int]:
            assert app.indexer is not None and app.indexer.wait_idle(60)
            body = c.get("/api/v1/search", params={"q": q}, headers=who).json()
            return [x["letter_id"] for x in body["results"]]

        assert found(group2, "คุณธรรม") == []
        route = c.post(f"/api/v1/letters/{letter}/routes", headers=central, json={"to_unit_id": policy}).json()["id"]
        assert found(group2, "คุณธรรม") == [letter]  # a new reader
        r = c.post(f"/api/v1/letters/{letter}/instructions", headers=director, json={"text": "เร่งรัดติดตามผลสัมฤทธิ์"})
        assert r.status_code == 201
        assert found(central, "ผลสัมฤทธิ์") == [letter]  # the instruction's words
        c.post(f"/api/v1/routes/{route}/recall", headers=central)
        assert found(group2, "คุณธรรม") == []  # recalled: no longer a reader
