"""ServeNext cost in the queue's domain under different opening hours (issue 14, the hot path).

Every ServeNext runs the heads-up rule, which estimates the wait of the next K cases through
the region's hours and capacity. This measures ``handle(ServeNext)`` in-process, per call, with
``--waiting`` cases in the region, for: an always-open region (the short cut), the packaged
file's weekday hours, hours with a per-hour capacity table (the walk), and hours a team lead
set through the staff API (OpeningHoursChanged folded into the state).

Run: .venv/bin/python benchmarks/serve_next_hours.py [--waiting 10000] [--calls 2000]
Prints microseconds per ServeNext (median and p99 over the calls).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from proto import events as ev  # noqa: E402
from services.opening_hours.eta import EtaPolicy  # noqa: E402
from services.opening_hours.hours_file import load_hours_from_env  # noqa: E402
from services.opening_hours.schedule import STOCKHOLM, OpeningHours, RegionHours  # noqa: E402
from services.queue.domain.process import handle  # noqa: E402
from services.queue.domain.state import QueuePolicy, QueueState  # noqa: E402

MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)  # open in every variant
WEEKDAYS = {d: ["07:00-22:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
HOURLY = {d: {"07:00-09:00": 30.0, "09:00-16:00": 20.0, "16:00-22:00": 8.0} for d in WEEKDAYS}


def _state(hours: OpeningHours, waiting: int, change: ev.SetOpeningHours | None) -> QueueState:
    # the capacity basis throughout (no recent rate): the walk through the hours is what is measured
    state = QueueState(policy=QueuePolicy(hours=hours, eta=EtaPolicy(min_recent_calls=10**9)))
    if change is not None:
        handle(state, change, MONDAY_10)
    for i in range(waiting):
        triaged = ev.CaseTriaged(
            case_id=f"c{i}",
            region="SE-C",
            urgency=1 + i % 5,  # type: ignore[arg-type]
            symptom="fever",
            person_pseudonym=f"p{i}",
            triaged_at=MONDAY_10 - dt.timedelta(seconds=waiting - i),
        )
        handle(state, triaged, MONDAY_10)
    return state


def measure(name: str, state: QueueState, calls: int) -> dict[str, float]:
    """Per-ServeNext microseconds (median, p99) over ``calls`` calls, a second apart in event time."""
    costs = []
    for i in range(calls):
        now = MONDAY_10 + dt.timedelta(seconds=i)
        cmd = ev.ServeNext(region="SE-C", clinician_id="n1", request_id=f"r{i}")
        t0 = time.perf_counter()
        handle(state, cmd, now)
        costs.append((time.perf_counter() - t0) * 1e6)
        if (i + 1) % max(1, calls // 4) == 0:
            print(f"  {name}: {i + 1}/{calls}", file=sys.stderr, flush=True)
    costs.sort()
    return {"median_us": statistics.median(costs), "p99_us": costs[int(len(costs) * 0.99) - 1]}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=2_000)
    args = parser.parse_args()
    always = OpeningHours()
    packaged = load_hours_from_env({})
    hourly_region = RegionHours(
        weekly=(((420, 1320),),) * 7,
        capacity=20.0,
        hourly=(((420, 540, 30.0), (540, 960, 20.0), (960, 1320, 8.0)),) * 7,
    )
    variants: list[tuple[str, OpeningHours, ev.SetOpeningHours | None]] = [
        ("always open (short cut)", always, None),
        ("packaged file, 08-21 weekdays", packaged, None),
        ("hourly capacity table", OpeningHours(default=hourly_region), None),
        (
            "team lead's change (hourly)",
            packaged,
            ev.SetOpeningHours(
                region="SE-C", by="lead", days=WEEKDAYS, hourly_capacity=HOURLY, request_id="h"
            ),
        ),
    ]
    calls = min(args.calls, args.waiting)
    print(f"ServeNext in the domain, {args.waiting} waiting, {calls} calls each (microseconds per call)")
    print(f"{'hours':34} {'median':>10} {'p99':>10}")
    for name, hours, change in variants:
        figures = measure(name, _state(hours, args.waiting, change), calls)
        print(f"{name:34} {figures['median_us']:10.1f} {figures['p99_us']:10.1f}")


if __name__ == "__main__":
    main()
