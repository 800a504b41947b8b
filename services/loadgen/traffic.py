"""The traffic model: which urgency a patient has and what they answer to get it.

This is the ONE place the load generator knows the intake's symptom catalogue. Each
recipe is a symptom and yes/no answers together with the urgency they yield under
intake's rules (rules version ``skeleton-1``); a unit test checks every recipe against
intake's ``decide_urgency`` so a rules change shows up here, not as odd figures.

The skeleton rules have no path to Prio 5 (every symptom's base urgency is 3 or 4), so
the Prio 5 share is sent with base-urgency answers and arrives as Prio 4; the report
shows the requested and the obtained mix side by side.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

DEFAULT_MIX: dict[int, float] = {1: 2.0, 2: 10.0, 3: 40.0, 4: 38.0, 5: 10.0}


@dataclass(frozen=True)
class Recipe:
    symptom: str
    answers: Mapping[str, bool]
    yields: int  # the urgency intake gives these answers (checked by a unit test)


RECIPES: dict[int, tuple[Recipe, ...]] = {
    1: (Recipe("fever", {"immunosuppressed": True}, 1),
        Recipe("eye_problems", {"vision_loss": True}, 1),
        Recipe("back_pain", {"numbness_or_incontinence": True}, 1)),
    2: (Recipe("fever", {"temperature_over_40": True}, 2),
        Recipe("sore_throat", {"difficulty_swallowing": True}, 2),
        Recipe("urinary_problems", {"fever": True}, 2),
        Recipe("rash", {"spreading_fast": True}, 2)),
    3: (Recipe("fever", {}, 3),
        Recipe("eye_problems", {}, 3),
        Recipe("cough", {"fever_over_3_days": True}, 3)),
    4: (Recipe("sore_throat", {}, 4),
        Recipe("urinary_problems", {}, 4),
        Recipe("cough", {}, 4),
        Recipe("back_pain", {}, 4),
        Recipe("rash", {}, 4)),
    # No Prio 5 rule exists in rules skeleton-1: the mildest answers we have give Prio 4.
    5: (Recipe("cough", {"fever_over_3_days": False}, 4),
        Recipe("sore_throat", {"difficulty_swallowing": False}, 4)),
}


def parse_mix(text: str) -> dict[int, float]:
    """``"2/10/40/38/10"`` (percent for Prio 1..5) -> {1: 2.0, ...}; they need not sum to 100."""
    parts = text.split("/")
    if len(parts) != 5:
        raise ValueError(f"urgency mix {text!r}: give five numbers for Prio 1..5, e.g. 2/10/40/38/10")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"urgency mix {text!r}: every part must be a number, e.g. 2/10/40/38/10") from None
    if any(v < 0 for v in values) or sum(values) <= 0:
        raise ValueError(f"urgency mix {text!r}: shares must be >= 0 and not all zero")
    return dict(zip(range(1, 6), values))


@dataclass(frozen=True)
class PatientPlan:
    """What one simulated patient will submit (their identity is drawn separately)."""

    region: str
    urgency: int  # the urgency the mix asked for
    recipe: Recipe


@dataclass
class UrgencyMix:
    """Draws urgencies with the given shares, and a recipe for each."""

    shares: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_MIX))

    def __post_init__(self) -> None:
        self._levels: Sequence[int] = sorted(self.shares)
        self._cumulative = list(itertools.accumulate(self.shares[u] for u in self._levels))

    def draw(self, rng: random.Random) -> tuple[int, Recipe]:
        """An urgency and one of its recipes."""
        x = rng.random() * self._cumulative[-1]
        urgency = self._levels[bisect.bisect_right(self._cumulative, x)]
        return urgency, rng.choice(RECIPES[urgency])
