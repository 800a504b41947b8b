"""``triage loadgen``: arguments, then one run (or a find-the-max series), then the report."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from proto.regions import REGIONS
from services.kafka.settings import KafkaSettings
from services.loadgen.settings import LoadSettings, UnsafeTarget, default_targets, enabled_regions_from_env
from services.queue_model.traffic import parse_mix

EPILOG = """examples:
  triage loadgen --rate 200 --serve-rate 150 --duration 30 --ramp 5   # a private system (--spawn)
  triage loadgen --find-max --rate 100 --step-factor 1.5 --duration 10
  triage loadgen --live --rate 50 --duration 30          # against `triage up` (same environment)
By default it starts a private broker and services in its own namespace, so it never calls
or texts a real patient. --live targets the running system's live queues: its clinicians'
ServeNext call whoever waits there, and its synthetic patients stay queued there.
It only talks to loopback HTTP and to KAFKA_BOOTSTRAP_SERVERS; it stops after the
duration/count plus the drain deadline. Results: <out-dir>/<name>.json and .png."""

LIVE_WARNING = """\
WARNING: triage loadgen --live: sending synthetic patients into the LIVE queues at {intake}
and ServeNext as {clinicians} clinician(s) per region: they call and SMS whoever waits
there, real patients included, and leave unserved synthetic patients queued."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    t = default_targets()
    g = p.add_argument_group("target (default: what `triage up` uses in this environment)")
    g.add_argument(
        "--intake-url", default=None, help=f"with --live: loopback only (default {t['intake_url']})"
    )
    g.add_argument("--queue-url", default=None, help=f"queue views for depth samples, e.g. {t['queue_url']}")
    g.add_argument(
        "--spawn",
        action="store_true",
        help="start a private broker + intake/queue/notifier for this run, stop them after "
        "(the default unless --live)",
    )
    g.add_argument(
        "--live",
        action="store_true",
        help="target the running system (`triage up` in this environment): its live "
        "queues, real waiting patients included; warns loudly",
    )
    g.add_argument(
        "--profile-queue",
        metavar="FILE",
        default=None,
        help="with --spawn: py-spy record the queue worker during the run into FILE (.txt = "
        "collapsed stacks, .svg = flame graph, .json = speedscope)",
    )
    g = p.add_argument_group("traffic")
    g.add_argument("--ingress", choices=("http", "kafka"), default="http")
    g.add_argument(
        "--mode",
        choices=("open", "closed"),
        default="open",
        help="open: fixed arrival schedule, latency from the intended send time (default); "
        "closed: --concurrency clients, each waits for its answer (HTTP only)",
    )
    g.add_argument("--rate", type=float, default=20.0, help="submissions/s after the ramp (open loop)")
    g.add_argument("--concurrency", type=int, default=8)
    g.add_argument("--poisson", action="store_true", help="Poisson arrivals instead of evenly spaced")
    g.add_argument("--duration", type=float, default=None, help="seconds of load (default 10 unless --count)")
    g.add_argument("--count", type=int, default=None, help="number of submissions")
    g.add_argument("--ramp", type=float, default=0.0, help="seconds to ramp linearly up to the rate")
    g.add_argument("--mix", default="2/10/40/38/10", help="urgency mix in %% for Prio 1..5")
    g.add_argument("--regions", default="all", help="comma-separated ISO codes (default: all 21)")
    g.add_argument(
        "--enabled-regions",
        default=None,
        help="regions intake queues for (default: INTAKE_ENABLED_REGIONS or intake's default)",
    )
    g.add_argument("--clinicians", type=int, default=2, help="clinicians per enabled region")
    g.add_argument("--clinician-rate", type=float, default=0.5, help="ServeNext/s per clinician")
    g.add_argument(
        "--serve-rate", type=float, default=None, help="total ServeNext/s (overrides the two above)"
    )
    g.add_argument("--serve-delay", type=float, default=0.0, help="seconds before clinicians start")
    g.add_argument(
        "--prefill",
        type=int,
        default=0,
        help="first put N waiting cases straight on triage.events (bypassing intake), "
        "for ServeNext runs faster than intake can admit patients",
    )
    g.add_argument("--seed", type=int, default=None)
    g = p.add_argument_group("bounds and output")
    g.add_argument("--drain", type=float, default=20.0, help="max seconds to wait for outstanding events")
    g.add_argument("--http-timeout", type=float, default=5.0)
    g.add_argument("--max-in-flight", type=int, default=512)
    g.add_argument("--out-dir", default="var/loadgen")
    g.add_argument("--name", default=None, help="result file name (default: loadgen-<UTC time>)")
    g.add_argument("--label", default="", help="a title for the table and plot")
    g.add_argument("--no-progress", action="store_true")
    g = p.add_argument_group("find the max (step the rate up until a bound breaks)")
    g.add_argument("--find-max", action="store_true")
    g.add_argument("--step-factor", type=float, default=1.5)
    g.add_argument("--max-steps", type=int, default=8)
    g.add_argument("--step-retries", type=int, default=1, help="run a failing step again this often")
    g.add_argument("--serve-ratio", type=float, default=0.9, help="ServeNext rate / submission rate per step")
    g.add_argument("--bound-ingress-ms", type=float, default=10.0)
    g.add_argument("--bound-your-turn-ms", type=float, default=20.0)
    g.add_argument("--bound-sms-ms", type=float, default=50.0)


def settings_from_args(
    a: argparse.Namespace, kafka: KafkaSettings, intake_url: str, queue_url: str | None
) -> LoadSettings:
    regions = tuple(REGIONS) if a.regions == "all" else tuple(r.strip() for r in a.regions.split(","))
    enabled = (
        frozenset(r.strip() for r in a.enabled_regions.split(","))
        if a.enabled_regions
        else enabled_regions_from_env()
    )
    if a.mode == "closed" and a.ingress != "http":
        raise ValueError("--mode closed needs --ingress http (a Kafka submitter does not wait for answers)")
    return LoadSettings(
        kafka=kafka,
        intake_url=intake_url,
        queue_url=queue_url,
        duration_s=a.duration if a.duration is not None or a.count is not None else 10.0,
        mix=parse_mix(a.mix),
        regions=regions,
        enabled_regions=enabled,
        progress=not a.no_progress,
        **{name: getattr(a, name) for name in _AS_GIVEN},
        **{name: getattr(a, flag) for flag, name in _SECONDS.items()},
    ).validate()


# Options whose LoadSettings field has the flag's own name, and those whose field names the unit.
_AS_GIVEN = (
    "ingress", "mode", "rate", "concurrency", "poisson", "count", "clinicians", "clinician_rate",
    "serve_rate", "prefill", "max_in_flight", "seed", "out_dir", "label",
)  # fmt: skip
_SECONDS = {
    "ramp": "ramp_s",
    "serve_delay": "serve_delay_s",
    "drain": "drain_s",
    "http_timeout": "http_timeout_s",
}


@contextlib.contextmanager
def _target(a: argparse.Namespace, out: Path) -> Iterator[tuple[KafkaSettings, str, str | None, Any]]:
    if a.live:
        a.intake_url = a.intake_url or default_targets()["intake_url"]
        print(LIVE_WARNING.format(intake=a.intake_url, clinicians=a.clinicians), file=sys.stderr, flush=True)
        yield KafkaSettings.from_env(), a.intake_url, a.queue_url, None
        return
    from services.loadgen.spawn import SpawnOptions, spawned_system

    print(f"starting a private system (logs in {out}-stack/) ...", file=sys.stderr, flush=True)
    with spawned_system(SpawnOptions(log_dir=Path(f"{out}-stack"))) as system:
        yield system.kafka, system.intake_url, system.queue_url, system


def command(a: argparse.Namespace) -> int:
    """Entry point of ``triage loadgen``; returns the exit code (0 ok, 1 accounting problems, 2 refused)."""
    from services.loadgen import report
    from services.loadgen.extras import MissingExtra, require_loadgen_extra
    from services.loadgen.plot import plot_result

    try:
        require_loadgen_extra()
    except MissingExtra as exc:
        print(f"triage loadgen: {exc}", file=sys.stderr)
        return 2
    if a.live and a.spawn:
        print(
            "triage loadgen: --live and --spawn exclude each other (live queues, or a private system)",
            file=sys.stderr,
        )
        return 2
    if not a.live and (a.intake_url or a.queue_url):
        print(
            "triage loadgen: --intake-url/--queue-url name a running system; add --live to target it "
            "(its live queues), or drop them to run against a private system",
            file=sys.stderr,
        )
        return 2

    name = a.name or f"loadgen-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    out = Path(a.out_dir) / name
    try:
        with _target(a, out) as (kafka, intake_url, queue_url, system):
            settings = settings_from_args(a, kafka, intake_url, queue_url)
            with _profiler(a, system, out) as profile_note:
                import uvloop  # the generator must not be the bottleneck: same loop as the services

                result = uvloop.run(_execute(a, settings))
            if profile_note:
                result["profile"] = profile_note
            if queue_url:
                _queue_breakdown(queue_url, result)
    except (UnsafeTarget, ValueError) as exc:
        print(f"triage loadgen: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # IngressUnavailable, spawned system not healthy, ...
        print(f"triage loadgen: {exc}", file=sys.stderr)
        return 2
    detail = result["last_step"] if a.find_max else result
    report.print_table(detail)
    if a.find_max:
        print(f"max sustained rate: {result['max_sustained_rate']} submissions/s (bounds {result['bounds']})")
        for s in result["steps"]:
            print(
                f"  {s['rate']:>8.1f}/s  {'ok' if s['sustained'] else 'NOT sustained: ' + '; '.join(s['why_not'])}"
            )
    report.write_json(result, out.with_suffix(".json"))
    plot_result(detail, out.with_suffix(".png"))
    print(f"results: {out.with_suffix('.json')}  plot: {out.with_suffix('.png')}")
    return 0 if detail["accounting"]["ok"] else 1


def _queue_breakdown(queue_url: str, result: dict[str, Any]) -> None:
    """Print and keep where the queue worker's batches spent their time (its own /metrics)."""
    from services.loadgen import queue_stages

    try:
        breakdown = queue_stages.scrape(queue_url)
    except OSError as exc:
        print(f"queue stage breakdown not read from {queue_url}: {exc}", file=sys.stderr)
        return
    result["queue_stages"] = breakdown
    lines = queue_stages.describe(breakdown)
    if lines:
        print("queue worker, where a batch's time goes (since it started; p50/p99 are bucket bounds):")
        print("\n".join(lines))


async def _execute(a: argparse.Namespace, settings: LoadSettings) -> dict[str, Any]:
    from services.loadgen.findmax import Bounds, find_max
    from services.loadgen.run import run_load

    if not a.find_max:
        return await run_load(settings)
    bounds = Bounds(a.bound_ingress_ms, a.bound_your_turn_ms, a.bound_sms_ms)

    def show(step: dict[str, Any]) -> None:
        verdict = "ok" if step["sustained"] else "NOT sustained: " + "; ".join(step["why_not"])
        print(f"step {step['rate']:.1f}/s: {verdict}", file=sys.stderr, flush=True)

    return await find_max(
        settings, settings.rate, a.step_factor, a.max_steps, bounds, a.serve_ratio, a.step_retries, show
    )


@contextlib.contextmanager
def _profiler(a: argparse.Namespace, system: Any, out: Path) -> Iterator[dict[str, Any]]:
    note: dict[str, Any] = {}
    if not a.profile_queue:
        yield note
        return
    if system is None:
        raise ValueError("--profile-queue needs --spawn (it profiles the queue worker it started)")
    from services.loadgen.profiling import py_spy_record

    with py_spy_record(system.pid("queue"), Path(a.profile_queue), note):
        yield note
