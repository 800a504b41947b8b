"""A log-linear latency histogram that keeps the tail (HDR-style, not a mean).

Values are recorded in microseconds into buckets that are exact below 128 µs and
have a relative width of at most 1/64 (1.6 %) above, so p99.9 and max are reported with
the same relative precision as p50, in a few KB whatever the count. Written here rather
than taken from the ``hdrhistogram`` package because these ~60 lines are all we need
and merge/percentile stay transparent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

_SUB_BITS = 7  # 128 linear sub-buckets per power of two; the upper half is used above 128
_HALF = 1 << (_SUB_BITS - 1)


def _index(v: int) -> int:
    shift = v.bit_length() - _SUB_BITS
    if shift <= 0:
        return v
    return shift * _HALF + (v >> shift)


def _upper(index: int) -> int:
    """The highest value that lands in bucket ``index``."""
    if index < 2 * _HALF:
        return index
    shift, sub = divmod(index, _HALF)
    shift -= 1
    sub += _HALF
    return ((sub + 1) << shift) - 1


class LatencyHistogram:
    """Counts of latencies in log-linear buckets; percentiles with ~1.6 % resolution."""

    __slots__ = ("counts", "count", "total_us", "min_us", "max_us")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.count = 0
        self.total_us = 0
        self.min_us = 0
        self.max_us = 0

    def record(self, seconds: float) -> None:
        """Record one latency given in seconds (negative clock jitter counts as 0)."""
        us = max(0, round(seconds * 1e6))
        i = _index(us)
        self.counts[i] = self.counts.get(i, 0) + 1
        self.min_us = us if self.count == 0 else min(self.min_us, us)
        self.max_us = max(self.max_us, us)
        self.count += 1
        self.total_us += us

    def merge(self, other: LatencyHistogram) -> None:
        for i, c in other.counts.items():
            self.counts[i] = self.counts.get(i, 0) + c
        if other.count:
            self.min_us = other.min_us if self.count == 0 else min(self.min_us, other.min_us)
            self.max_us = max(self.max_us, other.max_us)
        self.count += other.count
        self.total_us += other.total_us

    def percentile_ms(self, p: float) -> float | None:
        """The value at percentile ``p`` (0..100) in milliseconds; None when empty."""
        if self.count == 0:
            return None
        rank = max(1, math.ceil(p * self.count / 100.0 - 1e-9))  # 99.9 % of 1000 is 999, not 1000
        seen = 0
        for i in sorted(self.counts):
            seen += self.counts[i]
            if seen >= rank:
                return min(_upper(i), self.max_us) / 1000.0
        return self.max_us / 1000.0

    def summary(self, percentiles: Iterable[float] = (50, 90, 99, 99.9)) -> dict[str, float | int | None]:
        """count, p50/p90/p99/p99.9, max and mean in milliseconds (the mean only for reference)."""
        out: dict[str, float | int | None] = {"count": self.count}
        for p in percentiles:
            out[f"p{p:g}"] = self.percentile_ms(p)
        out["max"] = self.max_us / 1000.0 if self.count else None
        out["mean"] = self.total_us / self.count / 1000.0 if self.count else None
        return out

    @classmethod
    def of(cls, seconds: Iterable[float]) -> LatencyHistogram:
        h = cls()
        for s in seconds:
            h.record(s)
        return h
