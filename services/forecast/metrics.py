"""The forecaster's metrics (catalog: docs/metrics.md): what Grafana's forecast panel and the
forecast-breach alert read."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

BREACH_PROBABILITY = Gauge(
    "triage_forecast_breach_probability",
    "Forecast: share of futures in which some patient of this urgency passes the urgency's time frame "
    "within the horizon, with the staffing as planned.",
    ["region", "urgency"],
)
BREACH_IN = Gauge(
    "triage_forecast_breach_expected_in_seconds",
    "Forecast: mean time from the forecast until the first breach, over the futures with one (-1: none).",
    ["region", "urgency"],
)
WAIT_P90 = Gauge(
    "triage_forecast_wait_p90_seconds",
    "Forecast: the largest 90th-percentile call time (seconds from now) among the cases waiting per urgency.",
    ["region", "urgency"],
)
REFRESHED_AT = Gauge(
    "triage_forecast_refreshed_timestamp_seconds", "When the region's forecast was made.", ["region"]
)
REFRESH_CPU = Histogram(
    "triage_forecast_refresh_cpu_seconds",
    "CPU time of one region's forecast (all its futures).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)
REFRESHES = Counter("triage_forecast_refreshes_total", "Forecasts made, by outcome.", ["outcome"])
