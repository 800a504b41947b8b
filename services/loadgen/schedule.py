"""When load is sent: a fixed (open-loop) arrival schedule, computed ahead of time.

Open loop: every arrival has an *intended* send time fixed by the schedule, not by when
the previous answer came back. Latency is measured from the intended time, so a slow
system cannot hide its slowness by slowing the generator down (no coordinated omission).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class RateProfile:
    """A rate that ramps linearly from 0 to ``rate`` over ``ramp_s``, then holds."""

    rate: float  # per second, after the ramp
    ramp_s: float = 0.0

    def rate_at(self, t: float) -> float:
        if self.ramp_s > 0 and t < self.ramp_s:
            return self.rate * t / self.ramp_s
        return self.rate

    def expected_count(self, t: float) -> float:
        """How many arrivals by time ``t`` (the integral of the rate)."""
        if self.ramp_s > 0 and t < self.ramp_s:
            return self.rate * t * t / (2 * self.ramp_s)
        return self.rate * (t - self.ramp_s / 2)


def arrival_offsets(
    profile: RateProfile,
    duration_s: float | None,
    count: int | None,
    rng: random.Random | None = None,
) -> Iterator[float]:
    """Intended send times (seconds from start), ending at ``duration_s`` or after ``count``.

    Without ``rng`` the arrivals are evenly spaced (deterministic); with it they are a
    Poisson process of the same rate (exponential gaps; thinning during the ramp).
    """
    if profile.rate <= 0:
        return
    if duration_s is None and count is None:
        raise ValueError("give a duration or a count, so the run ends by itself")
    n = 0
    t = 0.0
    while count is None or n < count:
        if rng is None:
            t = _time_of_nth(profile, n + 1)
        else:
            t = _next_poisson(profile, t, rng)
        if duration_s is not None and t > duration_s:
            return
        n += 1
        yield t


def _time_of_nth(profile: RateProfile, n: int) -> float:
    """Invert ``expected_count``: when the n-th evenly spaced arrival is due."""
    ramp_count = profile.rate * profile.ramp_s / 2
    if profile.ramp_s > 0 and n <= ramp_count:
        return math.sqrt(2 * profile.ramp_s * n / profile.rate)
    return n / profile.rate + profile.ramp_s / 2


def _next_poisson(profile: RateProfile, t: float, rng: random.Random) -> float:
    # Thinning (Lewis & Shedler): propose at the peak rate, accept with rate(t)/peak.
    while True:
        t += rng.expovariate(profile.rate)
        if rng.random() * profile.rate <= profile.rate_at(t):
            return t
