"""A worker whose batch the broker refuses because another worker fenced it gives the partition up.

On Apache Kafka the next owner's InitProducerId makes our producer's next request fail with
ProducerFenced (``PartitionFencedOut``): that partition's batch is void, its state is dropped,
the runtime is told once (``take_fenced``), and the other partitions of the batch go on.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from proto import events as ev
from services.queue.domain.batch import COMMANDS_TOPIC, TRIAGE_TOPIC
from services.queue.domain.state import QueuePolicy, QueueState
from services.queue.partitioning import region_partition
from services.queue.write_path import BatchCommitter, PartitionFencedOut
from tests.unit.queue.fake_queue_log import PARTITIONS, FakeQueueLog

SE_C = region_partition("SE-C", PARTITIONS)
SE_E = region_partition("SE-E", PARTITIONS)
NOW = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


class FencingLog(FakeQueueLog):
    """A broker with transactions where another worker has taken ``taken`` over."""

    def __init__(self) -> None:
        super().__init__(transactional=True)
        self.taken: set[int] = set()
        self.released: list[int] = []

    async def commit(self, partition: int) -> None:
        if partition in self.taken:
            del self.txns[partition]  # the broker aborted it
            raise PartitionFencedOut(partition, RuntimeError("ProducerFenced"))
        await super().commit(partition)

    async def release(self, partition: int) -> None:
        self.released.append(partition)


def a_call_in(log: FakeQueueLog, region: str, n: int) -> None:
    case = ev.CaseTriaged(
        case_id=f"c{n}", region=region, urgency=2, symptom="fever", person_pseudonym=f"p{n}", triaged_at=NOW
    )
    log.produce(case, TRIAGE_TOPIC, region)
    log.produce(ev.ServeNext(region=region, request_id=f"r{n}", clinician_id="n1"), COMMANDS_TOPIC, region)


def test_a_fenced_partition_is_given_up_and_the_rest_of_the_batch_is_committed() -> None:
    async def go() -> None:
        log = FencingLog()
        worker = BatchCommitter(
            log, QueueState(policy=QueuePolicy()), lambda r: region_partition(r, PARTITIONS)
        )
        for p in (SE_C, SE_E):
            await worker.recover(p)
        a_call_in(log, "SE-C", 1)
        a_call_in(log, "SE-E", 2)
        log.taken.add(SE_C)  # another worker took SE-C's partition over while we stalled
        batch = {p: log.fetch(p, worker.positions[p], log.ends()) for p in (SE_C, SE_E)}
        await worker.commit(batch)
        await worker.flush()  # the batch is written in the background (pipelined)
        worker.check()  # not broken: a fence is not a failure of our writes

        assert worker.take_fenced() == {SE_C}
        assert worker.take_fenced() == set()  # told once
        assert SE_C not in worker.positions and "SE-C" not in worker.state.regions
        assert log.released == [SE_C]
        # nothing of the fenced batch is visible; the other partition's call went out
        assert not [r for r in log.visible(SE_C) if isinstance(r.event, ev.CaseCalled)]
        assert [n.event_id for n in log.notices] == ["yt-called-r2"]
        # later batches skip the given-up partition instead of deciding on state it no longer has
        a_call_in(log, "SE-C", 3)
        assert await worker.commit({SE_C: log.fetch(SE_C, {}, log.ends())}) == []

    asyncio.run(go())
