"""Forecast cost (issue 22): CPU per refresh per region at national load, in simulated time.

Run: .venv/bin/python -m benchmarks.forecast_cost [--cases 60000] [--runs 48] [--at-hour 34]

The simulator's national week (``traffic_scenario``, the staffing of services/simulate/
staffing.toml) runs twice per region: a first week the forecaster learns from (its events
folded as queue.events would be), then the second week up to ``--at-hour`` (hours after
Monday 00:00; 34 = Tuesday 10:00, the morning peak). There, each region's forecast is made
as the service makes it (``FORECAST_RUNS`` futures, an 8-hour breach horizon) and its CPU
time measured. Prints per region: waiting, CPU per refresh; and the total for one refresh
of all 21 regions, as cores at one refresh a minute and at the refresh rate the region's
calls and arrivals would cause (debounced to ``--debounce`` s, or longer for a costly region as
the tracker spaces them: ``EVENT_CPU_SHARE``). Busy machine: say so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from proto import events as ev  # noqa: E402
from services.forecast.domain.forecast import forecast_region  # noqa: E402
from services.forecast.domain.history import RegionHistory  # noqa: E402
from services.forecast.domain.tracker import EVENT_CPU_SHARE  # noqa: E402
from services.opening_hours.schedule import RegionHours  # noqa: E402
from services.queue.domain.state import QueueState  # noqa: E402
from services.queue_model.engine import RegionResult, simulate_region  # noqa: E402
from services.queue_model.population import REGION_POPULATION  # noqa: E402
from services.queue_model.scenario import Scenario, traffic_scenario  # noqa: E402
from services.simulate.domain.staffing import load_staffing  # noqa: E402

STAFF = Path(__file__).resolve().parents[1] / "services" / "simulate" / "staffing.toml"
CALLS_PER_CLINICIAN_HOUR = 6.5  # the simulator's default consultations (~9 min with no-shows)


def hours_of(week: tuple[int, ...]) -> RegionHours:
    """The staffing week as opening hours with an hourly capacity (clinicians x pace)."""
    weekly, hourly = [], []
    for d in range(7):
        day = week[d * 24 : (d + 1) * 24]
        weekly.append(tuple((h * 60, (h + 1) * 60) for h in range(24) if day[h] > 0))
        hourly.append(
            tuple((h * 60, (h + 1) * 60, day[h] * CALLS_PER_CLINICIAN_HOUR) for h in range(24) if day[h])
        )
    return RegionHours(weekly=tuple(weekly), hourly=tuple(hourly))


def measure(
    region: str, staff_week: tuple[int, ...], past: Scenario, week: Scenario, a: argparse.Namespace
) -> tuple[str, int, float, float, float]:
    """(region, waiting, CPU of a full forecast, of a ranges-only one, refreshes a minute at the peak)."""
    hours = hours_of(staff_week)
    history = RegionHistory.with_prior(hours, past.start, 20.0)
    moves: list[float] = []
    held: list[QueueState] = []

    def learn(state: QueueState, event: ev.Message) -> None:
        if not held:
            held.append(state)
        history.observe(event, state.region(event.region), hours, 20.0)  # type: ignore[attr-defined]

    simulate_region(past.for_region(region), region, staff_week, drain_s=0.0, on_event=learn)
    held.clear()

    def watch(state: QueueState, event: ev.Message) -> None:
        learn(state, event)
        if isinstance(event, (ev.CaseQueued, ev.CaseCalled)):
            moves.append(event.occurred_at.timestamp())

    def stop(res: RegionResult) -> bool:
        return len(res.on_duty) - 1 >= a.at_hour

    simulate_region(week.for_region(region), region, staff_week, on_event=watch, stop=stop)
    now = week.start + dt.timedelta(hours=a.at_hour)
    inputs = history.inputs(held[0].region(region), now, hours, 20.0)
    t0 = time.process_time()
    forecast_region(inputs, runs=a.runs, horizon_s=8 * 3600.0)
    cpu = time.process_time() - t0
    t0 = time.process_time()
    forecast_region(inputs, runs=a.runs, horizon_s=0.0)  # an event-driven refresh: the ranges only
    short = time.process_time() - t0
    # refreshes a minute at the peak hour: one per call or arrival, at most one per debounce,
    # which grows with the refresh's cost as the service's tracker makes it (EVENT_CPU_SHARE)
    peak = [t for t in moves if now.timestamp() - 3600 <= t < now.timestamp()]
    gap = max(a.debounce, short / EVENT_CPU_SHARE)
    per_min = max(1.0, min(60.0 / gap, len(peak) / 60.0))
    return region, len(inputs.waiting), cpu, short, per_min


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=float, default=60_000, help="national cases per week")
    p.add_argument("--runs", type=int, default=48)
    p.add_argument("--at-hour", type=float, default=34.0)
    p.add_argument("--debounce", type=float, default=5.0)
    a = p.parse_args(argv)
    staffing = load_staffing(STAFF, REGION_POPULATION)
    past, week = traffic_scenario(a.cases, seed=2), traffic_scenario(a.cases, seed=1)
    past = Scenario(past.arrivals, week.start - dt.timedelta(days=7), past.span_s)
    rows = [measure(region, staffing.week(region), past, week, a) for region in week.regions()]
    total = sum(r[2] for r in rows)
    # a full forecast once a minute; the other event-driven refreshes of the minute: ranges only
    moves_total = sum(cpu + short * (per_min - 1) for _, _, cpu, short, per_min in rows)
    print(
        "| region | waiting | CPU full refresh (s) | CPU ranges-only refresh (s) | refreshes/min at the peak |"
    )
    print("|---|---|---|---|---|")
    for region, waiting, cpu, short, per_min in rows:
        print(f"| {region} | {waiting} | {cpu:.3f} | {short:.3f} | {per_min:.1f} |")
    print(
        f"\nall {len(rows)} regions: {total:.2f} s CPU per refresh of every region; at one refresh a minute "
        f"{total / 60:.2f} cores; with the event-driven refreshes too (debounce {a.debounce:g} s, ranges only) "
        f"{moves_total / 60:.2f} cores. "
        f"runs={a.runs}, load average {os.getloadavg()[0]:.1f} (busy shared machine)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
