"""Intake at HTTP speed (issues 12, 24): four figures, one run, one broker, printed as a table.

    .venv/bin/python benchmarks/intake_speed.py [--seconds 10] [--rate 500 [1000 ...]]
        [--baseline REV ...] [--rounds 1] [--phases closed,open,workers,duplicates] [--json FILE]

1. closed loop, 32 keep-alive connections, distinct people: accepted submissions/s of one intake
   process vs the bare endpoint (benchmarks/intake_bare.py: Litestar + msgspec + one aiokafka
   publish), and their ratio (target >= 0.5);
2. open loop at each --rate submissions/s (fixed schedule, latency from the scheduled send time,
   so a slow answer is not hidden by the client waiting): p50/p99 of intake's answer (target p99
   <= 20 ms at 1,000/s);
3. ``--workers 2`` vs 1, closed loop as in 1 (target >= 1.6x where the machine has the cores);
4. 64 concurrent submissions of the same person (x --people), with the real queue running:
   people queued twice (must be 0).

``--baseline REV`` (repeatable): that commit's intake too, extracted with ``git archive`` and run
by the same interpreter, each variant in its own topic namespace and all running at once; phases
1 and 2 take turns between the variants and the bare endpoint (``--rounds`` times in phase 1), so
every ratio is from the same minutes of a busy machine. Phases 3 and 4 run this tree only.

The load client is ``benchmarks/http_load.py`` (raw keep-alive HTTP/1.1 on uvloop, ~50 µs of
client CPU per request; each phase prints its own). ``--client aiohttp`` uses the earlier aiohttp
client (~220-270 µs per request with its body building: on 2 cores it held the bare endpoint back).

Starts its own embedded broker (unless KAFKA_BOOTSTRAP_SERVERS is set: benchmarks/brokers.py runs
it on Apache Kafka that way), intake, bare endpoint and queue on free loopback ports, and
stops them all. ``--json FILE`` also writes the figures as JSON. Progress on stderr. Figures on a
shared 2-core machine are noisy (the client, the broker and the servers share the cores):
compare the ratio, not the absolute numbers.
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.http_load import Phase, Submissions, run_id  # noqa: E402
from benchmarks.http_load import closed_loop as raw_closed_loop  # noqa: E402
from benchmarks.http_load import open_loop as raw_open_loop  # noqa: E402
from benchmarks.queue_latency import extract  # noqa: E402
from proto import codec, topics  # noqa: E402
from proto import events as ev  # noqa: E402
from proto.pseudonym import (
    DEV_PSEUDONYM_KEY,  # noqa: E402
    person_pseudonym,  # noqa: E402
)
from services.kafka.embedded_broker import EmbeddedBroker, free_port  # noqa: E402
from services.kafka.settings import KafkaSettings  # noqa: E402
from services.kafka.topic_admin import ensure_topics  # noqa: E402
from services.process_group import Child, service_argv, stop_all, wait_healthy  # noqa: E402
from tests.support.people import luhn_digit  # noqa: E402
from tests.support.stack import SERVICES, Stack, new_namespace, wait_until  # noqa: E402
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


def aiohttp_closed(url: str, seconds: float) -> Phase:
    rate, statuses = asyncio.run(closed_loop(url, seconds))
    return Phase(statuses.get(202, 0) / rate if rate else seconds, statuses)


def aiohttp_open(url: str, rate: float, seconds: float) -> Phase:
    latencies, statuses = asyncio.run(open_loop(url, rate, seconds))
    return Phase(seconds, statuses, latencies)


@dataclass
class Variant:
    """One intake build under test: this tree (``source`` None) or a commit extracted to ``source``."""

    name: str
    source: Path | None = None
    stack: Stack | None = None
    make: Callable[[], bytes] | None = None  # its request source: a person is new to every variant
    idle_per_s: float = 0.0  # its CPU per second with no requests

    @property
    def url(self) -> str:
        assert self.stack is not None
        return self.stack.url("intake")


def start_variant(variant: Variant, bootstrap: str, tmp: Path, day: int) -> None:
    """The variant's intake, one process, in its own namespace; waits until it is ready."""
    stack = Stack(
        kafka=KafkaSettings(bootstrap, new_namespace()),
        workdir=tmp / variant.name.replace(" ", "-"),
        extra_env=dict(FAST_ENV),
    )
    stack.workdir.mkdir(parents=True, exist_ok=True)
    asyncio.run(ensure_topics(stack.kafka))
    for name in SERVICES:
        stack.ports.setdefault(name, free_port())
    env, argv = stack.env("intake"), service_argv("intake")
    if variant.source is not None:
        # -P: the current directory (this tree) is not put ahead of PYTHONPATH, so the
        # extracted commit's source wins over this tree and its editable install
        env["PYTHONPATH"] = str(variant.source)
        argv = [sys.executable, "-P", *argv[1:]]
    child = Child("intake", argv, stack.url("intake") + "/readyz", env)
    log = os.open(stack.workdir / "intake.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    child.start(log)
    os.close(log)
    stack.children["intake"] = child
    stack.wait_healthy(("intake",), 120)
    variant.stack = stack
    variant.make = Submissions(urlsplit(variant.url).netloc, run_id(), first_day=day)
    variant.idle_per_s = idle_cpu(child)
    say(f"  {variant.name}: ready; idle CPU {variant.idle_per_s * 100:.1f}% of a core")


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


PHASES = ("closed", "open", "workers", "duplicates")
_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` (all its threads) so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def idle_cpu(child: Child, seconds: float = 3.0) -> float:
    """The server's CPU per second while nobody sends it anything (its Kafka tails polling)."""
    assert child.proc is not None
    before = cpu_seconds(child.proc.pid)
    time.sleep(seconds)
    return (cpu_seconds(child.proc.pid) - before) / seconds


def measured(child: Child, run: Callable[[], Phase], idle_per_s: float = 0.0) -> tuple[Phase, float]:
    """The phase, and the server's CPU µs per answered request during it, net of its idle CPU.

    Why net: on a busy machine a slow phase answers few requests, and the fixed cost of the
    tails' polling divided by few requests would be counted as cost per request.
    """
    assert child.proc is not None
    before, started = cpu_seconds(child.proc.pid), time.perf_counter()
    phase = run()
    used = cpu_seconds(child.proc.pid) - before - idle_per_s * (time.perf_counter() - started)
    return phase, max(0.0, used) / max(1, sum(phase.statuses.values())) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured phase")
    parser.add_argument(
        "--rate", type=float, nargs="+", default=[500.0], help="open-loop submissions/s (one phase each)"
    )
    parser.add_argument("--people", type=int, default=5, help="people in the duplicate phase (x 64 each)")
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="REV",
        help="also this commit's intake (repeatable)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="closed-loop turns per variant (and bare)")
    parser.add_argument("--phases", default=",".join(PHASES), help=f"which of {','.join(PHASES)}")
    parser.add_argument("--client", choices=("raw", "aiohttp"), default="raw", help="the load client")
    parser.add_argument("--png", type=Path, default=None, help="write the open-loop latency curve here")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here as JSON")
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    if unknown := phases - set(PHASES):
        parser.error(f"unknown phases {sorted(unknown)}; choose from {PHASES}")
    rows = Rows()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_dir, broker_bootstrap(tmp_dir) as bootstrap:
        tmp = Path(tmp_dir)
        variants = [Variant("this tree")]
        for ref in args.baseline:
            sha = extract_sha(ref)
            variants.append(Variant(f"base {sha}", extract(sha, tmp / "src" / sha)))
        bare_kafka = KafkaSettings(bootstrap, new_namespace())
        bare_port = free_port()
        bare_url = f"http://127.0.0.1:{bare_port}"
        bare = Child(
            "bare",
            [
                sys.executable,
                str(Path(__file__).with_name("intake_bare.py")),
                "--port",
                str(bare_port),
                "--bootstrap",
                bootstrap,
                "--topic",
                bare_kafka.topic("bench.bare"),
            ],
            f"{bare_url}/healthz",
            dict(os.environ),
        )
        bare_make = Submissions(f"127.0.0.1:{bare_port}", run_id())
        stack: Stack | None = None

        def closed(url: str, make: Callable[[], bytes]) -> Phase:
            if args.client == "aiohttp":
                return aiohttp_closed(url, args.seconds)
            return raw_closed_loop(url, args.seconds, make)

        def opened(url: str, rate: float, make: Callable[[], bytes]) -> Phase:
            if args.client == "aiohttp":
                return aiohttp_open(url, rate, args.seconds)
            return raw_open_loop(url, rate, args.seconds, make)

        try:
            say(f"starting broker, intake ({', '.join(v.name for v in variants)}) and the bare endpoint...")
            for i, variant in enumerate(variants):
                start_variant(variant, bootstrap, tmp, day=5000 * (i + 1))
            # Apache Kafka creates no topic on first use (auto.create.topics.enable=false, as in production)
            asyncio.run(
                ensure_topics(
                    bare_kafka, (topics.TopicSpec("bench.bare", "region", topics.QUEUE_PARTITIONS),)
                )
            )
            bare.start(os.open(tmp / "bare.log", os.O_WRONLY | os.O_CREAT, 0o600))
            if wait_healthy([bare], 60):
                raise RuntimeError("bare endpoint did not start: " + (tmp / "bare.log").read_text()[-2000:])
            if "closed" in phases:
                closed_phase(args, variants, bare, bare_url, bare_make, closed, rows, figures)
            if "open" in phases:
                for rate in args.rate:
                    open_phase(args, rate, variants, bare_url, bare_make, opened, rows, figures)
            stop_all([bare])
            for variant in variants[1:]:
                assert variant.stack is not None
                variant.stack.stop()
            stack = variants[0].stack
            assert stack is not None
            if "workers" in phases:
                say("3/4 --workers 2: restarting intake with two processes...")
                stack.stop()
                stack.children.clear()
                start_intake(stack, 2)
                two = closed(stack.url("intake"), Submissions(f"127.0.0.1:{stack.ports['intake']}", run_id()))
                one = figures.get("intake_accepted_per_s", 0.0)
                figures.update(workers_2_accepted_per_s=two.accepted_per_s)
                rows += [
                    ("intake, --workers 2, accepted/s", f"{two.accepted_per_s:.0f}  {two.statuses}"),
                    (
                        "--workers 2 / 1 (target >= 1.6 with free cores)",
                        f"{two.accepted_per_s / one:.2f}" if one else "(run phase closed too)",
                    ),
                ]
            stack.stop()
            if "duplicates" in phases:
                say(
                    f"4/4 {args.people} people x 64 concurrent submissions to intake --workers 2, with the "
                    "queue running (a fresh namespace, so the queue has no backlog from the phases above)..."
                )
                stack = Stack(
                    kafka=KafkaSettings(bootstrap, new_namespace()),
                    workdir=tmp / "dup",
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
            for variant in variants:
                if variant.stack is not None:
                    variant.stack.stop()
            if stack is not None:
                stack.stop()
    print(
        f"\nintake_speed: {args.seconds:.0f} s phases, load average {os.getloadavg()[0]:.1f}, "
        f"{os.cpu_count()} CPUs, client {args.client}"
    )
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")
    line = json.dumps({"benchmark": "intake_speed", "figures": figures, "rows": dict(rows)})
    print(line)
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "rows": dict(rows)}, indent=2))
    return 0


def extract_sha(ref: str) -> str:
    import subprocess

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", ref], check=True, capture_output=True
    )
    return out.stdout.decode().strip()


def key(variant: Variant, name: str) -> str:
    """The JSON name of a figure: plain for this tree (as before), prefixed for a baseline."""
    return name if variant.source is None else f"{variant.name.replace(' ', '_')}_{name}"


def closed_phase(
    args: argparse.Namespace,
    variants: list[Variant],
    bare: Child,
    bare_url: str,
    bare_make: Callable[[], bytes],
    closed: Callable[[str, Callable[[], bytes]], Phase],
    rows: Rows,
    figures: dict[str, Any],
) -> None:
    """Closed loop, taking turns: each variant, then bare, ``--rounds`` times; ratios over the sums."""
    turns = len(variants) + 1
    bare_idle = idle_cpu(bare)
    say(
        f"1/4 closed loop, 32 connections, {args.seconds:.0f} s each, {args.rounds} round(s) of {turns} turns..."
    )
    accepted = {v.name: 0.0 for v in variants}
    cpu = {v.name: 0.0 for v in variants}
    bare_sum = bare_cpu = 0.0
    for r in range(args.rounds):
        for v in variants:
            assert v.make is not None and v.stack is not None
            make = v.make
            p, us = measured(
                v.stack.children["intake"], lambda v=v, make=make: closed(v.url, make), v.idle_per_s
            )
            accepted[v.name] += p.accepted_per_s
            cpu[v.name] += us
            say(
                f"  round {r + 1} {v.name}: {p.accepted_per_s:.0f}/s {p.statuses}, server {us:.0f} µs CPU/req, "
                f"client {p.client_us:.0f} µs/req"
            )
        p, us = measured(bare, lambda: closed(bare_url, bare_make), bare_idle)
        bare_sum += p.accepted_per_s
        bare_cpu += us
        say(
            f"  round {r + 1} bare: {p.accepted_per_s:.0f}/s {p.statuses}, server {us:.0f} µs CPU/req, "
            f"client {p.client_us:.0f} µs/req"
        )
    bare_rate, bare_us = bare_sum / args.rounds, bare_cpu / args.rounds
    figures.update(bare_accepted_per_s=bare_rate, bare_cpu_us_per_request=bare_us)
    rows += [
        ("bare Litestar+msgspec+1 publish, accepted/s (closed loop, 32 conns)", f"{bare_rate:.0f}"),
        ("bare endpoint: its CPU per request (net of idle), µs", f"{bare_us:.0f}"),
    ]
    for v in variants:
        mine, us = accepted[v.name] / args.rounds, cpu[v.name] / args.rounds
        figures[key(v, "intake_accepted_per_s")] = mine
        figures[key(v, "ratio")] = mine / bare_rate
        figures[key(v, "cpu_us_per_request")] = us
        figures[key(v, "cpu_ratio")] = bare_us / us
        rows += [
            (f"{v.name}: intake, 1 process, accepted/s", f"{mine:.0f}"),
            (f"{v.name}: ratio intake / bare (target >= 0.5)", f"{mine / bare_rate:.2f}"),
            (
                f"{v.name}: intake CPU per request (net of idle), µs; bare's / intake's (target >= 0.5)",
                f"{us:.0f}; {bare_us / us:.2f}",
            ),
        ]


def open_phase(
    args: argparse.Namespace,
    rate: float,
    variants: list[Variant],
    bare_url: str,
    bare_make: Callable[[], bytes],
    opened: Callable[[str, float, Callable[[], bytes]], Phase],
    rows: Rows,
    figures: dict[str, Any],
) -> None:
    """Open loop at ``rate``: each variant, then the bare endpoint for scale."""
    say(f"2/4 open loop at {rate:.0f}/s for {args.seconds:.0f} s: each intake, then bare (for scale)...")
    suffix = "" if rate == args.rate[0] else f"_{rate:.0f}"
    for v in variants:
        assert v.make is not None
        p = opened(v.url, rate, v.make)
        lat = p.latencies
        figures[key(v, f"open_loop_p50_ms{suffix}")] = pct(lat, 0.5)
        figures[key(v, f"open_loop_p99_ms{suffix}")] = pct(lat, 0.99)
        rows += [
            (
                f"{v.name}: open loop {rate:.0f}/s p50 / p99 / max ms (target p99 <= 20 at 1,000/s)",
                f"{pct(lat, 0.5):.1f} / {pct(lat, 0.99):.1f} / {max(lat, default=0) * 1000:.1f}  {p.statuses}"
                f" client {p.client_us:.0f} µs/req" + (f", {p.errors} errors" if p.errors else ""),
            )
        ]
        if v.source is None:
            rows += [("intake GC pauses so far: full collections / of them > 5 ms", gc_pauses(v.url))]
            if args.png and rate == args.rate[-1]:
                plot(lat, rate, args.png)
                rows += [("latency curve", str(args.png))]
    p = opened(bare_url, rate, bare_make)
    lat = p.latencies
    rows += [
        (
            f"bare endpoint, open loop {rate:.0f}/s: p50 / p99 / max ms",
            f"{pct(lat, 0.5):.1f} / {pct(lat, 0.99):.1f} / {max(lat, default=0) * 1000:.1f}  {p.statuses}",
        )
    ]


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
