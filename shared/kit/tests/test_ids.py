"""`ordered_id`: RFC 9562 UUIDv7s, strictly increasing within a process, stamped with the time they were made."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from prm_kit.db import ids
from prm_kit.db.ids import ordered_id

pytestmark = pytest.mark.backend_independent
RANDOM_BITS = (1 << 62) - 1


def _millisecond(value: uuid.UUID) -> int:
    return value.int >> 80


def test_ids_are_version_7_of_the_rfc_variant_unique_and_increasing() -> None:
    before = time.time_ns() // 1_000_000
    made = [ordered_id() for _ in range(20_000)]
    after = time.time_ns() // 1_000_000

    assert all(value.version == 7 and value.variant == uuid.RFC_4122 for value in made)
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    # 20,000 ids in a few milliseconds: at most 4,096 a millisecond, so the stamp runs ahead by at most a few
    assert before <= _millisecond(made[0])
    assert _millisecond(made[-1]) <= after + len(made) // 4096


def test_within_one_millisecond_the_sequence_counts_up_then_the_stamp_moves_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen = 1_800_000_000_000  # a millisecond later than any id made before in this process
    monkeypatch.setattr(ids.time, "time_ns", lambda: frozen * 1_000_000)

    made = [ordered_id() for _ in range(5_000)]

    assert made == sorted(made)
    assert len(set(made)) == len(made)
    first_sequence = (made[0].int >> 64) & 0xFFF
    assert first_sequence < 2048  # starts in the lower half, leaving room to count
    stamped_now = [value for value in made if _millisecond(value) == frozen]
    assert len(stamped_now) == 4096 - first_sequence
    assert all(_millisecond(value) == frozen + 1 for value in made[len(stamped_now) :])


def test_a_clock_stepping_back_keeps_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([1_900_000_000_000, 1_899_999_999_000, 1_899_999_000_000])
    monkeypatch.setattr(ids.time, "time_ns", lambda: next(clock) * 1_000_000)

    made = [ordered_id() for _ in range(3)]

    assert made == sorted(made)
    assert {_millisecond(value) for value in made} == {1_900_000_000_000}


def test_the_random_part_differs_between_ids() -> None:
    made = [ordered_id().int & RANDOM_BITS for _ in range(1_000)]
    assert len(set(made)) == len(made)


def test_a_forked_process_draws_random_bits_of_its_own() -> None:
    ordered_id()  # the parent holds drawn random bytes
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its next ids, written to the pipe
        os.close(reading)
        with os.fdopen(writing, "w") as pipe:
            pipe.write(" ".join(str(ordered_id().int & RANDOM_BITS) for _ in range(50)))
        os._exit(0)
    os.close(writing)
    parents = {ordered_id().int & RANDOM_BITS for _ in range(50)}
    with os.fdopen(reading) as pipe:
        childs = {int(bits) for bits in pipe.read().split()}
    os.waitpid(child, 0)

    assert len(childs) == 50
    assert not parents & childs
