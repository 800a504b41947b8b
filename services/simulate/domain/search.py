"""``--find-staff``: the fewest clinician-hours per hour of the week that meet a target.

The target is a share per urgency seen within its time frame (e.g. 0.95 for each). Every
trial is a full run of the real event loop; the search keeps trials few and cheap:

1. Fluid bound. The work that arrives in each hour of the week (consultation plus
   missed-call time, in clinician-hours) is the staffing a perfectly smooth queue would
   need. Scale it by ``s`` and round up; bisect on ``s`` for the smallest feasible scale.
2. Trim by group testing. Hours are ordered by how idle their clinicians were; one
   clinician is taken off a group of hours at once. A feasible trial keeps the cut; a
   failed one is split in halves and retried, so an hour that cannot lose anyone costs
   O(log groups) trials instead of one trial per hour. Ends when no hour can lose a
   clinician, or when the time budget runs out (the best feasible staffing so far is
   returned and marked as not proven minimal).

A staffing with fewer clinician-hours per week than the week's work is never accepted:
the simulation drains the queue after the arrivals with the same weekly staffing, and
without this floor the search would push Prio 4-5 work into a next week that, in
reality, brings its own patients.

Closed hours are judged on expectation, not on the sample: an hour may go to 0 clinicians
only while the expected share of each urgency's patients who arrive in closed time and
would wait past their frame for the next staffed hour stays within what the target
allows (arrivals per hour of the week from *all* urgencies, the mix being the same at every
hour). Otherwise the search closes exactly the hours in which the sampled week happened to
have no Prio 1 patient, a staffing that fails on the next week's arrivals.

A trial stops at the first hour boundary after one urgency has more misses than the target
allows (most failed trials end early). Every random draw is in the scenario, so trials differ only in staffing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from services.queue_model.engine import RegionResult, simulate_region
from services.queue_model.frames import DEFAULT_FRAMES_S
from services.queue_model.scenario import Scenario, hour_of_week
from services.simulate.domain.metrics import allowed_misses, shares_met
from services.simulate.domain.staffing import HOURS_PER_WEEK


class TargetUnreachable(ValueError):
    """Even generous staffing misses the target (e.g. a frame shorter than a consultation)."""


@dataclass(frozen=True)
class SearchResult:
    region: str
    week: tuple[int, ...]
    trials: int
    elapsed_s: float
    minimal: bool  # False: the budget ran out before every hour was tried
    work_hours: float  # clinician-hours of work per week (the floor the staffing cannot go below)
    result: RegionResult  # the run of the returned staffing


Progress = Callable[[int, int], None]  # (trials so far, clinician-hours of the best staffing)


def fluid_work(scenario: Scenario, region: str, no_show_s: float) -> list[float]:
    """Clinician-hours of work arriving in each hour of the week, averaged over the weeks simulated."""
    weeks = max(1.0, scenario.span_s / (HOURS_PER_WEEK * 3600.0))
    work = [0.0] * HOURS_PER_WEEK
    for a in scenario.arrivals:
        if a.region == region:
            work[hour_of_week(scenario.start, a.t)] += (a.consult_s + a.no_shows * no_show_s) / 3600.0
    return [w / weeks for w in work]


def hourly_arrivals(scenario: Scenario, region: str) -> list[int]:
    """Patients (all urgencies) arriving in each hour of the week."""
    counts = [0] * HOURS_PER_WEEK
    for a in scenario.arrivals:
        if a.region == region:
            counts[hour_of_week(scenario.start, a.t)] += 1
    return counts


def closed_time_misses(
    week: tuple[int, ...], arrivals: list[int], frames: Mapping[int, float]
) -> dict[int, float]:
    """Expected share of each urgency's patients who arrive while the region is closed and
    would miss their frame waiting for the next staffed hour (arrivals uniform within an hour)."""
    total = sum(arrivals)
    if total == 0:
        return {u: 0.0 for u in frames}
    if not any(week):
        return {u: 1.0 for u in frames}
    closed_for = [0] * HOURS_PER_WEEK  # hours from this hour's start to the next staffed hour
    run = 0
    for k in range(2 * HOURS_PER_WEEK - 1, -1, -1):  # twice round the week: the week wraps
        h = k % HOURS_PER_WEEK
        run = 0 if week[h] > 0 else run + 1
        closed_for[h] = run
    return {
        u: sum(n * min(1.0, max(0.0, (closed_for[h] * 3600.0 - f) / 3600.0)) for h, n in enumerate(arrivals))
        / total
        for u, f in frames.items()
    }


def find_staff(
    scenario: Scenario,
    region: str,
    targets: Mapping[int, float],
    *,
    frames: Mapping[int, float] = DEFAULT_FRAMES_S,
    no_show_s: float = 120.0,
    budget_s: float = 55.0,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> SearchResult:
    """The fewest clinician-hours for ``region`` that meet ``targets`` (share per urgency)."""
    began = clock()
    trials = 0
    counts = {u: 0 for u in frames}
    for a in scenario.arrivals:
        if a.region == region:
            counts[a.urgency] += 1
    allowed = allowed_misses(counts, targets)

    work = fluid_work(scenario, region, no_show_s)
    floor = math.ceil(sum(work) - 1e-9)
    per_hour = hourly_arrivals(scenario, region)

    def trial(week: tuple[int, ...]) -> RegionResult | None:
        nonlocal trials
        if sum(week) < floor:
            return None  # less staff than work: the backlog would grow week after week
        closed = closed_time_misses(week, per_hour, frames)
        if any(closed[u] > 1 - t + 1e-12 for u, t in targets.items()):
            return None  # closed for so long that the target fails in expectation
        trials += 1
        res = simulate_region(
            scenario, region, week, frames=frames, no_show_s=no_show_s, abort_misses=allowed
        )
        if progress is not None:
            progress(trials, sum(best[0][0]) if best else sum(week))
        return res if shares_met(res, targets) else None

    def scaled(s: float) -> tuple[int, ...]:
        return tuple(max(1, math.ceil(s * w - 1e-9)) for w in work)  # open every hour; the trim closes

    best: list[tuple[tuple[int, ...], RegionResult]] = []
    hi = 1.0
    while (res := trial(scaled(hi))) is None:
        hi *= 2
        if hi > 64:
            raise TargetUnreachable(
                f"{region}: even 64x the arriving work in staff misses the target {dict(targets)}"
                f"; check the time frames against the consultation times"
            )
    best.append((scaled(hi), res))
    lo = hi / 2 if hi > 1 else 0.0
    while hi - lo > 0.05 * hi and clock() - began < budget_s / 3:
        mid = (lo + hi) / 2
        if (res := trial(scaled(mid))) is not None:
            hi = mid
            best[0] = (scaled(mid), res)
        else:
            lo = mid
    minimal = _trim(best, trial, lambda: clock() - began < budget_s, scenario)
    week, res = best[0]
    return SearchResult(region, week, trials, clock() - began, minimal, sum(work), res)


def _idleness(week: tuple[int, ...], res: RegionResult, scenario: Scenario) -> list[float]:
    """Share of staffed time left idle per hour of the week in ``res`` (1.0 = nobody busy)."""
    staffed = [0.0] * HOURS_PER_WEEK
    busy = [0.0] * HOURS_PER_WEEK
    for k, (on, b) in enumerate(zip(res.on_duty, res.busy_s, strict=True)):
        h = hour_of_week(scenario.start, k * 3600.0)
        staffed[h] += on * 3600.0
        busy[h] += b
    return [1.0 - busy[h] / staffed[h] if staffed[h] else 0.0 for h in range(HOURS_PER_WEEK)]


def _trim(
    best: list[tuple[tuple[int, ...], RegionResult]],
    trial: Callable[[tuple[int, ...]], RegionResult | None],
    time_left: Callable[[], bool],
    scenario: Scenario,
    group: int = 16,
) -> bool:
    week, res = best[0]
    idle = _idleness(week, res, scenario)
    order = sorted((h for h in range(HOURS_PER_WEEK) if week[h] > 0), key=lambda h: (-idle[h], h))
    groups = [order[i : i + group] for i in range(0, len(order), group)]
    while groups:
        if not time_left():
            return False
        hours = groups.pop(0)
        week = best[0][0]
        cut = tuple(v - 1 if h in hours and v > 0 else v for h, v in enumerate(week))
        if cut == week:
            continue
        res_cut = trial(cut)
        if res_cut is not None:
            best[0] = (cut, res_cut)
            again = [h for h in hours if cut[h] > 0]
            if again:
                groups.append(again)  # they may lose another clinician later
        elif len(hours) > 1:
            groups[:0] = [hours[: len(hours) // 2], hours[len(hours) // 2 :]]
    return True
