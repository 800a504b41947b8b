"""Traffic shapes for the forecast calibration benchmark: one region, one week, in simulated time.

- steady: the same arrival rate every hour of the week;
- morning_peak: digital demand's weekly shape (the simulator's HOUR_PROFILE x DAY_PROFILE);
- prio2_burst: steady, plus on Tuesday 10-12 a burst of Prio 2 patients (3x the hour's
  arrivals); the region's history (the weeks before) has no burst: it cannot be foreseen;
- closing: the morning peak in a region staffed weekdays 08-17 only, closed at weekends, so
  many waits run over a closed night or weekend.
Every shape is staffed by ``clinicians`` in each staffed hour and brings ``load`` x the week's
staffed capacity in arrivals.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from services.opening_hours.schedule import RegionHours
from services.queue_model.scenario import (
    DAY_PROFILE,
    DEFAULT_START,
    HOUR_PROFILE,
    Arrival,
    CaseModel,
    Scenario,
    hour_of_week,
)
from services.queue_model.traffic import DEFAULT_MIX

SHAPES = ("steady", "morning_peak", "prio2_burst", "closing")
REGION = "SE-C"
MODEL = CaseModel()
# mean clinician time per call under the default mix and model: consultations and 5 % no-shows
_MIX = {u: w / sum(DEFAULT_MIX.values()) for u, w in DEFAULT_MIX.items()}
BUSY_PER_CALL_S = (1 - MODEL.no_show_rate) * sum(_MIX[u] * MODEL.consult_mean_s[u] for u in _MIX) + (
    MODEL.no_show_rate * MODEL.no_show_s
)


@dataclass(frozen=True)
class Shape:
    name: str
    hours: RegionHours
    week: tuple[int, ...]  # clinicians per hour of the week
    capacity_per_hour: float  # what the hours file says one staffed hour takes


def shape(name: str, clinicians: int) -> Shape:
    """The region's hours, staffing and stated capacity for ``name``."""
    if name not in SHAPES:
        raise ValueError(f"unknown shape {name!r}; use one of {', '.join(SHAPES)}")
    if name == "closing":
        weekly = (((8 * 60, 17 * 60),),) * 5 + ((), ())
    else:
        weekly = (((8 * 60, 21 * 60),),) * 5 + (((8 * 60, 16 * 60),),) * 2
    capacity = clinicians * 3600.0 / BUSY_PER_CALL_S
    hours = RegionHours(weekly=weekly, capacity=capacity)
    week = tuple(
        clinicians if any(a <= h * 60 < b for a, b in weekly[d]) else 0 for d in range(7) for h in range(24)
    )
    return Shape(name, hours, week, capacity)


def arrivals(s: Shape, seed: int, days: float, load: float, history: bool = False) -> Scenario:
    """``days`` of arrivals for shape ``s``; ``history``: the weeks before (no burst)."""
    rng = random.Random(seed)
    flat = s.name in ("steady", "prio2_burst")
    weights = [1.0 if flat else DAY_PROFILE[d] * HOUR_PROFILE[h] for d in range(7) for h in range(24)]
    per_week = load * sum(s.week) * 3600.0 / BUSY_PER_CALL_S
    urgencies, mix = list(_MIX), list(_MIX.values())
    out: list[Arrival] = []
    for hour in range(int(days * 24)):
        how = hour_of_week(DEFAULT_START, hour * 3600.0)
        rate = per_week * weights[how] / sum(weights) / 3600.0
        burst = s.name == "prio2_burst" and not history and how in (24 + 10, 24 + 11)
        t, end = hour * 3600.0, (hour + 1) * 3600.0
        while True:
            t += rng.expovariate(rate * (4.0 if burst else 1.0))
            if t >= end:
                break
            u = 2 if burst and rng.random() < 0.75 else rng.choices(urgencies, mix)[0]
            out.append(Arrival(t, REGION, u, MODEL.consult(u, rng), MODEL.misses(rng)))
    return Scenario(tuple(out), DEFAULT_START, days * 86400.0)
