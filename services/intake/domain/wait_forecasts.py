"""Intake's read model of queue.forecasts: each waiting case's forecast range, as the patient sees it.

The forecaster (services/forecast) publishes one WaitForecast per region, each case's 10th /
50th / 90th percentile of its call time in seconds after the forecast's ``as_of``. This view
keeps the newest per region (an older one arriving late is ignored) and answers, for one case
at ``now``, the range still ahead ("usually 1–3 h"), when it was made, and whether it has
*moved*: the forecast's median call time has shifted by more than the width of the first
range the patient was shown (truth over time: the patient's view says so, and ``moved_cases``
lists the cases for the one SMS that says so too: ``services/intake/forecast_watch.py``).

Costs: ``apply`` O(cases in the forecast); ``range_of`` O(1). Memory: the latest forecast per
region and, per case, the first range shown (forgotten when the case leaves the forecasts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from proto import events as ev
from services.opening_hours.eta import WaitEstimate, forecast_range


@dataclass(frozen=True)
class CaseForecast:
    """A case's forecast at ``now``: the range ahead, when it was made, whether it moved."""

    estimate: WaitEstimate  # seconds from now; basis "forecast"
    as_of: dt.datetime
    moved: bool


@dataclass(frozen=True)
class _Call:
    as_of: float
    p10: float
    p50: float
    p90: float  # absolute epoch seconds of the call-time percentiles


class WaitForecasts:
    """``apply`` WaitForecast events (any order, duplicates fine); ask ``range_of``."""

    def __init__(self) -> None:
        self._as_of: dict[str, float] = {}  # region -> as_of of the forecast kept
        self._calls: dict[str, _Call] = {}  # case -> its latest forecast
        self._first: dict[str, _Call] = {}  # case -> the first forecast it was shown
        self._region_cases: dict[str, set[str]] = {}
        self._moved: dict[str, str] = {}  # case -> region, while its forecast has moved

    def apply(self, f: ev.WaitForecast) -> bool:
        """Keep ``f`` if it is the region's newest; False when it was older (ignored)."""
        at = f.as_of.timestamp()
        if f.what_if or at <= self._as_of.get(f.region, float("-inf")):
            return False
        self._as_of[f.region] = at
        now_cases: set[str] = set()
        for c in f.cases:
            if c.p10_seconds is None or c.p50_seconds is None or c.p90_seconds is None:
                continue
            call = _Call(at, at + c.p10_seconds, at + c.p50_seconds, at + c.p90_seconds)
            self._calls[c.case_id] = call
            first = self._first.setdefault(c.case_id, call)
            now_cases.add(c.case_id)
            if _moved(first, call):
                self._moved[c.case_id] = f.region
            else:
                self._moved.pop(c.case_id, None)
        for gone in self._region_cases.get(f.region, set()) - now_cases:  # called, left: forget
            self._calls.pop(gone, None)
            self._first.pop(gone, None)
            if self._moved.get(gone) == f.region:
                del self._moved[gone]
        self._region_cases[f.region] = now_cases
        return True

    def range_of(self, case_id: str, now: dt.datetime) -> CaseForecast | None:
        """The case's range from ``now`` (None: no forecast names it yet)."""
        call = self._calls.get(case_id)
        if call is None:
            return None
        t = now.timestamp()
        low, mid, high = (max(0.0, x - t) for x in (call.p10, call.p50, call.p90))
        moved = _moved(self._first[case_id], call)
        estimate = forecast_range(low, mid, high)
        return CaseForecast(estimate, dt.datetime.fromtimestamp(call.as_of, dt.UTC), moved)

    def moved_cases(self) -> dict[str, str]:
        """``{case: region}`` of the cases whose latest forecast has moved (a copy; O(moved))."""
        return dict(self._moved)


def _moved(first: _Call, latest: _Call) -> bool:
    """The median call time shifted by more than the width of the first range (at least a minute)."""
    return abs(latest.p50 - first.p50) > max(first.p90 - first.p10, 60.0)
