"""The argon2 cost of password hashes comes from the settings (``SARABAN_PASSWORD_*``; the tests set the minimum,
production keeps argon2-cffi's defaults). A hash carries its own cost: one made at another cost still signs in and
is re-hashed at the configured cost."""

from __future__ import annotations

import argon2
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlmodel import select

from service.auth import core as auth
from service.config import Settings
from service.context import Saraban
from service.demo import DEMO_PASSWORD
from service.models import User
from tests.conftest import login


def _stored(app: Saraban, username: str) -> str:
    with app.tx() as uow:
        return uow.session.exec(select(User.password_hash).where(User.username == username)).one()


def _cost(settings: Settings) -> str:
    return f"m={settings.password_memory_kib},t={settings.password_time_cost},p={settings.password_parallelism}"


def test_production_keeps_argon2_defaults() -> None:
    fields = Settings.model_fields
    assert fields["password_time_cost"].default == argon2.DEFAULT_TIME_COST
    assert fields["password_memory_kib"].default == argon2.DEFAULT_MEMORY_COST
    assert fields["password_parallelism"].default == argon2.DEFAULT_PARALLELISM


def test_hashes_and_the_dummy_hash_take_the_configured_cost(saraban: Saraban, client: TestClient) -> None:
    cost = _cost(saraban.settings)
    assert f"${cost}$" in _stored(saraban, "central")  # seeded at the configured cost
    assert f"${cost}$" in auth._dummy_hash()  # what a sign-in as nobody is timed against
    r = client.post("/api/v1/auth/token", data={"username": "no-such-user", "password": DEMO_PASSWORD})
    assert r.status_code == 401


def test_a_hash_of_another_cost_signs_in_and_is_rehashed(saraban: Saraban, client: TestClient) -> None:
    old = PasswordHasher().hash(DEMO_PASSWORD)  # argon2-cffi's defaults, as a production database holds them
    with saraban.tx() as uow:
        user = uow.session.exec(select(User).where(User.username == "central")).one()
        user.password_hash = old
        uow.session.add(user)
    login(client, "central")
    rehashed = _stored(saraban, "central")
    assert rehashed != old and f"${_cost(saraban.settings)}$" in rehashed
    login(client, "central")
    assert _stored(saraban, "central") == rehashed  # at the configured cost: left alone
