"""Snapshots of a partition: format, and recovery from a snapshot that a takeover made untrustworthy.

The crash-at-any-write properties with snapshots are in ``test_commit_and_recover.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc

import pytest
from prometheus_client import REGISTRY

from proto import events as ev
from services.queue.domain.recovery import LoggedRecord
from services.queue.domain.snapshot import decode_snapshot, encode_snapshot
from services.queue.domain.state import QueueState, evolve
from services.queue.partitioning import region_partition
from services.queue.snapshots import TAIL_SHARE, SnapshotSchedule
from services.queue.write_path import BatchCommitter
from tests.support.registry import sample
from tests.unit.queue.fake_queue_log import PARTITIONS, FakeQueueLog, FakeSnapshotStore
from tests.unit.queue.test_commit_and_recover import POLICY, REGIONS, canonical, run

SCHEDULE = [
    [("triage", "SE-C", 3), ("triage", "SE-C", 2), ("triage", "SE-E", 1)],
    [("serve", "SE-C", 0), ("triage", "SE-C", 1), ("reprioritise", "SE-C", 1)],
    [("no-show", "SE-C", 0), ("serve", "SE-E", 0), ("transfer", "SE-C", 1)],
    [("serve", "SE-C", 0), ("triage", "SE-M", 4), ("cancel", "SE-C", 4)],
]
SE_C = region_partition("SE-C", PARTITIONS)


def recovered(log: FakeQueueLog, store: FakeSnapshotStore | None) -> QueueState:
    log.arm(None)
    worker = BatchCommitter(
        log, QueueState(policy=POLICY), lambda r: region_partition(r, PARTITIONS), snapshots=store
    )

    async def go() -> None:
        for p in sorted({region_partition(r, PARTITIONS) for r in REGIONS}):
            await worker.recover(p)

    asyncio.run(go())
    return worker.state


def test_a_region_state_survives_encoding_into_small_chunks_unchanged() -> None:
    _, state = run(SCHEDULE, [])
    regions = [r for r in state.regions if region_partition(r, PARTITIONS) == SE_C]
    chunks = encode_snapshot(state, regions, SE_C, 42, {"triage.events": 7}, chunk_bytes=100)

    assert len(chunks) > 1 and all(len(c) <= 100 for c in chunks)
    start = decode_snapshot(chunks, POLICY)
    assert start.next_offset == 42 and start.positions == {"triage.events": 7}
    expected = {r: v for r, v in canonical(state).items() if r in regions}
    assert canonical(start.state) == expected
    assert [w for w in start.state.regions["SE-C"].queue] == [w for w in state.regions["SE-C"].queue]


def test_a_snapshot_missing_a_chunk_is_refused_with_a_clear_error() -> None:
    _, state = run(SCHEDULE, [])
    chunks = encode_snapshot(state, ["SE-C"], SE_C, 1, {}, chunk_bytes=100)
    with pytest.raises(ValueError, match="full log"):
        decode_snapshot(chunks[:-1], POLICY)


def test_recovery_starts_from_the_latest_snapshot_and_folds_only_the_tail() -> None:
    log, live = run(SCHEDULE, [], snapshot_every=2)
    store = log.snapshot_store
    assert store is not None and store.written > 0
    assert all(m.covers > 0 for m in store.manifests.values())
    # older snapshots' chunks were deleted once a newer manifest was acknowledged
    assert {k[1] for k in store.chunks} == {m.snapshot_id for m in store.manifests.values()}
    reads: list[int] = []
    original = log.read

    async def spy(partition: int, start: int = 0) -> list[LoggedRecord]:
        reads.append(start)
        return await original(partition, start)

    log.read = spy  # type: ignore[method-assign]

    assert canonical(recovered(log, store)) == canonical(live)
    assert max(reads) > 0, "no recovery started from a snapshot"


def test_a_snapshot_covering_records_a_later_takeover_voided_is_not_used() -> None:
    # The snapshot's writer went on writing after another worker read the log (a zombie);
    # that worker's fence voids those records, so recovery must fold the full log instead.
    log, _ = run(SCHEDULE, [], snapshot_every=1)
    store = log.snapshot_store
    assert store is not None
    covers = store.manifests[SE_C].covers
    records = log.events[SE_C]
    fenced = ev.PartitionFenced(writer="other-worker", partition=SE_C, recovered_to=covers - 3)
    records.append(LoggedRecord(len(records), fenced, writer="other-worker"))

    from_full_log = recovered(log, None)
    assert canonical(recovered(log, store)) == canonical(from_full_log)
    assert canonical(from_full_log) != canonical(run(SCHEDULE, [])[1]), "the fence voided nothing"


def test_a_worker_that_sees_another_writer_on_its_partition_takes_no_more_snapshots_there() -> None:
    log, _ = run(SCHEDULE[:2], [], snapshot_every=1)
    store = log.snapshot_store
    assert store is not None
    worker = BatchCommitter(
        log,
        QueueState(policy=POLICY),
        lambda r: region_partition(r, PARTITIONS),
        snapshots=store,
        snapshot_every=1,
    )
    log.arm(None)

    async def go() -> None:
        for p in sorted({region_partition(r, PARTITIONS) for r in REGIONS}):
            await worker.recover(p)
        # another worker took the partition over and fenced it (we did not notice the rebalance)
        records = log.events[SE_C]
        fenced = ev.PartitionFenced(writer="other-worker", partition=SE_C, recovered_to=len(records))
        records.append(LoggedRecord(len(records), fenced, writer="other-worker"))
        manifest_before = store.manifests[SE_C]
        log.produce(
            ev.ServeNext(region="SE-C", request_id="late", clinician_id="n1"), "queue.commands", "SE-C"
        )
        await worker.commit({SE_C: log.fetch(SE_C, worker.positions[SE_C], log.ends())})
        await worker.flush()  # the batch is written in the background; a due snapshot would start here
        assert store.manifests[SE_C] == manifest_before
        assert worker.tip[SE_C] is None

    asyncio.run(go())


def test_partitions_recovered_concurrently_give_the_state_of_one_after_another() -> None:
    # The runtime recovers newly assigned partitions concurrently (each is several round trips to
    # the broker); crashes leave orphans and unsent outputs to replay and re-send on the way.
    for transactional in (False, True):
        log, _ = run(SCHEDULE, [7, 15], snapshot_every=2, transactional=transactional)
        store = log.snapshot_store
        one_by_one = canonical(recovered(log, store))
        log.arm(None)
        worker = BatchCommitter(
            log, QueueState(policy=POLICY), lambda r: region_partition(r, PARTITIONS), snapshots=store
        )

        async def together(worker: BatchCommitter) -> None:
            await asyncio.gather(*(worker.recover(region_partition(r, PARTITIONS)) for r in REGIONS))

        asyncio.run(together(worker))
        assert canonical(worker.state) == one_by_one
        assert set(worker.positions) == {region_partition(r, PARTITIONS) for r in REGIONS}


def test_reading_a_snapshot_reports_its_stages_and_leaves_the_collector_as_it_was() -> None:
    log, _ = run(SCHEDULE, [], snapshot_every=2)
    store = log.snapshot_store
    assert store is not None and store.manifests.get(SE_C)
    schedule = SnapshotSchedule(store, QueueState(policy=POLICY), lambda r: region_partition(r, PARTITIONS))
    stages: dict[str, float] = {}

    start = asyncio.run(schedule.latest(SE_C, stages))

    assert start is not None and start.snapshot_covers == store.manifests[SE_C].covers
    assert set(stages) == {"snapshot_read", "snapshot_decode", "snapshot_bytes"}
    assert stages["snapshot_bytes"] > 0
    assert gc.isenabled()  # decoding pauses the collector, and only while it decodes


def test_a_snapshot_falls_due_after_a_quarter_of_the_partitions_cases_in_new_events() -> None:
    # The tail a recovery folds after the last snapshot is at most TAIL_SHARE's share of the cases
    # (a queue filled in a burst is killed with at most that much to fold), never more.
    state = QueueState(policy=POLICY)
    at = dt.datetime(2026, 12, 6, 8, tzinfo=dt.UTC)
    for i in range(40):
        evolve(
            state, ev.CaseQueued(case_id=f"c{i}", region="SE-C", urgency=1 + i % 5, queued_at=at, sequence=i)
        )
    cases = sum(len(rs.cases) for r, rs in state.regions.items() if region_partition(r, PARTITIONS) == SE_C)
    assert cases == 40 and TAIL_SHARE == 4
    store = FakeSnapshotStore(FakeQueueLog())
    schedule = SnapshotSchedule(store, state, lambda r: region_partition(r, PARTITIONS), every=1)

    async def go() -> None:
        schedule.after_outputs(SE_C, cases // TAIL_SHARE - 1, 9, {"triage.events": 4})
        await schedule.settle()
        assert store.written == 0  # one event short of a quarter of the cases
        schedule.after_outputs(SE_C, 1, 10, {"triage.events": 5})
        await schedule.settle()
        assert store.written == 1 and store.manifests[SE_C].covers == 10

    asyncio.run(go())


def test_the_metrics_tell_how_much_a_restart_would_fold_and_whether_snapshots_fail() -> None:
    """triage_queue_snapshot_tail_records: records after the latest written snapshot (a failed
    one covers nothing); triage_queue_snapshots_total by outcome; the pause and the size."""
    _, state = run(SCHEDULE, [])
    partition = str(SE_C)
    written, failed = (
        sample("triage_queue_snapshots_total", outcome="written"),
        sample("triage_queue_snapshots_total", outcome="failed"),
    )
    pauses = sample("triage_queue_snapshot_pause_seconds_count")

    class BrokenStore(FakeSnapshotStore):
        async def write(self, snapshot_id: str, partition: int, covers: int, chunks: list[bytes]) -> None:
            raise OSError("queue.snapshots is not writable")

    async def go() -> None:
        broken = SnapshotSchedule(
            BrokenStore(FakeQueueLog()), state, lambda r: region_partition(r, PARTITIONS), every=10
        )
        broken.recovered(SE_C, 4)  # recovery folded 4 records after its snapshot
        assert sample("triage_queue_snapshot_tail_records", partition=partition) == 4
        broken.after_outputs(SE_C, 12, 9, {"triage.events": 4})  # due: fails
        await broken.settle()
        assert sample("triage_queue_snapshot_tail_records", partition=partition) == 16  # nothing covered
        assert sample("triage_queue_snapshots_total", outcome="failed") == failed + 1

        store = FakeSnapshotStore(FakeQueueLog())
        schedule = SnapshotSchedule(store, state, lambda r: region_partition(r, PARTITIONS), every=10)
        schedule.recovered(SE_C, 16)
        schedule.after_outputs(SE_C, 3, 9, {"triage.events": 4})  # 19 >= 10: a snapshot starts
        schedule.after_outputs(SE_C, 2, 9, {"triage.events": 4})  # committed while it is written
        await schedule.settle()
        assert sample("triage_queue_snapshot_tail_records", partition=partition) == 2
        assert sample("triage_queue_snapshots_total", outcome="written") == written + 1
        assert sample("triage_queue_snapshot_bytes", partition=partition) == sum(
            len(c) for (p, _, _), c in store.chunks.items() if p == SE_C
        )
        assert sample("triage_queue_snapshot_pause_seconds_count") == pauses + 2
        schedule.forget(SE_C)  # not ours any more: another worker reports it
        assert (
            REGISTRY.get_sample_value("triage_queue_snapshot_tail_records", {"partition": partition}) is None
        )

    asyncio.run(go())


def test_after_a_recovery_the_tail_metric_is_what_the_recovery_folded() -> None:
    log, _ = run(SCHEDULE, [])
    log.arm(None)
    worker = BatchCommitter(log, QueueState(policy=POLICY), lambda r: region_partition(r, PARTITIONS))

    async def go() -> int:
        before = len(await log.read(SE_C))  # (recovery then writes its fence after them)
        await worker.recover(SE_C)
        return before

    folded = asyncio.run(go())
    assert folded > 0
    assert sample("triage_queue_snapshot_tail_records", partition=str(SE_C)) == folded
