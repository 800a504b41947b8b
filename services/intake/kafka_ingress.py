"""The Kafka twin of ``POST /v1/triage``: ``triage.submissions`` in, ``triage.results`` out.

Every record goes through the same ``TriageService.submit`` as an HTTP body. The
submitter gets a TriageResult (keyed by submission_id) carrying its correlation_id.
A record that cannot be decoded, or is invalid, goes to ``triage.submissions.dlq``
with the reason in the ``error`` header, and - when its submission_id can be read - an
"invalid" TriageResult tells the submitter why. Offsets are committed after the
results are sent (at-least-once); a redelivered record replays its first outcome.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import msgspec
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from proto import catalog, codec, topics
from proto import events as ev
from services.intake.domain.submission_form import FIELDS, InvalidSubmission
from services.intake.submissions import TriageService
from services.intake.triage_answer import triage_answer
from services.kafka.dead_letters import dead_letter_headers
from services.kafka.metrics import DEAD_LETTERS
from services.observability.redaction import redact

log = logging.getLogger("triage.intake.kafka")
INGRESS_GROUP = catalog.access("intake").groups[0]


class _Ids(msgspec.Struct):
    """The two ids a broken submission may still carry, to address an 'invalid' result."""

    submission_id: str | None = None
    correlation_id: str | None = None


class KafkaIngress:
    def __init__(self, service: TriageService) -> None:
        self.service = service
        self.kafka = service.settings.kafka
        self.processed = 0

    async def run(self) -> None:
        """Consume forever in intake's consumer group (cancel to stop)."""
        consumer = AIOKafkaConsumer(
            self.kafka.topic(topics.TRIAGE_SUBMISSIONS.name),
            **self.kafka.consumer_options(),
            # the group its KafkaUser may use (proto/catalog.py); "intake" before issue 20
            group_id=self.kafka.group(INGRESS_GROUP),
            fetch_max_wait_ms=self.kafka.fetch_max_wait_ms,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
        )
        await consumer.start()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=500, max_records=100)
                for records in batch.values():
                    for record in records:
                        await self.handle(record)
                if batch:
                    await consumer.commit()
        finally:
            await consumer.stop()

    async def handle(self, record: ConsumerRecord) -> None:
        """One submission: decide and answer, or dead-letter it. Never raises for bad input."""
        self.processed += 1
        try:
            submission = codec.SUBMISSIONS.decode(record.value)
        except codec.DecodeError as exc:
            await self._dead_letter(record, "undecodable", redact(str(exc)))
            await self._invalid_result(_read_ids(record.value), [redact(str(exc))])
            return
        raw = {name: getattr(submission, name) for name in FIELDS}
        try:
            outcome = await self.service.submit(raw, dt.datetime.now(dt.UTC))
        except InvalidSubmission as exc:
            errors = [f"{e.pointer}: {e.detail}" for e in exc.errors]
            await self._dead_letter(record, "invalid", "; ".join(errors))
            await self._invalid_result(_Ids(submission.submission_id, submission.correlation_id), errors)
            return
        answer = triage_answer(self.service, outcome, submission.language, dt.datetime.now(dt.UTC))
        await self.service.publisher.publish(
            topics.TRIAGE_RESULTS,
            submission.submission_id,
            ev.TriageResult(
                submission_id=submission.submission_id,
                correlation_id=submission.correlation_id,
                status=outcome.status,  # type: ignore[arg-type]
                case_id=outcome.case_id,
                urgency=outcome.urgency,
                advice=answer.advice,
                reason=outcome.reason or None,
                case_token=answer.case_token,
                region_open=answer.region_open,
                opens_at=answer.opens_at,
                request_digest=outcome.request_digest,
            ),
        )

    async def _dead_letter(self, record: ConsumerRecord, reason: str, error: str) -> None:
        name = topics.TRIAGE_SUBMISSIONS.name
        await self.service.publisher.producer.send_and_wait(
            self.kafka.topic(topics.TRIAGE_SUBMISSIONS.dlq().name),
            record.value,
            key=record.key,
            headers=dead_letter_headers(error, name, record.partition, record.offset, record.headers or ()),
        )
        DEAD_LETTERS.labels(name, reason).inc()
        log.warning("dead-lettered %s/%d@%d (%s)", name, record.partition, record.offset, reason)

    async def _invalid_result(self, ids: _Ids, errors: list[str]) -> None:
        if not ids.submission_id and not ids.correlation_id:
            return
        await self.service.publisher.publish(
            topics.TRIAGE_RESULTS,
            ids.submission_id or ids.correlation_id or "",
            ev.TriageResult(
                submission_id=ids.submission_id or "",
                correlation_id=ids.correlation_id,
                status="invalid",
                errors=errors,
            ),
        )


def _read_ids(value: bytes | None) -> _Ids:
    """The ids of a record that failed to decode, if they can be read at all (strings only)."""
    if not value:
        return _Ids()
    try:
        raw = msgspec.json.decode(value)
    except msgspec.DecodeError:
        return _Ids()
    if not isinstance(raw, dict):
        return _Ids()
    ids = [raw.get("submission_id"), raw.get("correlation_id")]
    sid, cid = (x[:128] if isinstance(x, str) else None for x in ids)
    return _Ids(sid, cid)


async def run_when_ready(ingress: KafkaIngress, ready: asyncio.Event) -> None:
    """Start consuming only once the submission index is rebuilt, so replays stay idempotent."""
    await ready.wait()
    await ingress.run()
