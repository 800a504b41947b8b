"""The queue's snapshot settings: defaults, overrides, and a clear error for nonsense."""

from __future__ import annotations

import pytest

from services.queue.settings import QueueSettings


def test_snapshots_are_on_by_default_every_5000_events_or_5_minutes() -> None:
    s = QueueSettings.from_env({})
    assert (s.snapshot_every_events, s.snapshot_every_s) == (5000, 300.0)
    assert QueueSettings.from_env({"QUEUE_SNAPSHOT_EVERY_EVENTS": "200"}).snapshot_every_events == 200


def test_an_operator_can_turn_snapshots_off_with_zero_events() -> None:
    assert QueueSettings.from_env({"QUEUE_SNAPSHOT_EVERY_EVENTS": "0"}).snapshot_every_events == 0


@pytest.mark.parametrize(
    "env",
    [
        {"QUEUE_SNAPSHOT_EVERY_EVENTS": "-1"},
        {"QUEUE_SNAPSHOT_EVERY_S": "0"},
        {"QUEUE_SNAPSHOT_EVERY_EVENTS": "often"},
    ],
)
def test_a_negative_or_non_numeric_snapshot_interval_is_refused_naming_the_variable(
    env: dict[str, str],
) -> None:
    with pytest.raises(ValueError, match="QUEUE_SNAPSHOT_EVERY"):
        QueueSettings.from_env(env)
