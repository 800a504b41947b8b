"""Intake's domain and HTTP metrics (catalog: docs/metrics.md)."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from services.observability.snapshot_metrics import snapshot_metrics

SUBMISSIONS = Counter(
    "triage_submissions_total",
    "Triage submissions by region and outcome.",
    [
        "region",
        "outcome",
    ],  # outcome: queued | referred | full | invalid | duplicate | past_frame (referred: cannot be
    # called in time, Prio 1-3) | long_wait (Prio 4-5, may choose to wait); region "other" if not one of the 21
)
FORECAST_MOVED_NOTICES = Counter(
    "triage_intake_forecast_moved_notices_total",
    "Waiting cases told (CaseNotice forecast_moved) that their wait forecast moved by more than its range.",
    ["region"],
)
PAST_FRAME_NOTICES = Counter(
    "triage_intake_past_frame_notices_total",
    "Waiting cases told (CaseNotice past_frame_*) that their region cannot call them within their time frame.",
    ["region"],
)
# Snapshots of intake's read model (services/intake/view_snapshots.py): its bounded start.
VIEW_SNAPSHOTS, VIEW_SNAPSHOT_PAUSE = snapshot_metrics(
    "triage_intake",
    "Snapshot turns of intake's read model by outcome: written (chunks and manifest acknowledged) or "
    "failed (intake.snapshots unreadable, the fork, the encoding or the write). Turns skipped because "
    "another replica wrote one lately, or nothing changed, are not counted.",
    "The event loop's pause to take one snapshot of the read model: the fork, or the whole encoding "
    "with INTAKE_SNAPSHOT_ENCODER=inline.",
)
VIEW_SNAPSHOT_NEWEST = Gauge(
    "triage_intake_snapshot_newest_timestamp_seconds",
    "When the newest snapshot on intake.snapshots was taken (by any replica), as this process last "
    "read it: a start reads the topics from there.",
)
HTTP_REQUESTS = Counter(
    "triage_http_requests_total",
    "HTTP requests by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "triage_http_request_duration_seconds",
    "HTTP request latency by route template and method.",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
VIEW_SKIPPED = Counter(
    "triage_intake_view_skipped_records_total",
    "Records on queue.events / triage.events that intake's read model does not know (skipped, not fatal).",
    ["topic", "type"],
)
GC_PAUSES = Histogram(
    "triage_intake_gc_pause_seconds",
    "Garbage-collector pauses in intake, by generation (2 = full).",
    ["generation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)

_SUBMISSION_COUNTERS: dict[tuple[str, str], Any] = {}


def count_submission(region: str, outcome: str) -> None:
    """``SUBMISSIONS{region, outcome} += 1``; the labelled child looked up once per pair (``labels()``
    validates and locks on every call; regions and outcomes are a small closed set)."""
    child = _SUBMISSION_COUNTERS.get((region, outcome))
    if child is None:
        child = _SUBMISSION_COUNTERS[(region, outcome)] = SUBMISSIONS.labels(region, outcome)
    child.inc()
