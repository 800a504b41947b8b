"""A region's forecast as the WaitForecast event published on queue.forecasts."""

from __future__ import annotations

import datetime as dt

from proto import events as ev
from services.forecast.domain.forecast import RegionForecast


def to_event(f: RegionForecast, as_of: dt.datetime, seed: int, what_if: str = "") -> ev.WaitForecast:
    """The event; ``event_id`` names region and time so a re-published forecast is recognised."""
    return ev.WaitForecast(
        event_id=f"forecast-{f.region}-{as_of.timestamp():.3f}-{what_if}",
        occurred_at=as_of,
        region=f.region,
        as_of=as_of,
        runs=f.runs,
        horizon_seconds=f.horizon_s,
        seed=seed,
        cases=[
            ev.CaseWaitForecast(
                case_id=c.case_id,
                urgency=c.urgency,
                p10_seconds=c.p10_s,
                p50_seconds=c.p50_s,
                p90_seconds=c.p90_s,
            )
            for c in f.cases
        ],
        breaches=[
            ev.BreachForecast(
                urgency=b.urgency,
                frame_seconds=b.frame_s,
                probability=b.probability,
                expected_in_seconds=b.expected_in_s,
            )
            for b in f.breaches
        ],
        what_if=what_if,
    )
