"""The notifier worker: YourTurn/HeadsUp in, SMS out, SmsSent/SmsFailed on sms.events.

Per notice the agent decodes (DLQ on failure), asks the ledger whether this notice is
new, records the intent durably (``send_and_wait``) and hands it to the SmsSender; only
then does it move on, which acks the record. A sweep re-drives intents that nobody
finished (crash, rebalance). See docs/notifier.md for the guarantees and their limits.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

import faust

from proto import codec, topics
from proto import events as ev
from proto.contact_crypto import parse_keyring
from services.kafka.dead_letters import dead_letter_headers
from services.kafka.faust_app import make_faust_app, raw_topic
from services.kafka.metrics import DEAD_LETTERS
from services.notifier.contact_directory import ContactDirectory
from services.notifier.domain.decisions import admit, intent
from services.notifier.domain.templates import Templates, kind_of, load_templates
from services.notifier.ledger_log import LedgerLog
from services.notifier.metrics import SMS, init_series
from services.notifier.provider_choice import build_provider
from services.notifier.sender import SmsSender, resumed
from services.notifier.settings import NotifierSettings
from services.notifier.views import register_views

log = logging.getLogger("triage.notifier")


def templates_from(settings: NotifierSettings) -> Templates:
    """Built-in templates plus the NOTIFIER_TEMPLATES_PATH overrides; TemplateError if unsafe."""
    text = Path(settings.templates_path).read_text("utf-8") if settings.templates_path else None
    return load_templates(text)


def create_app(settings: NotifierSettings) -> faust.App:
    """The notifier's faust app; refuses to build with a template that contains a link."""
    templates = templates_from(settings)
    keyring = parse_keyring(settings.contact_keys)
    kafka = settings.kafka
    app = make_faust_app("triage-notifier", kafka, settings.worker)
    notices_name = kafka.topic(topics.QUEUE_YOUR_TURN.name)
    notices = raw_topic(app, notices_name)
    contacts = ContactDirectory(kafka, settings.contact_lag_wait_s)
    ledger_log = LedgerLog(kafka)
    provider = build_provider(settings)
    init_series(provider.name)
    sender = SmsSender(settings, provider, ledger_log, contacts, keyring, templates)
    grace = dt.timedelta(seconds=settings.redrive_grace_s)
    if settings.crash_after_send:
        log.warning(
            "TEST-ONLY crash hook armed: exit after SMS #%d (%s)",
            settings.crash_after_send,
            settings.crash_point,
        )

    # read the ledger and the contact cards while faust joins the group (a restart's SMS wait for both)
    @app.early_task
    async def start_ledger() -> None:
        await ledger_log.start()
        app.add_future(ledger_log.run())

    app.early_task(contacts.run)

    @app.on_partitions_assigned.connect
    async def on_assigned(app: faust.App, assigned: set[Any], **kwargs: Any) -> None:
        now = time.monotonic()
        mine = {tp.partition for tp in app.consumer.assignment() if tp.topic == notices_name}
        sender.owned = {p: sender.owned.get(p, now) for p in mine}

    @app.on_partitions_revoked.connect
    async def on_revoked(app: faust.App, revoked: set[Any], **kwargs: Any) -> None:
        for tp in revoked:
            if tp.topic == notices_name:
                sender.owned.pop(tp.partition, None)

    @app.agent(notices)
    async def notify(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            tp = event.message
            try:
                notice = codec.PATIENT_NOTICES.decode(event.value)
            except codec.DecodeError as exc:
                log.warning("dead-lettered %s/%s@%s: %s", tp.topic, tp.partition, tp.offset, exc)
                DEAD_LETTERS.labels(topics.QUEUE_YOUR_TURN.name, "decode_error").inc()
                await ledger_log.dead_letter(
                    event.key,
                    event.value or b"",
                    dead_letter_headers(str(exc), tp.topic, tp.partition, tp.offset, tp.headers or ()),
                )
                continue
            await ledger_log.ready.wait()
            if admit(ledger_log.ledger, notice) == "skip":
                kind = kind_of(notice)
                SMS.labels(provider.name, kind, "duplicate_suppressed").inc()
                log.info(
                    "case %s: %s notice %s already has its SMS; replay ignored",
                    notice.case_id,
                    kind,
                    notice.event_id,
                )
                continue
            source = f"{tp.topic}/{tp.partition}@{tp.offset}"
            sms = intent(notice, event.value.decode(), tp.partition, source, provider.name)
            await ledger_log.record(sms.entry)  # durable before the provider is ever called
            await sender.submit(sms)  # the notice decoded above travels with it: decoded once

    @app.timer(interval=1.0)
    async def redrive() -> None:
        """Re-drive SMS nobody finished (intents, unannounced outcomes), in partitions we
        have owned for longer than the grace (so a previous owner's last request is over)."""
        if not ledger_log.ready.is_set():
            return
        now = time.monotonic()
        settled = {p for p, since in sender.owned.items() if now - since >= settings.redrive_grace_s}
        for entry in ledger_log.ledger.unfinished(settled, ev.utcnow(), grace, set(sender.busy))[:100]:
            log.info(
                "case %s: re-driving SMS %s (left %s by a stopped driver)",
                entry.case_id,
                entry.sms_id,
                entry.state if entry.state == "intent" else "unannounced",
            )
            try:
                sms = resumed(entry)
            except codec.DecodeError:  # written by us from a notice that decoded; never expected
                log.exception("case %s: SMS %s has an unreadable notice", entry.case_id, entry.sms_id)
                continue
            if entry.state == "intent":  # a fresh intent restarts the grace clock for this SMS
                sms = sms.step()
                await ledger_log.record(sms.entry)
            await sender.submit(sms)

    @app.on_before_shutdown.connect
    async def on_shutdown(app: faust.App, **kwargs: Any) -> None:
        await sender.close()
        await ledger_log.stop()

    register_views(app, ledger_log, settings.elks.webhook_secret)
    return app
