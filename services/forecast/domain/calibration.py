"""How honest a told range was: scoring what patients were told at arrival against their wait.

For each patient: the range told at arrival (``low``..``high`` seconds) and its point (the old
model's point, the forecaster's median), and the wait they had. Per urgency:
- calibration: the share called inside the range (target 80 % for a p10..p90 range);
- sharpness: the median of (high - low) / actual (a range can be honest by being huge);
- point error: the median of |point - actual| / actual;
- bias: the median of (point - actual) / actual (< 0: told too short).
Waits shorter than ``floor_s`` count as ``floor_s`` in the ratios (a Prio 1 called at once).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Told:
    """What one patient was told at arrival by one model, and the wait they had (seconds)."""

    model: str
    urgency: int
    low_s: float
    point_s: float
    high_s: float
    actual_s: float


def score(told: Iterable[Told], floor_s: float = 60.0) -> dict[str, dict[str, dict[str, Any]]]:
    """``{model: {urgency or "all": {n, calibration, sharpness, point_error, bias, actual_p50_min}}}``."""
    groups: defaultdict[tuple[str, str], list[Told]] = defaultdict(list)
    for t in told:
        groups[(t.model, str(t.urgency))].append(t)
        groups[(t.model, "all")].append(t)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (model, urgency), items in sorted(groups.items()):
        base = [max(floor_s, t.actual_s) for t in items]
        out.setdefault(model, {})[urgency] = {
            "n": len(items),
            "calibration": sum(1 for t in items if t.low_s <= t.actual_s <= t.high_s) / len(items),
            "told_too_short": sum(1 for t in items if t.actual_s > t.high_s) / len(items),
            "sharpness": statistics.median(
                (t.high_s - t.low_s) / b for t, b in zip(items, base, strict=True)
            ),
            "point_error": statistics.median(
                abs(t.point_s - t.actual_s) / b for t, b in zip(items, base, strict=True)
            ),
            "bias": statistics.median((t.point_s - t.actual_s) / b for t, b in zip(items, base, strict=True)),
            "actual_p50_min": statistics.median(t.actual_s for t in items) / 60.0,
        }
    return out
