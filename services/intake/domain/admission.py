"""Admission control: is a region's queue too long to take one more case of this urgency?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AdmissionLimits:
    """Per-region limits; a Prio 1 case is always admitted."""

    max_waiting: int = 2000
    max_estimated_wait_s: float = 6 * 3600


def is_full(load: Mapping[str, object], urgency: int, limits: AdmissionLimits) -> bool:
    """True when the region is over its limits for this urgency (the queue's view).

    ``load`` is the queue service's ``GET /v1/regions/{region}/queue`` answer. Prio 1 is
    never refused: a case that must be seen within minutes is better queued than sent away.
    """
    if urgency == 1:
        return False
    waiting = load.get("waiting")
    if isinstance(waiting, int) and waiting >= limits.max_waiting:
        return True
    estimates = load.get("estimated_wait_seconds")
    if isinstance(estimates, Mapping):
        estimate = estimates.get(str(urgency))
        if isinstance(estimate, (int, float)) and estimate > limits.max_estimated_wait_s:
            return True
    return False
