"""A letter without files is registered on the event loop, without a thread hop, only when nothing in it can wait
(``service.receiving.api._register_now``): with the write lock held elsewhere the write goes to a thread, the
server keeps answering meanwhile, and the number comes once the lock is free."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from service.context import Saraban
from service.kit.db import WriteGate, WriteLockBusy, _sqlite_lock_file, make_engine, transaction
from tests.conftest import login, registry_id

META = {"letter_no": "ศธ ๐๔๐๔๕/๑", "sender": "สพฐ.", "subject": "ทดสอบ", "letter_date": "๒๓ มีนาคม ๒๕๖๕"}


def post(client: TestClient, headers: dict[str, str], reg: int, n: int) -> httpx.Response:
    meta = {**META, "letter_no": f"ศธ ๐๔๐๔๕/{n}"}
    return client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=headers,
        files=[("meta", (None, json.dumps(meta, ensure_ascii=False)))],
    )


def test_a_busy_write_lock_sends_the_write_to_a_thread(saraban: Saraban, client: TestClient) -> None:
    h = login(client, "central")
    reg = registry_id(client, h, "central")
    first = post(client, h, reg, 1)
    assert first.status_code == 201, first.text
    lock_file = _sqlite_lock_file(saraban.settings.sqlalchemy_url)
    assert lock_file is not None
    fd = os.open(lock_file, os.O_RDWR)  # another open file description: to flock, another process
    answers: list[httpx.Response] = []
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        waiting = threading.Thread(target=lambda: answers.append(post(client, h, reg, 2)))
        waiting.start()
        time.sleep(1.0)
        assert waiting.is_alive(), "the registration wrote while another process held the write lock"
        health: list[int] = []  # the event loop is not waiting for the lock: another request is answered
        asker = threading.Thread(target=lambda: health.append(client.get("/healthz").status_code), daemon=True)
        asker.start()
        asker.join(timeout=20)
        assert health == [200], "the server stopped answering while the write lock was held elsewhere"
        assert waiting.is_alive()
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    waiting.join(timeout=60)
    [second] = answers
    assert second.status_code == 201, second.text
    assert second.json()["registration"]["number"] == first.json()["registration"]["number"] + 1


def test_a_metadata_only_registration_is_one_transaction(saraban: Saraban, client: TestClient) -> None:
    """Its reads (the right, the readers, the duplicate warning) share the write's transaction: a transaction of
    their own cost a seventh of the registration's CPU (README "Measured figures"). Counted on both engines."""
    h = login(client, "central")
    reg = registry_id(client, h, "central")
    assert post(client, h, reg, 1).status_code == 201  # caches warm (the token, the registry of the early check)
    begun: list[str] = []
    engines: list[Engine] = [e for e in (saraban.engine, saraban.read_engine) if e is not None]

    def count(conn: object) -> None:
        begun.append("begin")

    for engine in engines:
        event.listen(engine, "begin", count)
    try:
        second = post(client, h, reg, 2)
        assert second.status_code == 201, second.text
        assert len(begun) == 1, f"{len(begun)} transactions for one registration"
    finally:
        for engine in engines:
            event.remove(engine, "begin", count)
    third = post(client, h, reg, 3)
    assert third.json()["registration"]["number"] == second.json()["registration"]["number"] + 1


def test_the_write_gate_refuses_to_wait_when_asked() -> None:
    gate = WriteGate(None)
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with gate.hold():
            held.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    try:
        assert held.wait(10)
        try:
            with gate.hold(wait=False):
                raise AssertionError("entered a lock another thread holds")
        except WriteLockBusy:
            pass
    finally:
        release.set()
        t.join()
    with gate.hold(wait=False):  # free again: taken at once
        pass


def test_no_write_without_a_lock_to_ask(saraban: Saraban) -> None:
    """An engine whose writers do not queue on the gate (PostgreSQL) cannot promise not to wait."""
    engine = make_engine(saraban.settings.sqlalchemy_url, readonly=True)
    try:
        try:
            with transaction(engine, wait=False):
                raise AssertionError("began a write that may wait")
        except WriteLockBusy:
            pass
    finally:
        engine.dispose()
