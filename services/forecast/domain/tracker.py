"""The forecaster's memory of every region it forecasts, and when each is due for a refresh.

A pure fold of queue.events (no Kafka here): each event goes through the queue's own
``evolve`` into a ``QueueState`` -- the same fold intake's read model and recovery make --
and then into the region's ``RegionHistory``. Events are deduplicated by ``event_id``
(at-least-once input); an event about a case this fold never saw (the log's start was
deleted by retention) is counted in ``skipped`` and otherwise ignored.

Refresh schedule per region: at least every ``every_s``; after a change that moves positions
(a call, an arrival more urgent than someone waiting, new hours, a case leaving or changing
level) at most ``debounce_s`` later, and never two refreshes closer than ``debounce_s``. Any
arrival also counts: its patient has no range yet. (The arrival of a patient least urgent of
all moves nobody; it is still refreshed, debounced, because that patient must be told.)

The debounce grows with the region's cost: after a refresh that took ``c`` s of CPU, the next
event-driven one waits at least ``c / EVENT_CPU_SHARE`` s, so the refreshes between the
minute's take at most that share of a core per region. A small region (0.2 s) is refreshed
5 s after a call; the biggest (5 s with 300 waiting) only once a minute, when its ranges still
move by less than their rounding (docs/performance.md, "Wait forecast": the national load was
1.3 cores with a fixed 5 s debounce, over the half-core target).
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field

from proto import events as ev
from services.forecast.domain.history import RegionHistory
from services.queue.domain.state import QueuePolicy, QueueState, evolve

EVENT_CPU_SHARE = 0.05  # of one core, per region, for the refreshes between the minute's

# Events after which positions moved (or a new patient needs a range): refresh soon.
MOVES = (
    ev.CaseQueued,
    ev.CaseCalled,
    ev.CaseCancelled,
    ev.CaseReprioritised,
    ev.CaseTransferred,
    ev.CaseClosed,
    ev.CaseNoShow,
    ev.OpeningHoursChanged,
)


@dataclass
class Tracker:
    """Every region's state and history; ``apply`` events, ask ``due`` what to refresh."""

    policy: QueuePolicy
    fallback_per_hour: float
    every_s: float = 60.0
    debounce_s: float = 5.0
    max_event_ids: int = 500_000
    state: QueueState = field(init=False)
    histories: dict[str, RegionHistory] = field(default_factory=dict)
    skipped: int = 0
    _seen: OrderedDict[str, None] = field(default_factory=OrderedDict)
    _due: dict[str, float] = field(default_factory=dict)  # region -> epoch seconds
    _last: dict[str, float] = field(default_factory=dict)  # region -> last refresh started
    _gap: dict[str, float] = field(default_factory=dict)  # region -> least seconds between refreshes

    def __post_init__(self) -> None:
        self.state = QueueState(policy=self.policy)

    def history(self, region: str, at: dt.datetime) -> RegionHistory:
        found = self.histories.get(region)
        if found is None:
            hours = self.state.hours_of(region)
            found = self.histories[region] = RegionHistory.with_prior(hours, at, self.fallback_per_hour)
        return found

    def apply(self, event: ev.Message, now: float) -> bool:
        """Fold one queue event; True when it makes its region due for a refresh soon."""
        region = getattr(event, "region", None)
        if region is None or event.event_id in self._seen:
            return False
        self._seen[event.event_id] = None
        while len(self._seen) > self.max_event_ids:
            self._seen.popitem(last=False)
        try:
            evolve(self.state, event)
        except KeyError:  # a case whose earlier events this fold never saw
            self.skipped += 1
            return False
        rs = self.state.region(region)
        self.history(region, event.occurred_at).observe(
            event, rs, self.state.hours_of(region), self.fallback_per_hour
        )
        self._due.setdefault(region, now)  # a region seen for the first time: forecast it now
        if isinstance(event, MOVES):
            gap = max(self.debounce_s, self._gap.get(region, 0.0))
            soon = max(now, self._last.get(region, -1e18) + gap)
            self._due[region] = min(self._due[region], soon)
            return True
        return False

    def due(self, now: float) -> list[str]:
        """Regions to refresh now, most overdue first."""
        return sorted((r for r, t in self._due.items() if t <= now), key=lambda r: self._due[r])

    def started(self, region: str, now: float) -> None:
        """A refresh of ``region`` starts now: the next is due at most ``every_s`` later."""
        self._last[region] = now
        self._due[region] = now + self.every_s

    def took(self, region: str, cpu_s: float) -> None:
        """The last refresh of ``region`` took ``cpu_s`` of CPU: space event-driven ones by it."""
        self._gap[region] = cpu_s / EVENT_CPU_SHARE

    def due_by(self, region: str, at: float) -> None:
        """``region`` is due at ``at`` at the latest."""
        self._due[region] = min(self._due.get(region, at), at)

    def next_due(self) -> float | None:
        return min(self._due.values(), default=None)
