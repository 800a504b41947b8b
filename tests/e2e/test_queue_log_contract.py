"""One contract, two implementations: the fake ``QueueLog`` of the unit tests and ``KafkaQueueLog`` on the broker.

The crash property tests (tests/unit/queue/test_commit_and_recover.py) trust the fake to behave
like the real log. These expectations run against both: the fake without and with its
transaction model, and the real log on the session broker (Tansu: no transactions; Apache
Kafka: one transaction per batch and partition, read committed).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from proto import codec
from proto import events as ev
from services.kafka.settings import KafkaSettings
from services.kafka.topic_admin import ensure_topics
from services.queue.domain.batch import TRIAGE_TOPIC, BatchCommit, Input, InputPosition, decide_batch
from services.queue.domain.outputs import outputs_for
from services.queue.domain.state import QueuePolicy, QueueState
from services.queue.kafka_log import KafkaQueueLog
from services.queue.partitioning import region_partition
from services.queue.queue_log import QueueLog
from tests.support.topic_reader import read_records
from tests.unit.queue.fake_queue_log import PARTITIONS, FakeQueueLog

T = TypeVar("T")

pytestmark = pytest.mark.e2e
REGION = "SE-C"
P = region_partition(REGION, PARTITIONS)
NOW = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)


@dataclass
class Subject:
    """A ``QueueLog`` and how to see the your-turn notices a read-committed reader sees."""

    log: QueueLog
    notices: Callable[[], list[str]]  # event ids on queue.your-turn
    loop: asyncio.AbstractEventLoop

    def run(self, aw: Any) -> Any:
        return self.loop.run_until_complete(aw)


@pytest.fixture(params=["fake", "fake-transactional", "broker"])
def subject(request: pytest.FixtureRequest, kafka: KafkaSettings) -> Iterator[Subject]:
    loop = asyncio.new_event_loop()
    if request.param.startswith("fake"):
        fake = FakeQueueLog(transactional=request.param == "fake-transactional")
        yield Subject(fake, lambda: [n.event_id for n in fake.notices], loop)
        loop.close()
        return
    asyncio.run(ensure_topics(kafka))
    real = KafkaQueueLog(kafka, transactions="auto")

    def notices() -> list[str]:
        return [
            codec.PATIENT_NOTICES.decode(r.value).event_id for r in read_records(kafka, ["queue.your-turn"])
        ]

    loop.run_until_complete(real.start())
    try:
        yield Subject(real, notices, loop)
    finally:
        loop.run_until_complete(real.stop())
        loop.close()


def a_batch(state: QueueState, n: int, positions: dict[str, int]) -> BatchCommit:
    """A CaseTriaged and a ServeNext of one region, decided: CaseQueued, CaseCalled and the marker."""
    triaged = ev.CaseTriaged(
        case_id=f"c{n}", region=REGION, urgency=2, symptom="fever", person_pseudonym=f"p{n}", triaged_at=NOW
    )
    serve = ev.ServeNext(region=REGION, request_id=f"r{n}", clinician_id="n1")
    inputs = [
        Input(InputPosition(TRIAGE_TOPIC, P, positions.get(TRIAGE_TOPIC, 0)), triaged, NOW),
        Input(InputPosition("queue.commands", P, positions.get("queue.commands", 0)), serve, NOW),
    ]
    return decide_batch(state, P, inputs, f"batch-{n}", positions)


def write(subject: Subject, commit: BatchCommit) -> tuple[int, int]:
    log = subject.log

    async def go() -> tuple[int, int]:
        await log.begin(P)
        span = await log.append(commit)
        await log.send_outputs(outputs_for([e.event for e in commit.entries]), P)
        await log.commit(P)
        return span

    span: tuple[int, int] = subject.run(go())
    settled(lambda: subject.run(log.read(P, span[0])), lambda rs: any(r.offset >= span[1] - 1 for r in rs))
    return span


def settled(read: Callable[[], T], done: Callable[[T], bool], seconds: float = 10) -> T:
    """``read()`` once ``done`` holds of it (or what it reads after ``seconds``).

    On Kafka the coordinator writes a committed transaction's markers after EndTxn returns, so a
    read-committed read at once may still stop before the transaction (recovery reads only after
    `own`, which completes them): a read right after a commit waits until the commit shows.
    """
    deadline = time.monotonic() + seconds
    got = read()
    while not done(got) and time.monotonic() < deadline:
        time.sleep(0.05)
        got = read()
    return got


def test_a_batch_reads_back_in_order_with_its_inputs_batch_answers_and_writer(subject: Subject) -> None:
    log, state = subject.log, QueueState(policy=QueuePolicy())
    subject.run(log.own(P))
    commit = a_batch(state, 1, {})
    first, after = write(subject, commit)

    records = subject.run(log.read(P))
    assert [r.event for r in records] == [e.event for e in commit.entries] + [commit.marker]
    assert (first, after) == (records[0].offset, records[-1].offset + 1)
    assert [r.input for r in records[:-1]] == [e.input for e in commit.entries]
    assert {r.batch_id for r in records[:-1]} == {"batch-1"}
    assert [r.answer_key for r in records[:-1]] == [e.answer_key for e in commit.entries]
    assert {r.writer for r in records} == {log.writer}
    assert commit.marker.positions == {TRIAGE_TOPIC: 1, "queue.commands": 1}
    assert subject.notices() == ["yt-called-r1"]


def test_a_fence_reads_back_at_the_offset_it_returned_naming_its_writer(subject: Subject) -> None:
    log = subject.log
    subject.run(log.own(P))
    _, after = write(subject, a_batch(QueueState(policy=QueuePolicy()), 1, {}))

    async def fence() -> int:
        await log.begin(P)
        at = await log.fence(P, after)
        await log.commit(P)
        return at

    at = subject.run(fence())
    assert at == after + (1 if log.atomic else 0)  # a transaction's commit marker takes one offset
    last = subject.run(log.read(P))[-1]
    assert last.offset == at and last.writer == log.writer
    assert isinstance(last.event, ev.PartitionFenced)
    assert (last.event.writer, last.event.partition, last.event.recovered_to) == (log.writer, P, after)


def test_reading_from_an_offset_returns_exactly_the_records_from_there(subject: Subject) -> None:
    log, state = subject.log, QueueState(policy=QueuePolicy())
    subject.run(log.own(P))
    positions: dict[str, int] = {}
    for n in range(3):
        commit = a_batch(state, n, positions)
        write(subject, commit)
        positions = dict(commit.marker.positions)
    everything = subject.run(log.read(P))
    middle = everything[len(everything) // 2].offset
    assert subject.run(log.read(P, middle)) == [r for r in everything if r.offset >= middle]


def test_an_open_transaction_is_invisible_until_it_commits(subject: Subject) -> None:
    log, state = subject.log, QueueState(policy=QueuePolicy())
    subject.run(log.own(P))
    write(subject, a_batch(state, 1, {}))
    before = subject.run(log.read(P))
    commit = a_batch(state, 2, {TRIAGE_TOPIC: 1, "queue.commands": 1})

    subject.run(log.begin(P))
    subject.run(log.append(commit))
    subject.run(log.send_outputs(outputs_for([e.event for e in commit.entries]), P))
    if log.atomic:  # read committed: nothing of it, not even its notice
        assert subject.run(log.read(P)) == before
        assert settled(subject.notices, lambda n: len(n) >= 1) == ["yt-called-r1"]
    else:  # without transactions the marker is the commit; the records are there at once
        assert len(subject.run(log.read(P))) == len(before) + len(commit.entries) + 1
    subject.run(log.commit(P))
    after = settled(lambda: subject.run(log.read(P)), lambda rs: len(rs) > len(before))
    assert [r.event for r in after][len(before) :] == [e.event for e in commit.entries] + [commit.marker]
    assert settled(subject.notices, lambda n: len(n) >= 2) == ["yt-called-r1", "yt-called-r2"]
