"""Admission control: is a region's queue too long to take one more case of this urgency?"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AdmissionLimits:
    """Per-region limits; a Prio 1 case is always admitted."""

    max_waiting: int = 2000
    max_estimated_wait_s: float = 6 * 3600


def is_full(waiting: int, estimated_wait_s: float | None, urgency: int, limits: AdmissionLimits) -> bool:
    """True when the region is over its limits for this urgency.

    ``waiting`` is the region's depth and ``estimated_wait_s`` the wait a new case of this
    urgency would have (None: unknown, no call lately), both from intake's read model of the
    queue. Prio 1 is never refused: a case that must be seen within minutes is better queued
    than sent away.
    """
    if urgency == 1:
        return False
    if waiting >= limits.max_waiting:
        return True
    return estimated_wait_s is not None and estimated_wait_s > limits.max_estimated_wait_s
