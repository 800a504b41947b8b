"""Snapshots encoded in a forked child (a real fork): the bytes, the instant they show, a child that dies.

Also the layout of the state that makes a full collection cheap: case records and recorded
answers hold no GC-tracked object, and the snapshot bytes are those of the earlier layout.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal

import msgspec
import pytest

from proto import events as ev
from services.queue.domain.snapshot import decode_snapshot, encode_snapshot, snapshot_bytes
from services.queue.domain.state import QueueState
from services.queue.partitioning import region_partition
from services.queue.snapshots import SnapshotSchedule
from services.snapshot_encoder import ForkedEncoding, SnapshotEncodeFailed
from tests.unit.queue.fake_queue_log import PARTITIONS, FakeQueueLog, FakeSnapshotStore
from tests.unit.queue.test_commit_and_recover import POLICY, canonical, run
from tests.unit.queue.test_snapshots import SCHEDULE, SE_C


def partition_of(region: str) -> int:
    return region_partition(region, PARTITIONS)


def snapshot_in_a_child(state: QueueState, then: object = None) -> tuple[FakeSnapshotStore, list[bytes]]:
    """Take one snapshot of SE-C's partition with the forked encoder; ``then()`` runs right after the fork.

    Returns the store and the chunks an inline encoding gives at the instant of the fork.
    """
    store = FakeSnapshotStore(FakeQueueLog())
    schedule = SnapshotSchedule(store, state, partition_of, every=1, chunk_bytes=300, fork=True)
    regions = [r for r in state.regions if partition_of(r) == SE_C]
    at_fork = encode_snapshot(state, regions, SE_C, 9, {"triage.events": 4}, chunk_bytes=300)

    async def go() -> None:
        schedule.after_outputs(SE_C, 1, 9, {"triage.events": 4})
        if callable(then):
            then()
        await schedule.settle()

    asyncio.run(go())
    return store, at_fork


def written_chunks(store: FakeSnapshotStore) -> list[bytes]:
    m = store.manifests[SE_C]
    return [store.chunks[(SE_C, m.snapshot_id, i)] for i in range(m.chunks)]


def test_a_snapshot_encoded_in_a_forked_child_is_the_same_bytes_and_decodes_to_the_state() -> None:
    _, state = run(SCHEDULE, [])

    store, inline = snapshot_in_a_child(state)

    assert store.written == 1
    assert written_chunks(store) == inline and len(inline) > 1  # cut at the same 300-byte boundaries
    start = decode_snapshot(written_chunks(store), POLICY)
    assert start.next_offset == 9 and start.positions == {"triage.events": 4}
    regions = {r for r in state.regions if partition_of(r) == SE_C}
    assert canonical(start.state) == {r: v for r, v in canonical(state).items() if r in regions}


def test_a_case_queued_after_the_fork_is_not_in_the_snapshot_taken_at_the_batch_boundary() -> None:
    _, state = run(SCHEDULE, [])
    rec = next(iter(state.regions["SE-C"].cases.values()))
    urgency = rec.urgency

    def mutate() -> None:  # the next batch, while the child encodes
        state.regions["SE-C"].cases["late-case"] = msgspec.structs.replace(rec, case_id="late-case")
        rec.urgency = 5

    store, at_fork = snapshot_in_a_child(state, mutate)

    assert written_chunks(store) == at_fork
    restored = decode_snapshot(written_chunks(store), POLICY).state
    assert "late-case" not in restored.regions["SE-C"].cases
    assert restored.regions["SE-C"].cases[rec.case_id].urgency == urgency != 5


def test_a_child_killed_while_encoding_leaves_no_manifest_and_the_next_snapshot_works(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _, state = run(SCHEDULE, [])
    real = snapshot_bytes

    def killed(*args: object) -> bytes:
        os.kill(os.getpid(), signal.SIGKILL)  # runs in the child only
        return b""

    monkeypatch.setattr("services.queue.snapshots.snapshot_bytes", killed)
    with caplog.at_level(logging.WARNING, logger="triage.queue"):
        store, _ = snapshot_in_a_child(state)
    assert store.written == 0 and not store.chunks and SE_C not in store.manifests
    assert "not written" in caplog.text and "exited with -9" in caplog.text

    monkeypatch.setattr("services.queue.snapshots.snapshot_bytes", real)
    store, inline = snapshot_in_a_child(state)
    assert store.written == 1 and written_chunks(store) == inline


def test_an_encoder_that_raises_in_the_child_is_a_failed_encoding() -> None:
    def raises() -> bytes:
        raise RuntimeError("boom")

    with pytest.raises(SnapshotEncodeFailed, match="exited with 1 after 0 of [?] bytes"):
        asyncio.run(ForkedEncoding(raises).chunks(100))


def test_the_childs_bytes_arrive_cut_at_the_chunk_size() -> None:
    blob = os.urandom(3 * 1024 * 1024 + 5)  # more than a pipe holds: the reader drains while the child writes

    chunks = asyncio.run(ForkedEncoding(lambda: blob).chunks(1024 * 1024))

    assert [len(c) for c in chunks] == [1 << 20, 1 << 20, 1 << 20, 5] and b"".join(chunks) == blob
    assert asyncio.run(ForkedEncoding(lambda: b"").chunks(10)) == [b""]


def test_case_records_and_recorded_answers_hold_no_gc_tracked_object() -> None:
    _, state = run(SCHEDULE, [])
    gc.collect()  # tuples and dicts of untracked items are untracked by a collection
    rs = state.regions["SE-C"]

    assert rs.cases and not any(gc.is_tracked(r) for r in rs.cases.values())
    assert rs.answers and all(type(a) is bytes for a in rs.answers.values())


def test_a_replayed_command_gets_its_recorded_events_back_from_the_encoded_answer() -> None:
    _, state = run(SCHEDULE, [])
    rs = state.regions["SE-C"]
    key, blob = next(iter(rs.answers.items()))

    answer = rs.answer(key)

    assert answer is not None and all(isinstance(e, ev.Message) for e in answer)
    assert msgspec.msgpack.encode(answer) == blob
    assert rs.answer("never-seen") is None


class _LegacyRegion(msgspec.Struct, array_like=True):  # the layout before answers were kept encoded
    region: str
    cases: list[object]
    answers: list[tuple[str, list[ev.QUEUE_EVENT]]]
    calls: list[float]
    next_sequence: int
    waiting_person: dict[str, str]
    hours: ev.OpeningHoursChanged | None = None
    expired_through: float = 0.0  # added by the expiry of finished cases, beside this change
    not_reached: dict[str, float] = {}  # added later too


class _LegacyBody(msgspec.Struct, array_like=True):
    partition: int
    covers: int
    positions: dict[str, int]
    regions: list[_LegacyRegion]


def test_the_snapshot_bytes_are_those_of_the_earlier_layout_so_old_snapshots_still_decode() -> None:
    _, state = run(SCHEDULE, [])
    regions = sorted(r for r in state.regions if partition_of(r) == SE_C)
    legacy = _LegacyBody(
        SE_C,
        5,
        {"triage.events": 3},
        [
            _LegacyRegion(
                rs.region,
                list(rs.cases.values()),
                [(k, list(rs.answer(k) or ())) for k in rs.answers],  # type: ignore[misc]
                list(rs.calls),
                rs.next_sequence,
                dict(rs.waiting_person),
                rs.hours_changed,
                rs.expired_through,
                dict(rs.not_reached),
            )
            for rs in (state.regions[r] for r in regions)
        ],
    )
    old_bytes = msgspec.msgpack.encode(legacy)

    assert snapshot_bytes(state, regions, SE_C, 5, {"triage.events": 3}) == old_bytes
    restored = decode_snapshot([old_bytes], POLICY).state
    assert canonical(restored) == {r: v for r, v in canonical(state).items() if r in regions}


def test_a_fork_that_fails_skips_the_snapshot_without_stopping_the_worker_or_leaking_the_pipe(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _, state = run(SCHEDULE, [])

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    fds = len(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(os, "fork", no_fork)
    with caplog.at_level(logging.WARNING, logger="triage.queue"):
        store, _ = snapshot_in_a_child(state)

    assert store.written == 0 and not store.chunks
    assert "fork failed" in caplog.text
    assert len(os.listdir("/proc/self/fd")) == fds
