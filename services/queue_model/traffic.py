"""The traffic model: which urgency a patient has and what they answer to get it.

This is the ONE place the load generator knows the intake's symptom catalogue. Each
recipe is a symptom and answers (yes/no, a number, or a choice) together with the
urgency they yield under intake's versioned rules file
(``services/intake/rules/urgency-rules.toml``; its ``version`` is the rules version).
A unit test loads that file and checks that every recipe's answers pass intake's answer
validation for its symptom and that intake's rule decision gives the urgency claimed,
so a rules change shows up here, not as odd figures.

Every recipe matches a real rule, never the symptom's conservative default, and none
answers a red flag (those are referred to 112, not queued). The rules have a path to
every Prio 1..5, so every share of the mix arrives as the urgency it asked for; the
report still shows the requested and the obtained mix side by side.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

DEFAULT_MIX: dict[int, float] = {1: 2.0, 2: 10.0, 3: 40.0, 4: 38.0, 5: 10.0}

Answer = bool | int | str  # as intake's rules: yes/no, a whole number, or a choice


@dataclass(frozen=True)
class Recipe:
    symptom: str
    answers: Mapping[str, Answer]
    yields: int  # the urgency intake gives these answers (checked by a unit test)


# The rule each recipe matches is named after it (rule ids of urgency-rules.toml).
RECIPES: dict[int, tuple[Recipe, ...]] = {
    1: (
        Recipe("fever", {"immunosuppressed": True}, 1),  # fever.immunosuppressed
        Recipe("eye_problems", {"vision_loss": True}, 1),  # eye.vision_loss
        Recipe("back_pain", {"numbness_or_incontinence": True}, 1),
    ),  # back.numbness
    2: (
        Recipe("fever", {"temperature_over_40": True}, 2),  # fever.very_high
        Recipe("sore_throat", {"difficulty_swallowing": True}, 2),  # sore_throat.cannot_swallow
        Recipe("eye_problems", {"eye_pain": True}, 2),  # eye.painful
        Recipe("urinary_problems", {"fever": True}, 2),  # urinary.fever
        Recipe("urinary_problems", {"flank_pain": True}, 2),  # urinary.flank_pain
        Recipe("back_pain", {"fever": True}, 2),  # back.fever
        Recipe("rash", {"spreading_fast": True}, 2),
    ),  # rash.spreading
    3: (
        Recipe("fever", {"days_with_fever": 6}, 3),  # fever.prolonged
        Recipe("sore_throat", {"high_fever": True, "days_with_symptoms": 2}, 3),  # sore_throat.fever
        Recipe("eye_problems", {"red_eye": True, "contact_lenses": True}, 3),  # eye.red_with_lenses
        Recipe("urinary_problems", {"pregnant": True}, 3),  # urinary.pregnant
        Recipe("cough", {"fever_over_3_days": True}, 3),  # cough.long_fever
        Recipe("back_pain", {"after_fall": True, "pain": "moderate"}, 3),  # back.after_fall
        Recipe("back_pain", {"pain": "severe"}, 3),  # back.severe
        Recipe("rash", {"fever": True}, 3),
    ),  # rash.fever
    4: (
        Recipe("fever", {"days_with_fever": 2}, 4),  # fever.recent
        Recipe("sore_throat", {"days_with_symptoms": 10}, 4),  # sore_throat.lingering
        Recipe("eye_problems", {"red_eye": True}, 4),  # eye.red
        Recipe("eye_problems", {}, 4),  # eye.mild
        Recipe("urinary_problems", {}, 4),  # urinary.cystitis
        Recipe("cough", {"weeks_with_cough": 4}, 4),  # cough.lingering
        Recipe("rash", {}, 4),
    ),  # rash.mild
    5: (
        Recipe("sore_throat", {"days_with_symptoms": 3}, 5),  # sore_throat.mild
        Recipe("cough", {"fever_over_3_days": False, "weeks_with_cough": 1}, 5),  # cough.acute
        Recipe("back_pain", {"pain": "mild"}, 5),  # back.ordinary
        Recipe("back_pain", {"pain": "moderate"}, 5),
    ),  # back.ordinary
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
    return dict(zip(range(1, 6), values, strict=True))


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
