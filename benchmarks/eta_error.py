"""ETA error (issue 14): how far the estimated wait patients see is from the wait they get.

Run: .venv/bin/python -m benchmarks.eta_error [--time-scale 60] [--duration 180] [--load 0.9]

It starts a private system (the embedded broker, or KAFKA_BOOTSTRAP_SERVERS; intake, queue and
notifier on free ports, a fresh namespace) whose region is closed for the first ``--closed``
seconds and then open, submits patients of mixed urgency at ``load`` x the clinicians' rate,
calls them at the configured capacity from the opening, samples every waiting case's
``GET /v1/cases/{id}`` at entry and every ``--resample`` s, and scores each sample against the
case's CaseCalled. Prints a Markdown table (minutes of model time), writes JSON and a PNG.
Exit code 1 when no sample could be scored.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from services.loadgen.eta_report import headline, phase_table, plot, table  # noqa: E402
from services.loadgen.eta_settings import EtaRunSettings, hours_file, opening_time  # noqa: E402
from services.queue_model.traffic import parse_mix  # noqa: E402

SPAWN_ALLOWANCE_S = 60.0  # time to start the broker and services before the closed phase begins


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = EtaRunSettings()
    p.add_argument("--region", default=d.region)
    p.add_argument("--time-scale", type=float, default=d.time_scale, help="model seconds per real second")
    p.add_argument(
        "--capacity", type=float, default=d.capacity_per_hour, help="calls per staffed hour (model)"
    )
    p.add_argument("--window", type=float, default=d.window_s, help="recent-rate window, model seconds")
    p.add_argument("--load", type=float, default=d.load, help="arrival rate / serving rate")
    p.add_argument("--closed", type=float, default=d.closed_s, help="real s closed at start (0: open)")
    p.add_argument("--duration", type=float, default=d.duration_s, help="real s of arrivals")
    p.add_argument("--resample", type=float, default=d.resample_s, help="real s between re-samples")
    p.add_argument("--drain", type=float, default=d.drain_s, help="max real s to wait for the last calls")
    p.add_argument("--mix", default="2/10/40/38/10", help="urgency mix in %% for Prio 1..5")
    p.add_argument("--poisson", action="store_true", help="Poisson arrivals and serves")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out-dir", default="benchmarks/results")
    p.add_argument("--name", default=None, help="file name (default eta-error-<UTC time>)")
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    try:
        settings = EtaRunSettings(
            region=a.region,
            time_scale=a.time_scale,
            capacity_per_hour=a.capacity,
            window_s=a.window,
            load=a.load,
            closed_s=a.closed,
            duration_s=a.duration,
            resample_s=a.resample,
            drain_s=a.drain,
            mix=parse_mix(a.mix),
            poisson=a.poisson,
            seed=a.seed,
            progress=not a.no_progress,
        ).validate()
    except ValueError as exc:
        print(f"eta_error: {exc}", file=sys.stderr)
        return 2
    out = Path(a.out_dir) / (a.name or f"eta-error-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}")
    result = run(settings, out)
    print(table(result))
    print()
    print(phase_table(result))
    print(headline(result))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    plot(result, out.with_suffix(".png"))
    print(f"results: {out.with_suffix('.json')}  plot: {out.with_suffix('.png')}")
    return 0 if result["eta"]["errors"] else 1


def run(settings: EtaRunSettings, out: Path) -> dict[str, Any]:
    """Start the private system configured for ``settings``, run, stop it; return the result."""
    import uvloop  # the same loop as the services: the load client must not be the bottleneck

    from services.loadgen.eta_run import run_eta
    from services.loadgen.spawn import SpawnOptions, spawned_system

    log_dir = Path(f"{out}-stack")
    log_dir.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    opens_at = opening_time(now, SPAWN_ALLOWANCE_S, settings.closed_s)
    hours = log_dir / "opening-hours.toml"
    hours.write_text(hours_file(opens_at, now))
    print(
        f"starting a private system (logs in {log_dir}/); region opens {opens_at or 'now'}", file=sys.stderr
    )
    with spawned_system(SpawnOptions(log_dir=log_dir, extra_env=settings.service_env(str(hours)))) as system:
        return uvloop.run(run_eta(settings, system.kafka, system.intake_url, opens_at))


if __name__ == "__main__":
    sys.exit(main())
