"""Simulator benchmark (issue 16): a simulated national week, and --find-staff for one region.

Run: .venv/bin/python -m benchmarks.simulate [--cases-per-week 60000] [--repeat 3] [--regions SE-AB,SE-C]
Targets: one week of national traffic (~60 000 cases, 21 regions) in <= 10 s on one core;
--find-staff for one region and a week in <= 60 s. Single-threaded: it uses one core.
Figures on a shared machine are noisy; the minimum of the repeats is the least disturbed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from services.queue_model.engine import simulate_region  # noqa: E402
from services.queue_model.population import REGION_POPULATION  # noqa: E402
from services.queue_model.scenario import traffic_scenario  # noqa: E402
from services.simulate.domain.search import find_staff  # noqa: E402
from services.simulate.domain.staffing import load_staffing  # noqa: E402

STAFF = Path(__file__).resolve().parents[1] / "services" / "simulate" / "staffing.toml"


def national_week(cases: float, repeat: int) -> dict[str, float]:
    staffing = load_staffing(STAFF, REGION_POPULATION)
    times, gen_times, counts = [], [], []
    for i in range(repeat):
        t0 = time.perf_counter()
        sc = traffic_scenario(cases, seed=1 + i)
        t1 = time.perf_counter()
        patients = sum(simulate_region(sc, r, staffing.week(r)).arrived for r in sc.regions())
        counts.append(patients)
        t2 = time.perf_counter()
        gen_times.append(t1 - t0)
        times.append(t2 - t1)
        print(
            f"  national week {i + 1}/{repeat}: {patients} patients, scenario {t1 - t0:.2f}s, "
            f"simulation {t2 - t1:.2f}s",
            flush=True,
        )
    fastest = times.index(min(times))
    return {
        "patients": counts[fastest],
        "scenario_s_min": min(gen_times),
        "simulate_s_min": min(times),
        "simulate_s_median": statistics.median(times),
        "total_s_min": min(g + s for g, s in zip(gen_times, times, strict=True)),
        "us_per_patient": min(times) / patients * 1e6,
    }


def search(cases: float, region: str) -> dict[str, float | int | bool | str]:
    sc = traffic_scenario(cases, seed=1).for_region(region)
    t0 = time.perf_counter()
    last = [0.0]

    def tick(trials: int, cost: int) -> None:
        if time.perf_counter() - last[0] > 5:
            last[0] = time.perf_counter()
            print(f"  {region}: trial {trials}, best {cost} clinician-hours, {last[0] - t0:.0f}s", flush=True)

    found = find_staff(sc, region, {u: 0.95 for u in range(1, 6)}, progress=tick)
    elapsed = time.perf_counter() - t0
    print(
        f"  find-staff {region}: {len(sc.arrivals)} patients, {sum(found.week)} clinician-hours "
        f"(work {found.work_hours:.0f} h), {found.trials} trials, {elapsed:.1f}s, "
        f"{'minimal' if found.minimal else 'budget ran out'}",
        flush=True,
    )
    return {
        "region": region,
        "patients": len(sc.arrivals),
        "clinician_hours": sum(found.week),
        "work_hours": round(found.work_hours, 1),
        "trials": found.trials,
        "seconds": round(elapsed, 2),
        "minimal": found.minimal,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases-per-week", type=float, default=60_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--regions", default="SE-AB,SE-C", help="regions to --find-staff for (comma-separated)")
    ap.add_argument("--out", type=Path, help="also write the figures as JSON")
    args = ap.parse_args()
    print(f"# simulated national week, {args.cases_per_week:.0f} cases (target <= 10 s)", flush=True)
    week = national_week(args.cases_per_week, args.repeat)
    print(
        f"national week: {week['patients']} patients simulated in {week['simulate_s_min']:.2f}s "
        f"(min of {args.repeat}; median {week['simulate_s_median']:.2f}s; with scenario "
        f"{week['total_s_min']:.2f}s; {week['us_per_patient']:.0f} µs per patient)"
    )
    print("# --find-staff, one region and a week, target 0.95 per urgency (target <= 60 s)", flush=True)
    searches = [search(args.cases_per_week, r) for r in args.regions.split(",") if r]
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"national_week": week, "find_staff": searches}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
