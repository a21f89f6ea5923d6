"""Configuration: every setting is a ``SARABAN_*`` environment variable (or a ``.env`` entry)."""

from __future__ import annotations

import json
from datetime import date, time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from argon2 import DEFAULT_MEMORY_COST, DEFAULT_PARALLELISM, DEFAULT_TIME_COST
from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from retention.committee import parse_levels
from retention.destruction import Window, parse_window
from service.access.roles import Role


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
    # Index replicas (README "Scale-out"): every node's index worker follows the change log in the database.
    # node_id: this node's name in `index_node` (empty: host name + a random suffix, kept in the index directory).
    node_id: str = ""
    # A change log id missing below ids already read is waited for this long (a PostgreSQL transaction that took
    # it earlier may commit later), then taken for rolled back. Change transactions must commit within it.
    index_log_grace_seconds: float = 60.0
    # A node that has not said how far it is for this long loses its place: the log is trimmed past it and it
    # rebuilds its index when it comes back.
    index_node_expire_seconds: float = 3600.0
    # /healthz says "degraded" when this node's index lags the log by more than this.
    index_lag_max_seconds: float = 60.0

    max_files: int = 10
    max_file_mb: int = 50
    allowed_types: str = "pdf,jpeg,png,gif,doc,docx,xls,xlsx,zip,rar"

    stamp_digits: Literal["thai", "arabic"] = "thai"
    # Stamping streams the PDF (memory does not grow with its size), so this is only a ceiling on the copying a
    # request does: larger main documents are registered and kept, and stamped by `saraban verify --repair`.
    stamp_max_mb: int = 256
    # The duplicate warning before registering (same ที่ from the same sender in the year, or the same file in the
    # registry): 409 possible_duplicate until confirmed. Off only where another system already deduplicates.
    duplicate_check: bool = True
    # Budgets of one receive stamp (README "Upload safety"): page 1's decoded content streams, the operators parsed
    # in them, an image's pixels (far below Pillow's 89 million) and the time spent. A main document over any of
    # them is registered unstamped ("too_complex"), for the stamp job below; `saraban verify --repair` tries again too.
    stamp_max_content_mb: int = 8
    stamp_max_operators: int = 300_000
    stamp_max_pixels: int = 25_000_000
    stamp_max_seconds: float = 5.0
    # The background stamp job (`saraban stamp-job`, started by `saraban serve`): a main document registered
    # "too_complex" is tried once more with these larger budgets, in a child process the kernel bounds too (CPU
    # seconds: the budget's + 5; address space: STAMP_JOB_MEMORY_MB); what still fails is marked "stamp_failed".
    stamp_job_content_mb: int = 64
    stamp_job_operators: int = 3_000_000
    stamp_job_pixels: int = 100_000_000
    stamp_job_seconds: float = 60.0
    stamp_job_memory_mb: int = 1536
    stamp_job_interval: float = 30.0  # seconds between rounds when nothing is waiting
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
    # Failed sign-ins from one address (any usernames) within the window block that address for login_lock_minutes;
    # counted in the database, so every server process and node shares them.
    login_source_max_failures: int = 50
    login_source_window_minutes: int = 15
    # The argon2id cost of new password hashes (argon2-cffi's defaults). A hash keeps the cost it was made with, so
    # it still verifies after a change and is re-hashed at the new cost on its user's next sign-in. Tests set the
    # minimum (1 pass, 8 KiB, 1 lane): each hash then takes microseconds instead of a quarter of a second.
    password_time_cost: int = DEFAULT_TIME_COST
    password_memory_kib: int = DEFAULT_MEMORY_COST
    password_parallelism: int = DEFAULT_PARALLELISM

    # the archive (ระเบียบงานสารบรรณ หมวด 3)
    destruction_window: str = "01-01/03-01"  # MM-DD/MM-DD, both included: when the destruction list is drawn up
    objection_days: int = 60  # the National Archives' time to object to a destruction list
    committee_levels: str = ""  # comma-separated levels that qualify for the committee; empty: the regulation's
    loan_approvers: str = "director"  # comma-separated roles that approve loans
    loan_days: int = 7  # a loan's term unless the lender sets a due date

    # E-mail to outside parties: sent through this SMTP server when a host is set; recorded only otherwise.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "saraban@localhost"
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = 30.0

    # The audit chain's checkpoint key, kept outside the database. Empty: the key file `audit.key` in the data
    # directory, created (mode 0600) on first start. Back it up apart from the database.
    audit_key: str = ""
    # Proxies whose X-Forwarded-For is believed (comma-separated IPs or CIDRs); empty: none, the peer is the source.
    trusted_proxies: str = ""

    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("destruction_window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)  # refuse a window that cannot be read at start-up, not in January
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        import ipaddress

        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)  # a bad entry is refused at start-up
        return value

    @field_validator("loan_approvers")
    @classmethod
    def _approvers(cls, value: str) -> str:
        unknown = [r for r in value.split(",") if r.strip() and r.strip() not in {x.value for x in Role}]
        if unknown:
            raise ValueError(f"unknown roles {unknown}")
        return value

    @property
    def loan_approver_roles(self) -> frozenset[Role]:
        return frozenset(Role(r.strip()) for r in self.loan_approvers.split(",") if r.strip())

    @property
    def window(self) -> Window:
        return parse_window(self.destruction_window)

    @property
    def committee_level_list(self) -> tuple[str, ...]:
        return parse_levels(self.committee_levels)

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
    def audit_key_file(self) -> Path:
        return self.data_dir / "audit.key"

    @property
    def store_path(self) -> Path:
        return self.data_dir / "objects"

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def allowed_type_set(self) -> frozenset[str]:
        return frozenset(t.strip().lower() for t in self.allowed_types.split(",") if t.strip())
