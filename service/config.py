"""Configuration: every setting is a ``SARABAN_*`` environment variable (or a ``.env`` entry)."""

from __future__ import annotations

import json
from datetime import date, time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SARABAN_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file inside data_dir

    store: Literal["local", "s3"] = "local"
    s3_endpoint: str = "localhost:9000"
    s3_access_key: str = "minioadmin"
    s3_secret_key: str = "minioadmin"
    s3_bucket: str = "saraban"
    s3_secure: bool = False
    s3_region: str = "us-east-1"

    index_dir: Path | None = None  # empty: data_dir / "index"
    ocr: Literal["auto", "off"] = "auto"
    # thread: each server process indexes after commit (embedded default);
    # worker: servers only mark letters pending and `saraban worker` indexes them (the shape that scales)
    index_mode: Literal["thread", "worker"] = "thread"
    # After a round of indexing, wait this long before the next, so that under a stream of registrations a
    # round takes what gathered meanwhile (the per-round cost is shared); an idle system indexes at once.
    index_gather_ms: int = 500

    max_files: int = 10
    max_file_mb: int = 50
    allowed_types: str = "pdf,jpeg,png,gif,doc,docx,xls,xlsx,zip,rar"

    stamp_digits: Literal["thai", "arabic"] = "thai"
    # Stamping streams the PDF (memory does not grow with its size), so this is only a ceiling on the copying a
    # request does: larger main documents are registered and kept, and stamped by `saraban verify --repair`.
    stamp_max_mb: int = 256
    timezone: str = "Asia/Bangkok"

    # Follow-up of routed letters: working days to act by urgency (ด่วนที่สุด 4 … ปกติ 1; 0 = the same working
    # day), public holidays (ISO dates, comma-separated or a JSON list) and office hours (a letter that arrives
    # after hours or on a day off counts from the next working day).
    deadline_days: Annotated[dict[int, int], NoDecode] = {4: 0, 3: 1, 2: 2, 1: 7}
    holidays: Annotated[list[date], NoDecode] = []
    office_start: time = time(8, 30)
    office_end: time = time(16, 30)

    token_ttl_minutes: int = 8 * 60
    session_idle_minutes: int = 30
    cookie_secure: bool = False  # set true behind HTTPS
    login_max_failures: int = 5
    login_lock_minutes: int = 15

    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("deadline_days", mode="before")
    @classmethod
    def _deadline_days(cls, value: object) -> object:
        """``4:0,3:1,2:2,1:7`` or JSON ``{"4": 0, …}``."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{"):
                return json.loads(text)
            pairs = [p.split(":", 1) for p in text.split(",") if p.strip()]
            return {int(k): int(v) for k, v in pairs}
        return value

    @field_validator("holidays", mode="before")
    @classmethod
    def _holidays(cls, value: object) -> object:
        """``2026-12-07,2026-12-10`` or a JSON list."""
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [p.strip() for p in text.split(",") if p.strip()]
        return value

    @cached_property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{(self.data_dir / 'saraban.sqlite3').resolve()}"

    @property
    def index_path(self) -> Path:
        return self.index_dir or self.data_dir / "index"

    @property
    def store_path(self) -> Path:
        return self.data_dir / "objects"

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def allowed_type_set(self) -> frozenset[str]:
        return frozenset(t.strip().lower() for t in self.allowed_types.split(",") if t.strip())
