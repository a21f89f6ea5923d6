"""The public id permutation (``service.kit.publicids``, finding 11): a keyed bijection of the internal keys into
1 ..= 2**48, decodable, different under another key."""

from __future__ import annotations

import itertools

import pytest

from service.kit.publicids import INTERNAL_MAX, PUBLIC_ID_MAX, IdCodec, PublicIds


@pytest.fixture
def codec() -> IdCodec:
    return IdCodec(bytes(range(32)))


def test_public_ids_round_trip_and_stay_javascript_safe(codec: IdCodec) -> None:
    for internal in [*range(1, 2000), INTERNAL_MAX, 2**24, 2**24 + 1]:
        public = codec.encode(internal)
        assert 1 <= public <= PUBLIC_ID_MAX < 2**53
        assert codec.decode(public) == internal


def test_consecutive_keys_give_unrelated_ids(codec: IdCodec) -> None:
    ids = [codec.encode(i) for i in range(1, 1001)]
    assert len(set(ids)) == len(ids)
    steps = [b - a for a, b in itertools.pairwise(ids)]
    assert sum(1 for s in steps if s > 0) in range(400, 600), "about half go up, half down: no order"
    assert max(ids) > 2**46 and min(ids) < 2**46, "spread over the whole range"


def test_letters_and_attachments_have_their_own_permutations() -> None:
    ids = PublicIds(bytes(range(32)))
    assert all(ids.letters.encode(i) != ids.attachments.encode(i) for i in range(1, 1001))


def test_another_key_another_permutation(codec: IdCodec) -> None:
    other = IdCodec(bytes(range(1, 33)))
    same = sum(1 for i in range(1, 1001) if other.encode(i) == codec.encode(i))
    assert same == 0


@pytest.mark.parametrize("public", [0, -1, PUBLIC_ID_MAX + 1, 2**53, 2**63])
def test_what_is_out_of_range_decodes_to_nothing(codec: IdCodec, public: int) -> None:
    assert codec.decode(public) is None


def test_most_ids_decode_past_the_database_and_name_nothing(codec: IdCodec) -> None:
    """A guessed id names a key past the database's integer 127 times in 128: answered 404 without a query."""
    decoded = [codec.decode(p) for p in range(10**6, 10**6 + 2000)]
    assert sum(1 for d in decoded if d is None) > 1900


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError):
        IdCodec(b"short")
