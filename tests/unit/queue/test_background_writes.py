"""A batch's writes run in the background while the next batch is fetched (issue 11 follow-up).

The order must stay that of one batch at a time: the YourTurn of a call only after its batch's
marker is acknowledged, and nothing decided before the last batch's writes are done.
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
from services.queue.write_path import BatchCommitter, CommitterBroken
from tests.unit.queue.fake_queue_log import PARTITIONS, FakeQueueLog

SE_C = region_partition("SE-C", PARTITIONS)
NOW = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


class GatedLog(FakeQueueLog):
    """Appends wait for ``gate``; output sends fail when ``fail_outputs``."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.fail_outputs = False

    async def append(self, commit: BatchCommit) -> tuple[int, int]:
        await self.gate.wait()
        return await super().append(commit)

    async def send_outputs(self, outputs: Outputs, partition: int) -> None:
        if self.fail_outputs:
            raise ConnectionError("broker gone")
        await super().send_outputs(outputs, partition)


def a_patient_and_a_serve_next(log: FakeQueueLog) -> None:
    case = ev.CaseTriaged(
        case_id="c1", region="SE-C", urgency=2, symptom="fever", person_pseudonym="p1", triaged_at=NOW
    )
    log.produce(case, TRIAGE_TOPIC, "SE-C")
    log.produce(ev.ServeNext(region="SE-C", request_id="r1", clinician_id="n1"), COMMANDS_TOPIC, "SE-C")


async def a_worker(log: FakeQueueLog) -> BatchCommitter:
    worker = BatchCommitter(
        log, QueueState(policy=QueuePolicy()), lambda r: region_partition(r, PARTITIONS), overlap_writes=True
    )
    log.gate.set()  # type: ignore[attr-defined]
    await worker.recover(SE_C)
    log.gate.clear()  # type: ignore[attr-defined]
    return worker


def test_a_your_turn_leaves_only_after_its_batch_marker_is_acknowledged() -> None:
    async def go() -> None:
        log = GatedLog()
        worker = await a_worker(log)
        a_patient_and_a_serve_next(log)
        commits = await worker.commit({SE_C: log.fetch(SE_C, worker.positions[SE_C], log.ends())})
        called = [e.event for c in commits for e in c.entries if isinstance(e.event, ev.CaseCalled)]
        assert [c.case_id for c in called] == ["c1"]  # decided in memory ...
        await asyncio.sleep(0.01)  # ... the writes are under way in the background
        assert log.notices == [] and not any(
            isinstance(r.event, ev.BatchCommitted) for r in log.events[SE_C][1:]
        )
        log.gate.set()  # the broker acknowledges the append
        await worker.flush()
        assert [n.event_id for n in log.notices] == ["yt-called-r1"]
        assert worker.positions[SE_C] == {TRIAGE_TOPIC: 1, COMMANDS_TOPIC: 1}

    asyncio.run(go())


def test_the_next_batch_is_not_decided_before_the_last_batch_is_written() -> None:
    async def go() -> None:
        log = GatedLog()
        worker = await a_worker(log)
        a_patient_and_a_serve_next(log)
        await worker.commit({SE_C: log.fetch(SE_C, worker.positions[SE_C], log.ends())})
        log.produce(ev.ServeNext(region="SE-C", request_id="r2", clinician_id="n1"), COMMANDS_TOPIC, "SE-C")
        # fetched while the first batch is in flight: from the positions before it
        second = asyncio.create_task(
            worker.commit({SE_C: log.fetch(SE_C, worker.positions[SE_C], log.ends())})
        )
        await asyncio.sleep(0.01)
        assert not second.done()  # waits for the first batch's writes
        log.gate.set()
        commits = await second
        await worker.flush()
        # the inputs the first batch already answered are not decided again
        assert [type(e.event).__name__ for c in commits for e in c.entries] == ["ServeNextEmpty"]
        assert [n.event_id for n in log.notices] == ["yt-called-r1"]

    asyncio.run(go())


def test_an_output_send_that_fails_in_the_background_stops_the_worker_before_anything_else() -> None:
    async def go() -> None:
        log = GatedLog()
        worker = await a_worker(log)
        log.gate.set()
        log.fail_outputs = True
        a_patient_and_a_serve_next(log)
        await worker.commit({SE_C: log.fetch(SE_C, worker.positions[SE_C], log.ends())})
        await asyncio.sleep(0.01)
        with pytest.raises(CommitterBroken, match="restart the worker"):
            worker.check()  # the runtime polls this before every fetch, also when idle
        with pytest.raises(ConnectionError):
            await worker.commit({})

    asyncio.run(go())


def test_without_overlap_a_batch_is_written_before_commit_returns() -> None:
    async def go() -> None:
        log = GatedLog()
        worker = await a_worker(log)
        worker.overlap_writes = False
        log.gate.set()
        a_patient_and_a_serve_next(log)
        await worker.commit({SE_C: log.fetch(SE_C, worker.positions[SE_C], log.ends())})
        assert [n.event_id for n in log.notices] == ["yt-called-r1"]  # no flush() needed

    asyncio.run(go())
