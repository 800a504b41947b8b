"""ServeNext -> YourTurn latency of one queue worker, with where the time goes; two code versions side by side.

    .venv/bin/python -m benchmarks.queue_latency [--prefill 10000] [--rate 200] [--duration 15]
        [--baseline REF | --baseline none] [--repeat 1]

One embedded broker (unless KAFKA_BOOTSTRAP_SERVERS is set). Every variant runs AT THE SAME
TIME (on a shared, busy machine, one after another would compare two different machines),
each in its own topic namespace: one `triage queue` worker process, N CaseTriaged
pre-produced and queued, then ServeNext produced open loop at R/s for D seconds on one
schedule shared by all variants (each has an intended send time;
latency counts from it, so a stalled worker cannot hide behind a slowed sender). A consumer
(fetch wait 2 ms) stamps when it sees each CaseCalled on queue.events and each YourTurn on
queue.your-turn. The worker's stage histograms (`triage_queue_batch_stage_seconds`,
`triage_queue_input_age_seconds`) are scraped at the end: where one batch's time goes.

Variants: the working tree, and ``--baseline`` (default: the commit this branch forked from
main), extracted with `git archive` and run by the same interpreter with PYTHONPATH pointing
at it. A baseline without the stage metrics prints latencies only. Prints a table, writes
benchmarks/results/queue-latency-<time>.json and a PNG of the latency distributions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import orjson

from benchmarks.workload import build
from proto import codec, topics
from proto import events as ev
from services.kafka.embedded_broker import EmbeddedBroker, free_port
from services.kafka.settings import KafkaSettings
from services.kafka.topic_admin import ensure_topics
from services.loadgen import queue_stages
from services.loadgen.report import machine
from services.process_group import Child, service_argv, stop_all
from services.queue_model.population import REGION_POPULATION, RegionPicker

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Variant:
    name: str
    source: Path | None  # None: this working tree (the installed package)
    env: dict[str, str] = field(default_factory=dict)  # extra settings for the worker


@dataclass
class Run:
    variant: str
    sent: int = 0
    called_ms: list[float] = field(default_factory=list)  # ServeNext intended -> CaseCalled seen
    your_turn_ms: list[float] = field(default_factory=list)  # ServeNext intended -> YourTurn seen
    your_turn_stamped_ms: list[float] = field(default_factory=list)  # ... -> YourTurn record timestamp
    empty: int = 0
    sender_lag_ms: float = 0.0  # how late the sender itself was at worst
    pid: int | None = None  # the worker's process
    cpu_s: float = 0.0  # the worker's CPU time (user + system) during the ServeNext phase
    breakdown: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # the worker's /metrics
    base: str = ""  # the worker's HTTP address
    metrics_before: str = ""  # its /metrics text once prefilled, before the first ServeNext
    serving: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # /metrics since then


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q / 100 * len(s)))]


# ---------------------------------------------------------------- the worker
def extract(ref: str, into: Path) -> Path:
    """The tree of ``ref`` (a git commit) in ``into``, by git archive."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def start_worker(kafka: KafkaSettings, variant: Variant, log_dir: Path) -> tuple[Child, str]:
    port = free_port()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "TRIAGE_NAMESPACE": kafka.namespace,
        "QUEUE_WEB_PORT": str(port),
        "QUEUE_DATA_DIR": str(log_dir / f"queue-data-{kafka.namespace}"),
    }
    # -P: the current directory (this tree) is not put ahead of PYTHONPATH, so a baseline's
    # source wins over this tree and its editable install.
    env["PYTHONPATH"] = str(variant.source or ROOT)
    env.update(variant.env)
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-P", *service_argv("queue")[1:]]
    child = Child("queue", argv, f"{base}/readyz", env)
    log = os.open(log_dir / f"queue-{variant.name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    child.start(log)
    os.close(log)
    deadline = time.monotonic() + 120
    while not child.healthy():
        if not child.alive() or time.monotonic() > deadline:
            raise RuntimeError(f"queue worker ({variant.name}) did not get ready; see {log_dir}")
        time.sleep(0.2)
    return child, base


# ---------------------------------------------------------------- one measured run
async def measure(
    kafka: KafkaSettings, a: argparse.Namespace, run: Run, prefilled: asyncio.Barrier, go: asyncio.Event
) -> None:
    """Prefill, wait for every variant to be prefilled (``prefilled``), then ServeNext on the shared schedule."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    producer = AIOKafkaProducer(**kafka.client_options(), acks="all", linger_ms=0, enable_idempotence=False)
    await producer.start()
    events = kafka.topic(topics.QUEUE_EVENTS.name)
    your_turn = kafka.topic(topics.QUEUE_YOUR_TURN.name)
    watcher = AIOKafkaConsumer(
        **kafka.consumer_options(), group_id=None, enable_auto_commit=False, fetch_max_wait_ms=2
    )
    await watcher.start()
    try:
        parts = [TopicPartition(t, p) for t in (events, your_turn) for p in range(topics.QUEUE_PARTITIONS)]
        watcher.assign(parts)
        await watcher.seek_to_beginning(*parts)
        # 1. prefill: N cases queued before the first ServeNext
        workload = build(a.prefill, 0, seed=7)
        futures = [
            await producer.send(kafka.topic(spec.name), value, key=key, headers=headers)
            for spec, (key, value, headers) in workload.inputs
        ]
        await asyncio.gather(*futures)
        queued, deadline = 0, time.monotonic() + a.timeout
        while queued < a.prefill and time.monotonic() < deadline:
            got = await watcher.getmany(timeout_ms=200, max_records=10_000)
            queued += sum(_type(r) == "case.queued.v1" for rs in got.values() for r in rs)
        print(f"  {run.variant}: {queued}/{a.prefill} cases queued", flush=True)
        await prefilled.wait()
        await go.wait()  # a.start_at is set
        # 2. ServeNext open loop on a schedule every variant shares; the watcher runs beside it
        intended: dict[str, float] = {}
        done = asyncio.Event()
        rng = random.Random(11)
        picker = RegionPicker(REGION_POPULATION)
        total = int(a.rate * a.duration)
        watch = asyncio.create_task(_watch(watcher, events, intended, total, run, done))
        start = a.start_at
        acks = []
        for i in range(total):
            at = start + i / a.rate
            delay = at - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            run.sender_lag_ms = max(run.sender_lag_ms, (time.time() - at) * 1000)
            region = picker.pick(rng)
            cmd = ev.ServeNext(region=region, clinician_id=f"{region}-bench")
            intended[cmd.request_id] = at
            acks.append(
                await producer.send(
                    kafka.topic(topics.QUEUE_COMMANDS.name),
                    codec.encode(cmd),
                    key=region.encode(),
                    headers=codec.cloudevent_headers(cmd, "/bench/latency"),
                )
            )
            run.sent += 1
            if i and i % int(a.rate) == 0:
                print(
                    f"  {run.variant}: {i}/{total} sent, {len(run.your_turn_ms)} your-turns seen",
                    flush=True,
                )
        await asyncio.gather(*acks)
        try:
            await asyncio.wait_for(done.wait(), a.drain)
        except TimeoutError:
            print(f"  {run.variant}: drain timed out", flush=True)
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
    finally:
        await watcher.stop()
        await producer.stop()


async def measure_all(kafkas: list[KafkaSettings], a: argparse.Namespace, runs: list[Run]) -> None:
    """Every variant at the same time, each on its own namespace: a busy machine slows them alike."""
    prefilled, go = asyncio.Barrier(len(runs) + 1), asyncio.Event()
    tasks = [asyncio.create_task(measure(k, a, r, prefilled, go)) for k, r in zip(kafkas, runs, strict=True)]
    await prefilled.wait()
    # what the workers observed before serving (start, recovery, prefill): left out of `serving`
    for r in runs:
        r.metrics_before = queue_stages.fetch(r.base)
    a.start_at = time.time() + 0.5
    cpu = [_cpu_s(r.pid) for r in runs]
    go.set()
    await asyncio.gather(*tasks)
    for r, before in zip(runs, cpu, strict=True):
        r.cpu_s = _cpu_s(r.pid) - before


def _cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of a process so far (/proc; 0 when unknown)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _watch(
    watcher: Any, events: str, intended: dict[str, float], total: int, run: Run, done: asyncio.Event
) -> None:
    answered: set[str] = set()
    while True:
        got = await watcher.getmany(timeout_ms=50, max_records=10_000)
        seen = time.time()
        for tp, records in got.items():
            for r in records:
                kind = _type(r)
                if kind == "case.called.v1" and tp.topic == events:
                    rid = msgspec.json.decode(r.value)["request_id"]
                    if rid in intended:
                        run.called_ms.append((seen - intended[rid]) * 1000)
                elif kind == "queue.serve-next-empty.v1":
                    run.empty += 1
                    answered.add(msgspec.json.decode(r.value).get("request_id", ""))
                elif kind == "patient.your-turn.v1":
                    rid = msgspec.json.decode(r.value)["event_id"].removeprefix("yt-called-")
                    if rid in intended and rid not in answered:
                        answered.add(rid)
                        run.your_turn_ms.append((seen - intended[rid]) * 1000)
                        run.your_turn_stamped_ms.append(r.timestamp - intended[rid] * 1000)
        # done only once every ServeNext is sent AND answered: at 200/s an answer often comes
        # before the next send, so "all sent so far are answered" held mid-run and the last
        # in-flight answers went uncounted ("unanswered" in docs/performance-brokers.md)
        if run.sent >= total and len(answered) >= len(intended):
            done.set()


def _type(record: Any) -> str:
    for k, v in record.headers or ():
        if k == "ce_type":
            return bytes(v).decode()
    return "?"


# ---------------------------------------------------------------- the worker's own view
def scrape(run: Run) -> None:
    """The worker's stage histograms, input ages and GC pauses (services/loadgen/queue_stages.py),
    since its start and while serving."""
    text = queue_stages.fetch(run.base)
    run.breakdown = queue_stages.parse(text)
    run.serving = queue_stages.parse(text, since=run.metrics_before)


# ---------------------------------------------------------------- report
def report(a: argparse.Namespace, runs: list[Run], out: Path, stamp: str) -> None:
    print(f"\nmachine: {machine()}")
    print(
        f"{a.prefill} prefilled, {a.rate:.0f} ServeNext/s for {a.duration:.0f} s, latency in ms from the intended send"
    )
    head = f"{'variant':26}{'sent':>6}{'called p50':>11}{'p99':>7}{'your-turn p50':>14}{'p90':>7}{'p99':>7}{'max':>7}"
    print(head + f"{'stamped p99':>12}{'empty':>6}{'lag':>6}{'cpu ms/serve':>13}")
    for r in runs:
        print(
            f"{r.variant:26}{r.sent:>6}{pct(r.called_ms, 50):>11.1f}{pct(r.called_ms, 99):>7.1f}"
            f"{pct(r.your_turn_ms, 50):>14.1f}{pct(r.your_turn_ms, 90):>7.1f}{pct(r.your_turn_ms, 99):>7.1f}"
            f"{max(r.your_turn_ms, default=float('nan')):>7.1f}{pct(r.your_turn_stamped_ms, 99):>12.1f}"
            f"{r.empty:>6}{r.sender_lag_ms:>6.0f}{1000 * r.cpu_s / max(1, r.sent):>13.2f}"
        )
    for r in runs:
        lines = queue_stages.describe(r.breakdown)
        if not r.breakdown.get("triage_queue_batch_stage_seconds"):
            print(f"\n{r.variant}: no stage metrics (a version without them)")
            continue
        print(f"\n{r.variant}: where a batch's time goes (worker's histograms; p50/p99 are bucket bounds)")
        print("\n".join(lines))
        gc_serving = queue_stages.describe_gc(r.serving, indent="    ")
        print("  collections while serving (after the prefill was queued):")
        print("\n".join(gc_serving) if gc_serving else "    none")
    result = {
        "benchmark": "queue_latency",
        "started_at": stamp,
        "machine": machine(),
        "prefill": a.prefill,
        "rate": a.rate,
        "duration_s": a.duration,
        "runs": [
            {
                "variant": r.variant,
                "sent": r.sent,
                "your_turn_seen": len(r.your_turn_ms),
                "empty": r.empty,
                "sender_lag_ms": round(r.sender_lag_ms, 1),
                "worker_cpu_ms_per_serve": round(1000 * r.cpu_s / max(1, r.sent), 3),
                "called_ms": {f"p{q}": round(pct(r.called_ms, q), 2) for q in (50, 90, 99, 99.9)},
                "your_turn_ms": {f"p{q}": round(pct(r.your_turn_ms, q), 2) for q in (50, 90, 99, 99.9)},
                "your_turn_stamped_ms": {f"p{q}": round(pct(r.your_turn_stamped_ms, q), 2) for q in (50, 99)},
                "worker_breakdown": r.breakdown,
                "worker_while_serving": r.serving,
            }
            for r in runs
        ],
    }
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"queue-latency-{stamp}.json"
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    plot(runs, out / f"queue-latency-{stamp}.png", a)
    print(f"\nresults: {path}  plot: {path.with_suffix('.png')}")


def plot(runs: list[Run], path: Path, a: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    for r in runs:
        s = sorted(r.your_turn_ms)
        if s:
            ax.plot(
                s,
                [100 * (i + 1) / len(s) for i in range(len(s))],
                label=f"{r.variant} (p99 {pct(s, 99):.0f} ms)",
            )
    ax.axvline(20, color="grey", linestyle=":", label="target p99 20 ms")
    ax.set_xscale("log")
    ax.set_xlabel("ServeNext -> YourTurn seen on queue.your-turn (ms, log)")
    ax.set_ylabel("% of ServeNext")
    ax.set_title(f"{a.prefill} prefilled, {a.rate:.0f} ServeNext/s, {a.duration:.0f} s", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ---------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--prefill", type=int, default=10_000, help="cases queued before the first ServeNext")
    p.add_argument("--rate", type=float, default=200, help="ServeNext per second (open loop)")
    p.add_argument("--duration", type=float, default=15, help="seconds of ServeNext traffic")
    p.add_argument("--drain", type=float, default=60, help="max seconds to wait for the last answers")
    p.add_argument("--timeout", type=float, default=300, help="max seconds for the prefill to be queued")
    p.add_argument(
        "--baseline",
        default="fork-point",
        help="git commit to compare with (default: where this branch forked from main); 'none': this tree only",
    )
    p.add_argument(
        "--tree-env",
        action="append",
        default=[],
        metavar="NAME=VALUE[,NAME=VALUE]",
        help="also run this tree with these worker settings (repeatable), e.g. QUEUE_FETCH_WAIT_MS=5",
    )
    p.add_argument("--repeat", type=int, default=1, help="alternate the variants this many times")
    p.add_argument(
        "--one-at-a-time",
        action="store_true",
        help="run the variants one after another (alternating with --repeat) instead of at the same time",
    )
    p.add_argument("--out-dir", default="benchmarks/results")
    a = p.parse_args(argv)
    stamp = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    out = Path(a.out_dir)
    log_dir = out / f"queue-latency-{stamp}-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    variants = [Variant("this tree", None)]
    for spec in a.tree_env:
        env = dict(kv.split("=", 1) for kv in spec.split(",") if "=" in kv)
        if not env:
            p.error(f"--tree-env {spec!r}: expected NAME=VALUE[,NAME=VALUE]")
        variants.append(Variant(f"this tree {spec}", None, env))
    with tempfile.TemporaryDirectory(prefix="queue-latency-") as tmp:
        if a.baseline != "none":
            ref = a.baseline
            if ref == "fork-point":
                ref = subprocess.run(
                    ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.strip()
            sha = subprocess.run(
                ["git", "-C", str(ROOT), "rev-parse", "--short", ref],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            variants.insert(0, Variant(f"baseline {sha}", extract(ref, Path(tmp) / sha)))
        external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
        broker = None if external else EmbeddedBroker(port=0, log_path=log_dir / "broker.log")
        runs: list[Run] = []
        try:
            bootstrap = external or broker.start()  # type: ignore[union-attr]
            groups = [[v] for v in variants] if a.one_at_a_time else [variants]
            for round_, group in [(r, g) for r in range(a.repeat) for g in groups]:
                round_runs, children, kafkas = [], [], []
                try:
                    for variant in group:
                        kafka = KafkaSettings(bootstrap, f"lat{uuid.uuid4().hex[:8]}")
                        asyncio.run(ensure_topics(kafka))
                        label = variant.name if a.repeat == 1 else f"{variant.name} #{round_ + 1}"
                        print(f"{label}: starting a queue worker (namespace {kafka.namespace})", flush=True)
                        child, base = start_worker(kafka, variant, log_dir)
                        children.append(child)
                        kafkas.append(kafka)
                        round_runs.append(Run(label, pid=child.proc.pid if child.proc else None, base=base))
                    asyncio.run(measure_all(kafkas, a, round_runs))
                    for run in round_runs:
                        scrape(run)
                finally:
                    stop_all(children)
                runs += round_runs
        finally:
            if broker is not None:
                broker.stop()
    report(a, runs, out, stamp)
    return 0 if all(len(r.your_turn_ms) + r.empty >= r.sent for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
