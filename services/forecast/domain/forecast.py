"""A region's forecast from its futures: each waiting case's call-time percentiles, and per
urgency the chance and the expected time of a breach of its time frame within the horizon.

A breach: a patient of urgency u still not called ``frames[u]`` after joining the queue. Counted
for the cases waiting now and for the patients the futures bring, whenever that moment falls
within ``horizon_s`` from now (a case already past its frame is a breach now, at 0 s).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.forecast.domain.futures import Future, Inputs, run_future
from services.queue_model.frames import DEFAULT_FRAMES_S, URGENCIES

DEFAULT_RUNS = 48
DEFAULT_HORIZON_S = 8 * 3600.0
MAX_SPAN_S = 14 * 86400.0


@dataclass(frozen=True)
class CaseRange:
    """When one waiting case is expected to be called, in seconds from the forecast's ``now``.

    ``None``: later than the longest span the futures ran (``MAX_SPAN_S``) in that share of them.
    """

    case_id: str
    urgency: int
    p10_s: float | None
    p50_s: float | None
    p90_s: float | None


@dataclass(frozen=True)
class Breach:
    """Urgency ``urgency``'s time frame within the horizon: the share of futures in which some
    patient's frame runs out, and the mean time from now of the first such moment (None: never)."""

    urgency: int
    frame_s: float
    probability: float
    expected_in_s: float | None


@dataclass(frozen=True)
class RegionForecast:
    region: str
    runs: int
    horizon_s: float
    cases: tuple[CaseRange, ...]
    breaches: tuple[Breach, ...]


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile of sorted ``values`` (``q`` in 0..1)."""
    return values[max(0, min(len(values) - 1, math.ceil(q * len(values)) - 1))]


def _finite(x: float) -> float | None:
    return None if math.isinf(x) else round(x, 1)


def forecast_region(
    inputs: Inputs,
    *,
    runs: int = DEFAULT_RUNS,
    seed: int = 0,
    horizon_s: float = DEFAULT_HORIZON_S,
    frames: Mapping[int, float] = DEFAULT_FRAMES_S,
    max_span_s: float = MAX_SPAN_S,
    only: str | None = None,
) -> RegionForecast:
    """Run ``runs`` futures of ``inputs`` and summarise them (deterministic for a seed).

    ``only``: a case id; the futures stop once that case was called and only its range is
    given (the benchmark asks about the patient who just arrived; breaches are then partial).
    """
    track = None if only is None else frozenset(i for i, w in enumerate(inputs.waiting) if w.case_id == only)
    futures = [
        run_future(inputs, f"{inputs.region}:{seed}:{r}", horizon_s, max_span_s, track) for r in range(runs)
    ]
    cases = []
    for i, w in enumerate(inputs.waiting):
        if track is not None and i not in track:
            continue
        calls = sorted(f.called_in[i] for f in futures)
        cases.append(
            CaseRange(
                w.case_id,
                w.urgency,
                _finite(quantile(calls, 0.1)),
                _finite(quantile(calls, 0.5)),
                _finite(quantile(calls, 0.9)),
            )
        )
    now = inputs.now.timestamp()
    breaches = []
    for u in URGENCIES:
        firsts = [_first_breach(inputs, f, u, frames[u], now, horizon_s) for f in futures]
        hit = [t for t in firsts if t is not None]
        breaches.append(
            Breach(u, frames[u], len(hit) / max(1, runs), round(sum(hit) / len(hit), 1) if hit else None)
        )
    return RegionForecast(inputs.region, runs, horizon_s, tuple(cases), tuple(breaches))


def _first_breach(
    inputs: Inputs, future: Future, urgency: int, frame_s: float, now: float, horizon_s: float
) -> float | None:
    """Seconds from now until the first patient of ``urgency`` passes their frame (None: not within the horizon)."""
    first = math.inf
    for w, called in zip(inputs.waiting, future.called_in, strict=True):
        if w.urgency == urgency:
            due = w.queued_at + frame_s - now
            if due <= 0 or called > due:  # past its frame already, or it will be before its call
                first = min(first, max(0.0, due))
    for arrived, u, called in future.arrivals:
        if u == urgency:
            due = arrived + frame_s
            if called > due:
                first = min(first, due)
    return first if first <= horizon_s else None
