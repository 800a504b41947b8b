"""Forecast calibration (issue 22): is the range a patient is told at arrival honest?

Run: .venv/bin/python -m benchmarks.forecast_calibration [--seeds 1,2,3] [--shapes steady,...]
     [--runs 48] [--sample 1,1,4,4,2] [--out-dir benchmarks/results]

All in simulated time, no broker: each (shape, seed) first runs two weeks of the region's
history through the simulator (the forecaster folds its events, as it folds queue.events
live), then the test week. At every sampled arrival (``--sample``: every n-th patient per
urgency) the queue's state right after the patient was queued is given to
- the old model (``estimate_wait``, what the queue's views show today: position, recent
  rate or capacity, 0.75x..1.5x rounded outward), and
- the forecaster (``forecast_region`` with the same learned history: p10..p90, point p50);
both are scored against the wait the patient then had in the same run. Patients are scored
if they arrive in the test week; arrivals go on three days longer, so that late arrivals are
overtaken as they would be. The forecaster keeps
learning during the test week (it sees each event when it happens, never later ones).
Prints a Markdown table per urgency and model, writes JSON and a PNG (estimate vs actual).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.forecast_shapes import REGION, SHAPES, arrivals, shape  # noqa: E402
from proto import events as ev  # noqa: E402
from services.forecast.domain.calibration import Told, score  # noqa: E402
from services.forecast.domain.forecast import forecast_region  # noqa: E402
from services.forecast.domain.history import RegionHistory  # noqa: E402
from services.forecast.domain.wording import shown_range  # noqa: E402
from services.opening_hours.eta import EtaPolicy, estimate_wait  # noqa: E402
from services.queue.domain.state import QueueState  # noqa: E402
from services.queue_model.engine import simulate_region  # noqa: E402
from services.queue_model.scenario import DEFAULT_START, Scenario  # noqa: E402

WINDOW_S = 900.0
SCORED_DAYS = 7


def run_one(
    name: str, seed: int, runs: int, sample: dict[int, int], clinicians: int, load: float
) -> list[Told]:
    """One shape and seed: history, then the test week; what each sampled patient was told."""
    s = shape(name, clinicians)
    cap = s.capacity_per_hour
    history = RegionHistory.with_prior(s.hours, DEFAULT_START, cap)

    def learn(state: QueueState, event: ev.Message) -> None:
        if getattr(event, "region", None) == REGION:
            history.observe(event, state.region(REGION), s.hours, cap)

    past = arrivals(s, seed + 1000, 14, load, history=True)
    past = Scenario(past.arrivals, DEFAULT_START - dt.timedelta(days=14), past.span_s)
    simulate_region(past, REGION, s.week, drain_s=0.0, on_event=learn)
    # arrivals go on for SCORED_DAYS + 3 days: a patient who arrives late in the scored week is
    # overtaken by those who arrive after it, as the futures assume (a run whose arrivals stop
    # would flatter every model that ignores them)
    week = arrivals(s, seed, SCORED_DAYS + 3, load)
    seen: dict[int, int] = {}
    asked: list[tuple[int, int, float, tuple[float, float, float], tuple[float, float, float] | None]] = []
    policy = EtaPolicy(capacity_per_hour=cap)

    def at_arrival(state: QueueState, t: float, i: int) -> None:
        a = week.arrivals[i]
        if t >= SCORED_DAYS * 86400.0:
            return
        seen[a.urgency] = seen.get(a.urgency, 0) + 1
        if (seen[a.urgency] - 1) % sample[a.urgency]:
            return
        rs = state.region(REGION)
        now = DEFAULT_START + dt.timedelta(seconds=t)
        recent = sum(1 for c in rs.calls if c >= now.timestamp() - WINDOW_S)
        position = rs.queue.position(f"c{i}") or 1
        old = estimate_wait(position, recent, WINDOW_S, s.hours, now, policy)
        f = forecast_region(
            history.inputs(rs, now, s.hours, cap),
            runs=runs,
            seed=seed * 7919 + i,
            horizon_s=0.0,
            only=f"c{i}",
        )
        c = f.cases[0]
        new = None
        if c.p10_s is not None and c.p50_s is not None and c.p90_s is not None:
            shown = shown_range(c.p10_s, c.p50_s, c.p90_s)  # what the patient reads
            new = (shown.low_s, shown.point_s, shown.high_s)
        asked.append((i, a.urgency, t, (old.low_s, old.point_s, old.high_s) if old else (0.0, 0.0, 0.0), new))

    res = simulate_region(week, REGION, s.week, record_calls=True, on_arrival=at_arrival, on_event=learn)
    first: dict[str, float] = {}
    for case_id, t in zip(res.calls, res.call_times, strict=True):
        first.setdefault(case_id, t)
    told: list[Told] = []
    for i, u, t, old, new in asked:
        called = first.get(f"c{i}")
        if called is None:
            continue
        actual = called - t
        told.append(Told("old", u, old[0], old[1], old[2], actual))
        inf = float("inf")
        told.append(Told("forecast", u, *(new or (inf, inf, inf)), actual))
    return told


def table(scored: dict[str, Any]) -> str:
    rows = [
        "| prio | model | n | calibration (in range) | told too short | sharpness (width/actual) "
        "| point error \\|p-a\\|/a | bias (p-a)/a | p50 actual min |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for urgency in ("1", "2", "3", "4", "5", "all"):
        for model in ("old", "forecast"):
            st = scored.get(model, {}).get(urgency)
            if st:
                rows.append(
                    f"| {urgency} | {model} | {st['n']} | {st['calibration']:.0%} | {st['told_too_short']:.0%} "
                    f"| {st['sharpness']:.2f} | {st['point_error']:.0%} | {st['bias']:+.0%} | {st['actual_p50_min']:.0f} |"
                )
    return "\n".join(rows)


def plot(told: list[Told], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 5, figsize=(22, 4.8))
    for ax, u in zip(axes, range(1, 6), strict=True):
        for model, colour in (("old", "#d95f02"), ("forecast", "#1b9e77")):
            pts = [t for t in told if t.urgency == u and t.model == model and t.point_s != float("inf")]
            ax.scatter(
                [t.actual_s / 3600 for t in pts],
                [t.point_s / 3600 for t in pts],
                s=6,
                alpha=0.5,
                color=colour,
                label=f"{model} (n={len(pts)})",
            )
        top = max([t.actual_s / 3600 for t in told if t.urgency == u] or [1.0])
        ax.plot([0, top], [0, top], "k--", lw=1)
        ax.set_title(f"Prio {u}")
        ax.set_xlabel("actual wait (h)")
        ax.set_ylabel("told at arrival, point (h)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Estimated vs actual wait at arrival: old model (point) and forecaster (p50)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--shapes", default=",".join(SHAPES))
    p.add_argument("--runs", type=int, default=48, help="futures per forecast")
    p.add_argument("--sample", default="1,1,6,6,2", help="score every n-th patient of Prio 1..5")
    p.add_argument("--clinicians", type=int, default=3, help="on duty in each staffed hour")
    p.add_argument("--load", type=float, default=0.9, help="arrivals / staffed capacity over the week")
    p.add_argument("--out-dir", default="benchmarks/results")
    a = p.parse_args(argv)
    sample = {u: int(n) for u, n in zip(range(1, 6), a.sample.split(","), strict=True)}
    told: list[Told] = []
    per_shape: dict[str, Any] = {}
    started = time.process_time()
    for name in a.shapes.split(","):
        mine: list[Told] = []
        for seed in (int(x) for x in a.seeds.split(",")):
            t0 = time.process_time()
            got = run_one(name, seed, a.runs, sample, a.clinicians, a.load)
            print(
                f"{name} seed {seed}: {len(got) // 2} patients scored, {time.process_time() - t0:.0f} s CPU",
                file=sys.stderr,
            )
            mine += got
        per_shape[name] = score(mine)
        told += mine
        print(f"\n### {name}\n\n{table(per_shape[name])}")
    overall = score(told)
    print(f"\n### all shapes, seeds {a.seeds}\n\n{table(overall)}")
    out = Path(a.out_dir) / f"forecast-calibration-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(
        json.dumps(
            {
                "settings": vars(a),
                "overall": overall,
                "per_shape": per_shape,
                "cpu_s": time.process_time() - started,
                "loadavg": os.getloadavg(),
            },
            indent=1,
        )
    )
    plot(told, out.with_suffix(".png"))
    print(f"\nresults: {out.with_suffix('.json')}  plot: {out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
