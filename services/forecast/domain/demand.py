"""Arrivals per urgency and hour of the week, learned from a region's own history.

Each hour of the week (Monday 00-01 local = 0) keeps the arrivals seen in it and how many
times that hour was observed (its exposure). Until there is history, a prior stands in: the
weekly demand shape of the simulator (``HOUR_PROFILE`` x ``DAY_PROFILE``) scaled so that a
week brings ``prior_load`` x the region's staffed capacity for the week (the hours file's
capacity), split by the load generator's urgency mix.

Shrinkage, in two levels, so that a few hours of history neither swamp nor vanish:
- the level: observed arrivals / the prior's expectation over the same observed hours, with
  ``level_weight`` pseudo-arrivals on the prior's side (a region twice as busy as its prior
  reaches ~2x after a few hundred arrivals);
- the shape: the prior's weekly shape is the national one, and a region's own may differ (a
  flat day, a late evening peak); each hour of the day, then each day of the week, gets its
  own ratio of observed to expected arrivals pooled over the week (``shape_weight``
  pseudo-arrivals on the prior's side), so two weeks of history (14 observations of each hour
  of the day) correct the shape that two observations of one hour of the week could not;
- each hour: (arrivals seen in it + ``hour_weight`` x the levelled, reshaped prior) / (its
  exposure + ``hour_weight``): an hour seen in three weeks mostly speaks for itself.

The rate is uncertain, not only the arrivals around it: ``posterior`` gives each hour's Gamma
posterior (shape = mean x weight, rate = weight = exposure + ``hour_weight``; the Poisson-Gamma
conjugate of the estimate above), and each future draws its own rates from it
(``futures.draw_week``), so a forecast built on two weeks of history is less sure than one
built on a year.
The urgency mix is shrunk the same way (``mix_weight`` pseudo-arrivals of the prior mix).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from services.queue_model.frames import URGENCIES
from services.queue_model.scenario import DAY_PROFILE, HOUR_PROFILE, hour_of_week

HOURS_PER_WEEK = 168
PRIOR_MIX: dict[int, float] = {1: 0.02, 2: 0.10, 3: 0.40, 4: 0.38, 5: 0.10}
_SHAPE = [DAY_PROFILE[d] * HOUR_PROFILE[h] for d in range(7) for h in range(24)]


def hour_index(at: dt.datetime) -> int:
    """Hours since the epoch of the hour ``at`` falls in (UTC hours; local hours are whole hours too)."""
    return int(at.timestamp() // 3600)


def how_of(hour: int) -> int:
    """The local hour of the week (0..167) of the absolute hour ``hour`` (see ``hour_index``)."""
    return hour_of_week(dt.datetime.fromtimestamp(hour * 3600.0, dt.UTC), 0.0)


@dataclass
class Demand:
    """What a region's arrivals taught so far; ``observe`` each arrival, ``rates`` to forecast."""

    prior_week: Sequence[float]  # expected arrivals in each hour of the week (all urgencies), the prior
    prior_mix: Mapping[int, float] = field(default_factory=lambda: dict(PRIOR_MIX))
    hour_weight: float = 2.0
    level_weight: float = 50.0
    shape_weight: float = 20.0
    mix_weight: float = 50.0
    seen: list[float] = field(default_factory=lambda: [0.0] * HOURS_PER_WEEK)
    exposure: list[float] = field(default_factory=lambda: [0.0] * HOURS_PER_WEEK)
    by_urgency: dict[int, float] = field(default_factory=lambda: {u: 0.0 for u in URGENCIES})
    cursor: int | None = None  # the absolute hour up to which exposure was counted

    def advance(self, at: dt.datetime) -> None:
        """Count every hour from the last one seen up to ``at`` as observed (cheap: hour by hour)."""
        hour = hour_index(at)
        if self.cursor is None:
            self.cursor = hour
            self.exposure[how_of(hour)] += 1.0
            return
        while self.cursor < hour:
            self.cursor += 1
            self.exposure[how_of(self.cursor)] += 1.0

    def observe(self, at: dt.datetime, urgency: int) -> None:
        """One patient queued at ``at`` with ``urgency``."""
        self.advance(at)
        self.seen[how_of(hour_index(at))] += 1.0
        self.by_urgency[urgency] = self.by_urgency.get(urgency, 0.0) + 1.0

    def level(self) -> float:
        """Observed arrivals over what the prior expected in the observed hours (shrunk to 1)."""
        expected = sum(e * p for e, p in zip(self.exposure, self.prior_week, strict=True))
        return (sum(self.seen) + self.level_weight) / (expected + self.level_weight)

    def mix(self) -> dict[int, float]:
        """The share of each urgency among arrivals (shrunk to the prior mix)."""
        total = sum(self.by_urgency.values())
        return {
            u: (self.by_urgency.get(u, 0.0) + self.mix_weight * self.prior_mix.get(u, 0.0))
            / (total + self.mix_weight)
            for u in URGENCIES
        }

    def shaped_prior(self) -> list[float]:
        """The prior levelled and reshaped: x the region's own ratio per hour of the day and day
        of the week (observed / expected, pooled, shrunk to 1 with ``shape_weight`` arrivals)."""
        level = self.level()
        base = [p * level for p in self.prior_week]
        expected = [e * b for e, b in zip(self.exposure, base, strict=True)]
        w = self.shape_weight
        by_hour = [(sum(self.seen[h::24]) + w) / (sum(expected[h::24]) + w) for h in range(24)]
        expected = [x * by_hour[i % 24] for i, x in enumerate(expected)]
        by_day = [
            (sum(self.seen[d * 24 : d * 24 + 24]) + w) / (sum(expected[d * 24 : d * 24 + 24]) + w)
            for d in range(7)
        ]
        return [b * by_hour[i % 24] * by_day[i // 24] for i, b in enumerate(base)]

    def week(self) -> list[float]:
        """Expected arrivals (all urgencies) in each hour of the week."""
        return self.posterior()[0]

    def posterior(self) -> tuple[list[float], list[float]]:
        """``(means, weights)`` per hour of the week: the rate's Gamma posterior has mean
        ``means[i]`` and rate parameter ``weights[i]`` (its shape: mean x weight)."""
        prior = self.shaped_prior()
        hw = self.hour_weight
        weights = [e + hw for e in self.exposure]
        means = [(s + hw * p) / w for s, p, w in zip(self.seen, prior, weights, strict=True)]
        return means, weights

    def rates(self) -> tuple[list[float], list[float], dict[int, float]]:
        """``(week, weights, mix)``: arrivals per hour of the week, how many hour-observations
        each rests on (``posterior``), and the urgency shares."""
        means, weights = self.posterior()
        return means, weights, self.mix()


def prior_week(staffed_calls_per_week: float, load: float = 0.9) -> list[float]:
    """The prior: ``load`` x the week's staffed capacity, spread like digital demand over the week."""
    total = sum(_SHAPE)
    return [load * staffed_calls_per_week * w / total for w in _SHAPE]
