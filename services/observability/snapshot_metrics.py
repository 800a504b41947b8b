"""The two metrics every service that snapshots its state exposes (the queue's partitions, intake's
read model; catalog: docs/metrics.md): ``<prefix>_snapshots_total{outcome}`` and
``<prefix>_snapshot_pause_seconds``. What each counts is the service's to say in ``outcomes`` and
``pause``; the names, the outcome labels and the buckets are the same, so one alert shape and one
dashboard query fit both."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

OUTCOMES = ("written", "failed")
# from a fork's ~1 ms of a small process to a whole inline encoding of a large state
PAUSE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5)


def snapshot_metrics(prefix: str, outcomes: str, pause: str) -> tuple[Counter, Histogram]:
    """The outcome counter (both outcomes exist from start-up at 0, so an alert's ``increase()``
    sees the first failure) and the loop-pause histogram, registered under ``prefix``."""
    counter = Counter(f"{prefix}_snapshots_total", outcomes, ["outcome"])
    for outcome in OUTCOMES:
        counter.labels(outcome)
    histogram = Histogram(f"{prefix}_snapshot_pause_seconds", pause, buckets=PAUSE_BUCKETS)
    return counter, histogram
