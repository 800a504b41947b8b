"""The queue worker's throughput against the physical limit here, measured side by side.

    .venv/bin/python -m benchmarks.passthrough [--cases 20000] [--serves 10000] [--profile FILE]

1. Starts the embedded broker (unless KAFKA_BOOTSTRAP_SERVERS is set) and a fresh namespace.
2. Pre-produces N CaseTriaged on triage.events and M ServeNext on queue.commands.
3. Passthrough: one process with a bare aiokafka consumer -> producer reads the same input
   and, per record, sends output records of the same kind and size the queue sends
   (no decoding, no logic): the most a Python consumer -> producer does on this broker.
4. Queue: one `triage queue` worker process reads the same input (its own group).
5. Each rate = (N + M) input events / (last - first output timestamp on the events topic).
Prints the figures and the ratio; writes benchmarks/results/passthrough-<time>.json and .png.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from benchmarks.monitor import OutputWatch, watch_outputs
from benchmarks.workload import Workload, build
from proto import topics
from services.kafka.embedded_broker import EmbeddedBroker, free_port
from services.kafka.settings import KafkaSettings
from services.kafka.topic_admin import ensure_topics
from services.loadgen.report import machine
from services.process_group import Child, service_argv, stop_all

PT_EVENTS = topics.TopicSpec("bench.passthrough.events", "region", topics.QUEUE_PARTITIONS)
PT_YOUR_TURN = topics.TopicSpec("bench.passthrough.your-turn", "region", topics.QUEUE_PARTITIONS)


async def produce_inputs(kafka: KafkaSettings, workload: Workload, progress_every: int = 0) -> float:
    """Send the workload's inputs (acks=all); with ``progress_every``, print a line every that many."""
    from aiokafka import AIOKafkaProducer

    await ensure_topics(kafka, topics.ALL_TOPICS + (PT_EVENTS, PT_YOUR_TURN))
    producer = AIOKafkaProducer(
        **kafka.client_options(), acks="all", linger_ms=5, enable_idempotence=False, max_batch_size=256 * 1024
    )
    await producer.start()
    started = time.monotonic()
    try:
        futures = []
        for i, (spec, (key, value, headers)) in enumerate(workload.inputs, 1):
            futures.append(await producer.send(kafka.topic(spec.name), value, key=key, headers=headers))
            if progress_every and i % progress_every == 0:
                print(f"  ... produced {i}/{len(workload.inputs)} inputs", flush=True)
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.monotonic() - started


def passthrough_process(kafka: KafkaSettings, workload: Workload) -> None:
    """Child process: consume the input topics, send the matching output records, forever."""
    import uvloop

    uvloop.run(_passthrough(kafka, workload))


async def _passthrough(kafka: KafkaSettings, workload: Workload) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    consumer = AIOKafkaConsumer(
        kafka.topic(topics.TRIAGE_EVENTS.name),
        kafka.topic(topics.QUEUE_COMMANDS.name),
        **kafka.consumer_options(),
        group_id=kafka.group("bench-passthrough"),
        auto_offset_reset="earliest",
        enable_auto_commit=True,
        max_partition_fetch_bytes=1 << 20,
    )
    producer = AIOKafkaProducer(**kafka.client_options(), acks="all", linger_ms=0, enable_idempotence=False)
    out = {"events": kafka.topic(PT_EVENTS.name), "your_turn": kafka.topic(PT_YOUR_TURN.name)}
    await consumer.start()
    await producer.start()
    while True:
        batches = await consumer.getmany(timeout_ms=100, max_records=1000)
        pending = []
        for records in batches.values():
            for r in records:
                event_id = next(v for k, v in r.headers if k == "ce_id").decode()
                for kind, (key, value, headers) in workload.outputs[event_id]:
                    pending.append(await producer.send(out[kind], value, key=key, headers=headers))
        if pending:
            await asyncio.gather(*pending)  # at-least-once: outputs acked before the next batch


def run_queue_worker(
    kafka: KafkaSettings, log_dir: Path, port: int | None = None, extra_env: dict[str, str] | None = None
) -> Child:
    """A ``triage queue`` process logging to ``log_dir``/queue.log (a free web port unless ``port``)."""
    port = port or free_port()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "TRIAGE_NAMESPACE": kafka.namespace,
        "QUEUE_WEB_PORT": str(port),
        "QUEUE_DATA_DIR": str(log_dir / "queue-data"),
        **(extra_env or {}),
    }
    child = Child("queue", service_argv("queue"), f"http://127.0.0.1:{port}/healthz", env)
    log = os.open(log_dir / "queue.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    child.start(log)
    os.close(log)
    return child


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=20000, help="CaseTriaged to pre-produce")
    p.add_argument("--serves", type=int, default=10000, help="ServeNext to pre-produce")
    p.add_argument("--timeout", type=float, default=300, help="max seconds per phase")
    p.add_argument(
        "--profile",
        default=None,
        help="py-spy record the queue worker into this file (.txt collapsed stacks, .svg flame graph)",
    )
    p.add_argument("--out-dir", default="benchmarks/results")
    a = p.parse_args(argv)
    stamp = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    out = Path(a.out_dir)
    log_dir = out / f"passthrough-{stamp}-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    workload = build(a.cases, a.serves)
    expected = len(workload.inputs)  # one record on the events topic per input event
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
    broker = None if external else EmbeddedBroker(port=0, log_path=log_dir / "broker.log")
    children: list[Child] = []
    try:
        bootstrap = external or broker.start()  # type: ignore[union-attr]
        kafka = KafkaSettings(bootstrap, f"bench{uuid.uuid4().hex[:8]}")
        produce_s = asyncio.run(produce_inputs(kafka, workload))
        print(
            f"pre-produced {expected} input events ({workload.input_bytes / expected:.0f} B avg) "
            f"in {produce_s:.1f}s on {bootstrap}",
            flush=True,
        )

        proc = multiprocessing.get_context("fork").Process(
            target=passthrough_process, args=(kafka, workload), daemon=True
        )
        proc.start()
        try:
            pt = asyncio.run(watch_outputs(kafka, PT_EVENTS, expected, a.timeout, "passthrough"))
        finally:
            proc.terminate()
            proc.join(10)

        queue = run_queue_worker(kafka, log_dir)
        children.append(queue)
        profiler = _start_profiler(a.profile, queue)
        try:
            q = asyncio.run(watch_outputs(kafka, topics.QUEUE_EVENTS, expected, a.timeout, "queue worker"))
        finally:
            profile_note = _stop_profiler(profiler)
    finally:
        stop_all(children)
        if broker is not None:
            broker.stop()
    return report(a, workload, pt, q, out, stamp, profile_note)


def report(
    a: argparse.Namespace,
    workload: Workload,
    pt: OutputWatch,
    q: OutputWatch,
    out: Path,
    stamp: str,
    profile_note: str,
) -> int:
    ratio = q.rate / pt.rate if pt.rate else 0.0
    result: dict[str, Any] = {
        "benchmark": "passthrough",
        "started_at": stamp,
        "machine": machine(),
        "cases": a.cases,
        "serves": a.serves,
        "input_events": len(workload.inputs),
        "avg_input_bytes": round(workload.input_bytes / len(workload.inputs)),
        "avg_output_bytes": round(workload.output_bytes / sum(len(o) for o in workload.outputs.values())),
        "passthrough": pt.as_dict(),
        "queue": q.as_dict(),
        "ratio_queue_to_passthrough": round(ratio, 3),
        "target_ratio": 0.5,
        "profile": profile_note,
    }
    print(f"\nmachine: {result['machine']}")
    print(f"{'':14}{'events/s':>10}{'seconds':>9}{'outputs':>9}  complete")
    for name, w in (("passthrough", pt), ("queue worker", q)):
        print(f"{name:14}{w.rate:>10.0f}{w.span_s:>9.2f}{w.count:>9}  {w.complete}")
    print(f"queue / passthrough = {ratio:.2f}  (target >= 0.5)")
    if q.kinds:
        print(f"queue outputs by type: {q.kinds}")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"passthrough-{stamp}.json"
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    from benchmarks.monitor import plot_watches

    plot_watches(
        [("passthrough", pt), ("queue worker", q)],
        out / f"passthrough-{stamp}.png",
        f"queue worker vs bare passthrough, {len(workload.inputs)} input events (ratio {ratio:.2f})",
    )
    print(f"results: {path}  plot: {path.with_suffix('.png')}")
    return 0 if pt.complete and q.complete else 1


def _start_profiler(path: str | None, queue: Child) -> Any:
    if not path:
        return None
    import subprocess

    exe = str(Path(sys.executable).with_name("py-spy"))
    fmt = {".svg": "flamegraph", ".json": "speedscope"}.get(Path(path).suffix, "raw")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    assert queue.proc is not None
    return path, subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(queue.proc.pid),
            "--rate",
            "250",
            "--format",
            fmt,
            "--output",
            path,
            "--nonblocking",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop_profiler(profiler: Any) -> str:
    if profiler is None:
        return ""
    import signal

    path, proc = profiler
    proc.send_signal(signal.SIGINT)
    text = proc.communicate(timeout=60)[0].decode(errors="replace")
    return f"{path} (py-spy exit {proc.returncode}): {text.strip()[-300:]}"


if __name__ == "__main__":
    sys.exit(main())
