"""The submission use case: validate, assess, publish. Shared by HTTP and Kafka ingress.

No call to the queue service: the duplicate-person guard, admission and case status come
from intake's own read model (``QueueView``), folded from ``queue.events`` and intake's
``triage.events``. The queue stays the authority: a second case for a person that raced
past this view is rejected there (CommandRejected) and shows as a duplicate here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace

from proto import events as ev
from proto import topics
from proto.contact_crypto import parse_keyring, seal
from proto.pseudonym import person_pseudonym
from proto.regions import REGIONS
from services.intake.domain.admission import is_full
from services.intake.domain.assessment import PUBLIC_REASON, Queue, Refer, assess, queued_advice, refer_advice
from services.intake.domain.frame_check import PastFrame, past_frame, past_frame_advice, why_not_in_time
from services.intake.domain.question_texts import QuestionTexts
from services.intake.domain.queue_view import QueueView
from services.intake.domain.request_digest import case_id_for, check_same_request, request_digest
from services.intake.domain.rulebook import RuleBook
from services.intake.domain.staffed_hours import case_estimate
from services.intake.domain.submission_form import InvalidSubmission, Submission, parse_submission
from services.intake.domain.submission_index import Remembered, SubmissionIndex
from services.intake.metrics import count_submission
from services.intake.settings import IntakeSettings
from services.kafka.publisher import Publisher
from services.observability.region_label import region_label


@dataclass(frozen=True)
class Outcome:
    """What the submitter is told. ``replayed`` when a retried submission_id got its first answer.

    ``reason`` is machine-readable for refer (emergency, under_one_year, protected_identity,
    region_not_enabled, opens_too_late, wait_too_long) and long_wait (opens_too_late,
    wait_too_long); client apps should not parse ``advice``.
    """

    status: str  # queued | refer | duplicate | full | long_wait
    case_id: str | None
    urgency: int | None
    advice: str
    region: str = ""
    rule_id: str = ""
    replayed: bool = False
    reason: str = ""
    request_digest: str = ""  # what the submission_id is bound to (Kafka results carry it)


@dataclass
class TriageService:
    settings: IntakeSettings
    rules: RuleBook
    publisher: Publisher
    index: SubmissionIndex
    view: QueueView = field(default_factory=QueueView)
    texts: QuestionTexts | None = None  # the catalogue's words for the clinician (None: keys)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ring = parse_keyring(self.settings.contact_keys)
        self._key_id, self._key = next(iter(ring.items()))
        self.advice_keys = parse_keyring(self.settings.advice_keys)  # opens closing notes (case view)

    @asynccontextmanager
    async def _one_at_a_time(self, key: str) -> AsyncIterator[None]:
        """Serialise decisions on ``key`` in this process (a submission id, or a person)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked():
                self._locks.pop(key, None)

    async def submit(self, raw: object, now: dt.datetime) -> Outcome:
        """Validate every field, then replay, refer, find the existing case, refuse (full) or queue.

        ``raw`` is the decoded body (a msgspec Struct from HTTP, a mapping from Kafka).
        Raises InvalidSubmission (nothing published) when any field is bad.
        """
        try:
            form = parse_submission(raw, self.rules, today=now.date())
        except InvalidSubmission:
            region = getattr(raw, "region", None) or (raw.get("region") if isinstance(raw, dict) else None)
            count_submission(region_label(region), "invalid")
            raise
        digest = request_digest(form, self.settings.pseudonym_key)
        if not form.submission_id:
            return replace(await self._decide(form, now, digest), request_digest=digest)
        # One decision per submission id in this process; retries wait for it and replay it.
        async with self._one_at_a_time("s:" + form.submission_id):
            if (seen := self.index.outcome(form.submission_id)) is not None:
                try:  # a retry must be the same request: never another request's answer
                    check_same_request(form.submission_id, seen.digest, digest)
                except InvalidSubmission:
                    count_submission(form.region, "invalid")
                    raise
                count_submission(form.region, "duplicate")
                return replace(await self._replay(seen, form), request_digest=digest)
            return replace(await self._decide(form, now, digest), request_digest=digest)

    async def _replay(self, seen: Remembered, form: Submission) -> Outcome:
        """Exactly the first answer (its language, its rule's advice), rebuilt from what the log kept."""
        lang = seen.language or form.language
        if seen.status == "refer":
            advice = refer_advice(self.rules, seen.reason, lang, seen.region) if seen.reason else seen.advice
        elif seen.status == "queued" and (dup := self._rejected_as_duplicate(seen.case_id)):
            first = self.view.case(dup)
            return Outcome(
                "duplicate",
                dup,
                first.urgency if first else seen.urgency,
                self._duplicate_text(first.region if first else seen.region, form.region, lang),
                first.region if first else seen.region,
                replayed=True,
            )
        elif seen.status == "queued":
            advice = queued_advice(self.rules, seen.rule_id, lang) if seen.rule_id else seen.advice
            if seen.case_id:  # the first attempt may have failed after its event but before the card
                await self.publisher.publish(
                    topics.PATIENT_CONTACTS,
                    seen.case_id,
                    seal(seen.case_id, form.phone_e164, self._key_id, self._key, lang, form.identity.number),
                )
        else:
            advice = seen.advice or self.rules.text(seen.status, lang)
        return Outcome(
            seen.status,
            seen.case_id,
            seen.urgency,
            advice,
            seen.region or form.region,
            seen.rule_id,
            replayed=True,
            reason=PUBLIC_REASON.get(seen.reason, ""),
        )

    def _duplicate_text(self, queued_in: str, asked_for: str, language: str) -> str:
        """The duplicate advice; naming the region when the person waits in another one."""
        if queued_in and queued_in != asked_for and "duplicate_elsewhere" in self.rules.advice:
            return self.rules.text(
                "duplicate_elsewhere", language, region_name=REGIONS.get(queued_in, queued_in)
            )
        return self.rules.text("duplicate", language)

    def _rejected_as_duplicate(self, case_id: str | None) -> str:
        """The first case's id when the queue refused ``case_id`` as the person's second case."""
        case = self.view.case(case_id) if case_id else None
        return case.duplicate_of if case is not None and case.status == "duplicate" else ""

    async def _decide(self, form: Submission, now: dt.datetime, digest: str = "") -> Outcome:
        decision = assess(form, self.rules, self.settings.enabled_regions, now.date())
        if isinstance(decision, Refer):
            await self._refer(form, decision, digest)
            return Outcome(
                "refer", None, None, decision.advice, form.region, reason=PUBLIC_REASON[decision.reason]
            )
        pseudonym = person_pseudonym(form.identity.number, self.settings.pseudonym_key)
        # One decision per person at a time in this process: with the view updated before the
        # lock is released, the one-region-per-person guard is exact within the process.
        async with self._one_at_a_time("p:" + pseudonym):
            existing = self.view.person_waiting(pseudonym)
            # our own earlier attempt of this very request (its answer timed out, its event
            # landed): queue it again under the same id, the queue knows the case id already
            if existing is not None and existing.case_id == self._case_id(form, digest):
                return await self._enqueue(form, decision, pseudonym, now, digest)
            if existing is not None:
                self.index.remember(
                    form.submission_id,
                    Remembered(
                        "duplicate",
                        existing.case_id,
                        existing.region,
                        existing.urgency,
                        advice=self._duplicate_text(existing.region, form.region, form.language),
                        language=form.language,
                        digest=digest,
                    ),
                    provisional=True,
                )
                count_submission(form.region, "duplicate")
                return Outcome(
                    "duplicate",
                    existing.case_id,
                    existing.urgency,
                    self._duplicate_text(existing.region, form.region, form.language),
                    existing.region,
                )
            if is_full(self.view.depth(form.region), decision.urgency, self.settings.admission):
                count_submission(form.region, "full")
                return Outcome("full", None, None, self.rules.text("full", form.language), form.region)
            past = self.past_frame(form.region, decision.urgency, now)
            if past is not None and not (
                form.accept_long_wait and self.rules.time_frames.may_wait(decision.urgency)
            ):
                return self._not_in_time(form, decision, past)
            return await self._enqueue(form, decision, pseudonym, now, digest, past)

    @staticmethod
    def _case_id(form: Submission, digest: str) -> str:
        """One case id per request: a retry with the same submission_id never opens a second case."""
        return case_id_for(form.submission_id, digest) if form.submission_id else ev.new_id()

    def past_frame(
        self, region: str, urgency: int, now: dt.datetime, position: int | None = None, waited_s: float = 0.0
    ) -> PastFrame | None:
        """Why the region cannot call a case of ``urgency`` within its time frame (None: it can).

        ``position``: a waiting case's; by default where a new case would go. The estimate is
        the one the patient is shown (recent rate, else the region's capacity).
        """
        view = self.view
        ahead = view.waiting_up_to(region, urgency) + 1 if position is None else position
        rate = view.serving_rate_per_minute(region, now.timestamp())
        hours = view.hours_of(region, self.settings.hours)
        return past_frame(
            frame_s=self.rules.time_frames.seconds[urgency],
            wait=case_estimate(ahead, rate, view.rate_window_s, hours, now, self.settings.eta),
            hours=hours,
            now=now,
            waited_s=waited_s,
        )

    def _not_in_time(self, form: Submission, decision: Queue, past: PastFrame) -> Outcome:
        """Not queued: where to go now (Prio 1-3 ``refer``), or the choice to wait (Prio 4-5 ``long_wait``).

        Not remembered under the submission_id, like ``full``: the region may open or catch up,
        and a Prio 4-5 patient sends the submission again with ``accept_long_wait``.
        """
        may_wait = self.rules.time_frames.may_wait(decision.urgency)
        count_submission(form.region, "long_wait" if may_wait else "past_frame")
        return Outcome(
            "long_wait" if may_wait else "refer",
            None,
            decision.urgency,
            past_frame_advice(self.rules, past, decision.urgency, form.language),
            form.region,
            decision.rule_id,
            reason=past.reason,
        )

    async def _refer(self, form: Submission, decision: Refer, digest: str) -> None:
        await self.publisher.publish(
            topics.TRIAGE_EVENTS,
            form.region,
            ev.CaseReferred(
                case_id=ev.new_id(),
                region=form.region,
                reason=decision.reason,
                symptom=form.symptom,
                advice_code=decision.reason,
                submission_id=form.submission_id,
                request_digest=digest,
            ),
        )
        self.index.remember(
            form.submission_id,
            Remembered(
                "refer", None, form.region, reason=decision.reason, language=form.language, digest=digest
            ),
            provisional=True,
        )
        count_submission(form.region, "referred")

    async def _enqueue(
        self,
        form: Submission,
        decision: Queue,
        pseudonym: str,
        now: dt.datetime,
        digest: str,
        past: PastFrame | None = None,
    ) -> Outcome:
        case_id = self._case_id(form, digest)
        triaged = ev.CaseTriaged(
            case_id=case_id,
            region=form.region,
            urgency=decision.urgency,  # type: ignore[arg-type]
            symptom=form.symptom,
            person_pseudonym=pseudonym,
            triaged_at=now,
            language=form.language,
            rule_id=decision.rule_id,
            rules_version=decision.rules_version,
            submission_id=form.submission_id,
            advice=self.rules.rule_advice(decision.rule_id, form.language),
            answers=dict(form.answers),
            symptom_text=self.texts.symptom(form.symptom, form.language) if self.texts else "",
            answer_texts=self.texts.answer_lines(form.answers, form.language) if self.texts else [],
            request_digest=digest,
            accept_long_wait=past is not None,  # told at admission: no SMS about it later
        )
        card = seal(case_id, form.phone_e164, self._key_id, self._key, form.language, form.identity.number)
        # The card is acknowledged before the event is sent, so a queued case always has its
        # card on the broker: the notifier may be asked for it as soon as the queue calls the case.
        # Sent together (one round trip, as before), the event could be acknowledged while the
        # card's partition was between leaders, and a patient called meanwhile (a broker kill in
        # the 3-broker chaos test) got no SMS unless the client retried. Costs one round trip.
        # If the event's send fails after the card's, the client's retry publishes both again.
        await self.publisher.publish(topics.PATIENT_CONTACTS, case_id, card)
        await self.publisher.publish(topics.TRIAGE_EVENTS, form.region, triaged)
        self.view.apply(triaged)  # seen at once by the next submission; the tail's copy is deduped
        self.index.remember(
            form.submission_id,
            Remembered(
                "queued",
                case_id,
                form.region,
                decision.urgency,
                rule_id=decision.rule_id,
                language=form.language,
                digest=digest,
            ),
            provisional=True,
        )
        count_submission(form.region, "queued")
        advice = decision.advice
        if past is not None:  # a Prio 4-5 patient who chose to wait: the why is said once more
            advice = f"{advice} {why_not_in_time(self.rules, past, form.language)}"
        return Outcome("queued", case_id, decision.urgency, advice, form.region, decision.rule_id)

    async def withdraw_second_cases(self, already: set[str]) -> None:
        """Cancel, on queue.commands, each case of a person already waiting in another region.

        Every intake process that sees the conflict sends the same command (same request_id),
        so it is done even if the process that announced the case is gone; the queue answers a
        repeated request_id with its first answer.
        """
        for case_id, first in self.view.regions_to_withdraw().items():
            case = self.view.case(case_id)
            if case_id in already or case is None:
                continue
            await self.publisher.publish(
                topics.QUEUE_COMMANDS,
                case.region,
                ev.CancelCase(
                    region=case.region,
                    request_id=f"one-region-{case_id}",
                    case_id=case_id,
                    by="intake",
                    reason=f"duplicate: the person is already waiting as case {first} in another region",
                ),
            )
            already.add(case_id)
