"""What the simulation replays: arrivals, each with its consultation time and no-shows.

A scenario is fixed before the event loop runs. Every random draw about a patient
(region, urgency, how long the consultation takes, how many calls they miss) is made
here, once, in a fixed order from one seeded RNG: two runs with different staffing see
exactly the same patients, which is what makes staffing trials comparable and the
search's runs reusable.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from services.queue_model.hours import HoursChange
from services.queue_model.population import REGION_POPULATION, RegionPicker
from services.queue_model.traffic import DEFAULT_MIX, UrgencyMix

STOCKHOLM = ZoneInfo("Europe/Stockholm")
DEFAULT_START = dt.datetime(2026, 1, 5, tzinfo=STOCKHOLM)  # a Monday 00:00, far from DST changes

# Relative arrivals per hour of the day and per day (Monday first). Digital demand is
# 24/7 with a low night, a morning peak and an evening shoulder; Monday is the busiest day.
HOUR_PROFILE: tuple[float, ...] = (
    0.30,
    0.20,
    0.15,
    0.15,
    0.20,
    0.35,
    0.60,
    1.00,
    1.60,
    1.70,
    1.60,
    1.40,
    1.30,
    1.30,
    1.30,
    1.30,
    1.30,
    1.30,
    1.40,
    1.50,
    1.40,
    1.10,
    0.80,
    0.50,
)
DAY_PROFILE: tuple[float, ...] = (1.25, 1.05, 1.00, 1.00, 0.95, 0.85, 0.95)


@dataclass(frozen=True, slots=True)
class Arrival:
    """One patient: when they were queued (seconds since the scenario start) and what follows."""

    t: float
    region: str
    urgency: int
    consult_s: float  # how long the clinician is busy once the patient answers
    no_shows: int = 0  # calls the patient misses before answering
    outcome: str = ""  # the clinician's outcome kind from a history ("": none recorded or modelled)


@dataclass(frozen=True)
class CaseModel:
    """Consultation time per urgency (lognormal: mean and coefficient of variation) and no-shows.

    ``no_show_rate`` is the chance that a patient misses one call; misses are independent,
    so a patient misses k calls in a row with probability rate^k. A missed call keeps the
    clinician ``no_show_s`` (ringing, a second try) before MarkNoShow is sent.
    """

    consult_mean_s: Mapping[int, float] = field(
        default_factory=lambda: {1: 15 * 60.0, 2: 12 * 60.0, 3: 10 * 60.0, 4: 8 * 60.0, 5: 6 * 60.0}
    )
    consult_cv: float = 0.5
    no_show_rate: float = 0.05
    no_show_s: float = 120.0

    def consult(self, urgency: int, rng: random.Random) -> float:
        """One consultation time in seconds."""
        mean = self.consult_mean_s[urgency]
        if self.consult_cv <= 0:
            return mean
        sigma2 = math.log1p(self.consult_cv**2)
        return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))

    def misses(self, rng: random.Random) -> int:
        """How many calls in a row one patient misses (capped at 10)."""
        k = 0
        while k < 10 and rng.random() < self.no_show_rate:
            k += 1
        return k


@dataclass(frozen=True)
class Scenario:
    """Arrivals in time order, the wall-clock start they are relative to, and their span."""

    arrivals: tuple[Arrival, ...]
    start: dt.datetime
    span_s: float
    hours_changes: tuple[HoursChange, ...] = ()  # a team lead's hours changes (from a history)

    def for_region(self, region: str) -> Scenario:
        """Only ``region``'s arrivals (regions do not interact in the simulation)."""
        return Scenario(
            tuple(a for a in self.arrivals if a.region == region), self.start, self.span_s, self.hours_changes
        )

    def regions(self) -> list[str]:
        """The regions with arrivals, biggest first."""
        counts: dict[str, int] = {}
        for a in self.arrivals:
            counts[a.region] = counts.get(a.region, 0) + 1
        return sorted(counts, key=lambda r: (-counts[r], r))


def hour_of_week(start: dt.datetime, t: float) -> int:
    """0..167: the local (Stockholm) hour of the week ``t`` seconds after ``start``; Monday 00-01 is 0."""
    local = (start + dt.timedelta(seconds=t)).astimezone(STOCKHOLM)
    return local.weekday() * 24 + local.hour


def traffic_scenario(
    cases_per_week: float,
    days: float = 7.0,
    seed: int = 1,
    regions: Sequence[str] | None = None,
    mix: Mapping[int, float] | None = None,
    model: CaseModel | None = None,
    start: dt.datetime = DEFAULT_START,
) -> Scenario:
    """Arrivals from the load generator's traffic model (regions by population, urgency mix)
    with the weekly profile above: a Poisson process whose rate is constant within each hour."""
    if cases_per_week <= 0 or days <= 0:
        raise ValueError("cases per week and days must be > 0")
    rng = random.Random(seed)
    picker = RegionPicker(regions or list(REGION_POPULATION))
    urgencies = UrgencyMix(dict(mix or DEFAULT_MIX))
    model = model or CaseModel()
    weights = [DAY_PROFILE[d] * HOUR_PROFILE[h] for d in range(7) for h in range(24)]
    per_weight = cases_per_week / sum(weights)
    out: list[Arrival] = []
    span = days * 86400.0
    for hour in range(math.ceil(span / 3600)):
        rate = per_weight * weights[hour_of_week(start, hour * 3600.0)] / 3600.0
        t = hour * 3600.0
        end = min(span, t + 3600.0)
        while True:
            t += rng.expovariate(rate)
            if t >= end:
                break
            urgency, _ = urgencies.draw(rng)
            out.append(Arrival(t, picker.pick(rng), urgency, model.consult(urgency, rng), model.misses(rng)))
    return Scenario(tuple(out), start, span)
