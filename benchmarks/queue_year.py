"""A simulated year of national traffic through the queue's real domain core: memory with and without expiry.

    .venv/bin/python -m benchmarks.queue_year [--cases 5000000] [--days 365] [--retention-days 14]
        [--baseline REF | --baseline none] [--json] [--plot PATH]

``--cases`` cases arrive evenly over ``--days`` days of model time in the 21 regions (weighted by
population), and go through ``handle`` (decide + evolve, the worker's own per-input path)
in-process, no broker: each is triaged; 4 % are withdrawn at once (CancelCase), 0.2 % are
transferred to another region (TransferCase, then the TransferIn the queue sends itself); while
a region has more than ``--open-per-region`` waiting (a steady open queue), each arrival is
followed by a ServeNext and the called case is completed, or 3 % of the time marked a no-show
(requeued at the front; closed at the 3rd). 0.1 % of arrivals also re-send a recent CaseTriaged
and 0.01 % one from the first day (late duplicates): none may be queued again.

Variants, each in its own process (so its RSS is its own), one after another:
- ``expiry``: this tree, QUEUE_CLOSED_RETENTION_DAYS = ``--retention-days``;
- ``keep``: this tree with retention 0 (finished cases kept for ever, the old behaviour);
- ``baseline <sha>``: ``--baseline`` (default 15a12e9, the commit issue 24 started from),
  extracted with ``git archive``; skipped with ``--baseline none``.
At checkpoints (daily for the first 30 model days, then weekly) each prints a progress line:
model day, cases so far, case records held, waiting, answers remembered, RSS. The figure asked
for (issue 24): the expiry run's state memory (RSS above the process's start) at the end, over
what the same number of case records cost in the ``keep`` run (interpolated from its
checkpoints) -- "queue memory at most 2x that of the cases still open and their retention
window". Writes a PNG of memory and records over model time (``--plot``) and, with ``--json``,
one line of JSON at the end.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "15a12e9"
# Regions and their share of the traffic (population, millions, 2024, rounded).
POPULATION = {
    "SE-AB": 2.45, "SE-C": 0.40, "SE-D": 0.30, "SE-E": 0.47, "SE-F": 0.37, "SE-G": 0.21, "SE-H": 0.25,
    "SE-I": 0.06, "SE-K": 0.16, "SE-M": 1.42, "SE-N": 0.34, "SE-O": 1.76, "SE-S": 0.28, "SE-T": 0.31,
    "SE-U": 0.28, "SE-W": 0.29, "SE-X": 0.29, "SE-Y": 0.25, "SE-Z": 0.13, "SE-AC": 0.28, "SE-BD": 0.25,
}  # fmt: skip
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DAY_S = 86400.0


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def checkpoint_days(days: int) -> list[int]:
    return sorted({*range(1, min(days, 30) + 1), *range(35, days + 1, 7), days})


def run_year(
    cases: int,
    days: int,
    retention_days: float | None,
    open_per_region: int,
    seed: int,
    name: str = "",
    snapshot_to: str = "",
    answer_memory: int = 20_000,
) -> dict[str, Any]:
    """One variant, in this process: returns its checkpoints (imports the tree on sys.path).

    ``snapshot_to``: write the final state there as a snapshot (what a fresh process holding the
    same cases, answers and index costs is measured from it: ``decoded_state_mb``).
    """
    from proto import events as ev
    from services.queue.domain.process import handle
    from services.queue.domain.state import QueuePolicy, QueueState

    policy = (
        QueuePolicy(answer_memory=answer_memory)
        if retention_days is None  # a baseline without expiry
        else QueuePolicy(answer_memory=answer_memory, closed_retention_s=retention_days * DAY_S)
    )
    state = QueueState(policy=policy)
    rnd = random.Random(seed)
    regions = list(POPULATION)
    weights = list(POPULATION.values())
    step = days * DAY_S / cases
    marks = checkpoint_days(days)
    rss0 = rss_bytes()
    started = time.perf_counter()
    counts = {"handled": 0, "duplicates_sent": 0, "duplicates_queued_again": 0, "no_shows": 0}
    recent: list[Any] = []  # a ring of recent CaseTriaged, for late duplicates
    first_day: list[Any] = []
    points: list[dict[str, Any]] = []

    def hex_id(bits: int = 128) -> str:
        return f"{rnd.getrandbits(bits):0{bits // 4}x}"

    def go(message: Any, now: dt.datetime) -> Any:
        counts["handled"] += 1
        return handle(state, message, now)

    def duplicate(old: Any, now: dt.datetime) -> None:
        counts["duplicates_sent"] += 1
        out = go(old, now)
        if any(isinstance(e, ev.CaseQueued) for e in out.recorded):
            counts["duplicates_queued_again"] += 1

    for i in range(cases):
        t = i * step
        now = T0 + dt.timedelta(seconds=t)
        region = rnd.choices(regions, weights)[0]
        case_id = hex_id()
        triaged = ev.CaseTriaged(
            case_id=case_id,
            region=region,
            urgency=rnd.choice((1, 2, 2, 3, 3, 3, 4, 4, 5)),  # type: ignore[arg-type]
            symptom="fever",
            person_pseudonym=hex_id(),
            triaged_at=now,
            event_id=hex_id(),
        )
        go(triaged, now)
        if t < DAY_S and len(first_day) < 1000:
            first_day.append(triaged)
        recent.append(triaged)
        if len(recent) > 1000:
            recent.pop(0)
        draw = rnd.random()
        if draw < 0.04:
            go(
                ev.CancelCase(
                    region=region, case_id=case_id, reason="better", by="patient", request_id=hex_id()
                ),
                now,
            )
        elif draw < 0.042:
            to = rnd.choice([r for r in regions if r != region])
            out = go(
                ev.TransferCase(
                    region=region,
                    case_id=case_id,
                    to_region=to,
                    reason="moved",
                    by="nurse",
                    request_id=hex_id(),
                ),
                now,
            )
            for m in out.events:
                if isinstance(m, ev.TransferIn):
                    go(m, now)
        if rnd.random() < 0.001:
            duplicate(rnd.choice(recent), now)
        if rnd.random() < 0.0001 and first_day:
            duplicate(rnd.choice(first_day), now)
        rs = state.regions[region]
        while len(rs.queue) > open_per_region:
            out = go(ev.ServeNext(region=region, clinician_id="nurse", request_id=hex_id()), now)
            called = next(e for e in out.recorded if isinstance(e, ev.CaseCalled))
            if rnd.random() < 0.03:
                counts["no_shows"] += 1
                go(ev.MarkNoShow(region=region, case_id=called.case_id, by="nurse", request_id=hex_id()), now)
            else:
                go(
                    ev.CompleteCase(region=region, case_id=called.case_id, by="nurse", request_id=hex_id()),
                    now,
                )
        if marks and (t + step) / DAY_S >= marks[0]:
            day = marks.pop(0)
            point = {
                "day": day,
                "cases": i + 1,
                "records": sum(len(r.cases) for r in state.regions.values()),
                "waiting": sum(len(r.queue) for r in state.regions.values()),
                "answers": sum(len(r.answers) for r in state.regions.values()),
                "rss_mb": rss_bytes() / 1e6,
                "state_mb": (rss_bytes() - rss0) / 1e6,
                "elapsed_s": time.perf_counter() - started,
            }
            points.append(point)
            print(
                f"  {name} day {day:3d}: {point['cases']:>9,} cases, {point['records']:>9,} records held, "
                f"{point['waiting']:>6,} waiting, {point['answers']:>7,} answers, RSS {point['rss_mb']:7.1f} MB "
                f"(state {point['state_mb']:7.1f}), {point['elapsed_s']:6.0f} s",
                file=sys.stderr,
                flush=True,
            )
    if snapshot_to:
        from services.queue.domain.snapshot import encode_snapshot

        Path(snapshot_to).write_bytes(b"".join(encode_snapshot(state, list(state.regions), 0, 0, {})))
    return {"points": points, "counts": counts, "rss_start_mb": rss0 / 1e6}


def decoded_state_mb(path: str) -> dict[str, float]:
    """RSS a fresh process needs for the state in the snapshot at ``path`` (no churn behind it)."""
    from services.queue.domain.snapshot import decode_snapshot
    from services.queue.domain.state import QueuePolicy

    blob = Path(path).read_bytes()
    before = rss_bytes()
    state = decode_snapshot([blob], QueuePolicy()).state
    for rs in state.regions.values():
        rs.finished_index()  # built on first use: count it, the running worker has it
    after = rss_bytes()
    del blob
    return {
        "decoded_state_mb": (after - before) / 1e6,
        "records": sum(len(r.cases) for r in state.regions.values()),
    }


def start_variant(
    name: str,
    source: Path,
    a: argparse.Namespace,
    retention_days: float | None,
    days: int,
    snapshot_to: str = "",
) -> subprocess.Popen[str]:
    """``run_year`` in a child process with ``source`` first on the path (its RSS is its own)."""
    cases = a.cases * days // a.days  # the same traffic per day, for ``days`` days
    print(f"{name}: {cases:,} cases over {days} model days ...", file=sys.stderr, flush=True)
    spec = {
        "cases": cases,
        "days": days,
        "retention_days": retention_days,
        "open": a.open_per_region,
        "seed": a.seed,
        "name": name,
        "snapshot_to": snapshot_to,
        "answer_memory": a.answer_memory or max(1, round(20_000 * a.cases / 5_000_000)),
    }
    return child(source, "--child", json.dumps(spec))


def child(source: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(source)}
    # -P: this tree's folder is not put ahead of PYTHONPATH, so a baseline's source wins.
    argv = [sys.executable, "-P", str(Path(__file__).resolve()), *args]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)


def result_of(name: str, proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"{name} failed (exit {proc.returncode})")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["name"] = name
    return result


def interpolate(points: list[dict[str, Any]], records: int) -> float | None:
    """The ``keep`` run's state memory at ``records`` case records (linear between checkpoints)."""
    xs = [p["records"] for p in points]
    if not xs or records < xs[0] or records > xs[-1]:
        return None
    j = bisect.bisect_left(xs, records)
    if xs[j] == records or j == 0:
        return float(points[j]["state_mb"])
    x0, x1, y0, y1 = xs[j - 1], xs[j], points[j - 1]["state_mb"], points[j]["state_mb"]
    return float(y0 + (y1 - y0) * (records - x0) / (x1 - x0))


def plot(results: list[dict[str, Any]], path: Path, retention_days: float) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from services.observability.figures import save_figure

    fig, (mem, recs) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    for r in results:
        days = [p["day"] for p in r["points"]]
        mem.plot(days, [p["state_mb"] for p in r["points"]], label=r["name"])
        recs.plot(days, [p["records"] / 1e6 for p in r["points"]], label=r["name"])
    mem.set_ylabel("queue state, MB (RSS above start)")
    mem.set_title(
        f"A simulated year through the queue's core (retention {retention_days:g} days; busy machine)"
    )
    recs.set_ylabel("case records held, millions")
    recs.set_xlabel("model day")
    for ax in (mem, recs):
        ax.grid(alpha=0.3)
        ax.legend()
    return save_figure(fig, path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=5_000_000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--retention-days", type=float, default=14.0)
    p.add_argument("--open-per-region", type=int, default=100, help="the steady open queue of each region")
    p.add_argument("--seed", type=int, default=24)
    p.add_argument("--baseline", default=BASELINE, help="a commit to run as well, or 'none'")
    p.add_argument("--only", default="expiry,keep", help="variants of this tree: expiry,keep")
    p.add_argument("--plot", type=Path, default=ROOT / "benchmarks/results/queue-year.png")
    p.add_argument("--json", action="store_true", help="print one line of JSON at the end")
    p.add_argument(
        "--keep-days",
        type=int,
        default=60,
        help="model days of the variants without expiry (they only grow; the reference needs the first weeks)",
    )
    p.add_argument(
        "--answer-memory",
        type=int,
        default=0,
        help="answers remembered per region (default: QUEUE_ANSWER_MEMORY's 20000 scaled by cases/5M, so a "
        "smaller run is a scale model of the national year)",
    )
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-decode", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        spec = json.loads(a.child)
        out = run_year(
            spec["cases"],
            spec["days"],
            spec["retention_days"],
            spec["open"],
            spec["seed"],
            spec["name"],
            spec["snapshot_to"],
            spec["answer_memory"],
        )
        print(json.dumps(out))
        return 0
    if a.child_decode:
        print(json.dumps(decoded_state_mb(a.child_decode)))
        return 0
    keep_days = min(a.keep_days, a.days)
    only = a.only.split(",")
    with tempfile.TemporaryDirectory(prefix="queue-year-") as tmp:
        # All variants at once, each in its own process: on a shared machine one after another
        # would compare two different machines; and the year takes long enough as it is.
        running: list[tuple[str, subprocess.Popen[str]]] = []
        if a.baseline != "none":
            from benchmarks.queue_latency import extract

            sha = subprocess.run(
                ["git", "-C", str(ROOT), "rev-parse", "--short", a.baseline],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            name = f"baseline {sha}"
            running.append((name, start_variant(name, extract(sha, Path(tmp) / sha), a, None, keep_days)))
        if "keep" in only:
            name = "keep (retention 0)"
            running.append((name, start_variant(name, ROOT, a, 0.0, keep_days)))
        snap = str(Path(tmp) / "final.snapshot")
        if "expiry" in only:
            name = f"expiry ({a.retention_days:g} days)"
            running.append((name, start_variant(name, ROOT, a, a.retention_days, a.days, snap)))
        results = [result_of(name, proc) for name, proc in running]
        decoded = result_of("decode", child(ROOT, "--child-decode", snap)) if "expiry" in only else None
    summary = summarise(results, a, decoded)
    if a.plot:
        print(f"plot: {plot(results, a.plot, a.retention_days)}", file=sys.stderr)
    if a.json:
        print(json.dumps(summary))
    return 0


def summarise(
    results: list[dict[str, Any]], a: argparse.Namespace, decoded: dict[str, Any] | None
) -> dict[str, Any]:
    """Print the table and return the figures (the JSON line)."""
    print(f"\n{a.cases:,} cases over {a.days} model days, retention {a.retention_days:g} days (busy machine)")
    print(
        f"{'variant':<22} {'records held':>13} {'waiting':>8} {'answers':>8} {'state MB':>9} {'RSS MB':>8} {'run s':>7}"
    )
    out: dict[str, Any] = {
        "cases": a.cases,
        "days": a.days,
        "retention_days": a.retention_days,
        "variants": {},
    }
    for r in results:
        end = r["points"][-1]
        print(
            f"{r['name']:<22} {end['records']:>13,} {end['waiting']:>8,} {end['answers']:>8,} "
            f"{end['state_mb']:>9.1f} {end['rss_mb']:>8.1f} {end['elapsed_s']:>7.0f}"
        )
        out["variants"][r["name"]] = {**end, "counts": r["counts"]}
    keep = next((r for r in results if r["name"].startswith("keep")), None)
    expiry = next((r for r in results if r["name"].startswith("expiry")), None)
    if keep and expiry:
        end = expiry["points"][-1]
        ref = interpolate(keep["points"], end["records"])
        if ref:
            ratio = end["state_mb"] / ref
            out["reference_state_mb"], out["ratio"] = ref, ratio
            print(
                f"expiry at the end: {end['state_mb']:.1f} MB for {end['records']:,} records; the same number of "
                f"records cost {ref:.1f} MB in the keep run: ratio {ratio:.2f} (target <= 2)"
            )
        if decoded:
            fresh = decoded["decoded_state_mb"]
            out["decoded_state_mb"], out["ratio_to_decoded"] = fresh, end["state_mb"] / fresh
            print(
                f"the same state decoded from its snapshot in a fresh process: {fresh:.1f} MB "
                f"({decoded['records']:,} records; decoded strings are not shared as the live ones are)"
            )
        dups = expiry["counts"]
        print(
            f"late duplicates sent {dups['duplicates_sent']:,}, queued again {dups['duplicates_queued_again']} (must be 0)"
        )
    return out


if __name__ == "__main__":
    raise SystemExit(main())
