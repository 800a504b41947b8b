"""The broker-sensitive figures on the embedded Tansu and on Apache Kafka, side by side (issue 20).

    .venv/bin/python -m benchmarks.brokers [--quick] [--brokers tansu,kafka]
        [--only passthrough,latency,intake,recovery,restart] [--markdown FILE]

Starts one broker of each kind in turn (Tansu 0.6 in memory; one Apache Kafka 4.4.0 node in KRaft
mode, as ``triage broker --kind kafka`` runs it) and runs the existing benchmarks against it,
unchanged, as subprocesses with ``KAFKA_BOOTSTRAP_SERVERS`` (each in its own topic namespace):

| step | benchmark | figure |
|---|---|---|
| passthrough | ``benchmarks.passthrough`` | queue worker / bare aiokafka passthrough, same input |
| latency | ``benchmarks.queue_latency --baseline none --one-at-a-time`` | ServeNext -> YourTurn p50 / p99 at 200/s; on Kafka with transactions (``QUEUE_TRANSACTIONS=on``) and without (``off``), alternating |
| intake | ``benchmarks/intake_speed.py`` | intake accepted/s, 1 process, 32 connections; the bare endpoint; ratio |
| recovery | ``benchmarks.queue_recovery`` | kill -9 -> the restarted worker answers, N waiting |
| restart | ``benchmarks.notifier_restart`` (its function) | notifier SIGKILL + restart -> SMS again, static membership |

Progress goes to the terminal (each benchmark's own output, indented); every benchmark's JSON
and logs stay in the output directory, next to ``brokers.md`` (the table), ``brokers.json`` and
``brokers.png``. ``--markdown FILE`` also writes the table there (docs/performance.md links
docs/performance-brokers.md). The full form takes about 25-35 minutes on 2 cores; ``--quick``
(small sizes, one round) checks that everything runs in a few minutes, and its figures say
little. Figures from a shared, busy machine are noisy: the table carries the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.broker_figures import FULL, QUICK, Sizes, markdown, plot
from services.kafka.dev_broker import dev_broker
from services.kafka.embedded_broker import free_port
from services.kafka.settings import KafkaSettings

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("passthrough", "latency", "intake", "recovery", "restart")
Figures = dict[str, Any]


class Run:
    """One broker's steps: runs each benchmark, streams its output, collects its JSON."""

    def __init__(self, kind: str, bootstrap: str, sizes: Sizes, out: Path, started: float) -> None:
        self.kind, self.bootstrap, self.sizes, self.out, self.started = kind, bootstrap, sizes, out, started

    def say(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed / 60:5.1f} min] {self.kind}: {text}", flush=True)

    def dir(self, name: str) -> Path:
        where = self.out / self.kind / name
        where.mkdir(parents=True, exist_ok=True)
        return where

    def bench(
        self, name: str, args: list[str], env: dict[str, str] | None = None, out_dir: bool = True
    ) -> Path:
        """Run one benchmark with this broker (``--out-dir`` its own directory); its output
        indented here and in that directory's output.txt."""
        where = self.dir(name)
        args = [*args, "--out-dir", str(where)] if out_dir else args
        argv = [sys.executable, *args]
        self.say(
            " ".join(["python", *args])
            + (f"  ({' '.join(f'{k}={v}' for k, v in env.items())})" if env else "")
        )
        full_env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, **(env or {})}
        with (where / "output.txt").open("a") as log:
            proc = subprocess.Popen(
                argv, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                print(f"    | {line.rstrip()}", flush=True)
            if proc.wait() != 0:
                self.say(f"{name} exited with {proc.returncode}; its figures may be missing")
        return where

    def passthrough(self) -> Figures:
        s = self.sizes
        where = self.bench(
            "passthrough",
            ["-m", "benchmarks.passthrough", "--cases", str(s.cases), "--serves", str(s.serves)],
        )
        return _json(where, "passthrough-*.json")

    def latency(self) -> Figures:
        s = self.sizes
        args = ["-m", "benchmarks.queue_latency", "--baseline", "none", "--prefill", str(s.prefill)]
        args += ["--rate", str(s.rate), "--duration", str(s.duration), "--repeat", str(s.repeat)]
        args += ["--one-at-a-time"]
        env = {}
        if self.kind == "kafka":  # "this tree" with transactions, the other variant without
            env["QUEUE_TRANSACTIONS"] = "on"
            args += ["--tree-env", "QUEUE_TRANSACTIONS=off"]
        where = self.bench("latency", args, env)
        return _json(where, "queue-latency-*.json")

    def intake(self) -> Figures:
        s = self.sizes
        where = self.dir("intake")
        self.bench(
            "intake",
            ["benchmarks/intake_speed.py", "--seconds", str(s.intake_seconds), "--rate", str(s.intake_rate)]
            + ["--json", str(where / "intake.json")],
            out_dir=False,
        )
        return _json(where, "intake.json")

    def recovery(self) -> Figures:
        # Dynamic membership only: the restarted worker gets a new free port, and faust's assignor
        # refuses the old assignment of a static name that comes back with another URL
        # (docs/deployment.md, "Group timeouts"); the pods and `triage up` keep theirs.
        where = self.bench(
            "recovery", ["-m", "benchmarks.queue_recovery", "--waiting", str(self.sizes.waiting)]
        )
        return _json(where, "queue-recovery-*.json")

    def restart(self) -> Figures:
        from benchmarks.notifier_restart import notifier_restart

        self.say(f"notifier restart, static membership, {self.sizes.restarts} run(s)")
        runs = []
        for i in range(self.sizes.restarts):
            workdir = self.out / self.kind / "restart" / f"run-{i}"
            workdir.mkdir(parents=True, exist_ok=True)
            ready, sms = notifier_restart(KafkaSettings(self.bootstrap), workdir, static=True)
            print(f"    | run {i + 1}: /readyz after {ready:.1f} s, SMS after {sms:.1f} s", flush=True)
            runs.append(sms)
        return {"sms_s": runs}


def _json(where: Path, pattern: str) -> Figures:
    found = sorted(where.rglob(pattern))
    return json.loads(found[-1].read_text()) if found else {}


def run_broker(kind: str, steps: list[str], sizes: Sizes, out: Path, started: float) -> dict[str, Figures]:
    """Start a broker of ``kind``, run ``steps`` against it, stop it; the figures per step."""
    broker = dev_broker(kind, free_port(), out / kind / "broker")
    print(f"starting {kind}...", flush=True)
    broker.start()
    figures: dict[str, Figures] = {}
    try:
        run = Run(kind, broker.bootstrap_servers, sizes, out, started)
        for step in steps:
            step_started = time.monotonic()
            try:
                figures[step] = getattr(run, step)()
            except Exception as exc:  # one failed step must not lose the others' figures
                run.say(f"{step} failed: {exc!r}")
                figures[step] = {"error": repr(exc)}
            run.say(f"{step} done in {(time.monotonic() - step_started) / 60:.1f} min")
    finally:
        broker.stop()
    return figures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes, one round: checks it runs (minutes)")
    p.add_argument("--brokers", default="tansu,kafka", help="comma-separated: tansu, kafka (default both)")
    p.add_argument("--only", default=",".join(STEPS), help=f"comma-separated steps of {', '.join(STEPS)}")
    p.add_argument("--out-dir", default=None, help="default benchmarks/results/brokers-<UTC time>")
    p.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    a = p.parse_args(argv)
    kinds = [k for k in a.brokers.split(",") if k]
    steps = [s for s in a.only.split(",") if s]
    if bad := [k for k in kinds if k not in ("tansu", "kafka")] + [s for s in steps if s not in STEPS]:
        p.error(f"unknown broker or step: {', '.join(bad)}")
    sizes = QUICK if a.quick else FULL
    stamp = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    out = (Path(a.out_dir) if a.out_dir else ROOT / "benchmarks" / "results" / f"brokers-{stamp}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    loads: list[float] = []
    results: dict[str, dict[str, Figures]] = {}
    for kind in kinds:
        loads.append(os.getloadavg()[0])
        results[kind] = run_broker(kind, steps, sizes, out, started)
        loads.append(os.getloadavg()[0])
    meta = {
        "started_at": stamp,
        "form": "quick" if a.quick else "full",
        "sizes": sizes._asdict(),
        "minutes": round((time.monotonic() - started) / 60, 1),
        "load_average": [min(loads), max(loads)],
        "cpus": os.cpu_count(),
        "commit": _commit(),
    }
    (out / "brokers.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2, default=str))
    table = markdown(meta, results, kinds)
    (out / "brokers.md").write_text(table)
    if a.markdown:
        a.markdown.write_text(table)
    plotted = plot(results, kinds, out / "brokers.png")
    print("\n" + table)
    print(f"results in {out}" + (" (brokers.png)" if plotted else ""))
    return 0


def _commit() -> str:
    git: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run
    if not shutil.which("git"):
        return "?"
    done = git(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "?"


if __name__ == "__main__":
    sys.exit(main())
