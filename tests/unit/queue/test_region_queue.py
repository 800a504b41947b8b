"""RegionQueue: most urgent first, first come first served within a level."""

import random

import pytest

from services.queue.domain.region_queue import RegionQueue


def test_prio1_case_is_called_before_an_earlier_prio3_case() -> None:
    q = RegionQueue("SE-C")
    q.push("early-prio3", 3, queued_at=100.0, sequence=0)
    q.push("late-prio1", 1, queued_at=200.0, sequence=1)
    assert q.pop().case_id == "late-prio1"
    assert q.pop().case_id == "early-prio3"


def test_cases_of_the_same_urgency_are_served_first_come_first_served() -> None:
    q = RegionQueue("SE-C")
    for i, t in enumerate([30.0, 10.0, 20.0]):
        q.push(f"c{t:.0f}", 2, queued_at=t, sequence=i)
    assert [q.pop().case_id for _ in range(3)] == ["c10", "c20", "c30"]


def test_sequence_breaks_a_tie_of_equal_queued_at() -> None:
    q = RegionQueue("SE-C")
    q.push("second", 4, queued_at=5.0, sequence=2)
    q.push("first", 4, queued_at=5.0, sequence=1)
    assert q.pop().case_id == "first"


def test_an_empty_queue_serves_nobody() -> None:
    q = RegionQueue("SE-C")
    assert q.pop() is None
    assert q.peek() is None
    assert len(q) == 0


def test_a_removed_case_is_never_served_and_depth_follows() -> None:
    q = RegionQueue("SE-C")
    q.push("a", 1, 1.0, 0)
    q.push("b", 1, 2.0, 1)
    assert q.depth(1) == 2
    q.remove("a")
    assert q.depth(1) == 1
    assert q.pop().case_id == "b"
    assert q.pop() is None


def test_a_case_cannot_wait_twice_and_urgency_must_be_one_to_five() -> None:
    q = RegionQueue("SE-C")
    q.push("a", 3, 1.0, 0)
    with pytest.raises(ValueError, match="already waiting"):
        q.push("a", 2, 2.0, 1)
    with pytest.raises(ValueError, match="urgency must be 1..5"):
        q.push("b", 6, 2.0, 2)


def test_a_bulk_loaded_queue_equals_one_filled_by_pushing_each_case() -> None:
    # Recovery loads a snapshot's waiting cases in one sort (ranks packed inline, not by
    # pack_rank): the order, depths and positions must be exactly those of one push per case.
    rng = random.Random(7)
    cases = [
        (
            f"case-{i}",
            rng.randint(1, 5),
            1.7e9 + rng.randint(0, 10_000) / 7,
            rng.randint(0, 50),
            rng.random() < 0.2,
        )
        for i in range(2_000)
    ]
    pushed, loaded = RegionQueue("SE-C"), RegionQueue("SE-C")
    for case_id, urgency, queued_at, sequence, front in cases:
        pushed.push(case_id, urgency, queued_at, sequence, front)
    loaded.bulk_load(cases)

    assert list(loaded) == list(pushed)
    assert [loaded.depth(u) for u in range(1, 6)] == [pushed.depth(u) for u in range(1, 6)]
    assert all(loaded.position(c) == pushed.position(c) for c, *_ in cases[::97])
    assert loaded.pop() == pushed.pop()
