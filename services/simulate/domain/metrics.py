"""Figures from a run: p50/p90/max wait and the share seen within the time frame, per
region and urgency, plus depth over time. Plain data, ready for the table, JSON and plot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.queue_model.engine import RegionResult
from services.queue_model.frames import URGENCIES


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The nearest-rank p-th percentile of already sorted values (0.0 if empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil without floats drifting
    return float(sorted_values[int(rank) - 1])


def urgency_summary(res: RegionResult, urgency: int, frame_s: float) -> dict[str, Any]:
    """One row: counts, wait percentiles (unserved patients count with their wait so far) and share."""
    waits = sorted(res.waits[urgency] + res.unserved[urgency])
    count = res.counts[urgency]
    within = sum(1 for w in res.waits[urgency] if w <= frame_s)
    return {
        "patients": count,
        "called": len(res.waits[urgency]),
        "unserved": len(res.unserved[urgency]),
        "p50_s": percentile(waits, 50),
        "p90_s": percentile(waits, 90),
        "max_s": waits[-1] if waits else 0.0,
        "frame_s": frame_s,
        "within_frame": within / count if count else 1.0,
    }


def merge(results: Sequence[RegionResult], name: str = "all") -> RegionResult:
    """All regions as one (for the national row and plot); depth and staffing are summed per hour."""
    total = RegionResult(name)
    hours = max((len(r.depth) for r in results), default=0)
    total.depth = [
        tuple(sum(r.depth[k][j] for r in results if k < len(r.depth)) for j in range(len(URGENCIES)))
        for k in range(hours)
    ]
    total.on_duty = [sum(r.on_duty[k] for r in results if k < len(r.on_duty)) for k in range(hours)]
    for r in results:
        total.arrived += r.arrived
        total.closed_no_show += r.closed_no_show
        for u in URGENCIES:
            total.waits[u] += r.waits[u]
            total.wait_t[u] += r.wait_t[u]
            total.unserved[u] += r.unserved[u]
            total.misses[u] += r.misses[u]
            total.counts[u] += r.counts[u]
    return total


def summarise(results: Sequence[RegionResult], frames: Mapping[int, float]) -> dict[str, Any]:
    """The whole report as plain data: per region (and "all") per urgency, and depth per hour."""
    regions: dict[str, Any] = {}
    everything = list(results) + ([merge(results)] if len(results) > 1 else [])
    for res in everything:
        regions[res.region] = {
            "patients": res.arrived,
            "closed_no_show": res.closed_no_show,
            "urgency": {str(u): urgency_summary(res, u, frames[u]) for u in URGENCIES},
            "depth_by_hour": [list(d) for d in res.depth],
            "on_duty_by_hour": res.on_duty,
        }
    return {"frames_s": {str(u): frames[u] for u in URGENCIES}, "regions": regions}


def shares_met(res: RegionResult, targets: Mapping[int, float]) -> bool:
    """Whether every urgency reaches its target share within its frame (misses counted by the loop)."""
    for u, target in targets.items():
        count = res.counts[u]
        if count and (count - res.misses[u]) / count < target - 1e-12:
            return False
    return not res.aborted


def allowed_misses(res_counts: Mapping[int, int], targets: Mapping[int, float]) -> dict[int, int]:
    """How many patients per urgency may miss their frame and the target still hold."""
    return {u: int(res_counts.get(u, 0) * (1 - t) + 1e-9) for u, t in targets.items()}
