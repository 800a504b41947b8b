"""Partition ends as the input consumer's own fetch responses show them, in request order.

The ordering rule (docs/queue.md, write path step 1): a command may only be decided once
triage.events of its partition has been read up to an end observed AFTER the command was
read. The ListOffsets the reader sends for that costs a round trip per batch with a command.
A fetch response carries the same end (the high watermark, and the last stable offset that
matters to a read-committed reader), so the round trip is not needed when a fetch REQUEST for
triage.events p was sent after the response that delivered the command had arrived: the
broker then read triage.events p's end after it had appended the command, i.e. after every
triage event whose producer had its acks=all ack before the command was sent.

aiokafka keeps the last high watermark per partition (``consumer.highwater``) but not when
the request behind it was sent, so this wraps the consumer's client ``send`` and numbers the
requests and responses of one consumer on one counter (aiokafka 0.14's fetcher calls
``self._client.send(node_id, request)``; tests/e2e/test_queue_fetch_ends.py checks it).
"""

from __future__ import annotations

import itertools
from typing import Any

from aiokafka import TopicPartition


class FetchEnds:
    """Per partition: the newest end a fetch response showed, with the tick its request was sent."""

    def __init__(self) -> None:
        self._clock = itertools.count(1)
        self.ends: dict[TopicPartition, tuple[int, int]] = {}  # tp -> (request sent at, end)
        self.delivered: dict[TopicPartition, int] = {}  # tp -> tick of the last response with records

    def watch(self, client: Any) -> None:
        """Observe every fetch ``client`` (an aiokafka client) sends from now on."""
        send = client.send

        async def observed(node_id: int, request: Any, *args: Any, **kwargs: Any) -> Any:
            sent = next(self._clock)  # before the request is written to the socket
            response = await send(node_id, request, *args, **kwargs)
            if type(request).__name__.startswith("FetchRequest"):
                self._record(sent, next(self._clock), response)
            return response

        client.send = observed

    def _record(self, sent: int, received: int, response: Any) -> None:
        version = response.API_VERSION
        for topic, partitions in response.topics:
            for partition, error_code, highwater, *rest in partitions:
                if error_code != 0:
                    continue  # no end from an errored partition
                tp = TopicPartition(topic, partition)
                lso = rest[0] if version >= 4 and rest else None
                end = lso if lso is not None and lso >= 0 else highwater
                if end is not None and end >= 0 and sent > self.ends.get(tp, (0, 0))[0]:
                    self.ends[tp] = (sent, end)
                if rest and rest[-1]:  # the record set is not empty
                    self.delivered[tp] = received

    def end_after(self, read: TopicPartition, end_of: TopicPartition) -> int | None:
        """``end_of``'s end from a fetch sent after ``read``'s last records arrived; None if none yet.

        Call it right after the consumer handed ``read``'s records out (no await in between):
        aiokafka does not fetch a partition again while it holds records of it, so the last
        response with records of ``read`` is the one that delivered them.
        """
        delivered = self.delivered.get(read)
        seen = self.ends.get(end_of)
        if delivered is None or seen is None or seen[0] <= delivered:
            return None
        return seen[1]
