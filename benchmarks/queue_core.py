"""Queue core benchmark: push/pop rate, bytes per waiting case, in-process recovery, naive vs ours.

Run: .venv/bin/python benchmarks/queue_core.py [--sizes 10000,100000,1000000] [--out var/bench-queue.json]
Figures on a shared 2-core machine are noisy; compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from proto import codec  # noqa: E402
from proto import events as ev  # noqa: E402
from services.queue.domain.batch import InputPosition  # noqa: E402
from services.queue.domain.recovery import LoggedRecord, recover  # noqa: E402
from services.queue.domain.region_queue import RegionQueue  # noqa: E402
from services.queue.domain.state import QueueState  # noqa: E402


def _cases(n: int) -> list[tuple[str, int, float, int]]:
    rnd = random.Random(n)
    return [(f"{rnd.getrandbits(128):032x}", rnd.randint(1, 5), 1.79e9 + i, i) for i in range(n)]


def push_pop(n: int) -> dict[str, float]:
    cases = _cases(n)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    q = RegionQueue("SE-C")
    t = time.perf_counter()
    for c in cases:
        q.push(*c)
    push_s = time.perf_counter() - t
    # bytes per case: the queue's structures traced after the case_id strings were made
    # (the ids are shared with the case records); ids added separately.
    id_bytes = sum(sys.getsizeof(c[0]) for c in cases)
    per_case = (tracemalloc.get_traced_memory()[0] - base) / n
    tracemalloc.stop()
    samples = []
    pops = min(n, 50_000)
    for _ in range(pops):
        t0 = time.perf_counter_ns()
        q.pop()
        samples.append(time.perf_counter_ns() - t0)
    return {
        "n": n,
        "push_per_s": n / push_s,
        "pop_median_us": statistics.median(samples) / 1000,
        "pop_p99_us": sorted(samples)[int(len(samples) * 0.99)] / 1000,
        "pop_per_s": 1e9 / statistics.mean(samples),
        "bytes_per_case_queue": per_case,
        "bytes_per_case_with_id": per_case + id_bytes / n,
    }


def recovery(n: int) -> dict[str, float]:
    """From queue.events record values (bytes, as the broker holds them) to a serving state:
    decode + ``recover`` (the pure fold), n CaseQueued in batches of 1000 with their markers."""
    import datetime as dt_

    values: list[tuple[bytes, InputPosition | None, str | None, str]] = []
    for i, (case_id, urgency, at, seq) in enumerate(_cases(n)):
        batch = f"b{i // 1000}"
        q = ev.CaseQueued(
            event_id=f"queued-{case_id}",
            case_id=case_id,
            region="SE-C",
            urgency=urgency,  # type: ignore[arg-type]
            queued_at=dt_.datetime.fromtimestamp(at, dt_.UTC),
            sequence=seq,
            person_pseudonym=f"p{seq}",
        )
        values.append((codec.encode(q), InputPosition("triage.events", 0, i), f"triaged-{case_id}", batch))
        if i % 1000 == 999 or i == n - 1:
            m = ev.BatchCommitted(
                batch_id=batch, partition=0, events=i % 1000 + 1, positions={"triage.events": i + 1}
            )
            values.append((codec.encode(m), None, None, ""))
    decoder = codec.Decoder[ev.Message](ev.QUEUE_EVENT)
    gc.collect()
    t = time.perf_counter()
    records = [
        LoggedRecord(off, decoder.decode(v), pos, key, batch or None)
        for off, (v, pos, key, batch) in enumerate(values)
    ]
    decoded = time.perf_counter() - t
    rec = recover(records, QueueState().policy)
    dt = time.perf_counter() - t
    assert len(rec.state.regions["SE-C"].queue) == n and rec.positions["triage.events"] == n
    return {"n": n, "rebuild_s": dt, "decode_s": decoded}


def naive_vs_ours(n: int, changes: int = 200) -> dict[str, float]:
    """Per change: the naive design re-serialises the whole region heap as one table value;
    ours writes one event record. Same n, same run."""
    cases = _cases(n)
    heap = [list(c) for c in cases]
    enc = msgspec.json.Encoder()
    t = time.perf_counter()
    naive_bytes = 0
    for _ in range(changes):
        heap.pop(0)
        naive_bytes += len(enc.encode(heap))
    naive = (time.perf_counter() - t) / changes
    import datetime as dt_

    at = dt_.datetime(2026, 11, 30, tzinfo=dt_.UTC)
    t = time.perf_counter()
    ours_bytes = 0
    for i in range(changes):  # ours: one event record per change (event-sourced)
        called = ev.CaseCalled(
            event_id=f"called-r{i}",
            case_id=cases[0][0],
            region="SE-C",
            urgency=2,
            clinician_id="n",
            request_id=f"r{i}",
            queued_at=at,
            called_at=at,
        )
        ours_bytes += len(codec.encode(called))
    ours = (time.perf_counter() - t) / changes
    return {
        "n": n,
        "naive_us_per_change": naive * 1e6,
        "ours_us_per_change": ours * 1e6,
        "time_ratio": naive / ours,
        "naive_bytes_per_change": naive_bytes / changes,
        "ours_bytes_per_change": ours_bytes / changes,
        "bytes_ratio": naive_bytes / ours_bytes,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--out", default="var/bench-queue.json")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    result: dict[str, list[dict[str, float]]] = {"push_pop": [], "recovery": [], "naive_vs_ours": []}
    for n in sizes:
        print(f"[push/pop] n={n} ...", flush=True)
        r = push_pop(n)
        result["push_pop"].append(r)
        print(
            f"  push {r['push_per_s']:,.0f}/s  pop median {r['pop_median_us']:.2f} us (p99 {r['pop_p99_us']:.2f})"
            f"  {r['bytes_per_case_queue']:.0f} B/case queue structures, "
            f"{r['bytes_per_case_with_id']:.0f} B with the case_id string",
            flush=True,
        )
    for n in [s for s in sizes if s >= 100_000]:
        print(f"[recovery] n={n} ...", flush=True)
        r = recovery(n)
        result["recovery"].append(r)
        print(
            f"  decode + fold of queue.events values: {r['rebuild_s']:.2f} s (decode {r['decode_s']:.2f} s)",
            flush=True,
        )
    for n in [s for s in sizes if s <= 100_000]:
        print(f"[naive vs ours] n={n} ...", flush=True)
        r = naive_vs_ours(n)
        result["naive_vs_ours"].append(r)
        print(
            f"  naive {r['naive_us_per_change']:,.0f} us, {r['naive_bytes_per_change']:,.0f} B per change; ours "
            f"{r['ours_us_per_change']:.1f} us, {r['ours_bytes_per_change']:.0f} B -> x{r['time_ratio']:,.0f} time, "
            f"x{r['bytes_ratio']:,.0f} bytes",
            flush=True,
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
