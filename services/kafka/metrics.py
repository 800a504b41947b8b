"""Metrics shared by every service that consumes Kafka."""

from __future__ import annotations

from prometheus_client import Counter

DEAD_LETTERS = Counter(
    "triage_dlq_records_total",
    "Records sent to a dead-letter topic, by source topic (contract name) and reason.",
    ["topic", "reason"],
)
