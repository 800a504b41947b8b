"""A missing contact card: waited for while the card reader is behind the topic, not a moment
longer once it has read to the end (``ContactDirectory.wait_for``).

The reader is the small store interface faked here (``CardLog``: the broker's end offsets as a
flag); the e2e tier runs the real ``LogTail`` on a broker.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka import ConsumerRecord

from services.kafka.settings import KafkaSettings
from services.kafka.tail import OnBatch
from services.notifier.contact_directory import ContactDirectory


class FakeCardLog:
    """A card reader that is behind the topic's end until told otherwise."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.at_end = False
        self.asked = 0

    async def run(self, on_batch: OnBatch) -> None:
        self.ready.set()

    async def caught_up(self) -> bool:
        self.asked += 1
        return self.at_end


def card(case_id: str) -> ConsumerRecord:
    return ConsumerRecord("patient.contacts", 0, 7, 0, 0, case_id.encode(), b"sealed", None, 6, 6, [])


def directory(tail: FakeCardLog, lag_wait_s: float = 5.0) -> ContactDirectory:
    return ContactDirectory(KafkaSettings(), lag_wait_s=lag_wait_s, tail=tail)


def test_a_card_the_lagging_reader_reads_after_the_usual_wait_is_still_found() -> None:
    async def run() -> bytes | None:
        tail = FakeCardLog()
        contacts = directory(tail)
        loop = asyncio.get_running_loop()
        loop.call_later(0.4, contacts._apply, "patient.contacts", card("c1"))  # the failover ends
        return await contacts.wait_for("c1", timeout=0.1)

    assert asyncio.run(run()) == b"sealed"


def test_a_card_missing_when_the_reader_is_at_the_end_is_none_at_once() -> None:
    async def run() -> tuple[bytes | None, float]:
        tail = FakeCardLog()
        tail.at_end = True
        started = time.monotonic()
        found = await directory(tail, lag_wait_s=60).wait_for("gone", timeout=0.05)
        return found, time.monotonic() - started

    found, took = asyncio.run(run())
    assert found is None and took < 5  # not the 60 s a lagging reader would get


def test_a_reader_that_stays_behind_is_waited_for_only_up_to_the_lag_wait() -> None:
    async def run() -> tuple[bytes | None, float, int]:
        tail = FakeCardLog()
        started = time.monotonic()
        found = await directory(tail, lag_wait_s=1.0).wait_for("c1", timeout=0.05)
        return found, time.monotonic() - started, tail.asked

    found, took, asked = asyncio.run(run())
    assert found is None and 1.0 <= took < 10 and asked >= 2


def test_a_card_already_read_is_returned_without_asking_the_broker() -> None:
    async def run() -> tuple[bytes | None, int]:
        tail = FakeCardLog()
        contacts = directory(tail)
        contacts._apply("patient.contacts", card("c1"))
        return await contacts.wait_for("c1", timeout=1), tail.asked

    assert asyncio.run(run()) == (b"sealed", 0)
