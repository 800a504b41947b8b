"""A fetch response proves triage.events' end for a command only if its request left after the command arrived."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition

from services.queue.fetch_ends import FetchEnds

COMMANDS = TopicPartition("queue.commands", 3)
TRIAGE = TopicPartition("triage.events", 3)


@dataclass
class FetchRequest_v4:  # noqa: N801 - named like aiokafka's request classes (FetchRequest_vN)
    n: int


@dataclass
class Response:
    topics: list[tuple[str, list[tuple[Any, ...]]]]
    API_VERSION: int = 4


def part(tp: TopicPartition, highwater: int, lso: int, records: bytes = b"", error: int = 0) -> Any:
    return (tp.topic, [(tp.partition, error, highwater, lso, [], records)])


class Broker:
    """A client whose fetch answers the test releases one by one, in any order."""

    def __init__(self) -> None:
        self.answers: dict[int, asyncio.Future[Response]] = {}

    async def send(self, node_id: int, request: Any) -> Response:
        self.answers[request.n] = asyncio.get_running_loop().create_future()
        return await self.answers[request.n]


def test_only_a_fetch_sent_after_the_commands_arrived_proves_the_end_of_triage_events() -> None:
    async def go() -> None:
        broker, ends = Broker(), FetchEnds()
        ends.watch(broker)
        # request 1 (both partitions) and request 2 (triage only, another node) are in flight
        first = asyncio.create_task(broker.send(1, FetchRequest_v4(1)))
        early = asyncio.create_task(broker.send(2, FetchRequest_v4(2)))
        await asyncio.sleep(0)
        broker.answers[1].set_result(Response([part(COMMANDS, 1, 1, b"serve-next"), part(TRIAGE, 5, 5)]))
        await first
        # the triage end in the same response as the command is no proof (read before it, maybe)
        assert ends.end_after(COMMANDS, TRIAGE) is None
        broker.answers[2].set_result(Response([part(TRIAGE, 6, 6)]))
        await early
        assert ends.end_after(COMMANDS, TRIAGE) is None  # sent before the command arrived: no proof
        later = asyncio.create_task(broker.send(1, FetchRequest_v4(3)))
        await asyncio.sleep(0)
        broker.answers[3].set_result(Response([part(TRIAGE, 9, 7)]))
        await later
        assert ends.end_after(COMMANDS, TRIAGE) == 7  # read committed: the last stable offset

    asyncio.run(go())


def test_an_errored_partition_and_a_non_fetch_request_prove_nothing() -> None:
    async def go() -> None:
        broker, ends = Broker(), FetchEnds()
        ends.watch(broker)
        got = asyncio.create_task(broker.send(1, FetchRequest_v4(1)))
        await asyncio.sleep(0)
        broker.answers[1].set_result(Response([part(COMMANDS, 1, 1, b"serve-next")]))
        await got

        @dataclass
        class ListOffsetsRequest_v1:  # noqa: N801
            n: int

        other = asyncio.create_task(broker.send(1, ListOffsetsRequest_v1(2)))
        failed = asyncio.create_task(broker.send(1, FetchRequest_v4(3)))
        await asyncio.sleep(0)
        broker.answers[2].set_result(Response([part(TRIAGE, 9, 9)]))
        broker.answers[3].set_result(Response([part(TRIAGE, 9, 9, error=6)]))  # NOT_LEADER
        await asyncio.gather(other, failed)
        assert ends.end_after(COMMANDS, TRIAGE) is None

    asyncio.run(go())
