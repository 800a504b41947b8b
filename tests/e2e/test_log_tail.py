"""The one log reader (services/kafka/tail.py) on the session broker (Tansu or Apache Kafka):
ready only once every record written before the start is read, also when the last record batch
is large (Tansu's end offset is that batch's base + 1), then tailing; an aborted transaction is
never seen on Kafka. The catch-up rule itself: tests/unit/kafka/test_log_tail.py."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from proto import topics
from services.kafka.read_to_end import read_to_end
from services.kafka.settings import KafkaSettings
from services.kafka.tail import LogTail, TopicMissing
from services.kafka.topic_admin import ensure_topics

pytestmark = pytest.mark.e2e
TOPIC = topics.AUDIT_EVENTS  # any contract topic; the reader does not decode


async def _produce_one_batch(kafka: KafkaSettings, values: list[str], partition: int) -> None:
    """``values`` on one partition, sent together so the producer packs them into one batch."""
    producer = AIOKafkaProducer(**kafka.client_options(), linger_ms=500, enable_idempotence=False)
    await producer.start()
    try:
        sent = [await producer.send(kafka.topic(TOPIC.name), v.encode(), partition=partition) for v in values]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def _tail_until(kafka: KafkaSettings, expected_later: int) -> tuple[list[str], list[str]]:
    """(values read when ready, values read after ready), once ``expected_later`` arrived after."""
    tail = LogTail(kafka, (TOPIC.name,), max_records=100)  # a cap below the last batch (500)
    at_ready: list[str] = []
    later: list[str] = []
    done = asyncio.Event()

    async def on_batch(records: list[tuple[str, object]]) -> None:
        (later if tail.ready.is_set() else at_ready).extend(r.value.decode() for _, r in records)  # type: ignore[attr-defined]
        if len(later) >= expected_later:
            done.set()

    async def on_ready() -> None:
        await _produce_one_batch(kafka, [f"later-{i}" for i in range(expected_later)], partition=1)

    task = asyncio.create_task(tail.run(on_batch, on_ready))
    try:
        await asyncio.wait_for(done.wait(), 30)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return at_ready, later


def test_the_reader_is_ready_only_after_the_whole_last_batch_and_then_tails(kafka: KafkaSettings) -> None:
    asyncio.run(ensure_topics(kafka, (TOPIC,)))
    before = [f"before-{i}" for i in range(500)]
    asyncio.run(_produce_one_batch(kafka, before[:5], partition=0))
    asyncio.run(_produce_one_batch(kafka, before[5:], partition=0))  # a large last batch
    asyncio.run(_produce_one_batch(kafka, ["other-partition"], partition=2))

    at_ready, later = asyncio.run(_tail_until(kafka, expected_later=50))

    assert sorted(at_ready) == sorted([*before, "other-partition"])
    assert later == [f"later-{i}" for i in range(50)]
    bounded = [r.value.decode() for _, r in asyncio.run(read_to_end(kafka, [TOPIC.name]))]
    assert sorted(bounded) == sorted([*before, "other-partition", *later])


def test_a_topic_that_does_not_exist_is_named_in_a_clear_error(kafka: KafkaSettings) -> None:
    with pytest.raises(TopicMissing, match=rf"{kafka.topic(TOPIC.name)} not found: create the topics"):
        asyncio.run(read_to_end(kafka, [TOPIC.name], timeout_s=5))


@pytest.mark.only_broker("kafka", why="Tansu has no transactions")
def test_an_aborted_transaction_is_never_read_and_its_markers_do_not_hold_up_ready(
    kafka: KafkaSettings,
) -> None:
    asyncio.run(ensure_topics(kafka, (TOPIC,)))

    async def write() -> None:
        producer = AIOKafkaProducer(
            **kafka.client_options(), transactional_id=kafka.group(f"tail-{uuid.uuid4().hex[:8]}")
        )
        await producer.start()
        try:
            for outcome in ("committed-1", "aborted", "committed-2", "aborted-last"):
                await producer.begin_transaction()
                await producer.send_and_wait(kafka.topic(TOPIC.name), outcome.encode(), partition=0)
                if outcome.startswith("aborted"):
                    await producer.abort_transaction()
                else:
                    await producer.commit_transaction()
        finally:
            await producer.stop()

    asyncio.run(write())
    at_ready, later = asyncio.run(_tail_until(kafka, expected_later=1))
    assert at_ready == ["committed-1", "committed-2"]
    assert later == ["later-0"]
    bounded = [r.value.decode() for _, r in asyncio.run(read_to_end(kafka, [TOPIC.name]))]
    assert sorted(bounded) == ["committed-1", "committed-2", "later-0"]


def test_caught_up_says_so_only_once_everything_written_before_it_asked_is_folded(
    kafka: KafkaSettings,
) -> None:
    """What the notifier relies on before it gives up on a missing contact card."""
    asyncio.run(ensure_topics(kafka, (TOPIC,)))

    async def run() -> tuple[bool, list[int]]:
        tail = LogTail(kafka, (TOPIC.name,))
        folded: list[str] = []

        async def on_batch(records: list[tuple[str, object]]) -> None:
            folded.extend(r.value.decode() for _, r in records)  # type: ignore[attr-defined]

        before_run = await tail.caught_up()
        task = asyncio.create_task(tail.run(on_batch))
        seen_at_caught_up: list[int] = []
        try:
            await asyncio.wait_for(tail.ready.wait(), 30)
            for round_ in range(3):
                wanted = [f"r{round_}-{i}" for i in range(200)]
                await _produce_one_batch(kafka, wanted, partition=round_)
                for _ in range(300):  # a moment behind, then caught up
                    if await tail.caught_up():
                        assert set(wanted) <= set(folded), (
                            "caught up, but a record written before is not folded"
                        )
                        seen_at_caught_up.append(round_)
                        break
                    await asyncio.sleep(0.05)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return before_run, seen_at_caught_up

    before_run, rounds = asyncio.run(run())
    assert before_run is False  # not reading: it cannot know
    assert rounds == [0, 1, 2]
