"""The notifier's domain metrics (catalog: docs/metrics.md)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from services.notifier.domain.templates import KINDS

SMS = Counter(
    "triage_sms_total",
    "SMS by provider, kind and outcome.",
    ["provider", "kind", "outcome"],  # outcome: sent | failed | retried | delivered | duplicate_suppressed
)
SERVE_TO_SMS = Histogram(
    "triage_serve_to_sms_seconds",
    "Time from the case being called to the SMS handed to the provider.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
PROVIDER_LATENCY = Histogram(
    "triage_sms_provider_request_seconds",
    "SMS provider API call latency.",
    ["provider"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def init_series(provider: str) -> None:
    """Create the main SMS outcome series at 0, so the first SMS after start is a visible increase."""
    for kind in KINDS:
        for outcome in ("sent", "failed"):
            SMS.labels(provider, kind, outcome)
    PROVIDER_LATENCY.labels(provider)
