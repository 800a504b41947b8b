"""The pipelined write path (issue 24): batch N+1 is decided while N's writes are in flight.

The log must still be written in the order of one batch at a time: N+1's first record only
after N's outputs are acknowledged, a YourTurn only after its batch's marker. If N's writes
fail, N+1 is never written; if N is fenced on a partition, N+1's decisions there are void.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from proto import events as ev
from services.queue.domain.batch import COMMANDS_TOPIC, TRIAGE_TOPIC, BatchCommit
from services.queue.domain.outputs import Outputs
from services.queue.domain.state import QueuePolicy, QueueState
from services.queue.partitioning import region_partition
from services.queue.write_path import BatchCommitter, CommitterBroken, PartitionFencedOut
from tests.unit.queue.fake_queue_log import PARTITIONS, FakeQueueLog

SE_C = region_partition("SE-C", PARTITIONS)
SE_E = region_partition("SE-E", PARTITIONS)
NOW = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


class GatedLog(FakeQueueLog):
    """Appends (of the partitions in ``held``, all when it is None) wait for ``gate``; output sends
    fail when ``fail_outputs``; a partition in ``taken`` was taken over by another worker (its next
    transaction commit is refused)."""

    def __init__(self, transactional: bool = False) -> None:
        super().__init__(transactional=transactional)
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_outputs = False
        self.taken: set[int] = set()
        self.held: set[int] | None = None
        self.order: list[str] = []  # what reached the broker, in order: "append <batch>", "outputs <batch>"

    async def append(self, commit: BatchCommit) -> tuple[int, int]:
        if self.held is None or commit.partition in self.held:
            await self.gate.wait()
        span = await super().append(commit)
        self.order.append(f"append {commit.marker.batch_id}")
        return span

    async def send_outputs(self, outputs: Outputs, partition: int) -> None:
        if self.fail_outputs:
            raise ConnectionError("broker gone")
        await super().send_outputs(outputs, partition)
        self.order.append("outputs")

    async def commit(self, partition: int) -> None:
        if partition in self.taken:
            del self.txns[partition]  # the broker aborted it
            raise PartitionFencedOut(partition, RuntimeError("ProducerFenced"))
        await super().commit(partition)


def a_patient(log: FakeQueueLog, region: str, n: int) -> None:
    case = ev.CaseTriaged(
        case_id=f"c{n}", region=region, urgency=2, symptom="fever", person_pseudonym=f"p{n}", triaged_at=NOW
    )
    log.produce(case, TRIAGE_TOPIC, region)


def a_serve_next(log: FakeQueueLog, region: str, n: int) -> None:
    log.produce(ev.ServeNext(region=region, request_id=f"r{n}", clinician_id="n1"), COMMANDS_TOPIC, region)


async def a_worker(log: GatedLog, *partitions: int) -> BatchCommitter:
    worker = BatchCommitter(log, QueueState(policy=QueuePolicy()), lambda r: region_partition(r, PARTITIONS))
    for p in partitions or (SE_C,):
        await worker.recover(p)
    return worker


def the_next_batch(log: FakeQueueLog, worker: BatchCommitter, *partitions: int) -> dict[int, list]:  # type: ignore[type-arg]
    """What the reader fetches next: from the positions after the last DECIDED batch."""
    return {p: log.fetch(p, worker.decided[p], log.ends()) for p in partitions or (SE_C,)}


def calls(log: FakeQueueLog, partition: int) -> list[str]:
    return [r.event.case_id for r in log.visible(partition) if isinstance(r.event, ev.CaseCalled)]


def test_the_next_batch_is_decided_while_the_last_is_appended_and_written_after_its_outputs() -> None:
    async def go() -> None:
        log = GatedLog()
        worker = await a_worker(log)
        a_patient(log, "SE-C", 1)
        a_patient(log, "SE-C", 2)
        a_serve_next(log, "SE-C", 1)
        log.gate.clear()  # the broker has not acknowledged the first append yet
        first = await worker.commit(the_next_batch(log, worker))
        a_serve_next(log, "SE-C", 2)
        second = asyncio.create_task(worker.commit(the_next_batch(log, worker)))
        await asyncio.sleep(0.01)
        # decided in memory, on the state the first batch left (c1 is already called) ...
        assert not second.done()
        assert worker.decided[SE_C] == {TRIAGE_TOPIC: 2, COMMANDS_TOPIC: 2}
        assert worker.positions[SE_C] != worker.decided[SE_C]
        assert log.notices == [] and log.order == []  # ... while nothing of either batch is acked
        log.gate.set()
        decided = await second
        await worker.flush()
        called = [e.event.case_id for c in decided for e in c.entries if isinstance(e.event, ev.CaseCalled)]
        assert called == ["c2"]  # not c1 again: the second batch saw the first one's decision
        # the log holds them in the order of one batch at a time: N's outputs before N+1's append
        assert log.order == [
            f"append {first[0].marker.batch_id}",
            "outputs",
            f"append {decided[0].marker.batch_id}",
            "outputs",
        ]
        assert calls(log, SE_C) == ["c1", "c2"]
        assert [n.event_id for n in log.notices if n.event_id.startswith("yt-called")] == [
            "yt-called-r1",
            "yt-called-r2",
        ]
        assert worker.positions[SE_C] == worker.decided[SE_C] == {TRIAGE_TOPIC: 2, COMMANDS_TOPIC: 2}

    asyncio.run(go())


def test_a_partition_whose_write_is_slow_holds_back_no_other_partition() -> None:
    # Each partition's log is written one batch at a time, but a partition waits only for its
    # own previous part: a slow transaction on SE-C does not delay a call in SE-E.
    async def go() -> None:
        log = GatedLog()
        log.held = {SE_C}
        worker = await a_worker(log, SE_C, SE_E)
        a_patient(log, "SE-C", 1)
        a_patient(log, "SE-E", 2)
        a_serve_next(log, "SE-C", 1)
        log.gate.clear()  # SE-C's append is not acknowledged yet
        await worker.commit(the_next_batch(log, worker, SE_C, SE_E))
        a_serve_next(log, "SE-E", 2)
        await asyncio.wait_for(worker.commit(the_next_batch(log, worker, SE_C, SE_E)), 5)
        await asyncio.sleep(0.01)
        assert calls(log, SE_E) == ["c2"] and calls(log, SE_C) == []
        assert [n.event_id for n in log.notices if n.event_id.startswith("yt-called")] == ["yt-called-r2"]
        log.gate.set()
        await worker.flush()
        assert calls(log, SE_C) == ["c1"]
        assert worker.positions == worker.decided

    asyncio.run(go())


def test_a_failed_write_of_one_batch_means_the_batch_decided_after_it_is_never_written() -> None:
    async def go() -> None:
        log = GatedLog()
        worker = await a_worker(log)
        a_patient(log, "SE-C", 1)
        a_patient(log, "SE-C", 2)
        a_serve_next(log, "SE-C", 1)
        log.fail_outputs = True  # the first batch's outputs are never acknowledged
        await worker.commit(the_next_batch(log, worker))
        a_serve_next(log, "SE-C", 2)
        with pytest.raises(ConnectionError):  # the runtime exits (code 70): recovery rebuilds
            await worker.commit(the_next_batch(log, worker))
        with pytest.raises(CommitterBroken, match="restart the worker"):
            worker.check()
        # the second batch's call (c2 for r2) was decided in memory only: nothing of it on the log
        assert calls(log, SE_C) == ["c1"]
        answered = {r.input for r in log.visible(SE_C) if r.input is not None}
        assert all(not (i.topic == COMMANDS_TOPIC and i.offset == 1) for i in answered)

    asyncio.run(go())


def test_when_a_batch_is_fenced_the_next_batchs_decisions_for_that_partition_are_void() -> None:
    async def go() -> None:
        log = GatedLog(transactional=True)
        worker = await a_worker(log, SE_C, SE_E)
        for n, region in ((1, "SE-C"), (2, "SE-E"), (3, "SE-C"), (4, "SE-E")):
            a_patient(log, region, n)
        a_serve_next(log, "SE-C", 1)
        a_serve_next(log, "SE-E", 2)
        log.taken.add(SE_C)  # another worker took SE-C over while we stalled
        await worker.commit(the_next_batch(log, worker, SE_C, SE_E))
        a_serve_next(log, "SE-C", 3)
        a_serve_next(log, "SE-E", 4)
        # decided for both partitions on our state, then the first batch turns out fenced on SE-C
        await worker.commit(the_next_batch(log, worker, SE_C, SE_E))
        await worker.flush()
        worker.check()  # a fence is not a failure of our writes

        assert worker.take_fenced() == {SE_C}
        assert SE_C not in worker.decided and "SE-C" not in worker.state.regions
        assert calls(log, SE_C) == []  # neither batch is visible on the fenced partition
        assert calls(log, SE_E) == ["c2", "c4"]  # the other partition went on with both
        assert sorted(n.event_id for n in log.notices if n.event_id.startswith("yt-called")) == [
            "yt-called-r2",
            "yt-called-r4",
        ]

    asyncio.run(go())


def test_an_output_send_that_fails_in_the_background_stops_the_worker_before_anything_else() -> None:
    async def go() -> None:
        log = GatedLog()
        worker = await a_worker(log)
        log.fail_outputs = True
        a_patient(log, "SE-C", 1)
        a_serve_next(log, "SE-C", 1)
        await worker.commit(the_next_batch(log, worker))
        await asyncio.sleep(0.01)
        with pytest.raises(CommitterBroken, match="restart the worker"):
            worker.check()  # the runtime polls this before every fetch, also when idle
        with pytest.raises(CommitterBroken):
            await worker.commit({})

    asyncio.run(go())
