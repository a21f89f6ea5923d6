"""Sign-in: argon2 passwords, bearer tokens and web sessions (hashed, expiring, revocable), lock-out."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, case, literal, or_, update
from sqlalchemy import select as sql_select
from sqlmodel import Session, select

from service import audit
from service.access.policy import Action, require
from service.access.roles import Role
from service.access.rule import Actor
from service.auth import throttle
from service.kit.clock import from_db, to_db
from service.kit.errors import InvalidInput, Unauthenticated
from service.models import AuthToken, Membership, User

_hasher = PasswordHasher()
# A real hash at the configured cost to verify against when the user does not exist, so timing does not reveal
# usernames: made when the cost is configured (``build``), else on first use.
_dummy: tuple[PasswordHasher, str] | None = None
MIN_PASSWORD = 10


def configure_password_hashing(*, time_cost: int, memory_cost: int, parallelism: int) -> None:
    """New hashes take this argon2id cost (settings ``password_*``); older hashes still verify."""
    global _hasher
    if (time_cost, memory_cost, parallelism) != (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism):
        _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _dummy_hash()


def _dummy_hash() -> str:
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash("saraban-no-such-user"))
    return _dummy[1]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


MAX_PASSWORD = 256
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """A small bundled list of the passwords guessed first (lower-case)."""
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def _visible(password: str) -> str:
    """The characters that are really there: not spaces, not invisible format characters (zero-width …)."""
    return "".join(ch for ch in password if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs"))


def check_password_policy(password: str) -> None:
    """A password someone chooses: long enough in real characters, not absurdly long, no control characters,
    not one of the commonly guessed ones."""
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(
            f"a password has at most {MAX_PASSWORD} characters", thai=f"รหัสผ่านต้องยาวไม่เกิน {MAX_PASSWORD} ตัวอักษร"
        )
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        raise InvalidInput("a password may not contain control characters", thai="รหัสผ่านมีอักขระควบคุมซึ่งใช้ไม่ได้")
    if len(_visible(password)) < MIN_PASSWORD:
        raise InvalidInput(
            f"password must have at least {MIN_PASSWORD} characters (spaces and invisible characters do not count)",
            thai=f"รหัสผ่านต้องยาวอย่างน้อย {MIN_PASSWORD} ตัวอักษร (ไม่นับช่องว่างและอักขระที่มองไม่เห็น)",
        )
    if password.strip().lower() in common_passwords():
        raise InvalidInput(
            "this password is among the most commonly guessed", thai="รหัสผ่านนี้เป็นรหัสที่ใช้กันทั่วไปและเดาได้ง่าย กรุณาตั้งใหม่"
        )


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lock_minutes: int = 15
    source_max_failures: int = 50  # failed sign-ins from one address (all usernames) …
    source_window_minutes: int = 15  # … within this window block the address for ``lock_minutes``


class LoginFailed(Unauthenticated):
    code = "bad_credentials"


class AccountLocked(Unauthenticated):
    code = "account_locked"


class SourceBlocked(Unauthenticated):
    status = 429
    code = "too_many_attempts"
    title = "Too many attempts"


def _failed() -> LoginFailed:
    return LoginFailed("wrong username or password", thai="ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง")


def _locked() -> AccountLocked:
    return AccountLocked(
        "too many failed sign-ins; try again later",
        thai="ลงชื่อเข้าใช้ผิดหลายครั้งเกินไป บัญชีถูกระงับชั่วคราว กรุณาลองใหม่ภายหลัง",
    )


_USERS = User.__table__  # type: ignore[attr-defined]


def authenticate(
    session: Session, *, username: str, password: str, now: datetime, policy: LoginPolicy, source: str = ""
) -> User:
    """Check a password; count failures and lock the account for a while after too many.

    The counts live in the database and move by single atomic statements, so they hold with several server
    processes on PostgreSQL: exactly ``max_failures`` wrong passwords answer ``bad_credentials``, every later one
    ``account_locked``. An unknown (or disabled) username is counted the same way under its name
    (``service.auth.throttle``) and verified against a dummy hash, so neither the answers nor their timing tell
    which usernames exist. Failures from one address are counted too (``source_*``): a blocked address answers
    429 before any password is checked. The caller commits even though this raises (see ``signin.sign_in``).
    """
    conn = session.connection()
    name = username.strip()
    lock = timedelta(minutes=policy.lock_minutes)
    src_key = f"src:{source[:64]}"
    if source and throttle.blocked(conn, src_key, now=now):
        _verify(_dummy_hash(), password)
        raise SourceBlocked(
            "too many failed sign-ins from this address; try again later",
            thai="มีการลงชื่อเข้าใช้ผิดจากเครื่องนี้หลายครั้งเกินไป กรุณาลองใหม่ภายหลัง",
        )

    def count_source() -> None:
        if source:
            window = timedelta(minutes=policy.source_window_minutes)
            throttle.hit(conn, src_key, now=now, window=window, limit=policy.source_max_failures, block=lock)

    # a name no account can have (control characters, e.g. a NUL that PostgreSQL refuses) is not looked up
    printable = name.isprintable() and len(name) <= 64
    user = session.exec(select(User).where(User.username == name)).first() if printable else None
    if user is None or not user.active:
        _verify(_dummy_hash(), password)
        account = hashlib.sha256(name.lower().encode("utf-8", "replace")).hexdigest()
        count = throttle.hit(conn, f"acct:{account}", now=now, window=lock, limit=policy.max_failures, block=lock)
        count_source()
        raise _locked() if count > policy.max_failures else _failed()
    if user.locked_until is not None and from_db(user.locked_until) > now:
        _verify(_dummy_hash(), password)
        count_source()
        raise _locked()
    open_now = or_(_USERS.c.locked_until.is_(None), _USERS.c.locked_until <= to_db(now))
    if not _verify(user.password_hash, password):
        reached = _USERS.c.failed_logins + 1 >= policy.max_failures
        row = conn.execute(
            update(_USERS)
            .where(_USERS.c.id == user.id, open_now)
            .values(
                failed_logins=case((reached, 0), else_=_USERS.c.failed_logins + 1),
                locked_until=case((reached, literal(to_db(now + lock), _USERS.c.locked_until.type)), else_=None),
            )
            .returning(_USERS.c.failed_logins)
        ).first()
        count_source()
        raise _locked() if row is None else _failed()  # no row: another attempt locked it meanwhile
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if _hasher.check_needs_rehash(user.password_hash):
        values["password_hash"] = hash_password(password)
    done = conn.execute(update(_USERS).where(_USERS.c.id == user.id, open_now).values(**values).returning(_USERS.c.id))
    if done.first() is None:
        raise _locked()
    session.expire(user)
    return user


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, *, user: User, kind: str, now: datetime, ttl: timedelta) -> tuple[str, AuthToken]:
    """A new random secret; only its digest is stored."""
    assert user.id is not None
    secret = secrets.token_urlsafe(32)
    row = AuthToken(
        token_hash=_digest(secret),
        user_id=user.id,
        kind=kind,
        created_at=to_db(now),
        expires_at=to_db(now + ttl),
        last_seen_at=to_db(now),
        csrf_token=secrets.token_urlsafe(24) if kind == "session" else "",
    )
    session.add(row)
    session.flush()
    return secret, row


class TokenInvalid(Unauthenticated):
    code = "token_invalid"


@dataclass(frozen=True)
class LiveToken:
    """A token that passed every check, with the actor behind it."""

    id: int
    csrf_token: str
    last_seen_at: datetime
    expires_at: datetime
    actor: Actor


class TokenCache:
    """Bearer tokens that passed every check within the last ``ttl`` seconds, in this process.

    Every API request carries a bearer token; checking it again costs a transaction and a thread hop, a fifth of
    a registration's CPU. A revocation, password change or reset made in this process clears the cache at once;
    one made by another process (another server worker, the CLI) takes effect within ``ttl`` seconds. Expiry is
    checked against the caller's clock on every hit, and a miss goes through the full check (and its audit).
    Keys are token digests, never the secrets.
    """

    def __init__(self, ttl: float = 1.0) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, LiveToken]] = {}
        self._lock = threading.Lock()

    def get(self, secret: str, *, now: datetime) -> LiveToken | None:
        key = _digest(secret)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            checked_at, token = entry
            if time.monotonic() - checked_at > self.ttl or token.expires_at <= now:
                del self._entries[key]
                return None
            return token

    def put(self, secret: str, token: LiveToken) -> None:
        with self._lock:
            if len(self._entries) > 10_000:  # many distinct tokens within a second: start over
                self._entries.clear()
            self._entries[_digest(secret)] = (time.monotonic(), token)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


BEARER_CACHE = TokenCache()


_T, _U, _M = AuthToken.__table__, User.__table__, Membership.__table__  # type: ignore[attr-defined]
_TOKEN_ROW = (
    sql_select(
        _T.c.id, _T.c.kind, _T.c.expires_at, _T.c.last_seen_at, _T.c.revoked_at, _T.c.csrf_token,
        _U.c.id.label("user_id"), _U.c.username, _U.c.full_name, _U.c.clearance, _U.c.active,
    )
    .join(_U, _U.c.id == _T.c.user_id)
    .where(_T.c.token_hash == bindparam("token_hash"))
)  # fmt: skip
_ROLES = sql_select(_M.c.unit_id, _M.c.role).where(_M.c.user_id == bindparam("user_id"))


def resolve_token(
    session: Session, *, secret: str, kind: str, now: datetime, idle: timedelta | None = None
) -> LiveToken:
    """The live token and its actor, or ``TokenInvalid`` (unknown, expired, idle too long, revoked, disabled).

    Every API request comes through here, so it is two plain statements rather than ORM loads.
    """
    conn = session.connection()
    row = conn.execute(_TOKEN_ROW, {"token_hash": _digest(secret)}).first()
    if row is None or row.kind != kind:
        raise TokenInvalid("unknown token", thai="กรุณาลงชื่อเข้าใช้")
    if row.revoked_at is not None:
        raise TokenInvalid("token revoked", thai="เซสชันถูกยกเลิกแล้ว กรุณาลงชื่อเข้าใช้ใหม่")
    if from_db(row.expires_at) <= now:
        raise TokenInvalid("token expired", thai="เซสชันหมดอายุ กรุณาลงชื่อเข้าใช้ใหม่")
    if idle is not None and from_db(row.last_seen_at) + idle <= now:
        raise TokenInvalid("session idle too long", thai="ไม่มีการใช้งานนานเกินไป กรุณาลงชื่อเข้าใช้ใหม่")
    if not row.active:
        raise TokenInvalid("user disabled", thai="บัญชีผู้ใช้ถูกระงับ")
    actor = _actor(
        session, user_id=row.user_id, username=row.username, clearance=row.clearance, full_name=row.full_name
    )
    return LiveToken(
        id=row.id,
        csrf_token=row.csrf_token,
        last_seen_at=from_db(row.last_seen_at),
        expires_at=from_db(row.expires_at),
        actor=actor,
    )


def touch_session(session: Session, *, token_id: int, now: datetime) -> None:
    """Slide a web session's idle timer."""
    session.connection().execute(update(_T).where(_T.c.id == token_id).values(last_seen_at=to_db(now)))


def revoke_token(session: Session, *, secret: str, now: datetime) -> bool:
    row = session.exec(select(AuthToken).where(AuthToken.token_hash == _digest(secret))).first()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = to_db(now)
    session.add(row)
    BEARER_CACHE.clear()
    return True


def revoke_all(session: Session, *, user_id: int, now: datetime) -> None:
    BEARER_CACHE.clear()
    for row in session.exec(select(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at == None)):  # noqa: E711
        row.revoked_at = to_db(now)
        session.add(row)


def load_actor(session: Session, user: User) -> Actor:
    assert user.id is not None
    return _actor(session, user_id=user.id, username=user.username, clearance=user.clearance, full_name=user.full_name)


def _actor(session: Session, *, user_id: int, username: str, clearance: int, full_name: str) -> Actor:
    """A user as the rules see them: with their roles."""
    rows = session.connection().execute(_ROLES, {"user_id": user_id})
    roles = frozenset((unit_id, Role(role)) for unit_id, role in rows)
    return Actor(id=user_id, username=username, clearance=clearance, roles=roles, full_name=full_name)


def change_password(session: Session, *, user: User, old: str, new: str, now: datetime) -> None:
    if not _verify(user.password_hash, old):
        raise LoginFailed("the current password is wrong", thai="รหัสผ่านเดิมไม่ถูกต้อง")
    check_password_policy(new)
    user.password_hash = hash_password(new)
    session.add(user)
    assert user.id is not None
    revoke_all(session, user_id=user.id, now=now)


def change_own_password(
    session: Session, *, actor: Actor, old: str, new: str, now: datetime, where: audit.Where | None = None
) -> None:
    """The signed-in user changes their password (every session and token of theirs ends); audited."""
    require(actor, Action.CHANGE_OWN_PASSWORD)
    user = session.get(User, actor.id)
    if user is None:
        raise Unauthenticated("the account no longer exists", thai="ไม่พบบัญชีผู้ใช้นี้")
    change_password(session, user=user, old=old, new=new, now=now)
    audit.record(
        session,
        at=now,
        action="password_changed",
        actor=actor,
        object_type="user",
        object_id=actor.id,
        where=where,
    )
