"""Intake's start-up after a simulated year: the full read of the topics vs the start from a snapshot.

    .venv/bin/python -m benchmarks.intake_year [--sizes 100000,300000,1000000] [--days 365]
        [--tail 1000] [--baseline-src /path/to/a/checkout] [--png docs/perf/intakeview.png] [--json]

For each size N, on a fresh embedded broker (or KAFKA_BOOTSTRAP_SERVERS) and namespace:
1. Produces a synthetic history of N cases spread over ``--days`` days ending now, as intake and
   the queue would have written it: per case a CaseTriaged (triage.events), a TriageResult
   (triage.results: as if every case came over Kafka, the heavier case) and CaseQueued,
   CaseCalled, CaseClosed (queue.events; half with a sealed clinician's note). Cases triaged in
   the last hour are still waiting. Pseudonyms and ids only.
2. Starts a real intake (``triage intake``) with no snapshot on intake.snapshots: the full read.
   Prints process start -> /readyz, the records it read, its RSS once ready (the read model
   with the retention: INTAKE_SUBMISSION_RETENTION_S / INTAKE_CASE_RETENTION_S, 7 days).
3. Waits for its first snapshot (the loop's pause as logged, bytes); then, while a thread asks
   /readyz every 20 ms, produces ``--probe-tail`` cases and waits for the snapshot they bring
   about: the slowest answer is the longest the event loop did not run around a snapshot (what a
   patient's request would wait), next to the pause the log names (the fork, or the encoding with
   ``--encoder inline``: INTAKE_SNAPSHOT_ENCODER). Then kills it (-9), produces ``--tail`` more
   cases (the traffic after the snapshot), starts intake again: start -> /readyz from the
   snapshot, records read, RSS.
4. With ``--baseline-src DIR`` also starts intake from that checkout (e.g. the commit before
   snapshots) on the same log: its full read and RSS.
The full read grows with the log; the start from a snapshot with what the retention keeps
(a week of cases) plus the tail. Figures on a shared machine are noisy: say so.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import re
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from proto import codec, topics
from proto import events as ev
from proto.regions import REGIONS
from services.kafka.embedded_broker import EmbeddedBroker, free_port
from services.kafka.settings import KafkaSettings
from services.kafka.topic_admin import ensure_topics
from services.loadgen.report import machine
from services.process_group import Child, service_argv, stop_all

SOURCE = "/bench/intake-year"
_REGIONS = sorted(REGIONS)
_ADVICE = [f"Råd {i}: kontakta vårdcentralen om besvären inte går över. " * 3 for i in range(12)]
_NOTE = ev.SealedNote(key_id="k1", nonce="A" * 16, ciphertext="B" * 400)
Item = tuple[topics.TopicSpec, bytes, ev.Message]


def history(n: int, days: float, end: dt.datetime, seed: int = 1) -> Iterator[Item]:
    """N cases over ``days`` days ending at ``end``: five records each (fewer while waiting)."""
    rnd = random.Random(seed)
    span = dt.timedelta(days=days)
    for i in range(n):
        t = end - span + span * (i / max(1, n))
        region, case_id, sub = _REGIONS[i % len(_REGIONS)], uuid.UUID(int=rnd.getrandbits(128)).hex, f"s{i:x}"
        person = f"{rnd.getrandbits(128):032x}"
        key = region.encode()
        yield topics.TRIAGE_EVENTS, key, ev.CaseTriaged(
            case_id=case_id, region=region, urgency=rnd.choice((2, 3, 4, 5)), symptom="fever",
            person_pseudonym=person, triaged_at=t, rule_id="fever.high", rules_version="2026.1",
            submission_id=sub, advice=_ADVICE[i % len(_ADVICE)], answers={"temperature_over_40": True},
            symptom_text="Feber", answer_texts=["Temperatur över 40 °C: ja"], request_digest="d" * 64,
            occurred_at=t,
        )  # fmt: skip
        yield topics.TRIAGE_RESULTS, sub.encode(), ev.TriageResult(
            submission_id=sub, status="queued", case_id=case_id, urgency=3, request_digest="d" * 64,
            occurred_at=t,
        )  # fmt: skip
        yield topics.QUEUE_EVENTS, key, ev.CaseQueued(
            case_id=case_id, region=region, urgency=3, queued_at=t, sequence=i, person_pseudonym=person,
            occurred_at=t,
        )  # fmt: skip
        if end - t < dt.timedelta(hours=1):
            continue  # still waiting
        called = t + dt.timedelta(minutes=20)
        yield topics.QUEUE_EVENTS, key, ev.CaseCalled(
            case_id=case_id, region=region, urgency=3, clinician_id="n1", request_id=f"r{i:x}",
            queued_at=t, called_at=called, occurred_at=called,
        )  # fmt: skip
        closed = called + dt.timedelta(minutes=10)
        yield topics.QUEUE_EVENTS, key, ev.CaseClosed(
            case_id=case_id, region=region, reason="completed", by="n1", outcome="advice",
            note=_NOTE if i % 2 else None, urgency=3, occurred_at=closed,
        )  # fmt: skip


async def produce(kafka: KafkaSettings, items: Iterator[Item], what: str) -> int:
    """Send every item (acknowledged); progress every 5 s; how many records."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        **kafka.client_options(),
        acks="all",
        linger_ms=20,
        enable_idempotence=False,
        max_batch_size=512 * 1024,
    )
    await producer.start()
    sent, started, last = 0, time.monotonic(), time.monotonic()
    window: list[Any] = []
    try:
        for spec, key, msg in items:
            window.append(
                await producer.send(
                    kafka.topic(spec.name),
                    codec.encode_for(spec.name, msg),
                    key=key,
                    headers=codec.cloudevent_headers(msg, SOURCE),
                )
            )
            sent += 1
            if len(window) >= 20_000:
                await asyncio.gather(*window)
                window.clear()
            if time.monotonic() - last > 5:
                rate = sent / (time.monotonic() - started)
                print(f"  ... {what}: {sent:,} records produced ({rate:,.0f}/s)", flush=True)
                last = time.monotonic()
        await asyncio.gather(*window)
    finally:
        await producer.stop()
    return sent


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Intake:
    """One intake process on the namespace; ``start`` returns seconds from spawn to /readyz 200."""

    def __init__(self, kafka: KafkaSettings, log: Path, src: str | None = None, encoder: str = "") -> None:
        self.port = free_port()
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "TRIAGE_NAMESPACE": kafka.namespace,
            "INTAKE_PORT": str(self.port),
            "INTAKE_KAFKA_INGRESS": "0",
            "INTAKE_SNAPSHOT_EVERY_S": "3",
        }
        if encoder:
            env["INTAKE_SNAPSHOT_ENCODER"] = encoder
        if src:
            env["PYTHONPATH"] = src  # another checkout's code, this interpreter and its packages
        self.child = Child("intake", service_argv("intake"), f"http://127.0.0.1:{self.port}/readyz", env)
        self.log, self.src = log, src

    def start(self, timeout: float) -> float:
        fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        started = time.monotonic()
        cwd = os.getcwd()
        if self.src:
            os.chdir(self.src)
        try:
            self.child.start(fd)
        finally:
            os.chdir(cwd)
            os.close(fd)
        last = started
        while not self.child.healthy():
            if not self.child.alive() or time.monotonic() - started > timeout:
                raise RuntimeError(f"intake not ready:\n{self.log.read_text()[-3000:]}")
            if time.monotonic() - last > 5:
                print(f"  ... intake starting: {time.monotonic() - started:.0f} s", flush=True)
                last = time.monotonic()
            time.sleep(0.05)
        return time.monotonic() - started

    def rss(self) -> float:
        assert self.child.proc is not None
        return rss_mib(self.child.proc.pid)

    def kill(self) -> None:
        stop_all([self.child])


class LoopProbe(threading.Thread):
    """Asks ``url`` every 20 ms; ``worst_ms``: the slowest answer (the loop's longest stall, seen
    from outside; includes this probe's own HTTP round trip of ~1-2 ms)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.worst_ms, self.answers = url, 0.0, 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            started = time.perf_counter()
            with urllib.request.urlopen(self.url, timeout=60) as resp:
                resp.read()
            self.worst_ms = max(self.worst_ms, (time.perf_counter() - started) * 1000)
            self.answers += 1
            self._done.wait(0.02)

    def finish(self) -> None:
        self._done.set()
        self.join()


def probed_snapshot(intake: Intake, kafka: KafkaSettings, cases: int) -> dict[str, Any]:
    """Produce ``cases`` while probing intake's loop; wait for the snapshot they bring about."""
    before = len(re.findall(WROTE, intake.log.read_text()))
    probe = LoopProbe(f"http://127.0.0.1:{intake.port}/readyz")
    probe.start()
    try:
        asyncio.run(produce(kafka, history(cases, 1 / 288, dt.datetime.now(dt.UTC), seed=3), "probe tail"))
        deadline = time.monotonic() + 120
        while len(found := re.findall(WROTE, intake.log.read_text())) <= before:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no snapshot after the probe tail in {intake.log}")
            time.sleep(0.2)
        time.sleep(0.5)  # a few answers after it, too
    finally:
        probe.finish()
    return {
        "probe_snapshot_pause_ms": float(found[-1][3]),
        "probe_snapshot_submissions": int(found[-1][0]),
        "probe_worst_answer_ms": round(probe.worst_ms, 1),
        "probe_answers": probe.answers,
    }


def last_match(path: Path, pattern: str, timeout: float = 0.0) -> re.Match[str]:
    """The last line of ``path`` matching ``pattern`` (waiting up to ``timeout`` s for one)."""
    deadline = time.monotonic() + timeout
    while True:
        matches = list(re.finditer(pattern, path.read_text()))
        if matches or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if not matches:
        raise RuntimeError(f"no {pattern!r} in {path}:\n{path.read_text()[-2000:]}")
    return matches[-1]


READY = r"intake ready: rules [^,]+, (\d+) submissions remembered, (\d+) records read"
# "the loop's pause X ms (fork|encode on the loop)"; builds before the fork: "encode X ms (the loop's pause)"
WROTE = r"intake snapshot \w+: (\d+) submissions, (\d+) bytes in (\d+) chunks; (?:encode|the loop's pause) ([\d.]+) ms"
LOADED = r"intake snapshot \w+ of \S+ loaded in (\d+) ms: (\d+) bytes, (\d+) submissions, (\d+) cases"


def one_size(n: int, a: argparse.Namespace, out: Path) -> dict[str, Any]:
    workdir = out / f"n{n}"
    workdir.mkdir(parents=True, exist_ok=True)
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
    broker = None if external else EmbeddedBroker(port=0, log_path=workdir / "broker.log")
    procs: list[Intake] = []
    try:
        kafka = KafkaSettings(external or broker.start(), f"year{uuid.uuid4().hex[:8]}")  # type: ignore[union-attr]
        asyncio.run(ensure_topics(kafka))
        end = dt.datetime.now(dt.UTC)
        started = time.monotonic()
        records = asyncio.run(produce(kafka, history(n, a.days, end), f"{n:,} cases"))
        produce_s = time.monotonic() - started
        print(
            f"{n:,} cases over {a.days:g} days: {records:,} records produced in {produce_s:.0f} s", flush=True
        )
        row: dict[str, Any] = {"cases": n, "days": a.days, "records": records}
        if a.baseline_src:
            base = Intake(kafka, workdir / "baseline.log", a.baseline_src)
            procs.append(base)
            row["baseline_startup_s"] = round(base.start(a.timeout), 2)
            row["baseline_rss_mib"] = round(base.rss())
            base.kill()
            print(f"  baseline full read: {row['baseline_startup_s']} s, RSS {row['baseline_rss_mib']} MiB")
        first = Intake(kafka, workdir / "intake-full.log", encoder=a.encoder)
        procs.append(first)
        row["full_startup_s"] = round(first.start(a.timeout), 2)
        row["full_records_read"] = int(last_match(first.log, READY, 10).group(2))
        row["full_rss_mib"] = round(first.rss())
        wrote = last_match(first.log, WROTE, 120)
        row["snapshot_submissions"], row["snapshot_bytes"] = int(wrote.group(1)), int(wrote.group(2))
        row["snapshot_encode_ms"] = float(wrote.group(4))  # the loop's pause as logged (fork or encode)
        row["encoder"] = a.encoder or "default"
        if a.probe_tail:
            row.update(probed_snapshot(first, kafka, a.probe_tail))
            print(
                f"  a snapshot while /readyz is asked every 20 ms ({row['encoder']}): the loop's pause "
                f"{row['probe_snapshot_pause_ms']:.1f} ms as logged, the slowest of {row['probe_answers']} "
                f"answers {row['probe_worst_answer_ms']:.1f} ms",
                flush=True,
            )
        first.kill()
        print(
            f"  full read: {row['full_startup_s']} s ({row['full_records_read']:,} records), RSS "
            f"{row['full_rss_mib']} MiB; snapshot {row['snapshot_bytes'] / 2**20:.1f} MiB, "
            f"{row['snapshot_submissions']:,} submissions, encode {row['snapshot_encode_ms']:.0f} ms",
            flush=True,
        )
        tail_end = dt.datetime.now(dt.UTC)
        row["tail_records"] = asyncio.run(produce(kafka, history(a.tail, 1 / 288, tail_end, seed=2), "tail"))
        second = Intake(kafka, workdir / "intake-snapshot.log", encoder=a.encoder)
        procs.append(second)
        row["snapshot_startup_s"] = round(second.start(a.timeout), 2)
        row["snapshot_records_read"] = int(last_match(second.log, READY, 10).group(2))
        row["snapshot_load_ms"] = int(last_match(second.log, LOADED, 10).group(1))
        row["snapshot_rss_mib"] = round(second.rss())
        second.kill()
        print(
            f"  from the snapshot: {row['snapshot_startup_s']} s (load {row['snapshot_load_ms']} ms, "
            f"{row['snapshot_records_read']:,} tail records), RSS {row['snapshot_rss_mib']} MiB",
            flush=True,
        )
        return row
    finally:
        stop_all([p.child for p in procs])
        if broker is not None:
            broker.stop()


def plot(rows: list[dict[str, Any]], per_record_s: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from services.observability.figures import save_figure

    fig, ax = plt.subplots(figsize=(7, 4))
    xs = [r["cases"] for r in rows]
    ax.plot(xs, [r["full_startup_s"] for r in rows], "o-", label="full read of the topics")
    ax.plot(xs, [r["snapshot_startup_s"] for r in rows], "s-", label="from a snapshot + tail")
    for r in rows:
        ax.annotate(f"{r['days']:g} d", (r["cases"], r["snapshot_startup_s"]), fontsize=7, xytext=(4, -10),
                    textcoords="offset points")  # fmt: skip
    base = [(r["cases"], r["baseline_startup_s"]) for r in rows if "baseline_startup_s" in r]
    if base:
        ax.plot(*zip(*base, strict=True), "x", ms=9, label="baseline 15a12e9 (full read)")
    year = 5_000_000 * 5
    ax.plot([5_000_000], [year * per_record_s], "o", mfc="none", label="full read at 5M (extrapolated)")
    ax.axhline(10, color="grey", lw=0.8, ls=":", label="target 10 s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("cases on the topics (5 records each)")
    ax.set_ylabel("intake start -> ready (s)")
    ax.set_title("Intake start-up after a simulated year (busy shared machine)")
    ax.legend(fontsize=8)
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="100000,300000,1000000", help="cases on the topics, comma-separated")
    p.add_argument("--days", type=float, default=365, help="the history's span ending now")
    p.add_argument(
        "--tail", type=int, default=1000, help="cases produced between the snapshot and the restart"
    )
    p.add_argument(
        "--encoder",
        choices=("fork", "inline"),
        default="",
        help="INTAKE_SNAPSHOT_ENCODER (default: the service's)",
    )
    p.add_argument(
        "--probe-tail", type=int, default=100, help="cases produced while /readyz is probed (0: no probe)"
    )
    p.add_argument("--baseline-src", default="", help="also start intake from this checkout (full read)")
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--out-dir", default="/tmp/intake-year")
    p.add_argument("--png", default="", help="write the plot here")
    p.add_argument("--json", action="store_true", help="print one line of JSON at the end")
    p.add_argument("--replot", nargs="*", default=None, help="plot the JSON lines of earlier runs (no run)")
    a = p.parse_args(argv)
    if a.replot is not None:
        rows = [r for f in a.replot for r in orjson.loads(Path(f).read_text().splitlines()[-1])["rows"]]
        rows.sort(key=lambda r: r["cases"])
        big = max(rows, key=lambda r: r["records"])
        plot(rows, big["full_startup_s"] / big["records"], Path(a.png or "intake-year.png"))
        return 0
    out = Path(a.out_dir) / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    rows = [one_size(int(s), a, out) for s in a.sizes.split(",")]
    # the full read is linear in the records read: the slope of the largest run, to 5M cases
    big = max(rows, key=lambda r: r["records"])
    per_record_s = big["full_startup_s"] / big["records"]
    extrapolated = 5_000_000 * (big["records"] / big["cases"]) * per_record_s
    print(f"\nmachine: {machine()} (shared, busy: figures are noisy)")
    print("cases      records    full read s  RSS MiB   snapshot start s  tail read  RSS MiB  snapshot MiB")
    for r in rows:
        print(
            f"{r['cases']:>9,} {r['records']:>10,} {r['full_startup_s']:>11} {r['full_rss_mib']:>8} "
            f"{r['snapshot_startup_s']:>17} {r['snapshot_records_read']:>10,} {r['snapshot_rss_mib']:>8} "
            f"{r['snapshot_bytes'] / 2**20:>12.1f}"
        )
    for r in rows:
        if "probe_worst_answer_ms" in r:
            print(
                f"{r['cases']:>9,} cases, snapshot of {r['probe_snapshot_submissions']:,} submissions "
                f"({r['encoder']}): the loop's pause {r['probe_snapshot_pause_ms']:.1f} ms as logged, "
                f"slowest /readyz {r['probe_worst_answer_ms']:.1f} ms"
            )
    print(f"full read at 5M cases: {extrapolated:.0f} s (EXTRAPOLATED from the {big['cases']:,}-case run)")
    if a.png:
        plot(rows, per_record_s, Path(a.png))
        print(f"plot: {a.png}")
    if a.json:
        summary = {
            "benchmark": "intake-year",
            "machine": machine(),
            "days": a.days,
            "rows": rows,
            "full_read_5m_cases_s_extrapolated": round(extrapolated, 1),
        }
        print(orjson.dumps(summary).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
