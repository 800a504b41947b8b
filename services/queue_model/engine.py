"""The event loop: one region's arrivals and clinicians through the queue's own ``handle``.

Nothing here decides who is called: a free clinician sends ``ServeNext`` and the queue core
answers with ``CaseCalled`` (or ``ServeNextEmpty``); a missed call is ``MarkNoShow`` and the
core decides whether the case is requeued at the front of its level or closed; a finished
consultation is ``CompleteCase``. The loop only advances time.

Clinicians: at each hour boundary the number on duty becomes that hour's staffing. New
clinicians ask for a patient at once; when fewer are needed, idle ones leave first and
busy ones leave when their current patient is done (no consultation is cut short). A
clinician who gets ``ServeNextEmpty`` waits idle and asks again when the next patient
arrives. Regions never interact, so each region runs on its own.

Cost: per patient three or four ``handle`` calls (a few µs each) and O(log n) heap work.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from proto import events as ev
from services.queue.domain.process import Outcome
from services.queue.domain.process import handle as _handle
from services.queue.domain.state import QueuePolicy, QueueState
from services.queue_model.frames import DEFAULT_FRAMES_S, URGENCIES
from services.queue_model.hours import HoursTimeline, open_hours
from services.queue_model.scenario import Scenario, hour_of_week

INF = float("inf")
DEFAULT_DRAIN_S = 14 * 86400.0
# The simulator never replays a command, so it keeps few recorded answers (speed, memory).
SIM_POLICY = QueuePolicy(answer_memory=16)
_NO_SHOW, _DONE = 0, 1


@dataclass
class RegionResult:
    """What happened in one region; waits are seconds from queued to the first call."""

    region: str
    arrived: int = 0
    wait_t: dict[int, list[float]] = field(default_factory=lambda: {u: [] for u in URGENCIES})
    waits: dict[int, list[float]] = field(default_factory=lambda: {u: [] for u in URGENCIES})
    unserved: dict[int, list[float]] = field(default_factory=lambda: {u: [] for u in URGENCIES})
    misses: dict[int, int] = field(default_factory=lambda: {u: 0 for u in URGENCIES})
    counts: dict[int, int] = field(default_factory=lambda: {u: 0 for u in URGENCIES})
    closed_no_show: int = 0
    depth: list[tuple[int, ...]] = field(default_factory=list)  # at each hour boundary
    on_duty: list[int] = field(default_factory=list)  # staffing of each simulated hour
    busy_s: list[float] = field(default_factory=list)  # clinician time started in each hour
    calls: list[str] = field(default_factory=list)  # case ids in call order (record_calls=True)
    call_times: list[float] = field(default_factory=list)  # when each of ``calls`` was made
    end_t: float = 0.0
    aborted: bool = False  # stopped early: more misses than allowed


def staffing_by_hour(scenario: Scenario, week: Sequence[int]) -> Callable[[int], int]:
    """Simulated hour index -> clinicians on duty, via the local hour of the week (cached)."""
    cache: dict[int, int] = {}

    def staff(k: int) -> int:
        v = cache.get(k)
        if v is None:
            v = cache[k] = week[hour_of_week(scenario.start, k * 3600.0)]
        return v

    return staff


def simulate_region(
    scenario: Scenario,
    region: str,
    week: Sequence[int],
    *,
    frames: Mapping[int, float] = DEFAULT_FRAMES_S,
    no_show_s: float = 120.0,
    drain_s: float = DEFAULT_DRAIN_S,
    abort_misses: Mapping[int, int] | None = None,
    record_calls: bool = False,
    hours: HoursTimeline | None = None,
    policy: QueuePolicy = SIM_POLICY,
    start_t: float = 0.0,
    staff: Callable[[int], int] | None = None,
    stop: Callable[[RegionResult], bool] | None = None,
    on_arrival: Callable[[QueueState, float, int], None] | None = None,
    on_event: Callable[[QueueState, ev.Message], None] | None = None,
) -> RegionResult:
    """Run ``region``'s arrivals of ``scenario`` with ``week`` (168 hourly clinician counts),
    who count only while ``hours`` (the region's opening hours over the period) has it open;
    ``hours`` None: the staffing alone decides (as ``--find-staff`` searches).

    After the last arrival the same weekly staffing goes on for up to ``drain_s`` so that
    every patient gets a wait; who is still waiting then is counted in ``unserved`` (and as
    a miss). ``abort_misses`` (misses allowed per urgency) stops the run once one is
    exceeded (checked at each hour boundary): the staffing search only needs to know that a
    trial failed.

    For the forecaster (services/forecast) and its benchmark: ``start_t`` is when the clinicians
    start (arrivals before it are already waiting then; hour ``k`` is [k h, k+1 h) after the
    start); ``staff`` (simulated hour index -> clinicians) replaces ``week`` (dated hours,
    capacity per hour); ``stop`` ends the run at an hour boundary once it says so;
    ``on_arrival(state, t, index)`` sees the queue right after each arrival was queued;
    ``on_event(state, event)`` sees every event the core decided (as queue.events would).
    """
    handle = _handle if on_event is None else _observed(on_event)
    arrivals = [a for a in scenario.arrivals if a.region == region]
    res = RegionResult(region, arrived=len(arrivals))
    for a in arrivals:
        res.counts[a.urgency] += 1
    state = QueueState(policy=policy)
    queue = state.region(region).queue
    start = scenario.start.astimezone(dt.UTC)
    staff = staff or staffing_by_hour(scenario, week)
    attempts = [0] * len(arrivals)
    is_open = open_hours(hours, scenario.start)  # a closed region serves nobody while closed
    heap: list[tuple[float, int, str, int, int]] = []  # (free at, seq, clinician, case index, kind)
    idle: list[str] = []
    staffed = leaving = n_clinicians = seq = 0
    i, n = 0, len(arrivals)
    horizon = scenario.span_s + drain_s
    hour = int(start_t // 3600.0)
    next_shift = start_t
    at = datetime_at(start)
    # A team lead's hours change (from a history) takes effect at its own time, not at the next hour.
    changes = [t for t, _ in hours.changes] if hours is not None else []
    ci = 0

    def restaff(target: int, t: float) -> None:
        """Clinicians on duty become ``target``: idle ones leave first, busy ones when done."""
        nonlocal staffed, leaving, n_clinicians
        while staffed > target and idle:
            idle.pop()
            staffed -= 1
        if staffed > target:
            leaving += staffed - target
            staffed = target
        while staffed < target:
            staffed += 1
            if leaving:
                leaving -= 1  # a busy clinician who was to leave stays on
                continue
            n_clinicians += 1
            dispatch(f"{region}-sim-{n_clinicians}", t)

    def dispatch(cid: str, t: float) -> None:
        nonlocal seq
        seq += 1
        now = at(t)
        out = handle(
            state,
            ev.ServeNext(
                event_id=f"sn-{seq}", occurred_at=now, region=region, clinician_id=cid, request_id=f"s{seq}"
            ),
            now,
        )
        called = out.events[0]
        if not isinstance(called, ev.CaseCalled):
            idle.append(cid)  # ServeNextEmpty: wait for the next arrival
            return
        idx = int(called.case_id[1:])
        a = arrivals[idx]
        tries = attempts[idx]
        attempts[idx] = tries + 1
        if tries == 0:
            wait = t - a.t
            res.wait_t[a.urgency].append(a.t)
            res.waits[a.urgency].append(wait)
            if wait > frames[a.urgency]:
                res.misses[a.urgency] += 1
        if record_calls:
            res.calls.append(called.case_id)
            res.call_times.append(t)
        busy = no_show_s if tries < a.no_shows else a.consult_s
        res.busy_s[-1] += busy
        heapq.heappush(heap, (t + busy, seq, cid, idx, _NO_SHOW if tries < a.no_shows else _DONE))

    while True:
        ta = arrivals[i].t if i < n else INF
        tf = heap[0][0] if heap else INF
        tc = changes[ci] if ci < len(changes) else INF
        if tc < next_shift and tc < ta and tc <= tf and hours is not None:
            ci += 1
            open_now = hours.hours_at(tc).is_open(at(tc))
            restaff(week[hour_of_week(scenario.start, tc)] if open_now else 0, tc)
            continue
        # A patient who arrives at the very moment a shift starts is in the queue before the new
        # clinicians take their first call (ties: arrivals, then shift changes).
        if next_shift < ta and next_shift <= tf:
            if next_shift > horizon or (i >= n and not heap and not len(queue)):
                break
            res.depth.append(tuple(queue.depth(u) for u in URGENCIES))
            target = staff(hour) if is_open(hour) else 0
            res.on_duty.append(target)
            res.busy_s.append(0.0)
            hour += 1
            t = next_shift
            next_shift = hour * 3600.0
            restaff(target, t)
            if abort_misses is not None and _over(res, abort_misses):
                res.aborted = True
                break
            if stop is not None and stop(res):
                break
        elif ta <= tf:
            a = arrivals[i]
            now = at(a.t)
            handle(
                state,
                ev.CaseTriaged(
                    event_id=f"tr-{i}",
                    occurred_at=now,
                    case_id=f"c{i}",
                    region=region,
                    urgency=a.urgency,  # type: ignore[arg-type]
                    symptom="",
                    person_pseudonym="",
                    triaged_at=now,
                ),
                now,
            )
            if on_arrival is not None:
                on_arrival(state, a.t, i)
            i += 1
            if idle:
                dispatch(idle.pop(), a.t)
        else:
            t, _, cid, idx, kind = heapq.heappop(heap)
            now = at(t)
            seq += 1
            if kind == _NO_SHOW:
                out = handle(
                    state,
                    ev.MarkNoShow(
                        event_id=f"ns-{seq}",
                        occurred_at=now,
                        region=region,
                        case_id=f"c{idx}",
                        request_id=f"n{seq}",
                        by=cid,
                    ),
                    now,
                )
                if any(isinstance(e, ev.CaseClosed) for e in out.events):
                    res.closed_no_show += 1
            else:
                handle(
                    state,
                    ev.CompleteCase(
                        event_id=f"cc-{seq}",
                        occurred_at=now,
                        region=region,
                        case_id=f"c{idx}",
                        request_id=f"d{seq}",
                        by=cid,
                        outcome=arrivals[idx].outcome or None,  # type: ignore[arg-type]
                    ),
                    now,
                )
            if leaving:
                leaving -= 1  # this clinician's shift has ended
            else:
                dispatch(cid, t)
    res.end_t = min(next_shift, horizon)
    for w in queue:
        a = arrivals[int(w.case_id[1:])]
        if attempts[int(w.case_id[1:])] == 0:
            res.unserved[a.urgency].append(res.end_t - a.t)
            res.misses[a.urgency] += 1
    return res


def _observed(on_event: Callable[[QueueState, ev.Message], None]) -> Callable[..., Outcome]:
    def handle(state: QueueState, message: ev.Message, now: dt.datetime) -> Outcome:
        out = _handle(state, message, now)
        for event in out.recorded:
            on_event(state, event)
        return out

    return handle


def _over(res: RegionResult, allowed: Mapping[int, int]) -> bool:
    return any(res.misses[u] > allowed[u] for u in allowed)


def datetime_at(start: dt.datetime) -> Callable[[float], dt.datetime]:
    """Seconds since ``start`` -> an aware UTC datetime (what the queue core stamps)."""
    delta = dt.timedelta
    return lambda t: start + delta(seconds=t)
