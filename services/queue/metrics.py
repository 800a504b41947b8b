"""The queue's domain metrics (catalog: docs/metrics.md). Bounded labels: region x urgency."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from proto import events as ev
from services.observability.region_label import region_label
from services.observability.snapshot_metrics import snapshot_metrics

# Waiting time from queued to called, per urgency. Buckets span the 1177 time frames:
# minutes (Prio 1) to a week (Prio 4).
WAIT_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400)

CASES_CALLED_WAIT = Histogram(
    "triage_queue_wait_seconds",
    "Time from queued to called, by urgency.",
    ["urgency"],
    buckets=WAIT_BUCKETS,
)
COMMANDS = Counter(
    "triage_queue_commands_total",
    "Queue commands processed, by command and outcome.",
    ["command", "outcome"],  # outcome: accepted | rejected | replayed
)
EVENTS = Counter("triage_queue_events_total", "Events the queue emitted, by type.", ["type"])
# How completed cases ended (issue 26): the clinician's outcome kind (a closed set, or
# "unrecorded" for a CompleteCase without one) per region (21 + other) and urgency.
CASE_OUTCOMES = Counter(
    "triage_queue_case_outcomes_total",
    "Completed cases by region, urgency and the clinician's outcome kind.",
    ["region", "urgency", "outcome"],
)


def count_outcome(closed: ev.CaseClosed) -> None:
    """Count one completed case (other closings are not outcomes of a consultation)."""
    if closed.reason != "completed":
        return
    urgency = str(closed.urgency) if closed.urgency in (1, 2, 3, 4, 5) else "unknown"
    CASE_OUTCOMES.labels(region_label(closed.region), urgency, closed.outcome or "unrecorded").inc()


# Gauges triage_queue_waiting_cases{region,urgency} and triage_queue_oldest_wait_seconds
# {region,urgency} are computed at scrape time from the live heaps (see QueueStateCollector).
REROUTED = Counter(
    "triage_queue_rerouted_records_total",
    "Input records that arrived on another partition than their region's and were forwarded.",
    ["topic"],
)

# Series exist from start-up at 0, so the first call after a restart is a visible increase
# (Prometheus cannot see the increase of a series whose first sample is already 1).
for _urgency in "12345":
    CASES_CALLED_WAIT.labels(_urgency)

# Where the time of one batch goes (issue 11 follow-up: ServeNext -> YourTurn latency).
# stage: fetch (waiting for input), drain (reading triage.events to its end before commands),
# decide (the pure core), wait (for the previous batch's writes, pipelined: issue 24),
# append (events + marker acknowledged), outputs (notices acknowledged).
STAGE_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1.0)
BATCH_STAGE = Histogram(
    "triage_queue_batch_stage_seconds",
    "Time one batch spends in each stage of the write path.",
    ["stage"],
    buckets=STAGE_BUCKETS,
)
INPUT_AGE = Histogram(
    "triage_queue_input_age_seconds",
    "From an input record's timestamp to the moment the queue's reader hands it to a batch.",
    ["topic"],
    buckets=STAGE_BUCKETS,
)
GC_PAUSES = Histogram(
    "triage_queue_gc_pause_seconds",
    "Garbage-collector pauses in the queue worker, by generation (2 = full).",
    ["generation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)

# Snapshots of a partition's state (services/queue/snapshots.py): how recovery is kept short.
SNAPSHOTS, SNAPSHOT_PAUSE = snapshot_metrics(
    "triage_queue",
    "Snapshots of a partition's state by outcome: written (manifest acknowledged) or failed "
    "(the fork, the encoding or the write; the next one is due after the same interval).",
    "The event loop's pause to take one snapshot: the fork (QUEUE_SNAPSHOT_ENCODER=fork) or the "
    "whole encoding (inline). It grows with the worker's memory or the partition's cases.",
)
SNAPSHOT_TAIL = Gauge(
    "triage_queue_snapshot_tail_records",
    "Event records committed on a partition this worker owns after its latest written snapshot: "
    "what a restart or a takeover would fold after reading that snapshot.",
    ["partition"],
)
SNAPSHOT_BYTES = Gauge(
    "triage_queue_snapshot_bytes",
    "Size of the latest snapshot this worker wrote of a partition (on queue.snapshots).",
    ["partition"],
)
RECOVERY = Histogram(
    "triage_queue_recovery_seconds",
    "From an assignment to serving it: rebuilding the partitions this worker newly owns from their "
    "snapshot and queue.events (labelled by how many partitions it recovered).",
    ["partitions"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
