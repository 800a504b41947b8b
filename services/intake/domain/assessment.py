"""Assessing a validated submission: refer away, or queue with an urgency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from services.intake.domain.regions import REGIONS
from services.intake.domain.rulebook import RuleBook
from services.intake.domain.submission_form import Submission

ReferReason = Literal["red_flag", "infant", "protected_identity", "region_not_enabled"]


@dataclass(frozen=True)
class Refer:
    """Never queued: the patient is told where to turn instead."""

    reason: ReferReason
    advice: str


@dataclass(frozen=True)
class Queue:
    urgency: int
    rule_id: str
    rules_version: str
    advice: str


def assess(submission: Submission, rules: RuleBook, enabled_regions: frozenset[str],
           today: dt.date) -> Refer | Queue:
    """Refer-away rules first (life-threatening first of all), then the urgency rules.

    Order matters: a red flag is "Ring 112" whoever and wherever the patient is.
    """
    lang = submission.language
    if rules.has_red_flag(submission.symptom, submission.answers):
        return Refer("red_flag", rules.text("red_flag", lang))
    if submission.identity.is_under_one_year(today):
        return Refer("infant", rules.text("infant", lang))
    if submission.protected_identity:
        return Refer("protected_identity", rules.text("protected_identity", lang))
    if submission.region not in enabled_regions:
        return Refer("region_not_enabled", rules.text("region_not_enabled", lang,
                                                      region_name=REGIONS[submission.region]))
    decision = rules.decide(submission.symptom, submission.answers)
    rule_advice = decision.advice.get(lang) or decision.advice.get("sv", "")
    advice = f"{rule_advice} {rules.text('queued', lang)}".strip()
    return Queue(decision.urgency, decision.rule_id, decision.rules_version, advice)
