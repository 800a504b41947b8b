"""The submission use case: validate, assess, publish. Shared by HTTP and Kafka ingress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from proto import events as ev
from proto import topics
from proto.contact_crypto import parse_keyring, seal
from proto.pseudonym import person_pseudonym
from services.intake.domain.assessment import Queue, assess
from services.intake.domain.identity import InvalidIdentity, parse_identity
from services.intake.domain.phone import InvalidPhone, normalise_mobile
from services.intake.domain.regions import REGIONS
from services.intake.domain.urgency import BASE_URGENCY
from services.intake.metrics import SUBMISSIONS
from services.intake.settings import IntakeSettings
from services.kafka.publisher import Publisher


class SubmissionRejected(ValueError):
    """Invalid input; ``errors`` maps each bad field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Outcome:
    status: str  # queued | refer
    case_id: str | None
    urgency: int | None
    advice: str


class TriageService:
    def __init__(self, settings: IntakeSettings, publisher: Publisher) -> None:
        self.settings = settings
        self.publisher = publisher
        ring = parse_keyring(settings.contact_keys)
        self._key_id, self._key = next(iter(ring.items()))

    async def submit(
        self, *, region: str, personnummer: str, phone: str, symptom: str,
        answers: Mapping[str, str | int | bool], language: str, protected_identity: bool,
        submission_id: str | None, now: dt.datetime,
    ) -> Outcome:
        """Validate every field, then refer or queue. Nothing is published for invalid input."""
        errors: dict[str, str] = {}
        identity = phone_e164 = None
        try:
            identity = parse_identity(personnummer)
        except InvalidIdentity as exc:
            errors["personnummer"] = str(exc)
        try:
            phone_e164 = normalise_mobile(phone)
        except InvalidPhone as exc:
            errors["phone"] = str(exc)
        if region not in REGIONS:
            errors["region"] = f"unknown region {region!r}: use an ISO 3166-2:SE code such as SE-C"
        if symptom not in BASE_URGENCY:
            errors["symptom"] = f"unknown symptom {symptom!r}: one of {sorted(BASE_URGENCY)}"
        if errors or identity is None or phone_e164 is None:
            SUBMISSIONS.labels(region if region in REGIONS else "unknown", "invalid").inc()
            raise SubmissionRejected(errors)

        case_id = ev.new_id()
        decision = assess(
            identity=identity, region=region, symptom=symptom, answers=answers,
            protected_identity=protected_identity, enabled_regions=self.settings.enabled_regions,
            today=now.date(),
        )
        if not isinstance(decision, Queue):
            await self.publisher.publish(topics.TRIAGE_EVENTS, region, ev.CaseReferred(
                case_id=case_id, region=region, reason=decision.reason, symptom=symptom,  # type: ignore[arg-type]
                advice_code=decision.reason,
            ))
            SUBMISSIONS.labels(region, "referred").inc()
            return Outcome("refer", None, None, decision.advice)
        # The contact card first: when the queue calls the case, the notifier can reach them.
        await self.publisher.publish(
            topics.PATIENT_CONTACTS, case_id,
            seal(case_id, phone_e164, self._key_id, self._key, language),
        )
        await self.publisher.publish(topics.TRIAGE_EVENTS, region, ev.CaseTriaged(
            case_id=case_id, region=region, urgency=decision.urgency,  # type: ignore[arg-type]
            symptom=symptom, person_pseudonym=person_pseudonym(identity.number, self.settings.pseudonym_key),
            triaged_at=now, language=language, rule_id=decision.rule_id,
            rules_version=decision.rules_version, submission_id=submission_id or "",
        ))
        SUBMISSIONS.labels(region, "queued").inc()
        return Outcome("queued", case_id, decision.urgency, decision.advice)
