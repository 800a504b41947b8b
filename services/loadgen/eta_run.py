"""One ETA-error run against a real system: patients arrive at a steady rate, clinicians call
them at the configured capacity from the moment the region opens, and every queued case's
estimate is sampled over HTTP until its ``CaseCalled`` is seen (``eta_error`` scores them).

It reuses the load generator's parts: the HTTP ingress, the clinicians' ServeNext producer,
the event tracker and the open-loop schedule. It always ends: arrivals stop after
``duration_s``, and serving stops when every queued case was called or ``drain_s`` later.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys
import time
from collections.abc import Iterator
from typing import Any

from proto import events as ev
from services.kafka.settings import KafkaSettings
from services.loadgen.clinicians import Clinicians
from services.loadgen.eta_error import summarise
from services.loadgen.eta_sampler import CaseEstimates
from services.loadgen.eta_settings import EtaRunSettings
from services.loadgen.http_driver import HttpIngress
from services.loadgen.ledger import Ledger
from services.loadgen.patients import PatientFactory
from services.loadgen.report import machine
from services.loadgen.run import _on_schedule, shut_down
from services.loadgen.schedule import RateProfile, arrival_offsets
from services.loadgen.tracker import EventTracker
from services.queue_model.population import RegionPicker
from services.queue_model.traffic import UrgencyMix

WARM_UP_TIMEOUT_S = 60.0
PROGRESS_EVERY_S = 5.0


async def run_eta(
    settings: EtaRunSettings, kafka: KafkaSettings, intake_url: str, opens_at: dt.datetime | None
) -> dict[str, Any]:
    """Drive the system and return the result: settings, counts and ``summarise``'s figures."""
    s = settings.validate()
    rng = random.Random(s.seed)
    serve_rng = random.Random(None if s.seed is None else s.seed + 1)  # apart: same seed, same run
    region = RegionPicker((s.region,))
    ledger = Ledger(t0=time.monotonic(), enabled_regions=frozenset({s.region}))
    patients = PatientFactory(region, UrgencyMix(s.mix), rng)
    tracker = EventTracker(kafka, ledger)
    ingress = HttpIngress(intake_url, ledger, timeout_s=5.0, max_in_flight=256)
    clinicians = Clinicians(kafka, ledger, region, 1, serve_rng)
    estimates = CaseEstimates(intake_url, s.resample_s)
    ingress.on_queued = lambda _p, body: estimates.watch(str(body["case_id"]), str(body.get("case_token")))
    tracker.on_event = lambda m, _now: (
        estimates.on_called(m.case_id, m.called_at) if isinstance(m, ev.CaseCalled) else None
    )
    background: list[asyncio.Task[Any]] = []
    phases: dict[str, float] = {}
    await tracker.start()
    try:
        await estimates.start()
        await ingress.start()
        await clinicians.start()
        background.append(asyncio.create_task(tracker.run()))
        await clinicians.probe(s.region, tracker, WARM_UP_TIMEOUT_S)  # the queue answers: it is up
        open_in = 0.0 if opens_at is None else opens_at.timestamp() - time.time()
        if open_in > s.closed_s:  # the system started faster than planned: keep the closed phase short
            await asyncio.sleep(open_in - s.closed_s)
            open_in = s.closed_s
        ledger.t0 = time.monotonic()
        phases["closed_s"] = max(0.0, open_in)
        phases["opened_epoch"] = time.time() + phases["closed_s"]
        if opens_at is not None and open_in <= 0:
            print("eta: the system took longer to start than planned: no closed phase", file=sys.stderr)
        arrivals_done = asyncio.Event()
        deadline = ledger.t0 + s.duration_s + s.drain_s

        def finished() -> bool:
            if time.monotonic() > deadline:
                return True
            return arrivals_done.is_set() and not _outstanding(ledger, estimates)

        async def arrive() -> None:
            offsets = arrival_offsets(
                RateProfile(s.arrival_rate, 0.0), s.duration_s, None, rng if s.poisson else None
            )
            await _on_schedule(ledger, offsets, lambda t: ingress.submit(patients.next(), t), "generator_lag")
            arrivals_done.set()

        background.append(asyncio.create_task(_show_progress(s, ledger, estimates, phases)))
        await asyncio.gather(
            arrive(),
            _on_schedule(
                ledger,
                _serve_offsets(phases["closed_s"], s, serve_rng, finished),
                clinicians.serve_next,
                "serve_lag",
            ),
        )
        phases["run_s"] = time.monotonic() - ledger.t0
    finally:
        await shut_down(background, (estimates.stop, clinicians.stop, ingress.stop, tracker.stop))
    return _result(s, ledger, estimates, phases, opens_at)


def _serve_offsets(start: float, s: EtaRunSettings, rng: random.Random, finished: Any) -> Iterator[float]:
    """One ServeNext every 1/serve_rate seconds from the opening, until ``finished()``."""
    t = start
    while not finished():
        yield t
        t += rng.expovariate(s.serve_rate) if s.poisson else 1.0 / s.serve_rate


def _outstanding(ledger: Ledger, estimates: CaseEstimates) -> int:
    """Queued (or about to be) cases not yet called."""
    accepted = sum(1 for sub in ledger.submissions.values() if sub.outcome == "queued")
    unanswered = sum(1 for sub in ledger.submissions.values() if not sub.outcome)
    return unanswered + accepted - sum(1 for c in estimates.watched if c in estimates.called_at)


async def _show_progress(
    s: EtaRunSettings, ledger: Ledger, estimates: CaseEstimates, phases: dict[str, float]
) -> None:
    if not s.progress:
        return
    while True:
        await asyncio.sleep(PROGRESS_EVERY_S)
        t = time.monotonic() - ledger.t0
        phase = "closed" if t < phases["closed_s"] else "arrivals" if t < s.duration_s else "draining"
        c = estimates.counters
        print(
            f"eta {t:6.0f}s {phase:<8} submitted {ledger.counters['submitted']:>5}  "
            f"queued {len(estimates.watched):>5}  called {len(estimates.called_at):>5}  "
            f"waiting {estimates.waiting():>4}  samples {c['samples_entry']}+{c['samples_later']}",
            file=sys.stderr,
            flush=True,
        )


def _result(
    s: EtaRunSettings,
    ledger: Ledger,
    estimates: CaseEstimates,
    phases: dict[str, float],
    opens_at: dt.datetime | None,
) -> dict[str, Any]:
    ours = {c: t for c, t in estimates.called_at.items() if c in estimates.watched}
    scale = s.time_scale
    opened = phases.get("opened_epoch", 0.0)
    return {
        "settings": {
            "region": s.region,
            "time_scale": scale,
            "capacity_per_hour": s.capacity_per_hour,
            "window_s": s.window_s,
            "load": s.load,
            "serve_rate_per_s": s.serve_rate,
            "arrival_rate_per_s": s.arrival_rate,
            "duration_s": s.duration_s,
            "resample_s": s.resample_s,
            "mix": {str(k): v for k, v in s.mix.items()},
            "poisson": s.poisson,
            "seed": s.seed,
        },
        "machine": machine(),
        "opens_at": None if opens_at is None else opens_at.isoformat(),
        "phases_s": {k: round(v, 3) for k, v in phases.items()},
        "counts": {
            "submitted": ledger.counters["submitted"],
            "queued": len(estimates.watched),
            "called": len(ours),
            "serve_next_sent": ledger.counters["serve_next_sent"],
            "duplicate_calls": ledger.counters["duplicate_calls"],
            "outcomes": {k[8:]: v for k, v in ledger.counters.items() if k.startswith("outcome_")},
            **dict(estimates.counters),
        },
        # how late the generator itself sent (ms): large values mean the machine, not the model, was slow
        "generator_lag_ms": {k: ledger.hist[k].summary((50, 99)) for k in ("generator_lag", "serve_lag")},
        "eta": summarise(estimates.samples, ours, scale, s.band, opened, s.window_s / scale),
        # (urgency, kind, basis, estimated, actual, sampled since the opening) in model minutes, for the plot
        "points": [
            [
                p.urgency,
                p.kind,
                p.basis,
                round(p.point_s * scale / 60, 3),
                round((ours[p.case_id] - p.sampled_at) * scale / 60, 3),
                round((p.sampled_at - opened) * scale / 60, 3),
            ]
            for p in estimates.samples
            if p.case_id in ours
        ],
    }
