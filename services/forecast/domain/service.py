"""How a region's clinicians actually serve, learned from its recent calls.

From queue.events per clock hour: the calls, the distinct clinicians who called, the
no-shows, and whether the queue was *saturated* all hour (every call left someone waiting and
no ServeNext found the queue empty): only a saturated hour shows what the staff can do, an
idle one only shows how few came. From those hours:
- ``efficiency``: calls made / calls the hours file planned for (its capacity), shrunk to 1
  with ``plan_weight`` planned calls: the plan's shape with the staff's real pace;
- ``calls_per_clinician_hour``: how many calls one clinician makes in an hour (consultation
  plus the time a no-show costs), shrunk to the prior (8-minute consultations);
- ``no_show_rate``: no-shows per call, shrunk to 5 %;
- ``consult_s(u)``: how long a completed consultation of urgency u took (CaseCalled to
  CaseClosed "completed"), shrunk to the clinicians' pace (``consult_weight`` consultations):
  a Prio 5 consultation is shorter than a Prio 1, which decides how fast a level empties.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

PRIOR_CALLS_PER_CLINICIAN_HOUR = 7.5
PRIOR_NO_SHOW_RATE = 0.05


@dataclass
class _Hour:
    index: int
    calls: int = 0
    planned: float = 0.0
    clinicians: set[str] = field(default_factory=set)
    saturated: bool = True


@dataclass
class Service:
    """The staff's pace, learned; ``observe_*`` as events come, read the three properties."""

    plan_weight: float = 60.0
    clinician_weight: float = 4.0  # clinician-hours of prior
    no_show_weight: float = 100.0  # calls of prior
    calls: float = 0.0  # in saturated hours
    planned: float = 0.0  # planned calls in those hours
    clinician_hours: float = 0.0
    all_calls: float = 0.0
    no_shows: float = 0.0
    consult_weight: float = 20.0
    consult_sum: dict[int, float] = field(default_factory=dict)
    consult_n: dict[int, float] = field(default_factory=dict)
    _hour: _Hour | None = None

    def _at(self, at: dt.datetime, planned_in_hour: float) -> _Hour:
        index = int(at.timestamp() // 3600)
        if self._hour is None or self._hour.index != index:
            self._close()
            self._hour = _Hour(index, planned=planned_in_hour)
        return self._hour

    def _close(self) -> None:
        h = self._hour
        if h is not None and h.saturated and h.calls > 0 and h.planned > 0:
            self.calls += h.calls
            self.planned += h.planned
            self.clinician_hours += len(h.clinicians)

    def observe_call(
        self, at: dt.datetime, clinician: str, waiting_after: int, planned_in_hour: float
    ) -> None:
        """A CaseCalled; ``waiting_after``: cases still waiting; ``planned_in_hour``: the plan's calls."""
        h = self._at(at, planned_in_hour)
        h.calls += 1
        h.clinicians.add(clinician)
        h.saturated = h.saturated and waiting_after > 0
        self.all_calls += 1

    def observe_empty(self, at: dt.datetime, planned_in_hour: float) -> None:
        """A ServeNextEmpty: a clinician was idle, so this hour does not show the staff's pace."""
        self._at(at, planned_in_hour).saturated = False

    def observe_no_show(self) -> None:
        self.no_shows += 1

    def observe_completed(self, urgency: int, seconds: float) -> None:
        """A consultation of ``urgency`` that took ``seconds`` (called to completed)."""
        if seconds >= 0:
            self.consult_sum[urgency] = self.consult_sum.get(urgency, 0.0) + seconds
            self.consult_n[urgency] = self.consult_n.get(urgency, 0.0) + 1

    def consult_s(self, urgency: int, no_show_s: float) -> float:
        """The mean consultation of ``urgency``; prior: what the pace leaves after no-shows."""
        p = self.no_show_rate
        prior = max(30.0, (3600.0 / self.calls_per_clinician_hour - p * no_show_s) / (1.0 - p))
        return (self.consult_sum.get(urgency, 0.0) + self.consult_weight * prior) / (
            self.consult_n.get(urgency, 0.0) + self.consult_weight
        )

    @property
    def efficiency(self) -> float:
        return (self.calls + self.plan_weight) / (self.planned + self.plan_weight)

    @property
    def calls_per_clinician_hour(self) -> float:
        prior = self.clinician_weight * PRIOR_CALLS_PER_CLINICIAN_HOUR
        return (self.calls + prior) / (self.clinician_hours + self.clinician_weight)

    @property
    def no_show_rate(self) -> float:
        prior = self.no_show_weight * PRIOR_NO_SHOW_RATE
        return min(0.5, (self.no_shows + prior) / (self.all_calls + self.no_show_weight))
