"""``triage simulate`` and ``triage history export``: parse arguments, run the core, print."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.opening_hours.hours_file import load_hours_from_env
from services.opening_hours.schedule import OpeningHours
from services.queue_model.engine import RegionResult, simulate_region
from services.queue_model.frames import DEFAULT_FRAMES_S, URGENCIES, parse_duration, parse_frames
from services.queue_model.hours import timeline
from services.queue_model.population import REGION_POPULATION
from services.queue_model.scenario import CaseModel, Scenario, traffic_scenario
from services.queue_model.traffic import parse_mix
from services.simulate.domain.history import HistoryError, read_history
from services.simulate.domain.metrics import merge, summarise
from services.simulate.domain.search import TargetUnreachable, find_staff
from services.simulate.domain.staffing import Staffing, StaffingError, dump_staffing, load_staffing

EPILOG = """examples:
  triage simulate --staff staffing.toml --cases-per-week 60000 --plot sim.png --json sim.json
  triage simulate --staff staffing.toml --find-staff --region SE-C --target 0.95 --staff-out found.toml
  triage history export --since 2026-01-05T00:00+01:00 --until 2026-01-12T00:00+01:00 --out week.jsonl
  triage simulate --history week.jsonl --staff staffing.toml
  triage simulate --staff staffing.toml --hours winter-hours.toml --region SE-C
"""


def add_simulate_arguments(p: argparse.ArgumentParser) -> None:
    """The ``triage simulate`` options."""
    src = p.add_argument_group("arrivals (the load generator's traffic model, or a recorded history)")
    src.add_argument("--history", type=Path, help="replay this file from `triage history export`")
    src.add_argument("--cases-per-week", type=float, default=60_000, help="national volume (default 60000)")
    src.add_argument("--days", type=float, default=7, help="simulated days of arrivals (default 7)")
    src.add_argument("--mix", default="2/10/40/38/10", help="percent per Prio 1..5 (default 2/10/40/38/10)")
    src.add_argument("--seed", type=int, default=1, help="every random draw follows from it (default 1)")
    src.add_argument("--region", action="append", help="only this region (repeatable; default all)")
    model = p.add_argument_group("case model")
    model.add_argument("--consult", default="15/12/10/8/6", help="mean consultation minutes per Prio 1..5")
    model.add_argument("--consult-cv", type=float, default=0.5, help="coefficient of variation (lognormal)")
    model.add_argument(
        "--no-show", type=float, default=0.05, help="chance a patient misses a call (default 0.05)"
    )
    model.add_argument("--no-show-time", default="2m", help="clinician time per missed call (default 2m)")
    model.add_argument("--frames", default="15m/3h/24h/7d/14d", help="time frame per Prio 1..5")
    p.add_argument("--staff", type=Path, help="staffing TOML (clinicians per region and hour of the week)")
    p.add_argument(
        "--hours",
        type=Path,
        help="opening-hours TOML: clinicians count only while a region is open "
        "(default: OPENING_HOURS_PATH, else the packaged services/opening_hours/opening-hours.toml)",
    )
    p.add_argument(
        "--no-hours", action="store_true", help="ignore opening hours: the staffing file alone decides"
    )
    p.add_argument(
        "--find-staff", action="store_true", help="search the fewest clinician-hours meeting --target"
    )
    p.add_argument("--target", default="0.95", help="share within frame: one value, or five for Prio 1..5")
    p.add_argument("--budget", type=float, default=55.0, help="seconds of search per region (default 55)")
    p.add_argument("--staff-out", type=Path, help="write the found staffing here (TOML)")
    p.add_argument("--json", type=Path, help="write the figures as JSON")
    p.add_argument("--plot", type=Path, help="write a PNG of depth, waits and staffing")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _targets(text: str) -> dict[int, float]:
    parts = text.split("/")
    if len(parts) not in (1, 5):
        raise ValueError(f"--target {text!r}: one share (0.95) or five for Prio 1..5 (0.95/0.95/0.9/0.9/0.8)")
    try:
        values = [float(x) for x in parts] * (5 if len(parts) == 1 else 1)
    except ValueError:
        raise ValueError(f"--target {text!r}: shares are numbers between 0 and 1") from None
    if not all(0 <= v <= 1 for v in values):
        raise ValueError(f"--target {text!r}: shares are between 0 and 1")
    return dict(zip(URGENCIES, values, strict=True))


def _model(args: argparse.Namespace) -> CaseModel:
    parts = args.consult.split("/")
    try:
        means = dict(zip(URGENCIES, (float(x) for x in parts), strict=True))
    except ValueError:
        means = {}
    if len(parts) != 5 or len(means) != 5 or any(m <= 0 for m in means.values()):
        raise ValueError(
            f"--consult {args.consult!r}: five mean minutes > 0 for Prio 1..5, e.g. 15/12/10/8/6"
        )
    if not 0 <= args.no_show < 1:
        raise ValueError(f"--no-show {args.no_show}: a probability in [0, 1)")
    return CaseModel(
        {u: m * 60.0 for u, m in means.items()},
        args.consult_cv,
        args.no_show,
        parse_duration(args.no_show_time),
    )


def _scenario(args: argparse.Namespace, model: CaseModel) -> Scenario:
    if args.history is not None:
        scenario = read_history(args.history, model, args.seed)
        if args.region:
            return Scenario(
                tuple(a for a in scenario.arrivals if a.region in args.region),
                scenario.start,
                scenario.span_s,
            )
        return scenario
    for r in args.region or ():
        if r not in REGION_POPULATION:
            raise ValueError(f"--region {r!r}: unknown; use ISO 3166-2:SE ids such as SE-C")
    # The national volume is split by population, so one region gets its share, not all of it.
    full = traffic_scenario(args.cases_per_week, args.days, args.seed, mix=parse_mix(args.mix), model=model)
    if not args.region:
        return full
    return Scenario(tuple(a for a in full.arrivals if a.region in args.region), full.start, full.span_s)


def _progress(disable: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=disable,
        transient=True,
    )


def simulate_command(args: argparse.Namespace) -> int:
    """Run ``triage simulate``; 2 on bad input (with a message saying what to fix)."""
    try:
        return _simulate(args)
    except (ValueError, StaffingError, HistoryError, TargetUnreachable) as err:
        print(f"triage simulate: {err}", file=sys.stderr)
        return 2


def _opening_hours(args: argparse.Namespace) -> OpeningHours | None:
    """The hours the live system uses (None with --no-hours); a bad file stops here, with its line."""
    if args.no_hours:
        return None
    env = dict(os.environ)
    if args.hours is not None:
        env["OPENING_HOURS_PATH"] = str(args.hours)
    return load_hours_from_env(env)


def _require_plotting() -> None:
    if importlib.util.find_spec("matplotlib") is None:
        raise ValueError(
            "--plot needs matplotlib, which is in the loadgen extra: install it with "
            "`.venv/bin/pip install -e '.[loadgen]'` (or `make test`, which installs every extra), "
            "or run without --plot"
        )


def _simulate(args: argparse.Namespace) -> int:
    if args.plot:
        _require_plotting()  # before a long run, not after it
    model = _model(args)
    hours = _opening_hours(args)
    frames = parse_frames(args.frames) if args.frames else dict(DEFAULT_FRAMES_S)
    targets = _targets(args.target)
    staffing = load_staffing(args.staff, REGION_POPULATION) if args.staff else None
    if staffing is None and not args.find_staff:
        raise ValueError(
            "give --staff FILE (clinicians per region and hour; see docs/simulate.md), "
            "or --find-staff to search for one"
        )
    scenario = _scenario(args, model)
    regions = scenario.regions()
    if not regions:
        raise ValueError("no arrivals to simulate (check --region, --days, or the history's period)")
    began = time.perf_counter()
    if args.find_staff:
        staffing, results, note = _search(args, scenario, regions, staffing, targets, frames, model)
    else:
        assert staffing is not None
        results = _run_all(args, scenario, regions, staffing, frames, model, hours)
        note = ""
    elapsed = time.perf_counter() - began
    summary = summarise(results, frames)
    summary.update(
        target={str(u): t for u, t in targets.items()},
        elapsed_s=round(elapsed, 3),
        seed=args.seed,
        start=scenario.start.isoformat(),
        clinician_hours={r: staffing.clinician_hours(r) for r in regions},
    )
    title = (
        f"{sum(r.arrived for r in results)} patients, {len(regions)} region(s), "
        f"{scenario.span_s / 86400:.1f} days; simulated in {elapsed:.1f}s"
    )
    from services.simulate.report import print_table, write_json

    print_table(summary, title)
    if note:
        print(note)
    if args.json:
        print(f"JSON: {write_json(summary, args.json)}")
    if args.plot:
        from services.simulate.plot import plot_run

        merged = results[0] if len(results) == 1 else merge(results)
        print(f"plot: {plot_run(merged, frames, args.plot, title)}")
    return 0


def _run_all(
    args: argparse.Namespace,
    scenario: Scenario,
    regions: list[str],
    staffing: Staffing,
    frames: dict[int, float],
    model: CaseModel,
    hours: OpeningHours | None,
) -> list[RegionResult]:
    out = []
    with _progress(args.no_progress) as bar:
        task = bar.add_task("simulating", total=len(regions), note="")
        for region in regions:
            bar.update(task, note=region)
            out.append(
                simulate_region(
                    scenario,
                    region,
                    staffing.week(region),
                    frames=frames,
                    no_show_s=model.no_show_s,
                    hours=None if hours is None else timeline(hours, region, scenario.hours_changes),
                )
            )
            bar.advance(task)
    return out


def _search(
    args: argparse.Namespace,
    scenario: Scenario,
    regions: list[str],
    staffing: Staffing | None,
    targets: dict[int, float],
    frames: dict[int, float],
    model: CaseModel,
) -> Any:
    found = Staffing({})
    results, notes = [], []
    with _progress(args.no_progress) as bar:
        task = bar.add_task("searching", total=len(regions), note="")
        for region in regions:

            def tick(trials: int, cost: int, region: str = region) -> None:
                bar.update(task, note=f"{region}: trial {trials}, best {cost} clinician-hours")

            res = find_staff(
                scenario,
                region,
                targets,
                frames=frames,
                no_show_s=model.no_show_s,
                budget_s=args.budget,
                progress=tick,
            )
            found = found.with_region(region, res.week)
            results.append(res.result)
            before = (
                staffing.clinician_hours(region)
                if staffing is not None and region in staffing.regions
                else None
            )
            notes.append(
                f"{region}: {sum(res.week)} clinician-hours/week"
                + (f" (input {before}, {sum(res.week) - before:+d})" if before is not None else "")
                + f"; work {res.work_hours:.0f} h; {res.trials} trials in {res.elapsed_s:.1f}s"
                + ("" if res.minimal else "; budget ran out: feasible, not proven minimal")
            )
            bar.advance(task)
    notes += _unseen_check(args, scenario, found, targets, frames, model)
    text = dump_staffing(
        found, f"found by triage simulate --find-staff, target {args.target}, seed {args.seed}"
    )
    if args.staff_out:
        args.staff_out.write_text(text, encoding="utf-8")
    print(text)
    return found, results, "\n".join(notes)


def _unseen_check(
    args: argparse.Namespace,
    scenario: Scenario,
    found: Staffing,
    targets: dict[int, float],
    frames: dict[int, float],
    model: CaseModel,
) -> list[str]:
    """The found staffing on arrivals it was not fitted to (the next seed): a search fitted to one
    week's random arrivals is tight for that week, notably in small regions."""
    if args.history is not None:
        return ["(found on the recorded history; no unseen arrivals to check it against)"]
    fresh = traffic_scenario(
        args.cases_per_week, args.days, args.seed + 1, mix=parse_mix(args.mix), model=model
    )
    out = [
        f"check on unseen arrivals (seed {args.seed + 1}), share within frame per Prio 1..5 (target {args.target}):"
    ]
    for region in found.regions:
        res = simulate_region(fresh, region, found.week(region), frames=frames, no_show_s=model.no_show_s)
        shares = [
            (res.counts[u] - res.misses[u]) / res.counts[u] if res.counts[u] else 1.0 for u in URGENCIES
        ]
        out.append(
            f"  {region}: "
            + " ".join(f"{s:.0%}" for s in shares)
            + (
                ""
                if all(s >= targets[u] for u, s in zip(URGENCIES, shares, strict=True))
                else f"  <- below target: fitted to too few patients; search on more weeks (--days {args.days * 4:g})"
            )
        )
    return out
