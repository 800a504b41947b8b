"""Submissions over Kafka: ``TriageSubmission`` on ``triage.submissions``, answers from
``TriageResult`` on ``triage.results`` (matched by correlation id).

Before the load starts, one probe submission must get its result within a deadline;
if intake does not consume the topic (an older build), the run stops with a clear
message instead of waiting for answers that never come.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaProducer

from proto import codec, topics
from proto import events as ev
from services.kafka.settings import KafkaSettings
from services.loadgen.ledger import Ledger
from services.loadgen.patients import Patient

SOURCE = "/triage/loadgen"
_OUTCOME = {
    "queued": "queued",
    "refer": "refer",
    "full": "full",
    "duplicate": "duplicate",
    "long_wait": "long_wait",  # Prio 4-5 past the time frame (issue 25): not queued unless they choose
    "invalid": "rejected_4xx",
}


class IngressUnavailable(RuntimeError):
    """The Kafka ingress does not answer: nothing consumes triage.submissions."""


class KafkaIngress:
    def __init__(self, kafka: KafkaSettings, ledger: Ledger) -> None:
        self.kafka = kafka
        self.ledger = ledger
        self.producer = AIOKafkaProducer(
            **kafka.client_options(), acks="all", linger_ms=0, enable_idempotence=False
        )
        self._sent_t: dict[str, float] = {}
        self._probe: asyncio.Future[ev.TriageResult] | None = None
        self._probe_id = ""
        self.first_errors: list[str] = []

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    def on_result(self, result: ev.TriageResult, now: float) -> None:
        """Tracker callback for every TriageResult seen on triage.results."""
        if result.correlation_id == self._probe_id and self._probe and not self._probe.done():
            self._probe.set_result(result)
            return
        sub_id = result.correlation_id or result.submission_id
        if sub_id not in self.ledger.submissions:
            return  # another submitter's result
        outcome = _OUTCOME.get(result.status, f"status_{result.status}")
        if outcome != "queued" and outcome != "refer" and len(self.first_errors) < 5:
            self.first_errors.append(f"{result.status}: {'; '.join(result.errors) or result.advice}")
        self.ledger.answered(
            sub_id,
            outcome,
            now,
            case_id=result.case_id,
            urgency=result.urgency,
            sent_t=self._sent_t.pop(sub_id, None),
        )

    async def probe(self, patient: Patient, timeout_s: float) -> ev.TriageResult:
        """Send one submission and wait for its result; raise IngressUnavailable if none comes."""
        self._probe = asyncio.get_running_loop().create_future()
        self._probe_id = patient.submission_id
        await self._send(patient)
        try:
            return await asyncio.wait_for(self._probe, timeout_s)
        except TimeoutError:
            raise IngressUnavailable(
                f"no TriageResult on {self.kafka.topic(topics.TRIAGE_RESULTS.name)} within "
                f"{timeout_s:.0f}s for a probe submission on "
                f"{self.kafka.topic(topics.TRIAGE_SUBMISSIONS.name)}: the running intake does not "
                "consume triage.submissions (not built into this version, or not running). "
                "Use --ingress http, or start an intake that has the Kafka ingress."
            ) from None

    async def submit(self, patient: Patient, intended_t: float) -> None:
        self.ledger.submitted(patient.submission_id, patient.region, patient.urgency, intended_t)
        self._sent_t[patient.submission_id] = time.monotonic()
        try:
            await self._send(patient)
        except Exception as exc:  # the producer's own errors: count, say, carry on
            if len(self.first_errors) < 5:
                self.first_errors.append(f"produce failed: {exc!r}")
            self.ledger.answered(patient.submission_id, "error", time.monotonic())

    async def _send(self, patient: Patient) -> None:
        message = patient.submission()
        await self.producer.send_and_wait(
            self.kafka.topic(topics.TRIAGE_SUBMISSIONS.name),
            codec.encode_for(topics.TRIAGE_SUBMISSIONS.name, message),
            key=patient.submission_id.encode(),
            headers=codec.cloudevent_headers(message, SOURCE),
        )
