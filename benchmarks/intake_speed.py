"""Intake at HTTP speed (issue 12): four figures, one run, one broker, printed as a table.

    .venv/bin/python benchmarks/intake_speed.py [--seconds 10] [--rate 500] [--png out.png]

1. closed loop, 32 aiohttp connections, distinct people: accepted submissions/s of one intake
   process vs the bare endpoint (benchmarks/intake_bare.py: Litestar + msgspec + one aiokafka
   publish), and their ratio (target >= 0.5);
2. open loop at --rate submissions/s (fixed schedule, latency from the scheduled send time, so
   a slow answer is not hidden by the client waiting): p50/p99 of intake's answer (target p99 <= 20 ms);
3. ``--workers 2`` vs 1, closed loop as in 1 (target >= 1.6x where the machine has the cores);
4. 64 concurrent submissions of the same person (x --people), with the real queue running:
   people queued twice (must be 0).

Starts its own embedded broker (unless KAFKA_BOOTSTRAP_SERVERS is set: benchmarks/brokers.py runs
it on Apache Kafka that way), intake, bare endpoint and queue on free loopback ports, and
stops them all. ``--json FILE`` also writes the figures as JSON. Progress on stderr. Figures on a shared 2-core machine are noisy (the client,
the broker and the servers share the cores): compare the ratio, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proto import codec, topics  # noqa: E402
from proto import events as ev  # noqa: E402
from proto.pseudonym import (
    DEV_PSEUDONYM_KEY,  # noqa: E402
    person_pseudonym,  # noqa: E402
)
from services.kafka.embedded_broker import EmbeddedBroker, free_port  # noqa: E402
from services.kafka.settings import KafkaSettings  # noqa: E402
from services.kafka.topic_admin import ensure_topics  # noqa: E402
from services.process_group import Child, stop_all, wait_healthy  # noqa: E402
from tests.support.people import luhn_digit  # noqa: E402
from tests.support.stack import Stack, new_namespace, wait_until  # noqa: E402
from tests.support.topic_reader import read_records  # noqa: E402

FAST_ENV = {
    "INTAKE_RATE_PER_S": "1000000",
    "INTAKE_RATE_BURST": "1000000",
    "INTAKE_MAX_IN_FLIGHT": "4096",
    "INTAKE_MAX_WAITING": "100000000",
    "INTAKE_KAFKA_INGRESS": "0",
}
_people = iter(range(10**9))


def person() -> str:
    """A fresh valid personnummer each call (birth date and serial vary)."""
    i = next(_people)
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=(i // 999) % 20000)
    serial = i % 999 + 1  # 000 is not a valid serial
    ten = f"{birth:%y%m%d}{serial:03d}"
    return f"{birth:%Y%m%d}-{serial:03d}{luhn_digit(ten)}"


def body(pnr: str | None = None) -> dict[str, Any]:
    return {
        "region": "SE-C",
        "personnummer": pnr or person(),
        "phone": "070-123 45 67",
        "symptom": "fever",
        "answers": {"temperature_over_40": True},
        "submission_id": uuid.uuid4().hex,
    }


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def pct(xs: list[float], q: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")


async def closed_loop(url: str, seconds: float, connections: int = 32) -> tuple[float, dict[int, int]]:
    """Accepted (202) per second with ``connections`` clients each sending back to back."""
    statuses: dict[int, int] = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as http:

        async def client() -> None:
            while time.perf_counter() < end:
                async with http.post(url + "/v1/triage", json=body()) as r:
                    await r.read()
                    statuses[r.status] = statuses.get(r.status, 0) + 1

        for _ in range(20):  # warm-up: connections, JIT-free but caches and producer metadata
            async with http.post(url + "/v1/triage", json=body()) as r:
                await r.read()
        start = time.perf_counter()
        end = start + seconds
        await asyncio.gather(*(client() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    return statuses.get(202, 0) / elapsed, statuses


async def open_loop(url: str, rate: float, seconds: float) -> tuple[list[float], dict[int, int]]:
    """Send at a fixed schedule; latency counted from the scheduled time (no coordinated omission)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1024)) as http:

        async def one(due: float) -> None:
            async with http.post(url + "/v1/triage", json=body()) as r:
                await r.read()
            latencies.append(time.perf_counter() - due)
            statuses[r.status] = statuses.get(r.status, 0) + 1

        tasks = []
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(due)))
        await asyncio.gather(*tasks)
    return latencies, statuses


async def duplicates(url: str, people: int, per_person: int = 64) -> list[str]:
    """``per_person`` concurrent submissions for each person; the personnummer of each."""
    pnrs = [person() for _ in range(people)]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=per_person)) as http:
        for pnr in pnrs:

            async def one(pnr: str = pnr) -> None:
                async with http.post(url + "/v1/triage", json=body(pnr)) as r:
                    await r.read()

            await asyncio.gather(*(one() for _ in range(per_person)))
    return pnrs


def queued_twice(kafka: KafkaSettings, pnrs: list[str]) -> tuple[int, int]:
    """(people queued more than once, people queued) among ``pnrs``, once the queue has answered
    every case intake announced for them (CaseQueued or CommandRejected)."""
    mine = {person_pseudonym(p.replace("-", ""), base64.b64decode(DEV_PSEUDONYM_KEY)) for p in pnrs}

    def read() -> dict[str, set[str]] | None:
        announced, answered, per = set(), set(), {}
        for record in read_records(kafka, ["triage.events", "queue.events"]):
            try:
                m = (codec.TRIAGE_EVENTS if record.topic == "triage.events" else codec.QUEUE_EVENTS).decode(
                    record.value
                )
            except codec.DecodeError:
                continue
            if isinstance(m, ev.CaseTriaged) and m.person_pseudonym in mine:
                announced.add(m.case_id)
            elif isinstance(m, ev.CommandRejected):
                answered.add(m.case_id)
            elif isinstance(m, ev.CaseQueued):
                answered.add(m.case_id)
                if m.person_pseudonym in mine:
                    per.setdefault(m.person_pseudonym, set()).add(m.case_id)
        return per if announced and announced <= answered else None

    per = wait_until(read, 120, "the queue to answer every case of the duplicate phase", interval=0.5)
    return sum(1 for cases in per.values() if len(cases) > 1), len(per)


def gc_pauses(url: str) -> str:
    """From intake's /metrics: how many full collections, and how many paused for more than 5 ms."""
    import urllib.request

    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    counts = {}
    for line in text.splitlines():
        if line.startswith("triage_intake_gc_pause_seconds_") and 'generation="2"' in line:
            name, value = line.rsplit(" ", 1)
            counts[name] = float(value)
    total = counts.get('triage_intake_gc_pause_seconds_count{generation="2"}', 0.0)
    under_5ms = counts.get('triage_intake_gc_pause_seconds_bucket{generation="2",le="0.005"}', 0.0)
    return f"{total:.0f} / {total - under_5ms:.0f}"


def start_intake(stack: Stack, workers: int) -> None:
    stack.extra_env["INTAKE_WORKERS"] = str(workers)
    stack.ports["intake"] = free_port()
    stack.start_service("intake")
    stack.wait_healthy(("intake",), 90)


@contextlib.contextmanager
def broker_bootstrap(tmp: str) -> Iterator[str]:
    """KAFKA_BOOTSTRAP_SERVERS if set (a broker someone else runs), else a private embedded one."""
    if external := os.environ.get("KAFKA_BOOTSTRAP_SERVERS", ""):
        yield external
        return
    with EmbeddedBroker(port=0, log_path=Path(tmp) / "tansu.log") as broker:
        yield broker.bootstrap_servers


class Rows(list[tuple[str, str]]):
    """The result table; each row is also printed as soon as it is known (a later phase may fail)."""

    def __iadd__(self, new: object) -> Rows:  # type: ignore[override]
        for k, v in new:  # type: ignore[attr-defined]
            say(f"  {k}: {v}")
            self.append((k, v))
        return self


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured phase")
    parser.add_argument("--rate", type=float, default=500.0, help="open-loop submissions/s")
    parser.add_argument("--people", type=int, default=5, help="people in the duplicate phase (x 64 each)")
    parser.add_argument("--png", type=Path, default=None, help="write the open-loop latency curve here")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here as JSON")
    args = parser.parse_args()
    rows = Rows()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, broker_bootstrap(tmp) as bootstrap:
        kafka = KafkaSettings(bootstrap, new_namespace())
        stack = Stack(kafka=kafka, workdir=Path(tmp), extra_env=dict(FAST_ENV))
        bare_port = free_port()
        bare = Child(
            "bare",
            [
                sys.executable,
                str(Path(__file__).with_name("intake_bare.py")),
                "--port",
                str(bare_port),
                "--bootstrap",
                kafka.bootstrap_servers,
                "--topic",
                kafka.topic("bench.bare"),
            ],
            f"http://127.0.0.1:{bare_port}/healthz",
            dict(os.environ),
        )
        try:
            say("starting broker, intake (1 process) and the bare endpoint...")
            stack.start(services=("intake",))
            # Apache Kafka creates no topic on first use (auto.create.topics.enable=false, as in production)
            asyncio.run(
                ensure_topics(kafka, (topics.TopicSpec("bench.bare", "region", topics.QUEUE_PARTITIONS),))
            )
            bare.start(os.open(Path(tmp) / "bare.log", os.O_WRONLY | os.O_CREAT, 0o600))
            if wait_healthy([bare], 60):
                raise RuntimeError(
                    "bare endpoint did not start: " + (Path(tmp) / "bare.log").read_text()[-2000:]
                )
            say(f"1/4 closed loop, 32 connections, {args.seconds:.0f} s each: intake, then bare...")
            intake_1, st_i = asyncio.run(closed_loop(stack.url("intake"), args.seconds))
            bare_rate, st_b = asyncio.run(closed_loop(f"http://127.0.0.1:{bare_port}", args.seconds))
            figures.update(intake_accepted_per_s=intake_1, bare_accepted_per_s=bare_rate)
            rows += [
                ("intake, 1 process, accepted/s (closed loop, 32 conns)", f"{intake_1:.0f}  {st_i}"),
                ("bare Litestar+msgspec+1 publish, accepted/s", f"{bare_rate:.0f}  {st_b}"),
                ("ratio intake / bare (target >= 0.5)", f"{intake_1 / bare_rate:.2f}"),
            ]
            say(
                f"2/4 open loop at {args.rate:.0f}/s for {args.seconds:.0f} s: intake, then bare (for scale)..."
            )
            lat, st_o = asyncio.run(open_loop(stack.url("intake"), args.rate, args.seconds))
            figures.update(open_loop_p50_ms=pct(lat, 0.5), open_loop_p99_ms=pct(lat, 0.99))
            rows += [
                (
                    f"open loop {args.rate:.0f}/s: p50 / p99 / max ms (target p99 <= 20)",
                    f"{pct(lat, 0.5):.1f} / {pct(lat, 0.99):.1f} / {max(lat) * 1000:.1f}  {st_o}",
                )
            ]
            rows += [
                ("intake GC pauses so far: full collections / of them > 5 ms", gc_pauses(stack.url("intake")))
            ]
            bare_lat, st_bo = asyncio.run(open_loop(f"http://127.0.0.1:{bare_port}", args.rate, args.seconds))
            rows += [
                (
                    f"bare endpoint, open loop {args.rate:.0f}/s: p50 / p99 / max ms",
                    f"{pct(bare_lat, 0.5):.1f} / {pct(bare_lat, 0.99):.1f} / {max(bare_lat) * 1000:.1f}  {st_bo}",
                )
            ]
            stop_all([bare])
            if args.png:
                plot(lat, args.rate, args.png)
                rows += [("latency curve", str(args.png))]
            say("3/4 --workers 2: restarting intake with two processes...")
            stack.stop()
            stack.children.clear()
            start_intake(stack, 2)
            intake_2, st_2 = asyncio.run(closed_loop(stack.url("intake"), args.seconds))
            figures.update(workers_2_accepted_per_s=intake_2)
            rows += [
                ("intake, --workers 2, accepted/s", f"{intake_2:.0f}  {st_2}"),
                ("--workers 2 / 1 (target >= 1.6 with free cores)", f"{intake_2 / intake_1:.2f}"),
            ]
            stack.stop()
            say(
                f"4/4 {args.people} people x 64 concurrent submissions to intake --workers 2, with the queue "
                "running (a fresh namespace, so the queue has no backlog from the phases above)..."
            )
            stack = Stack(
                kafka=KafkaSettings(bootstrap, new_namespace()),
                workdir=Path(tmp) / "dup",
                extra_env={**FAST_ENV, "INTAKE_WORKERS": "2"},
            )
            stack.workdir.mkdir()
            stack.start(services=("queue", "intake"))
            pnrs = asyncio.run(duplicates(stack.url("intake"), args.people))
            twice, seen = queued_twice(stack.kafka, pnrs)
            figures.update(people_queued_twice=twice)
            rows += [
                (
                    f"people queued twice of {len(pnrs)} (64 concurrent each; must be 0)",
                    f"{twice} ({seen} people queued)",
                )
            ]
        finally:
            stop_all([bare])
            stack.stop()
    print(
        f"\nintake_speed: {args.seconds:.0f} s phases, load average {os.getloadavg()[0]:.1f}, "
        f"{os.cpu_count()} CPUs"
    )
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "rows": dict(rows)}, indent=2))
    return 0


def plot(latencies: list[float], rate: float, path: Path) -> None:
    """The open-loop latency distribution as a percentile curve (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = sorted(latencies)
    qs = [100 * (i + 1) / len(xs) for i in range(len(xs))]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(qs, [x * 1000 for x in xs])
    ax.axhline(20, color="red", linestyle="--", label="target p99 20 ms")
    ax.set(
        xlabel="percentile",
        ylabel="answer latency (ms)",
        yscale="log",
        title=f"intake POST /v1/triage, open loop {rate:.0f}/s",
    )
    ax.legend()
    fig.savefig(path, dpi=100, bbox_inches="tight")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
