"""Consumer lag per partition = high watermark - committed offset, from faust's consumer."""

from __future__ import annotations

from collections import defaultdict

from faust.types import TP

from services.observability.consumer_lag import partition_lags


class ConsumerView:
    """The three things partition_lags reads from a faust consumer (pure unit test input)."""

    def __init__(self, highwaters: dict[TP, int | None], committed: dict[TP, int | None]) -> None:
        self.highwaters = highwaters
        self._committed_offset = defaultdict(lambda: None, committed)

    def assignment(self) -> set[TP]:
        return set(self.highwaters)

    def highwater(self, tp: TP) -> int | None:
        return self.highwaters[tp]


def test_lag_is_highwater_minus_committed_per_partition_with_the_namespace_stripped() -> None:
    a, b = TP("t1.triage.events", 0), TP("t1.triage.events", 1)
    lags = partition_lags(ConsumerView({a: 10, b: 7}, {a: 4, b: 7}), namespace="t1")
    assert [(s.topic, s.partition, s.lag) for s in lags] == [("triage.events", 0, 6), ("triage.events", 1, 0)]


def test_partitions_without_a_commit_or_a_fetch_yet_are_left_out_not_guessed() -> None:
    a, b, c = TP("queue.commands", 0), TP("queue.commands", 1), TP("queue.commands", 2)
    view = ConsumerView({a: 5, b: None, c: 3}, {b: 2, c: 1})  # a: never committed
    assert [(s.partition, s.lag) for s in partition_lags(view)] == [(2, 2)]
    assert a not in view._committed_offset  # reading never inserts into faust's defaultdict


def test_a_consumer_that_is_not_started_reports_no_lag() -> None:
    class NotStarted:
        def assignment(self) -> set[TP]:
            raise RuntimeError("consumer not started")

    assert partition_lags(NotStarted()) == []
