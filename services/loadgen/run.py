"""One bounded load run: start watching, send on schedule, drain, stop, report.

It always ends: after ``duration``/``count`` the senders stop, then the run waits at most
``drain_s`` for the outstanding answers and events, and then stops whatever is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from services.loadgen.clinicians import Clinicians
from services.loadgen.depth import DepthSampler
from services.loadgen.http_driver import HttpIngress
from services.loadgen.kafka_driver import KafkaIngress
from services.loadgen.ledger import Ledger
from services.loadgen.patients import Patient, PatientFactory
from services.loadgen.progress import LiveProgress
from services.loadgen.report import build_result
from services.loadgen.schedule import RateProfile, arrival_offsets
from services.loadgen.settings import LoadSettings
from services.loadgen.tracker import EventTracker
from services.queue_model.population import RegionPicker
from services.queue_model.traffic import UrgencyMix

PROBE_TIMEOUT_S = 20.0
WARM_UP_TIMEOUT_S = 60.0
PREFILL_TIMEOUT_S = 120.0


async def run_load(settings: LoadSettings) -> dict[str, Any]:
    """Drive the system with ``settings`` and return the result (see ``report.build_result``)."""
    settings.validate()
    rng = random.Random(settings.seed)
    # t0 is reset when the timed load starts; events before it (warm-up, prefill) fall before 0.
    ledger = Ledger(t0=time.monotonic(), enabled_regions=settings.enabled_regions)
    patients = PatientFactory(RegionPicker(settings.regions), UrgencyMix(settings.mix), rng)
    tracker = EventTracker(settings.kafka, ledger)
    ingress: HttpIngress | KafkaIngress
    if settings.ingress == "http":
        ingress = HttpIngress(settings.intake_url, ledger, settings.http_timeout_s, settings.max_in_flight)
    else:
        ingress = KafkaIngress(settings.kafka, ledger)
        tracker.on_result = ingress.on_result
    serving = settings.serving_regions
    clinicians = Clinicians(
        settings.kafka, ledger, RegionPicker(serving or settings.regions), settings.clinicians, rng
    )
    depth = DepthSampler(ledger, settings.queue_url, serving)
    started_wall = dt.datetime.now(dt.UTC)
    background: list[asyncio.Task[None]] = []
    await tracker.start()
    try:
        await ingress.start()
        await clinicians.start()
        background.append(asyncio.create_task(tracker.run()))
        if serving:
            await clinicians.probe(serving[0], tracker, WARM_UP_TIMEOUT_S)
        if isinstance(ingress, KafkaIngress):
            await ingress.probe(_probe_patient(patients, settings), PROBE_TIMEOUT_S)
        if settings.prefill:
            from services.loadgen.prefill import prefill

            prefill_s = await prefill(settings.kafka, ledger, patients, settings.prefill, PREFILL_TIMEOUT_S)
            ledger.counters["prefill_ms"] = int(prefill_s * 1000)
        ledger.t0 = time.monotonic()
        background.append(asyncio.create_task(depth.run()))
        with LiveProgress(settings, ledger) as progress:
            senders = [_arrivals(settings, ledger, patients, ingress, rng)]
            if serving and settings.total_serve_rate > 0:
                senders.append(_serves(settings, ledger, clinicians, rng))
            await asyncio.gather(*senders)
            load_s = time.monotonic() - ledger.t0
            drained = await _drain(ledger, settings.drain_s, progress)
        drain_s = time.monotonic() - ledger.t0 - load_s
    finally:
        await shut_down(background, (clinicians.stop, ingress.stop, tracker.stop))
    return build_result(
        settings,
        ledger,
        started_wall=started_wall,
        load_s=load_s,
        drain_s=drain_s,
        drained=drained,
        depth=depth,
        first_errors=ingress.first_errors,
        serve_errors=clinicians.errors,
        tracker_undecodable=tracker.undecodable,
    )


async def shut_down(
    background: Sequence[asyncio.Task[Any]], stops: Sequence[Callable[[], Awaitable[Any]]]
) -> None:
    """End a run: cancel its background tasks and wait for them, then stop each component in turn;
    one that fails to stop does not keep the others running."""
    for task in background:
        task.cancel()
    for task in background:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    for stop in stops:
        with contextlib.suppress(Exception):
            await stop()


def _probe_patient(patients: PatientFactory, settings: LoadSettings) -> Patient:
    # A region without a queue: the probe is referred, never queued, so it cannot be called.
    patient = patients.next()
    off = sorted(set(RegionPicker(settings.regions).regions) - settings.enabled_regions)
    return dataclasses.replace(patient, region=off[0]) if off else patient


async def _arrivals(
    settings: LoadSettings,
    ledger: Ledger,
    patients: PatientFactory,
    ingress: HttpIngress | KafkaIngress,
    rng: random.Random,
) -> None:
    if settings.mode == "closed":
        await _closed_loop(settings, patients, ingress)
        return
    profile = RateProfile(settings.rate, settings.ramp_s)
    offsets = arrival_offsets(profile, settings.duration_s, settings.count, rng if settings.poisson else None)

    def fire(intended: float) -> Coroutine[Any, Any, None]:
        return ingress.submit(patients.next(), intended)

    await _on_schedule(ledger, offsets, fire, "generator_lag")


async def _serves(settings: LoadSettings, ledger: Ledger, clinicians: Clinicians, rng: random.Random) -> None:
    duration = settings.duration_s
    if duration is None:  # a count-bounded run: serve for as long as arrivals take
        duration = (settings.count or 0) / max(settings.rate, 1e-9) + settings.ramp_s / 2
    profile = RateProfile(settings.total_serve_rate, settings.ramp_s)
    offsets = (
        settings.serve_delay_s + o
        for o in arrival_offsets(
            profile, max(0.0, duration - settings.serve_delay_s), None, rng if settings.poisson else None
        )
    )
    await _on_schedule(ledger, offsets, clinicians.serve_next, "serve_generator_lag")


async def _on_schedule(
    ledger: Ledger, offsets: Any, fire: Callable[[float], Awaitable[None]], lag_name: str
) -> None:
    """Call ``fire(intended_time)`` at each offset; never wait for an answer before the next."""
    pending: set[asyncio.Task[None]] = set()
    for offset in offsets:
        intended = ledger.t0 + offset
        delay = intended - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        ledger.hist[lag_name].record(time.monotonic() - intended)
        task = asyncio.ensure_future(fire(intended))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending)


async def _closed_loop(
    settings: LoadSettings, patients: PatientFactory, ingress: HttpIngress | KafkaIngress
) -> None:
    """``concurrency`` clients, each sending its next submission when the last one answered."""
    deadline = time.monotonic() + (settings.duration_s or float("inf"))
    remaining = [settings.count if settings.count is not None else -1]

    async def client() -> None:
        while time.monotonic() < deadline and remaining[0] != 0:
            remaining[0] -= 1
            await ingress.submit(patients.next(), time.monotonic())

    await asyncio.gather(*(client() for _ in range(settings.concurrency)))


async def _drain(ledger: Ledger, drain_s: float, progress: LiveProgress) -> bool:
    """Wait until nothing is outstanding or ``drain_s`` passed; True if fully drained."""
    deadline = time.monotonic() + drain_s
    progress.phase("draining")
    while time.monotonic() < deadline:
        if not any(ledger.outstanding().values()):
            return True
        await asyncio.sleep(0.2)
    return not any(ledger.outstanding().values())
