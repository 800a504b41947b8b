"""Garbage-collector pauses and snapshot loop pauses of the queue's state, at N waiting cases.

    .venv/bin/python -m benchmarks.gc_pauses [--sizes 10000,100000,1000000] [--serves 5000]
        [--baseline 15a12e9 | --baseline none] [--layout-arm] [--tree-env KEY=VALUE ...] [--json]

Per size N and per variant (this tree, and the baseline commit extracted with `git archive`,
run back to back by the same interpreter with PYTHONPATH pointing at it), one fresh process:
1. imports the queue worker's module (faust, aiokafka, prometheus: the worker's library heap);
2. builds a state through the real domain core, folding the events a worker's recovery folds
   (``process.apply_recorded``: evolve + the recorded answer): N CaseQueued over the 21 regions
   by population, plus N/2 more cases that were called and completed (CaseCalled, CaseClosed:
   their records and recorded answers, as a busy region keeps them);
3. runs the worker's post-recovery heap step if the variant has one (this tree: collect, then
   freeze the surviving heap; the baseline has none);
4. serves: ``--serves`` rounds of CaseTriaged + ServeNext + CompleteCase through ``handle``,
   recording every collection's pause with ``gc.callbacks`` (generation, seconds); then times
   three forced full collections (``gc.collect()``: what a full collection costs now);
5. takes one snapshot of the largest partition through the real ``SnapshotSchedule`` (an
   in-memory store, no broker) while a 10 ms ticker measures the event loop's longest lag
   (and, as a control, the same ticker's longest lag over 2 s before the snapshot).
Prints per N and variant: collections per generation with p50/p99/max pause, GC-tracked
objects (len(gc.get_objects())), RSS, and the snapshot's loop lag. Figures from a shared
machine are noisy; compare variants of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
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


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(q / 100 * len(s)))]


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


# ---------------------------------------------------------------- one variant, one size (child)
def measure(n: int, serves: int, no_freeze: bool, progress: Any) -> dict[str, Any]:
    import services.queue.worker  # noqa: F401  (the worker's library heap, as in the real process)
    from proto import events as ev
    from services.observability import gc_pauses
    from services.queue.domain.process import answer_key, apply_recorded, handle
    from services.queue.domain.state import QueueState
    from services.queue_model.population import REGION_POPULATION, RegionPicker
    from services.queue_model.traffic import DEFAULT_MIX, UrgencyMix

    rng = random.Random(n)
    regions = RegionPicker(REGION_POPULATION)
    mix = UrgencyMix(dict(DEFAULT_MIX))
    state = QueueState()
    now = ev.utcnow()

    def triaged(region: str) -> ev.CaseTriaged:
        _, recipe = mix.draw(rng)
        return ev.CaseTriaged(
            case_id=ev.new_id(),
            region=region,
            urgency=recipe.yields,  # type: ignore[arg-type]
            symptom=recipe.symptom,
            person_pseudonym=f"{rng.getrandbits(256):064x}",
            triaged_at=now,
        )

    def serve_and_complete(region: str, at: dt.datetime) -> None:
        out = handle(state, ev.ServeNext(region=region, clinician_id="bench"), at)
        called = [e for e in out.recorded if isinstance(e, ev.CaseCalled)]
        if called:
            handle(state, ev.CompleteCase(region=region, case_id=called[0].case_id, by="bench"), at)

    started = time.perf_counter()
    closed = n // 2
    for i in range(n + closed):  # arrivals, folded as recovery folds them; then half of them served
        region = regions.pick(rng)
        rs = state.region(region)
        q = triaged(region)
        queued = ev.CaseQueued(
            event_id=f"queued-{q.case_id}",
            case_id=q.case_id,
            region=region,
            urgency=q.urgency,
            queued_at=now + dt.timedelta(microseconds=i),
            sequence=rs.next_sequence,
            person_pseudonym=q.person_pseudonym,
        )
        apply_recorded(state, answer_key(q), (queued,))
        if i % 200_000 == 199_999:
            progress(f"folded {i + 1}/{n + closed} arrivals ({time.perf_counter() - started:.0f}s)")
    for i in range(closed):
        region = regions.pick(rng)
        head = state.region(region).queue.peek()
        if head is None:
            continue
        rec = state.regions[region].cases[head.case_id]
        call = ev.ServeNext(region=region, clinician_id="bench")
        called = ev.CaseCalled(
            event_id=f"called-{call.request_id}",
            case_id=rec.case_id,
            region=region,
            urgency=rec.urgency,  # type: ignore[arg-type]
            clinician_id="bench",
            request_id=call.request_id,
            queued_at=now,
            # one call a second before the serving starts: a region keeps its last 15 minutes of calls
            called_at=now - dt.timedelta(seconds=closed - i),
            person_pseudonym=rec.person_pseudonym,
        )
        apply_recorded(state, call.request_id, (called,))
        done = ev.CompleteCase(region=region, case_id=rec.case_id, by="bench")
        closing = ev.CaseClosed(
            case_id=rec.case_id, region=region, reason="completed", by="bench", request_id=done.request_id
        )
        apply_recorded(state, done.request_id, (closing,))
    while sum(len(rs.queue) for rs in state.regions.values()) < n:  # regions that ran dry
        handle(state, triaged(regions.pick(rng)), now)
    waiting = sum(len(rs.queue) for rs in state.regions.values())
    build_s = time.perf_counter() - started
    progress(f"state built: {waiting} waiting in {build_s:.0f}s")
    settle = getattr(gc_pauses, "settle_heap", None)  # this tree's post-recovery step; not in the baseline
    if settle is not None and not no_freeze:
        settle()
    else:
        gc.collect()
    tracked = len(gc.get_objects())
    frozen = gc.get_freeze_count()
    rss = _rss_mb()

    pauses: list[tuple[int, float]] = []
    t0: list[float] = []

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            t0.append(time.perf_counter())
        elif t0:
            pauses.append((info["generation"], time.perf_counter() - t0.pop()))

    gc.callbacks.append(on_gc)
    started = time.perf_counter()
    for i in range(serves):  # 5 rounds a second of simulated time
        region = regions.pick(rng)
        at = now + dt.timedelta(seconds=i / 5)
        handle(state, triaged(region), at)
        serve_and_complete(region, at)
    serve_s = time.perf_counter() - started
    gc.callbacks.remove(on_gc)
    tracked_after = len(gc.get_objects())  # what the next full collection walks
    forced = []
    for _ in range(3):
        t = time.perf_counter()
        gc.collect()
        forced.append((time.perf_counter() - t) * 1000)
    progress(f"served {serves} rounds in {serve_s:.1f}s; {len(pauses)} collections")
    snap = asyncio.run(_snapshot_lag(state, progress))
    per_gen = {}
    for g in (0, 1, 2):
        ms = [p * 1000 for gen, p in pauses if gen == g]
        per_gen[str(g)] = {
            "count": len(ms),
            "p50_ms": round(_pct(ms, 50), 3),
            "p99_ms": round(_pct(ms, 99), 3),
            "max_ms": round(max(ms, default=0.0), 3),
        }
    return {
        "n": n,
        "waiting": waiting,
        "build_s": round(build_s, 1),
        "tracked_objects": tracked,
        "frozen_objects": frozen,
        "tracked_after_serving": tracked_after,
        "rss_mb": round(rss, 1),
        "serve_rounds_per_s": round(serves / serve_s),
        "full_collections": per_gen["2"]["count"],
        "pauses": per_gen,
        "forced_full_ms": [round(x, 2) for x in forced],
        **snap,
    }


class _MemoryStore:
    """A SnapshotStore in memory: the chunks and when the manifest would have been written."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.written_at = 0.0

    async def latest(self, partition: int) -> None:
        return None

    async def write(self, snapshot_id: str, partition: int, covers: int, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.written_at = time.perf_counter()


async def _snapshot_lag(state: Any, progress: Any) -> dict[str, Any]:
    """The event loop's longest lag (10 ms ticker) while the largest partition is snapshotted."""
    from services.queue.partitioning import region_partition
    from services.queue.snapshots import SnapshotSchedule

    def partition_of(region: str) -> int:
        return region_partition(region, 8)

    sizes: dict[int, int] = {}
    for region, rs in state.regions.items():
        sizes[partition_of(region)] = sizes.get(partition_of(region), 0) + len(rs.cases)
    partition = max(sizes, key=lambda p: sizes[p])
    store = _MemoryStore()
    try:  # this tree: encode in a forked child, as the worker does
        schedule = SnapshotSchedule(store, state, partition_of, every=1, fork=True)
    except TypeError:  # the baseline encodes on the loop
        schedule = SnapshotSchedule(store, state, partition_of, every=1)
    lags: list[float] = []
    stop = False

    async def ticker() -> None:
        while not stop:
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - t - 0.01)

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.1)
    lags.clear()
    await asyncio.sleep(2.0)  # the control: the same ticker with no snapshot (the machine's own lag)
    idle_lag_ms = max(lags, default=0.0) * 1000
    lags.clear()
    started = time.perf_counter()
    schedule.after_outputs(partition, 10**9, 1, {"triage.events": 1})
    call_ms = (time.perf_counter() - started) * 1000
    await schedule.settle()
    await asyncio.sleep(0.05)
    stop = True
    await tick
    progress(
        f"snapshot of partition {partition} ({sizes[partition]} cases): max loop lag {max(lags) * 1000:.1f} ms"
    )
    return {
        "snapshot_cases": sizes[partition],
        "snapshot_bytes": sum(map(len, store.chunks)),
        "snapshot_call_ms": round(call_ms, 1),
        "snapshot_done_s": round(store.written_at - started, 3) if store.written_at else None,
        "snapshot_max_loop_lag_ms": round(max(lags, default=0.0) * 1000, 1),
        "idle_max_loop_lag_ms": round(idle_lag_ms, 1),
    }


# ---------------------------------------------------------------- orchestration (parent)
def run_child(
    name: str, src: Path, n: int, serves: int, no_freeze: bool, extra_env: dict[str, str]
) -> dict[str, Any]:
    argv = [sys.executable, "-P", str(ROOT / "benchmarks" / "gc_pauses.py"), "--child", str(n)]
    argv += ["--serves", str(serves)] + (["--no-freeze"] if no_freeze else [])
    env = {**os.environ, "PYTHONPATH": str(src), **extra_env}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True, cwd=src)
    result: dict[str, Any] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
        else:
            print(f"  [{name} N={n}] {line.rstrip()}", flush=True)
    if proc.wait() != 0 or not result:
        raise RuntimeError(f"{name} at N={n} failed (exit {proc.returncode})")
    return {"variant": name, **result}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--serves", type=int, default=5_000, help="CaseTriaged + ServeNext + CompleteCase rounds")
    p.add_argument("--baseline", default="15a12e9", help="a commit to compare with, or none")
    p.add_argument("--json", action="store_true", help="print one JSON line with every figure")
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    p.add_argument(
        "--no-freeze", action="store_true", help="child: skip the tree's post-recovery freeze (layout alone)"
    )
    p.add_argument("--layout-arm", action="store_true", help="also run this tree without the freeze")
    p.add_argument(
        "--tree-env",
        action="append",
        default=[],
        help="KEY=VALUE: also run this tree with these variables (e.g. PYTHONMALLOC=malloc)",
    )
    a = p.parse_args(argv)
    if a.child is not None:
        sys.path.insert(0, os.getcwd())
        res = measure(a.child, a.serves, a.no_freeze, lambda s: print(s, flush=True))
        print("RESULT " + json.dumps(res), flush=True)
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="gc-pauses-") as tmp:
        variants: list[tuple[str, Path, bool, dict[str, str]]] = [("tree", ROOT, False, {})]
        if a.layout_arm:
            variants.insert(0, ("tree, no freeze", ROOT, True, {}))
        if a.tree_env:
            env = dict(kv.split("=", 1) for kv in a.tree_env)
            variants.append(("tree + env", ROOT, False, env))
            print("tree + env:", " ".join(a.tree_env), flush=True)
        if a.baseline != "none":
            from benchmarks.queue_latency import extract

            variants.insert(0, (f"baseline {a.baseline}", extract(a.baseline, Path(tmp) / "base"), False, {}))
        for n in (int(s) for s in a.sizes.split(",")):
            for name, src, no_freeze, extra_env in variants:  # back to back, per size
                print(f"{name}: N={n} ...", flush=True)
                rows.append(run_child(name, src, n, a.serves, no_freeze, extra_env))
    print(f"\n{'variant':<18}{'N':>9}{'tracked':>9}{'frozen':>9}{'RSS MB':>7}{'rounds/s':>9}", end="")
    print(f"  gen: count p50/p99/max ms{'full ms':>14}{'snap call ms':>13}{'snap lag ms':>12}")
    for r in rows:
        gens = "  ".join(
            f"{g}: {v['count']} {v['p50_ms']:.1f}/{v['p99_ms']:.1f}/{v['max_ms']:.1f}"
            for g, v in r["pauses"].items()
        )
        print(
            f"{r['variant']:<18}{r['n']:>9}{r['tracked_objects']:>9}{r['frozen_objects']:>9}{r['rss_mb']:>7.0f}"
            f"{r['serve_rounds_per_s']:>9}  {gens}{min(r['forced_full_ms']):>9.1f}"
            f"{r['snapshot_call_ms']:>13.1f}{r['snapshot_max_loop_lag_ms']:>12.1f}"
        )
    if a.json:
        print(json.dumps({"benchmark": "gc-pauses", "serves": a.serves, "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
