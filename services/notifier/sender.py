"""Driving promised SMS to the provider: one task per SMS, retried, rate limited.

The agent only records the intent and hands it here, so one patient's retries never
hold up the partition. Bounds: at most ``max_pending`` SMS in progress (``submit``
waits for room: backpressure to the agent, no drops), at most ``send_concurrency``
provider requests at once, and ``rate_per_s`` requests per second (token bucket).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import time
from collections.abc import Callable

from proto import codec, topics
from proto import events as ev
from proto.contact_crypto import ContactKeyError, open_card
from services.kafka.dead_letters import dead_letter_headers
from services.kafka.metrics import DEAD_LETTERS
from services.notifier.contact_directory import ContactDirectory
from services.notifier.domain.decisions import (
    Sms,
    deletes_contact,
    failed_event,
    not_reached,
    sent_event,
)
from services.notifier.domain.rate import TokenBucket
from services.notifier.domain.segments import count_segments
from services.notifier.domain.templates import Templates
from services.notifier.ledger_log import LedgerLog
from services.notifier.metrics import PROVIDER_LATENCY, SERVE_TO_SMS, SMS
from services.notifier.providers import ProviderError, SmsProvider
from services.notifier.settings import NotifierSettings

log = logging.getLogger("triage.notifier.sender")


def resumed(entry: ev.SmsLedgerEntry) -> Sms:
    """An SMS read back from the ledger (a re-drive, a delivery report), its notice decoded once."""
    return Sms(entry, codec.PATIENT_NOTICES.decode(entry.notice.encode()))


class SmsSender:
    def __init__(
        self,
        settings: NotifierSettings,
        provider: SmsProvider,
        ledger_log: LedgerLog,
        contacts: ContactDirectory,
        keyring: dict[str, bytes],
        templates: Templates,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.settings, self.provider, self.ledger_log = settings, provider, ledger_log
        self.contacts, self.keyring, self.templates, self.rand = contacts, keyring, templates, rand
        self.bucket = TokenBucket(settings.rate_per_s, settings.rate_burst, time.monotonic())
        self._room = asyncio.Semaphore(settings.max_pending)
        self._calls = asyncio.Semaphore(settings.send_concurrency)
        self.busy: dict[str, asyncio.Task[None]] = {}  # notice event id -> its task
        self.owned: dict[int, float] = {}  # queue.your-turn partition -> when we got it (monotonic)
        self._in_request: set[asyncio.Task[None]] = set()  # tasks inside a provider request now
        self._handed_over = 0

    async def submit(self, sms: Sms) -> None:
        """Start driving ``sms`` (its entry already on the ledger); waits while full."""
        entry = sms.entry
        if entry.notice_event_id in self.busy:
            return
        await self._room.acquire()
        if entry.notice_event_id in self.busy:
            self._room.release()
            return
        task = asyncio.create_task(self._drive(sms), name=f"sms-{entry.sms_id}")
        self.busy[entry.notice_event_id] = task
        task.add_done_callback(functools.partial(self._done, entry.notice_event_id))

    def _done(self, key: str, _task: asyncio.Task[None]) -> None:
        self.busy.pop(key, None)
        self._room.release()

    async def _drive(self, sms: Sms) -> None:
        entry = sms.entry
        try:
            if entry.state == "intent":
                await self._send(sms)
            else:
                await self._announce(sms)
        except asyncio.CancelledError:
            raise
        except Exception:  # the entry stays unfinished on the ledger; the sweep picks it up again
            log.exception("case %s: SMS %s interrupted; it will be re-driven", entry.case_id, entry.sms_id)

    async def _send(self, sms: Sms) -> None:
        entry, notice = sms.entry, sms.notice
        raw_card = await self.contacts.wait_for(entry.case_id, self.settings.contact_wait_s)
        try:
            if raw_card is None:
                raise ContactKeyError("no contact card for this case")
            phone = open_card(codec.CONTACT_CARDS.decode(raw_card), self.keyring)
        except (ContactKeyError, codec.DecodeError) as exc:
            await self._fail(sms, f"cannot reach the patient: {exc}", permanent=True)
            return
        text = sms.text(self.templates)
        segments = count_segments(text).segments
        started, attempts = time.monotonic(), 0
        while True:
            attempts += 1
            async with self._calls:  # held until the outcome is durable: at most N SMS in the window
                await asyncio.sleep(self.bucket.reserve(time.monotonic()))
                if entry.partition not in self.owned:  # checked last thing before the request
                    log.info(
                        "case %s: partition %d moved away; its new owner finishes SMS %s",
                        entry.case_id,
                        entry.partition,
                        entry.sms_id,
                    )
                    return
                me = asyncio.current_task()
                assert me is not None
                self._in_request.add(me)
                call_started = time.perf_counter()
                try:
                    try:  # every provider's call latency, success or not
                        provider_id = await self.provider.send(entry.sms_id, entry.case_id, phone, text)
                    finally:
                        PROVIDER_LATENCY.labels(self.provider.name).observe(
                            time.perf_counter() - call_started
                        )
                    sent, window_ms = await self._record_sent(sms, provider_id, segments)
                    break
                except ProviderError as exc:
                    failure = exc
                finally:
                    self._in_request.discard(me)
            delay = (
                None
                if failure.permanent
                else self.settings.retry.next_delay(
                    attempts, time.monotonic() - started, failure.retry_after_s, self.rand
                )
            )
            if delay is None:
                why = "rejected" if failure.permanent else f"gave up after {attempts} attempts"
                await self._fail(sms, f"{why}: {failure}", permanent=failure.permanent)
                return
            SMS.labels(self.provider.name, entry.kind, "retried").inc()
            log.warning(
                "case %s: SMS attempt %d failed (%s); next try in %.1fs",
                entry.case_id,
                attempts,
                failure,
                delay,
            )
            await asyncio.sleep(delay)
        SMS.labels(self.provider.name, entry.kind, "sent").inc()
        if isinstance(notice, ev.YourTurn):
            SERVE_TO_SMS.observe(max(0.0, (ev.utcnow() - notice.called_at).total_seconds()))
        log.info(
            "case %s: %s SMS %s handed to %s (%d segment(s), attempt %d, sent record durable in %.1f ms)",
            entry.case_id,
            entry.kind,
            entry.sms_id,
            self.provider.name,
            segments,
            attempts,
            window_ms,
        )
        await self._announce(sent)

    async def _record_sent(self, sms: Sms, provider_id: str, segments: int) -> tuple[Sms, float]:
        """Make "sent" durable right after the provider accepted; return it and how long that took (ms)."""
        accepted = time.perf_counter()
        self._maybe_crash("accepted")
        sent = sms.sent(self.provider.name, provider_id, segments)
        await self.ledger_log.record(sent.entry)
        window_ms = (time.perf_counter() - accepted) * 1000
        self._maybe_crash("recorded")
        return sent, window_ms

    async def _fail(self, sms: Sms, reason: str, permanent: bool) -> None:
        """Record the failure, then announce it (SmsFailed + the notice to the DLQ)."""
        entry = sms.entry
        log.error(
            "case %s: SMS %s failed%s: %s",
            entry.case_id,
            entry.sms_id,
            "" if permanent else " (transient, retries exhausted)",
            reason,
        )
        failed = sms.failed(self.provider.name, reason, permanent)
        await self.ledger_log.record(failed.entry)
        SMS.labels(self.provider.name, entry.kind, "failed").inc()
        await self._announce(failed)

    async def _announce(self, sms: Sms) -> None:
        """Publish an outcome's events (ids derived from the SMS, so a repeat dedupes), then
        mark it announced. A crash in between repeats the events, never the SMS."""
        entry = sms.entry
        if entry.state == "sent":
            await self.ledger_log.publish(sent_event(sms))
        else:
            await self.ledger_log.publish(failed_event(entry))
            topic, _, where = entry.source.rpartition("/")
            partition, _, offset = where.partition("@")
            headers = dead_letter_headers(
                entry.reason, topic, int(partition or entry.partition), int(offset or -1)
            )
            await self.ledger_log.dead_letter(sms.notice.region.encode(), entry.notice.encode(), headers)
            DEAD_LETTERS.labels(topics.QUEUE_YOUR_TURN.name, "sms_failed").inc()
        if entry.state == "failed" and (command := not_reached(sms)) is not None:
            await self.ledger_log.command_queue(command)
        if deletes_contact(sms.notice):
            # the case has left the system and this was its last SMS: delete the phone now (the
            # queue left it for us). Before "announced", so a crash here deletes it on the re-drive.
            await self.ledger_log.forget_contact(entry.case_id)
        await self.ledger_log.record(sms.step(announced=True).entry)

    def _maybe_crash(self, point: str) -> None:
        """Test-only (NOTIFIER_CRASH_AFTER_SEND): die like kill -9 at a chosen point."""
        if not self.settings.crash_after_send or point != self.settings.crash_point:
            return
        self._handed_over += 1
        if self._handed_over >= self.settings.crash_after_send:
            log.warning("NOTIFIER_CRASH_AFTER_SEND: exiting now (test-only crash hook, point=%s)", point)
            logging.shutdown()
            os._exit(70)

    async def close(self) -> None:
        """Stop: no new requests; let requests in flight finish and record their outcome
        (cancelling one could lose an SMS the provider accepted); cancel the rest."""
        self.owned.clear()
        if self._in_request:
            await asyncio.wait(list(self._in_request), timeout=self.settings.request_timeout_s + 1)
        for task in list(self.busy.values()):
            task.cancel()
        await self.provider.close()
