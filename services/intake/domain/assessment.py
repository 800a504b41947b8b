"""Assessing a validated submission: refer away, or queue with an urgency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from proto.regions import REGIONS
from services.intake.domain.rulebook import RuleBook
from services.intake.domain.submission_form import Submission

ReferReason = Literal[
    "red_flag",
    "infant",
    "protected_identity",
    "region_not_enabled",
    "needs_spoken_contact",  # finds written text hard: 1177 by phone (issue 26)
]
# The machine-readable reason client apps get beside the advice text (never parse prose).
PUBLIC_REASON: dict[str, str] = {
    "red_flag": "emergency",
    "infant": "under_one_year",
    "protected_identity": "protected_identity",
    "region_not_enabled": "region_not_enabled",
    "needs_spoken_contact": "needs_spoken_contact",
}


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


def assess(
    submission: Submission, rules: RuleBook, enabled_regions: frozenset[str], today: dt.date
) -> Refer | Queue:
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
    if submission.needs_spoken_contact:  # the seed page's third group: a chat in writing does not suit them
        return Refer("needs_spoken_contact", rules.text("needs_spoken_contact", lang))
    if submission.region not in enabled_regions:
        return Refer("region_not_enabled", refer_advice(rules, "region_not_enabled", lang, submission.region))
    decision = rules.decide(submission.symptom, submission.answers)
    return Queue(
        decision.urgency,
        decision.rule_id,
        decision.rules_version,
        queued_advice(rules, decision.rule_id, lang),
    )


def queued_advice(rules: RuleBook, rule_id: str, language: str) -> str:
    """What a queued patient is told: the rule's advice, then how the queue works.

    Also rebuilt from ``rule_id`` when a retried submission is replayed, so the replay
    says exactly what the first answer said.
    """
    return f"{rules.rule_advice(rule_id, language)} {rules.text('queued', language)}".strip()


def refer_advice(rules: RuleBook, reason: str, language: str, region: str) -> str:
    """What a referred patient is told (also for replays of a referred submission)."""
    if reason == "region_not_enabled":
        return rules.text(reason, language, region_name=REGIONS.get(region, region))
    return rules.text(reason, language)
