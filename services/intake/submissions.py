"""The submission use case: validate, assess, publish. Shared by HTTP and Kafka ingress."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

from proto import events as ev
from proto import topics
from proto.contact_crypto import parse_keyring, seal
from proto.pseudonym import person_pseudonym
from services.intake.domain.admission import is_full
from services.intake.domain.assessment import Queue, Refer, assess
from services.intake.domain.rulebook import RuleBook
from services.intake.domain.submission_form import InvalidSubmission, Submission, parse_submission
from services.intake.domain.submission_index import RecentCase, RecentCases, Remembered, SubmissionIndex
from services.intake.metrics import SUBMISSIONS
from services.intake.queue_client import QueueClient
from services.intake.settings import IntakeSettings
from services.kafka.publisher import Publisher
from services.observability.region_label import region_label


@dataclass(frozen=True)
class Outcome:
    """What the submitter is told. ``replayed`` when a retried submission_id got its first answer."""

    status: str  # queued | refer | duplicate | full
    case_id: str | None
    urgency: int | None
    advice: str
    region: str = ""
    rule_id: str = ""
    replayed: bool = False


@dataclass
class TriageService:
    settings: IntakeSettings
    rules: RuleBook
    publisher: Publisher
    index: SubmissionIndex
    queue: QueueClient | None = None
    recent: RecentCases = field(default_factory=RecentCases)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ring = parse_keyring(self.settings.contact_keys)
        self._key_id, self._key = next(iter(ring.items()))

    async def submit(self, raw: object, now: dt.datetime) -> Outcome:
        """Validate every field, then replay, refer, find the existing case, refuse (full) or queue.

        Raises InvalidSubmission (nothing published) when any field is bad.
        """
        try:
            form = parse_submission(raw, self.rules)
        except InvalidSubmission:
            region = raw.get("region") if isinstance(raw, dict) else None
            SUBMISSIONS.labels(region_label(region), "invalid").inc()
            raise
        if not form.submission_id:
            return await self._decide(form, now)
        # One decision per submission id in this process; retries wait for it and replay it.
        lock = self._locks.setdefault(form.submission_id, asyncio.Lock())
        try:
            async with lock:
                if (seen := self.index.outcome(form.submission_id)) is not None:
                    SUBMISSIONS.labels(form.region, "duplicate").inc()
                    return self._replay(seen, form)
                return await self._decide(form, now)
        finally:
            if not lock.locked():
                self._locks.pop(form.submission_id, None)

    def _replay(self, seen: Remembered, form: Submission) -> Outcome:
        if seen.status == "refer":
            advice = self.rules.text(seen.reason, form.language) if seen.reason else seen.advice
        elif seen.status == "queued":
            advice = self.rules.text("queued", form.language)
        else:
            advice = seen.advice or self.rules.text(seen.status, form.language)
        return Outcome(seen.status, seen.case_id, seen.urgency, advice, form.region, seen.rule_id,
                       replayed=True)

    async def _decide(self, form: Submission, now: dt.datetime) -> Outcome:
        decision = assess(form, self.rules, self.settings.enabled_regions, now.date())
        if isinstance(decision, Refer):
            await self._refer(form, decision)
            return Outcome("refer", None, None, decision.advice, form.region)
        pseudonym = person_pseudonym(form.identity.number, self.settings.pseudonym_key)
        existing = await self._waiting_case(form.region, pseudonym, now)
        if existing is not None:
            case_id, urgency = existing
            self.index.remember(form.submission_id, Remembered("duplicate", case_id, form.region, urgency))
            SUBMISSIONS.labels(form.region, "duplicate").inc()
            return Outcome("duplicate", case_id, urgency, self.rules.text("duplicate", form.language), form.region)
        if self.queue is not None:
            load = await self.queue.region_load(form.region)
            if load is not None and is_full(load, decision.urgency, self.settings.admission):
                SUBMISSIONS.labels(form.region, "full").inc()
                return Outcome("full", None, None, self.rules.text("full", form.language), form.region)
        return await self._enqueue(form, decision, pseudonym, now)

    async def _waiting_case(self, region: str, pseudonym: str, now: dt.datetime) -> tuple[str, int | None] | None:
        """The person's case already waiting in the region: the queue's view, else one queued
        moments ago that the queue has not shown yet (its view lags intake's events a little)."""
        if self.queue is not None:
            found = await self.queue.waiting_case_of(region, pseudonym)
            if found is not None:
                return found["case_id"], found.get("urgency")
        recent = self.recent.find(region, pseudonym, now.timestamp())
        if recent is None:
            return None
        if self.queue is not None:
            status, body = await self.queue.case(region, recent.case_id)
            if status == 200 and isinstance(body, dict) and body.get("status") != "waiting":
                return None  # already called or closed: a new case is right
        return recent.case_id, recent.urgency

    async def _refer(self, form: Submission, decision: Refer) -> None:
        await self.publisher.publish(topics.TRIAGE_EVENTS, form.region, ev.CaseReferred(
            case_id=ev.new_id(), region=form.region, reason=decision.reason, symptom=form.symptom,
            advice_code=decision.reason, submission_id=form.submission_id,
        ))
        self.index.remember(form.submission_id, Remembered("refer", None, form.region, reason=decision.reason))
        SUBMISSIONS.labels(form.region, "referred").inc()

    async def _enqueue(self, form: Submission, decision: Queue, pseudonym: str, now: dt.datetime) -> Outcome:
        case_id = ev.new_id()
        # The contact card first: when the queue calls the case, the notifier can reach them.
        await self.publisher.publish(
            topics.PATIENT_CONTACTS, case_id,
            seal(case_id, form.phone_e164, self._key_id, self._key, form.language),
        )
        await self.publisher.publish(topics.TRIAGE_EVENTS, form.region, ev.CaseTriaged(
            case_id=case_id, region=form.region, urgency=decision.urgency,  # type: ignore[arg-type]
            symptom=form.symptom, person_pseudonym=pseudonym, triaged_at=now, language=form.language,
            rule_id=decision.rule_id, rules_version=decision.rules_version,
            submission_id=form.submission_id,
        ))
        self.index.remember(form.submission_id, Remembered(
            "queued", case_id, form.region, decision.urgency, rule_id=decision.rule_id))
        self.recent.remember(form.region, pseudonym, RecentCase(case_id, decision.urgency, now.timestamp()))
        SUBMISSIONS.labels(form.region, "queued").inc()
        return Outcome("queued", case_id, decision.urgency, decision.advice, form.region, decision.rule_id)
