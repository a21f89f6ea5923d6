"""How far this node's index replica lags the change log: in every search answer and in ``/healthz``.

Letters registered while no index worker runs are behind: the search answer counts them, and once they are older
than ``SARABAN_INDEX_LAG_MAX_SECONDS`` ``/healthz`` says "degraded" in Thai (still 200) and the search page says so.
The worker catching up brings them back to nothing behind, "ok" and no notice; without a database ``/healthz``
answers 503.
"""

from __future__ import annotations

import json
import time

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from search import SearchIndex
from service.app import create_app
from service.indexing.indexer import run_worker
from tests.conftest import DEMO_PASSWORD, MakeSaraban, login, registry_id


def test_search_and_healthz_say_how_far_the_index_lags(make_saraban: MakeSaraban) -> None:
    app = make_saraban(index_mode="worker", ocr="off", index_lag_max_seconds=0.5, node_id="node-t")
    with TestClient(create_app(app)) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        for i in range(3):
            meta = {"sender": "สพฐ.", "subject": f"ขอเชิญประชุมลูกเสือ ครั้งที่ {i}"}
            r = client.post(f"/api/v1/registries/{reg}/receive", headers=h, data={"meta": json.dumps(meta)})
            assert r.status_code == 201, r.text
        time.sleep(2.1)  # older than the threshold (the database's clock counts whole seconds on SQLite)
        lag = client.get("/api/v1/search", params={"q": "ลูกเสือ"}, headers=h).json()["index_lag"]
        assert lag["entries"] == 3 and lag["seconds"] >= 1, lag
        client.post("/login", data={"username": "central", "password": DEMO_PASSWORD})  # the search page, too
        page = client.get("/search", params={"q": "ลูกเสือ"})
        assert 'id="index-lag"' in page.text and "ยังตามการเปลี่ยนแปลงไม่ทัน 3 รายการ" in page.text, page.text
        health = client.get("/healthz")
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "degraded" and "ดัชนีค้นหา" in body["detail_th"], body

        index = SearchIndex(app.settings.index_path)
        try:
            assert run_worker(app, index, once=True) == 3  # the empty index is rebuilt from the database
        finally:
            index.close()
        time.sleep(1.1)  # the lag is asked of the database at most once a second
        found = client.get("/api/v1/search", params={"q": "ลูกเสือ"}, headers=h).json()
        assert found["total"] == 3
        assert found["index_lag"] == {"entries": 0, "seconds": 0.0, "node": "node-t"}
        assert client.get("/healthz").json()["status"] == "ok"
        assert 'id="index-lag"' not in client.get("/search", params={"q": "ลูกเสือ"}).text

        # the database goes away (an engine on a port nothing listens on): the node is unavailable
        sqlite_engines = (app.engine, app.read_engine)
        app.engine, app.read_engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"), None
        time.sleep(1.1)
        down = client.get("/healthz")
        assert down.status_code == 503 and down.json()["status"] == "unavailable", down.text
        assert down.json()["detail_th"] == "เครื่องนี้ติดต่อฐานข้อมูลไม่ได้"
        app.engine.dispose()
        app.engine, app.read_engine = sqlite_engines
