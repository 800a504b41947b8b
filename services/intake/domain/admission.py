"""Admission control: is a region's queue too deep to take one more case of this urgency?

Whether the region can call the case in time is the time-frame rule's question
(``frame_check.py``, issue 25), asked right after this one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AdmissionLimits:
    """Per-region limits; a Prio 1 case is always admitted."""

    max_waiting: int = 2000


def is_full(waiting: int, urgency: int, limits: AdmissionLimits) -> bool:
    """True when the region holds ``limits.max_waiting`` cases or more (intake's read model).

    Prio 1 is never refused here: the time-frame rule tells a Prio 1 patient who cannot be
    called within minutes to call 112 instead, with the reason.
    """
    return urgency != 1 and waiting >= limits.max_waiting
