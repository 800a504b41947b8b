"""kill -9 of the queue worker -> serving again, with N cases waiting, on a real broker.

    .venv/bin/python -m benchmarks.queue_recovery [--waiting 100000] [--static] [--takeover]
        [--snapshot-every N] [--snapshot-every-s S] [--settle S] [--json]

1. Starts the embedded broker (unless KAFKA_BOOTSTRAP_SERVERS is set), a fresh namespace, and
   pre-produces N CaseTriaged over the 21 regions (progress every 100 000).
2. Starts one `triage queue` worker and waits until all N are queued (its log = N CaseQueued).
3. kill -9; at once a ServeNext is produced for the biggest region and the worker restarted.
   Prints kill -> first output (that ServeNext's CaseCalled on queue.events: its record
   timestamp) and where the time went (``benchmarks/recovery_breakdown.py``: process start,
   faust start, group join, recovery with its stages summed over the partitions, first answer).
With --static: the worker runs as a StatefulSet pod does in production (docs/deployment.md,
"Group timeouts"): a static group member (KAFKA_GROUP_INSTANCE_ID) restarted under the same
name on the same web port, so the broker hands it its partitions back without waiting out the
dead member's session. Without it: dynamic membership, restarted on a new port.
With --takeover: two workers; the one that owns the ServeNext's region is killed and NOT
restarted; prints kill -> the other worker's answer (group session timeout + recovery).
--snapshot-every N sets the workers' QUEUE_SNAPSHOT_EVERY_EVENTS (0 = no snapshots, the full
fold); the snapshots' loop pauses (the fork, or the encoding with QUEUE_SNAPSHOT_ENCODER=inline) are printed.
--settle S trickles a ServeNext per region per second for S seconds before the kill (with a short
--snapshot-every-s, every partition takes a time-due snapshot): a queue that grew over hours has a
recent snapshot and a short tail, while one filled in two minutes is killed with up to half its
cases' worth of events after its last snapshot (the snapshot schedule's amortisation).
Writes benchmarks/results/queue-recovery-<time>.json; --json also prints it as one line.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import orjson

from benchmarks.passthrough import produce_inputs, run_queue_worker
from benchmarks.recovery_breakdown import breakdown
from benchmarks.workload import build
from proto import events as ev
from proto import topics
from services.kafka.embedded_broker import EmbeddedBroker, free_port
from services.kafka.publisher import Publisher
from services.kafka.settings import KafkaSettings
from services.loadgen.report import machine
from services.process_group import Child, stop_all, wait_healthy


async def wait_for(
    kafka: KafkaSettings, want: str, count: int, timeout_s: float, request_id: str = ""
) -> float:
    """Seconds until ``count`` records of type ``want`` (with ``request_id`` if given) are on queue.events."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        **kafka.consumer_options(),
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=20,
        max_partition_fetch_bytes=8 << 20,
    )
    await consumer.start()
    started = time.monotonic()
    parts = [TopicPartition(kafka.topic(topics.QUEUE_EVENTS.name), p) for p in range(topics.QUEUE_PARTITIONS)]
    consumer.assign(parts)
    await consumer.seek_to_beginning(*parts)
    seen, last = 0, time.monotonic()
    tag = want.encode()
    try:
        while seen < count and time.monotonic() - started < timeout_s:
            for records in (await consumer.getmany(timeout_ms=100, max_records=20000)).values():
                for r in records:
                    if any(k == "ce_type" and v == tag for k, v in r.headers) and (
                        not request_id or request_id.encode() in (r.value or b"")
                    ):
                        seen += 1
            if time.monotonic() - last > 5:
                print(f"  ... {seen}/{count} {want}", flush=True)
                last = time.monotonic()
    finally:
        await consumer.stop()
    if seen < count:
        raise TimeoutError(f"only {seen}/{count} {want} after {timeout_s:.0f}s")
    return time.monotonic() - started


async def serve_next(kafka: KafkaSettings, region: str) -> str:
    cmd = ev.ServeNext(region=region, clinician_id="bench")
    publisher = Publisher(kafka, "/bench")
    await publisher.start()
    try:
        await publisher.publish(topics.QUEUE_COMMANDS, region, cmd)
    finally:
        await publisher.stop()
    return cmd.request_id


async def trickle(kafka: KafkaSettings, regions: list[str], seconds: float) -> None:
    """A ServeNext to every region once a second for ``seconds``: every partition decides batches,
    so a time-due snapshot of each is taken (QUEUE_SNAPSHOT_EVERY_S)."""
    publisher = Publisher(kafka, "/bench")
    await publisher.start()
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await publisher.publish_all(
                [
                    (topics.QUEUE_COMMANDS, r, ev.ServeNext(region=r, clinician_id="bench-trickle"))
                    for r in regions
                ]
            )
            await asyncio.sleep(1.0)
    finally:
        await publisher.stop()


async def end_offsets(kafka: KafkaSettings) -> dict[int, int]:
    """The end offset of every queue.events partition now (the answer is looked for after them)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(**kafka.consumer_options(), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [
            TopicPartition(kafka.topic(topics.QUEUE_EVENTS.name), p) for p in range(topics.QUEUE_PARTITIONS)
        ]
        return {tp.partition: off for tp, off in (await consumer.end_offsets(parts)).items()}
    finally:
        await consumer.stop()


async def wait_for_answer(
    kafka: KafkaSettings, request_id: str, since: dict[int, int], timeout_s: float
) -> float:
    """The record timestamp (epoch s) of the CaseCalled answering ``request_id``, read from ``since``."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        **kafka.consumer_options(), group_id=None, enable_auto_commit=False, fetch_max_wait_ms=20
    )
    await consumer.start()
    started, last = time.monotonic(), time.monotonic()
    want = request_id.encode()
    try:
        parts = [TopicPartition(kafka.topic(topics.QUEUE_EVENTS.name), p) for p in since]
        consumer.assign(parts)
        for tp in parts:
            consumer.seek(tp, since[tp.partition])
        while time.monotonic() - started < timeout_s:
            for records in (await consumer.getmany(timeout_ms=100)).values():
                for r in records:
                    if want in (r.value or b"") and (b"ce_type", b"case.called.v1") in [
                        (k.encode(), bytes(v)) for k, v in r.headers
                    ]:
                        return r.timestamp / 1000
            if time.monotonic() - last > 5:
                print(f"  ... no answer yet after {time.monotonic() - started:.0f}s", flush=True)
                last = time.monotonic()
    finally:
        await consumer.stop()
    raise TimeoutError(f"no CaseCalled for {request_id} after {timeout_s:.0f}s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--waiting", type=int, default=100_000)
    p.add_argument(
        "--static",
        action="store_true",
        help="static group membership, restarted under the same name and web port (production's StatefulSet)",
    )
    p.add_argument("--takeover", action="store_true", help="two workers; the killed one is not restarted")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument(
        "--snapshot-every",
        type=int,
        default=None,
        help="QUEUE_SNAPSHOT_EVERY_EVENTS for the workers (0 = no snapshots: fold all of queue.events)",
    )
    p.add_argument(
        "--snapshot-every-s",
        type=float,
        default=None,
        help="QUEUE_SNAPSHOT_EVERY_S for the workers (with --settle: short, so each partition snapshots)",
    )
    p.add_argument(
        "--settle",
        type=float,
        default=0.0,
        help="seconds of a trickle (a ServeNext per region per second) between the fill and the kill: "
        "the state of a queue that grew slowly, whose last snapshot is recent, instead of one just filled",
    )
    p.add_argument("--json", action="store_true", help="also print the result as one JSON line")
    p.add_argument("--out-dir", default="benchmarks/results")
    a = p.parse_args(argv)
    if a.static and a.takeover:
        p.error("--static restarts the killed worker; --takeover does not restart it: pick one")
    if a.snapshot_every is not None:
        os.environ["QUEUE_SNAPSHOT_EVERY_EVENTS"] = str(a.snapshot_every)  # the workers inherit it
    if a.snapshot_every_s is not None:
        os.environ["QUEUE_SNAPSHOT_EVERY_S"] = str(a.snapshot_every_s)
    stamp = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    out = Path(a.out_dir)
    log_dir = out / f"queue-recovery-{stamp}-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
    broker = None if external else EmbeddedBroker(port=0, log_path=log_dir / "broker.log")
    children: list[Child] = []
    try:
        bootstrap = external or broker.start()  # type: ignore[union-attr]
        kafka = KafkaSettings(bootstrap, f"bench{uuid.uuid4().hex[:8]}")
        print(f"building {a.waiting} CaseTriaged ...", flush=True)
        workload = build(a.waiting, 0)
        per_region = Counter(key.decode() for _, (key, _, _) in workload.inputs)
        region = per_region.most_common(1)[0][0]
        asyncio.run(produce_inputs(kafka, workload, progress_every=100_000))
        del workload  # 1M inputs are ~1 GB of the benchmark's memory
        print(f"pre-produced {a.waiting} CaseTriaged; the ServeNext goes to {region}", flush=True)
        workers = 2 if a.takeover else 1
        port = free_port()
        static = {"KAFKA_GROUP_INSTANCE_ID": f"bench-queue-{stamp}"} if a.static else {}
        for i in range(workers):
            (log_dir / f"w{i}").mkdir(exist_ok=True)
            children.append(run_queue_worker(kafka, log_dir / f"w{i}", port if a.static else None, static))
        failed = wait_healthy(children, 120)
        assert not failed, failed
        fill_s = asyncio.run(wait_for(kafka, "case.queued.v1", a.waiting, a.timeout))
        print(f"all {a.waiting} queued after {fill_s:.1f}s", flush=True)
        victim = children[0] if not a.takeover else _owner(children, region)
        if a.settle > 0:
            print(f"trickle for {a.settle:.0f}s: a ServeNext per region per second ...", flush=True)
            asyncio.run(trickle(kafka, sorted(per_region), a.settle))
        time.sleep(2.0)  # let the last batch's outputs settle
        since = asyncio.run(end_offsets(kafka))
        assert victim.proc is not None
        killed_at = time.time()
        os.kill(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait(30)
        request_id = asyncio.run(serve_next(kafka, region))
        spawned_at = time.time()
        if not a.takeover:
            (log_dir / "restarted").mkdir(exist_ok=True)
            children.append(
                run_queue_worker(kafka, log_dir / "restarted", port if a.static else None, static)
            )
        answered_at = asyncio.run(wait_for_answer(kafka, request_id, since, a.timeout))
        serving_s = answered_at - killed_at
        answerer = children[-1] if not a.takeover else next(c for c in children if c is not victim)
        cpu_s = _cpu_seconds(answerer)  # robust on a busy machine, where wall time is not
    finally:
        stop_all(children)
        if broker is not None:
            broker.stop()
    what = (
        "two workers, one killed -> the other answers"
        if a.takeover
        else f"kill -9 -> restarted worker answers ({'static' if a.static else 'dynamic'} membership)"
    )
    print(f"\n{what}: {serving_s:.2f}s with {a.waiting} waiting (machine {machine()})")
    print(f"  CPU of the answering worker from its start to the answer: {cpu_s:.2f}s")
    answering = log_dir / ("restarted" if not a.takeover else "") / "queue.log"
    parts = breakdown(answering, killed_at, spawned_at, answered_at) if answering.exists() else None
    if parts is not None:
        print("\n".join(parts.lines()))
    for line in _recovery_lines(log_dir):
        print("  worker log:", line)
    pauses = _snapshot_pauses(log_dir)
    if pauses:
        print(
            f"  snapshots written: {len(pauses)}; the loop's pause (fork or inline encode) max {max(pauses):.1f} ms, "
            f"mean {sum(pauses) / len(pauses):.1f} ms"
        )
    result = {
        "benchmark": "queue-recovery",
        "started_at": stamp,
        "machine": machine(),
        "broker": "external" if external else "tansu",
        "waiting": a.waiting,
        "membership": "static" if a.static else "dynamic",
        "snapshot_every": os.environ.get("QUEUE_SNAPSHOT_EVERY_EVENTS", "default"),
        "snapshot_every_s": os.environ.get("QUEUE_SNAPSHOT_EVERY_S", "default"),
        "settle_s": a.settle,
        "snapshot_encode_pause_ms_max": round(max(pauses), 1) if pauses else None,
        "takeover": a.takeover,
        "kill_to_first_output_s": round(serving_s, 3),
        "answering_worker_cpu_s": round(cpu_s, 3),
        "breakdown": parts.as_json() if parts is not None else None,
        "fill_s": round(fill_s, 2),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / f"queue-recovery-{stamp}.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    if a.json:
        print(orjson.dumps(result).decode())
    return 0


def _cpu_seconds(child: Child) -> float:
    """User + system CPU seconds the child process has used so far (Linux /proc)."""
    assert child.proc is not None
    fields = Path(f"/proc/{child.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _owner(children: list[Child], region: str) -> Child:
    """The worker whose log says it serves the region's partition."""
    from services.queue.partitioning import region_partition

    want = region_partition(region, topics.QUEUE_PARTITIONS)
    for child in children:
        log = Path(child.env["QUEUE_DATA_DIR"]).parent / "queue.log"
        serving = [ln for ln in log.read_text().splitlines() if "serving partitions" in ln]
        if serving and f"{want}," in serving[-1].replace("]", ",").replace("[", " "):
            return child
    return children[0]


def _snapshot_pauses(log_dir: Path) -> list[float]:
    """The loop's pause (ms: the fork, or the inline encode) of every snapshot the workers logged."""
    out = []
    for path in sorted(log_dir.rglob("queue.log")):
        for ln in path.read_text().splitlines():
            if "snapshot of partition" in ln:
                msg = orjson.loads(ln).get("msg", ln)
                # "the loop's pause X ms (fork|encode on the loop)"; older builds: "encode X ms (the loop's pause)"
                key = "the loop's pause " if "the loop's pause " in msg else "encode "
                out.append(float(msg.split(key)[1].split(" ms")[0]))
    return out


def _recovery_lines(log_dir: Path) -> list[str]:
    lines = []
    for path in sorted(log_dir.rglob("queue.log")):
        for ln in path.read_text().splitlines():
            if "serving partitions" in ln or (
                "recovered partition" in ln and not (" 0 batches" in ln and "offset None" in ln)
            ):
                lines.append(f"{path.parent.name}: {orjson.loads(ln).get('msg', ln)[:160]}")
    return lines[-12:]


if __name__ == "__main__":
    sys.exit(main())
