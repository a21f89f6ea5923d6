"""One exception base for the whole service; rendered once as problem+json (API) or a Thai page (web)."""

from __future__ import annotations

from typing import Any, ClassVar


class SarabanError(Exception):
    """A domain error with a stable machine code, an HTTP status and a Thai message for people."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, thai: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.thai = thai or detail
        self.extra = extra


class InvalidInput(SarabanError):
    status = 422
    code = "invalid_input"
    title = "Invalid input"


class InvalidFile(SarabanError):
    status = 415
    code = "invalid_file"
    title = "Unsupported or damaged file"


class TooLarge(SarabanError):
    status = 413
    code = "too_large"
    title = "Upload too large"


class Unauthenticated(SarabanError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(SarabanError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class NotFound(SarabanError):
    status = 404
    code = "not_found"
    title = "Not found"


class Gone(SarabanError):
    status = 410
    code = "gone"
    title = "Gone"


class Conflict(SarabanError):
    status = 409
    code = "conflict"
    title = "Conflict"


class SecretNotAllowed(SarabanError):
    status = 422
    code = "secret_requires_secret_registry"
    title = "Secret letters belong in a secret registry"


class PossibleDuplicate(Conflict):
    """The letter seems registered already (same ที่ from the same sender, or the same file): confirm to go on."""

    code = "possible_duplicate"
    title = "Possible duplicate"


class ObjectAltered(SarabanError):
    """A stored file's bytes no longer match its SHA-256: it is not served (``saraban verify`` names it)."""

    status = 409
    code = "object_altered"
    title = "Stored file altered"


class StorageFull(SarabanError):
    """The disk (or the object store) is full: nothing was stored or registered; try again later."""

    status = 503
    code = "storage_full"
    title = "Storage full"


def disk_full(exc: BaseException) -> StorageFull | None:
    """A :class:`StorageFull` when ``exc`` says the disk is full (ENOSPC, EDQUOT; SQLite's "database or disk is
    full"), else None."""
    import errno

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            break
        if "database or disk is full" in str(seen):
            break
        seen = seen.__cause__ or seen.__context__
    else:
        return None
    return StorageFull(
        f"the disk is full: nothing was stored or registered ({exc})",
        thai="พื้นที่จัดเก็บเต็ม ระบบยังไม่ได้บันทึกสิ่งที่ส่งมา โปรดแจ้งผู้ดูแลระบบแล้วลองใหม่ภายหลัง",
    )
