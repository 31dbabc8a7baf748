from __future__ import annotations

import os
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from velocity.livepatch.codec import Copy
from velocity.livepatch.codec import Literal
from velocity.livepatch.codec import apply_delta
from velocity.livepatch.codec import block_size_for
from velocity.livepatch.codec import compress
from velocity.livepatch.codec import decompress
from velocity.livepatch.codec import derive_if_cheap
from velocity.livepatch.codec import derive_signature
from velocity.livepatch.codec import make_delta
from velocity.livepatch.codec import signature
from velocity.livepatch.codec._weak import weak_at
from velocity.livepatch.codec._weak import weak_blocks
from velocity.livepatch.codec._weak import weak_one

BLOCK = 16  # tiny blocks so that short hypothesis data has many of them


def roundtrip(old: bytes, new: bytes, block: int | None = BLOCK):
    delta = make_delta(signature(old, block), new)
    assert apply_delta(old, delta) == new
    return delta


def literal_bytes(delta) -> int:
    return sum(len(op.data) for op in delta.ops if isinstance(op, Literal))


@given(st.binary(max_size=300), st.integers(1, 40))
def test_vector_weak_matches_the_reference(data, length):
    if len(data) < length:
        return
    got = weak_at(data, 0, len(data) - length + 1, length)
    assert got.tolist() == [weak_one(data[k : k + length]) for k in range(len(data) - length + 1)]
    assert weak_blocks(data, length).tolist() == [
        weak_one(data[i : i + length]) for i in range(0, len(data) // length * length, length)
    ]


@given(st.binary(max_size=2000), st.binary(max_size=2000))
def test_any_two_files(old, new):
    roundtrip(old, new)


@given(st.binary(min_size=1, max_size=2000), st.data())
def test_insert_delete_append(old, data):
    at = data.draw(st.integers(0, len(old)))
    cut = data.draw(st.integers(0, len(old) - at))
    insert = data.draw(st.binary(max_size=100))
    new = old[:at] + insert + old[at + cut :]
    roundtrip(old, new)
    roundtrip(old, old + insert)
    roundtrip(old, insert + old)


def same_signature(a, b) -> bool:
    fields = (a.block_size, a.weak.tolist(), a.strong, a.tail, a.tail_size)
    return fields == (b.block_size, b.weak.tolist(), b.strong, b.tail, b.tail_size)


@given(st.binary(max_size=2000), st.data())
def test_derived_signature_equals_a_fresh_one(old, data):
    at = data.draw(st.integers(0, len(old)))
    cut = data.draw(st.integers(0, len(old) - at))
    insert = data.draw(st.binary(max_size=100))
    for new in (old[:at] + insert + old[at + cut :], old[:at] + bytes(cut) + old[at + cut :]):
        sig = signature(old, BLOCK)
        derived = derive_signature(sig, make_delta(sig, new), new, BLOCK)
        assert same_signature(derived, signature(new, BLOCK))


def test_derived_signature_of_an_edit_in_place_reuses_the_old_blocks():
    old = os.urandom(1_000_000)
    new = old[:300_000] + os.urandom(20_000) + old[320_000:]
    sig = signature(old)
    derived = derive_signature(sig, make_delta(sig, new), new)
    assert same_signature(derived, signature(new))
    shifted = make_delta(sig, new[1:])  # every block moved: no cheap way
    assert derive_if_cheap(sig, shifted, new[1:]) is None
    assert same_signature(derive_signature(sig, shifted, new[1:]), signature(new[1:]))
    assert derive_if_cheap(sig, make_delta(sig, old + old), old + old) is None  # a new size


@given(st.binary(max_size=500))
def test_empty_files(data):
    roundtrip(b"", data)
    roundtrip(data, b"")
    roundtrip(data, data)


@given(st.binary(max_size=5000))
@settings(max_examples=30)
def test_whole_file_compression(data):
    assert decompress(compress(data), len(data)) == data


def test_decompress_refuses_a_bomb():
    with pytest.raises(ValueError, match="limit"):
        decompress(compress(b"\0" * 10_000), 9_999)


def test_unchanged_file_is_one_copy():
    old = os.urandom(100_000)
    delta = roundtrip(old, old, None)
    assert delta.ops == [Copy(0, 100_000 // delta.block_size)]
    assert delta.copy_tail


def test_shifted_file_sends_only_the_insert():
    old = os.urandom(200_000)
    new = old[:50_000] + b"hello" + old[50_000:]
    delta = roundtrip(old, new, None)
    assert literal_bytes(delta) < 2 * block_size_for(len(old)) + 5


@given(st.binary(min_size=BLOCK, max_size=3000), st.data())
def test_edits_in_place_cost_their_own_blocks(old, data):
    new = bytearray(old)
    edits = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(old) - 1), st.binary(min_size=1, max_size=40)), max_size=4
        )
    )
    for at, patch in edits:
        new[at : at + len(patch)] = patch[: len(old) - at]
    delta = roundtrip(old, bytes(new))
    # Each edit touches at most len // BLOCK + 2 blocks; the tail block may go whole too.
    bound = sum((len(p) // BLOCK + 2) * BLOCK for _, p in edits) + BLOCK
    assert literal_bytes(delta) <= bound


def test_an_edit_in_place_needs_no_rolling_search(monkeypatch):
    old = os.urandom(1_000_000)
    new = old[:300_001] + os.urandom(20_000) + old[320_001:]
    sig = signature(old)

    def no_search(self, pos):
        raise AssertionError(f"rolling search at {pos}")

    monkeypatch.setattr("velocity.livepatch.codec._delta._Matcher._search", no_search)
    delta = make_delta(sig, new)
    assert apply_delta(old, delta) == new
    assert literal_bytes(delta) <= 20_000 + 2 * sig.block_size


def test_apply_delta_refuses_copies_past_the_end():
    delta = make_delta(signature(b"a" * 64, 16), b"a" * 64)
    with pytest.raises(ValueError, match="outside"):
        apply_delta(b"a" * 32, delta)


def test_one_percent_of_fifty_megabytes_is_fast():
    rng = np.random.default_rng(1)
    old = rng.integers(0, 256, 50_000_000, dtype=np.uint8).tobytes()
    new = bytearray(old)
    for start in range(0, len(new), 5_000_000):  # ten scattered 50 KB edits: 1 %
        new[start : start + 50_000] = rng.integers(0, 256, 50_000, dtype=np.uint8).tobytes()
    sig = signature(old)
    started = time.perf_counter()
    delta = make_delta(sig, bytes(new))
    elapsed = time.perf_counter() - started
    assert apply_delta(old, delta) == new
    assert literal_bytes(delta) < 500_000 + 20 * sig.block_size
    assert elapsed < 2.0, elapsed
