"""First urgency rules: symptom x answers -> Prio 1..5 (1 = most urgent).

The walking skeleton's rules live here in code; issue #4 moves them to a versioned
data file. Within a symptom the most urgent matching rule wins; no match gives the
symptom's base urgency, which is set conservatively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

RULES_VERSION = "skeleton-1"

# Answers that mean: call 112 now, never queue.
RED_FLAGS: frozenset[str] = frozenset(
    {"breathing_difficulty", "chest_pain", "unconscious", "heavy_bleeding"}
)


@dataclass(frozen=True)
class UrgencyRule:
    rule_id: str
    symptom: str
    answer: str  # a yes/no question; the rule matches when answered true
    urgency: int


BASE_URGENCY: dict[str, int] = {
    "fever": 3, "sore_throat": 4, "eye_problems": 3, "urinary_problems": 4,
    "cough": 4, "back_pain": 4, "rash": 4,
}

RULES: tuple[UrgencyRule, ...] = (
    UrgencyRule("fever.immunosuppressed", "fever", "immunosuppressed", 1),
    UrgencyRule("fever.very_high", "fever", "temperature_over_40", 2),
    UrgencyRule("sore_throat.cannot_swallow", "sore_throat", "difficulty_swallowing", 2),
    UrgencyRule("eye.vision_loss", "eye_problems", "vision_loss", 1),
    UrgencyRule("urinary.fever", "urinary_problems", "fever", 2),
    UrgencyRule("cough.long_fever", "cough", "fever_over_3_days", 3),
    UrgencyRule("back.numbness", "back_pain", "numbness_or_incontinence", 1),
    UrgencyRule("rash.spreading", "rash", "spreading_fast", 2),
)


@dataclass(frozen=True)
class UrgencyDecision:
    urgency: int
    rule_id: str
    rules_version: str = RULES_VERSION


def decide_urgency(symptom: str, answers: Mapping[str, object]) -> UrgencyDecision:
    """The most urgent matching rule for this symptom, else the symptom's base urgency."""
    matches = [r for r in RULES if r.symptom == symptom and answers.get(r.answer) is True]
    if matches:
        best = min(matches, key=lambda r: r.urgency)
        return UrgencyDecision(best.urgency, best.rule_id)
    return UrgencyDecision(BASE_URGENCY[symptom], f"{symptom}.base")


def has_red_flag(answers: Mapping[str, object]) -> bool:
    return any(answers.get(flag) is True for flag in RED_FLAGS)
