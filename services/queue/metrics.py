"""The queue's domain metrics (catalog: docs/metrics.md). Bounded labels: region x urgency."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
