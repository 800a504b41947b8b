"""Assessing a validated submission: refer away, or queue with an urgency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from services.intake.domain.identity import Identity
from services.intake.domain.urgency import decide_urgency, has_red_flag


@dataclass(frozen=True)
class Refer:
    """Never queued: the patient is told where to turn instead."""

    reason: str  # red_flag | infant | protected_identity | region_not_enabled
    advice: str


@dataclass(frozen=True)
class Queue:
    urgency: int
    rule_id: str
    rules_version: str
    advice: str


ADVICE = {
    "red_flag": "Ring 112 nu. Dina svar tyder på ett livshotande tillstånd.",
    "infant": "Barn under 1 år kan inte använda 1177 direkt. Ring 1177 för sjukvårdsrådgivning.",
    "protected_identity": "Med skyddade personuppgifter: ring 1177 eller kontakta din vårdcentral.",
    "region_not_enabled": "1177 direkt finns inte i din region. Ring 1177 eller kontakta din vårdcentral.",
    "queued": "Du står nu i kö. Du får ett sms när det är din tur. Blir du sämre, ring 1177. "
              "Vid livshotande tillstånd, ring 112.",
}


def assess(
    *,
    identity: Identity,
    region: str,
    symptom: str,
    answers: Mapping[str, object],
    protected_identity: bool,
    enabled_regions: frozenset[str],
    today: dt.date,
) -> Refer | Queue:
    """Refer-away rules first (life-threatening first of all), then the urgency rules."""
    if has_red_flag(answers):
        return Refer("red_flag", ADVICE["red_flag"])
    if identity.age_in_days(today) < 365:
        return Refer("infant", ADVICE["infant"])
    if protected_identity:
        return Refer("protected_identity", ADVICE["protected_identity"])
    if region not in enabled_regions:
        return Refer("region_not_enabled", ADVICE["region_not_enabled"])
    decision = decide_urgency(symptom, answers)
    return Queue(decision.urgency, decision.rule_id, decision.rules_version, ADVICE["queued"])
