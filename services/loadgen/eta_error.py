"""How far the estimated wait shown to patients was from the wait they actually had.

Pure (no IO): the ETA run samples ``GET /v1/cases/{id}`` into ``EtaSample``s and sees each
case's ``CaseCalled``; ``summarise`` joins the two. For one sample taken at ``sampled_at``
the actual remaining wait is ``called_at - sampled_at``, and

- the error is ``point - actual`` (positive: the patient was called earlier than told);
- "in range" is ``low <= actual <= high``, the range the patient is shown (rounded outward
  to 5 min by the model, so in a time-compressed run it is much wider than the waits);
- "in band" is the same range before rounding: the closed time before the region opens plus
  ``band`` (the model's 0.75x..1.5x) of the staffed part of the point.

Times are real seconds; a run compressed by ``time_scale`` reports minutes of model time
(real seconds x time_scale / 60), so figures read as if the queue ran at real speed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("entry", "later")  # the first estimate a patient saw / every later re-sample
BASES = ("capacity", "recent_rate", "all")
PHASES = ("closed", "first_window", "steady")  # before the opening / the first rate window / after


@dataclass(frozen=True)
class EtaSample:
    """One estimate as ``GET /v1/cases/{id}`` showed it."""

    case_id: str
    urgency: int
    kind: str  # entry | later
    basis: str  # capacity | recent_rate | unknown (the view did not say)
    sampled_at: float  # epoch seconds, the middle of the request
    position: int
    point_s: float
    low_s: float
    high_s: float
    closed_s: float = 0.0  # seconds until the region opens, when it was closed at sampling


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarise(
    samples: Iterable[EtaSample],
    called_at: Mapping[str, float],
    time_scale: float = 1.0,
    band: tuple[float, float] = (0.75, 1.5),
    opened_at: float | None = None,
    window_s: float = 0.0,
) -> dict[str, Any]:
    """Per sample kind, basis and urgency ("all" too): n, p50/p90 |error|, bias, range shares;
    and, given the epoch the region ``opened_at`` and the rate window (real seconds), every
    sample by phase: while closed, in the first window after the opening (the recent rate is
    still filling up), and after it.

    Samples of cases never called are not scored (their actual wait is unknown); they are
    counted under ``not_called``.
    """
    groups: defaultdict[tuple[str, str, str], list[tuple[EtaSample, float]]] = defaultdict(list)
    phases: defaultdict[tuple[str, str], list[tuple[EtaSample, float]]] = defaultdict(list)
    not_called: defaultdict[str, set[str]] = defaultdict(set)
    implied: list[float] = []
    for s in samples:
        if s.case_id not in called_at:
            not_called[str(s.urgency)].add(s.case_id)
            continue
        actual = called_at[s.case_id] - s.sampled_at
        for basis in (s.basis, "all"):
            for urgency in (str(s.urgency), "all"):
                groups[(s.kind, basis, urgency)].append((s, actual))
        if opened_at is not None:
            for urgency in (str(s.urgency), "all"):
                phases[(phase(s.sampled_at, opened_at, window_s), urgency)].append((s, actual))
        staffed = s.point_s - s.closed_s
        # Prio 1-2 only: the model stretches other levels' waits by the more urgent arrivals, and
        # counts position - 1/2 calls (the next call is half an interval away on average).
        if s.basis == "capacity" and staffed > 0 and s.urgency <= 2:
            implied.append((s.position - 0.5) * 3600.0 / staffed)
    out: dict[str, Any] = {}
    for (kind, basis, urgency), scored in sorted(groups.items()):
        out.setdefault(kind, {}).setdefault(basis, {})[urgency] = _stats(scored, time_scale, band)
    by_phase: dict[str, Any] = {}
    for (name, urgency), scored in sorted(phases.items()):
        by_phase.setdefault(name, {})[urgency] = _stats(scored, time_scale, band)
    return {
        "time_scale": time_scale,
        "unit": "minutes of model time (real seconds x time_scale / 60)",
        "band": list(band),
        "errors": out,
        "by_phase": by_phase,
        "not_called": {u: len(c) for u, c in sorted(not_called.items())},
        # capacity-basis estimates imply the calls/hour the model used (real time): it should be the
        # configured capacity, else the run did not configure the model it measures
        "capacity_implied_per_hour_p50": percentile(implied, 0.5),
    }


def phase(sampled_at: float, opened_at: float, window_s: float) -> str:
    """Which of ``PHASES`` a sample taken at ``sampled_at`` belongs to."""
    if sampled_at < opened_at:
        return "closed"
    return "first_window" if sampled_at < opened_at + window_s else "steady"


def _stats(scored: list[tuple[EtaSample, float]], scale: float, band: tuple[float, float]) -> dict[str, Any]:
    to_min = scale / 60.0
    errors = [s.point_s - actual for s, actual in scored]
    absolute = [abs(e) for e in errors]
    relative = [abs(e) / actual for e, (_, actual) in zip(errors, scored, strict=True) if actual > 0]
    in_range = sum(1 for s, actual in scored if s.low_s <= actual <= s.high_s)
    in_band = sum(1 for s, actual in scored if _band(s, band)[0] <= actual <= _band(s, band)[1])
    n = len(scored)
    return {
        "n": n,
        "cases": len({s.case_id for s, _ in scored}),
        "abs_error_p50_min": _scaled(percentile(absolute, 0.5), to_min),
        "abs_error_p90_min": _scaled(percentile(absolute, 0.9), to_min),
        "error_p50_min": _scaled(percentile(errors, 0.5), to_min),  # bias: > 0 told too long
        "actual_p50_min": _scaled(percentile([a for _, a in scored], 0.5), to_min),
        "rel_error_p50": percentile(relative, 0.5),
        "in_range": in_range / n,
        "in_band": in_band / n,
    }


def _band(s: EtaSample, band: tuple[float, float]) -> tuple[float, float]:
    staffed = max(0.0, s.point_s - s.closed_s)
    return s.closed_s + band[0] * staffed, s.closed_s + band[1] * staffed


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else round(value * factor, 3)
