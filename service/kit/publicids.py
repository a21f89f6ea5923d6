"""Opaque public ids for letters and attachments (issue 10, finding 11): the integer keys stay inside; what people
and clients see is a keyed permutation of them, so ids reveal neither how many letters there are nor which came
first, and a gap (a secret letter) cannot be told from an id that was never issued.

A public id is still a JSON integer (clients put it in URLs as they always did), in ``1 ..= 2**48`` — well below
JavaScript's 2**53. The permutation is a balanced Feistel network over 48 bits (two 24-bit halves, eight rounds of
keyed BLAKE2b): a pseudo-random permutation, so every public id decodes to exactly one internal id and back. The
key is random per installation, kept in the database (table ``publicidkey``, made by migration ``20261210_ids``),
so every process and node sharing the database shares it.

Which codec applies is the request's: the edge sets :data:`CURRENT` for the app serving the request (no module
global mixes two apps in one process); the shared input types below decode through it.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import AfterValidator

from service.kit.errors import NotFound
from service.kit.thai import to_arabic_digits

DOMAIN_BITS = 48
HALF_BITS = DOMAIN_BITS // 2
HALF_MASK = (1 << HALF_BITS) - 1
ROUNDS = 8
PUBLIC_ID_MAX = 1 << DOMAIN_BITS  # the largest public id
#: the widest integer a path or body takes as a public id: anything up to JavaScript's safe limit is a well-formed
#: id (and answers 404 when it names nothing), beyond is a 422 like every other integer out of range
PUBLIC_INPUT_MAX = 2**53
INTERNAL_MAX = 2**31 - 1  # the database's integer (PostgreSQL ``integer``)


class IdCodec:
    """The keyed permutation of one installation. ``encode`` an internal key (1 ..= 2**31-1) to its public id;
    ``decode`` any public id to the internal key it stands for, or ``None`` when that key cannot exist."""

    def __init__(self, key: bytes, tweak: bytes = b"") -> None:
        if len(key) < 16:
            raise ValueError("the public id key must have at least 16 bytes")
        self._keys = [hashlib.blake2b(bytes([r]) + tweak, key=key[:64], digest_size=32).digest() for r in range(ROUNDS)]

    def _f(self, r: int, half: int) -> int:
        digest = hashlib.blake2b(half.to_bytes(3, "big"), key=self._keys[r], digest_size=3).digest()
        return int.from_bytes(digest, "big")

    def _permute(self, x: int) -> int:
        left, right = x >> HALF_BITS, x & HALF_MASK
        for r in range(ROUNDS):
            left, right = right, left ^ self._f(r, right)
        return (left << HALF_BITS) | right

    def _unpermute(self, y: int) -> int:
        left, right = y >> HALF_BITS, y & HALF_MASK
        for r in reversed(range(ROUNDS)):
            left, right = right ^ self._f(r, left), left
        return (left << HALF_BITS) | right

    def encode(self, internal: int) -> int:
        if not 1 <= internal <= PUBLIC_ID_MAX:
            raise ValueError(f"not an internal key: {internal}")
        return self._permute(internal - 1) + 1

    def decode(self, public: int) -> int | None:
        if not 1 <= public <= PUBLIC_ID_MAX:
            return None
        internal = self._unpermute(public - 1) + 1
        return internal if internal <= INTERNAL_MAX else None


class PublicIds:
    """An installation's two permutations, one per kind: a letter and an attachment with the same key get unrelated
    public ids."""

    def __init__(self, key: bytes) -> None:
        self.letters = IdCodec(key, b"letter")
        self.attachments = IdCodec(key, b"attachment")


#: the public ids of the app serving the current request (set by ``service.edge.publicids``)
CURRENT: ContextVar[PublicIds | None] = ContextVar("saraban_public_ids", default=None)


def current() -> PublicIds:
    codec = CURRENT.get()
    if codec is None:
        raise RuntimeError("no public id codec for this request (service.edge.publicids sets it)")
    return codec


def _decode_letter(public: int) -> int:
    internal = current().letters.decode(public)
    if internal is None:  # names nothing that can exist: the same 404 as any letter one may not see
        raise NotFound("letter not found", thai="ไม่พบหนังสือนี้")
    return internal


def _decode_attachment(public: int) -> int:
    internal = current().attachments.decode(public)
    if internal is None:
        raise NotFound("attachment not found", thai="ไม่พบไฟล์แนบนี้")
    return internal


#: the key a public id that names nothing decodes to in a body, a form or a query: the database's last integer,
#: which no letter of an office reaches, so the use-case answers just what it answers for a letter that is not there
NOWHERE = INTERNAL_MAX


def decode_letter_value(raw: object) -> object:
    """A letter id that came in as a body's number or a form's text, as its internal key; what is no well-formed
    id is passed on unchanged for the input model to refuse in Thai."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        text = to_arabic_digits(raw).strip()
        if not text.isdigit():
            return raw
        if not (text.isascii() and len(text) <= 16):  # other scripts' digits, or too long: names nothing
            return NOWHERE
        raw = int(text)
    if isinstance(raw, int):
        internal = current().letters.decode(raw)  # None also for 0, negatives and past 2**48
        return NOWHERE if internal is None else internal
    return raw


def _decode_letter_in_body(public: int) -> int:
    """In a body or a query a letter id that names nothing decodes to :data:`NOWHERE`."""
    internal = current().letters.decode(public)
    return NOWHERE if internal is None else internal


#: a letter named in a path: the public id in, the internal key out (404 when it cannot exist)
LetterRef = Annotated[int, Ge(1), Le(PUBLIC_INPUT_MAX), AfterValidator(_decode_letter)]
#: an attachment named in a path
AttachmentRef = Annotated[int, Ge(1), Le(PUBLIC_INPUT_MAX), AfterValidator(_decode_attachment)]
#: a letter named in a JSON body, a form or a query
LetterField = Annotated[int, Ge(1), Le(PUBLIC_INPUT_MAX), AfterValidator(_decode_letter_in_body)]
