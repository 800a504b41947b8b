"""One region's history as the forecaster learns it: a fold of queue.events.

``observe`` takes each queue event after it was folded into the ``RegionState`` (so the
queue's depth after it is known) and feeds the demand (every CaseQueued) and the staff's pace
(CaseCalled, ServeNextEmpty, CaseNoShow), and keeps the consultations under way (a clinician
busy now is not free at the forecast's start). ``inputs`` turns what was learned, the state's
waiting cases and the region's hours into one forecast's ``Inputs``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from proto import events as ev
from services.forecast.domain.demand import Demand, prior_week
from services.forecast.domain.futures import NO_SHOW_S, Inputs, Waiting
from services.forecast.domain.plan import StaffPlan, WhatIf, planned_calls
from services.forecast.domain.service import Service
from services.opening_hours.schedule import RegionHours
from services.queue.domain.state import RegionState
from services.queue_model.frames import URGENCIES

MAX_CONSULT_S = 2 * 3600.0  # a call older than this without a close is taken as over


def week_capacity(hours: RegionHours, at: dt.datetime, fallback_per_hour: float) -> float:
    """Calls the hours plan for in the week that starts at ``at``."""
    return planned_calls(hours, at, at + dt.timedelta(days=7), fallback_per_hour)


@dataclass
class RegionHistory:
    """What one region taught: arrivals per hour of the week and urgency, and the staff's pace."""

    demand: Demand
    service: Service = field(default_factory=Service)
    _planned: tuple[int, float] = (-1, 0.0)  # (clock hour, planned calls in it): asked per call
    # case -> (urgency, called_at): consultations under way (called, not closed nor a no-show)
    consulting: dict[str, tuple[int, float]] = field(default_factory=dict)

    @classmethod
    def with_prior(
        cls, hours: RegionHours, at: dt.datetime, fallback_per_hour: float, load: float = 0.9
    ) -> RegionHistory:
        """No history yet: the prior from the hours' capacity."""
        return cls(Demand(prior_week(week_capacity(hours, at, fallback_per_hour), load)))

    def _planned_in(self, at: dt.datetime, hours: RegionHours, fallback: float) -> float:
        hour = int(at.timestamp() // 3600)
        if self._planned[0] != hour:
            begin = dt.datetime.fromtimestamp(hour * 3600.0, dt.UTC)
            self._planned = (hour, planned_calls(hours, begin, begin + dt.timedelta(hours=1), fallback))
        return self._planned[1]

    def observe(
        self, event: ev.Message, rs: RegionState, hours: RegionHours, fallback_per_hour: float
    ) -> None:
        """Learn from one queue event of this region, ``rs`` being the state after it."""
        match event:
            case ev.CaseQueued():
                self.demand.observe(event.queued_at, event.urgency)
            case ev.CaseCalled():
                self.consulting[event.case_id] = (event.urgency, event.called_at.timestamp())
                planned = self._planned_in(event.called_at, hours, fallback_per_hour)
                self.service.observe_call(event.called_at, event.clinician_id, len(rs.queue), planned)
                self.demand.advance(event.called_at)
            case ev.ServeNextEmpty():
                self.service.observe_empty(
                    event.occurred_at, self._planned_in(event.occurred_at, hours, fallback_per_hour)
                )
            case ev.CaseNoShow():
                self.consulting.pop(event.case_id, None)
                self.service.observe_no_show()
            case ev.CaseClosed():
                self.consulting.pop(event.case_id, None)
                rec = rs.cases.get(event.case_id)
                if event.reason == "completed" and rec is not None and rec.called_at is not None:
                    self.service.observe_completed(rec.urgency, event.occurred_at.timestamp() - rec.called_at)
            case _:
                return

    def inputs(
        self,
        rs: RegionState,
        now: dt.datetime,
        hours: RegionHours,
        fallback_per_hour: float,
        what_if: WhatIf | None = None,
    ) -> Inputs:
        """One forecast's inputs: the waiting cases in queue order, the learned demand and pace."""
        waiting = [Waiting(w.case_id, w.urgency, w.queued_at) for w in rs.queue]
        week, weights, mix = self.demand.rates()
        plan = StaffPlan(
            hours,
            fallback_per_hour,
            efficiency=self.service.efficiency,
            calls_per_clinician_hour=self.service.calls_per_clinician_hour,
            what_if=what_if,
        )
        consult = {u: self.service.consult_s(u, NO_SHOW_S) for u in URGENCIES}
        t = now.timestamp()
        for case_id in [c for c, (_, at) in self.consulting.items() if t - at > MAX_CONSULT_S]:
            del self.consulting[case_id]  # never closed (a clinician who did not complete it)
        busy = sorted(((u, t - at) for u, at in self.consulting.values() if at <= t), key=lambda b: b[1])
        busy = busy[: plan.clinicians(int(t // 3600))]  # the most recent calls, one per clinician
        return Inputs(
            rs.region,
            now,
            waiting,
            week,
            mix,
            plan,
            self.service.no_show_rate,
            consult,
            week_weight=weights,
            consulting=busy,
        )
