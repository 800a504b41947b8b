"""The notifier worker: YourTurn/HeadsUp in, SMS out, SmsSent/SmsFailed on sms.events.

Contacts come from the compacted ``patient.contacts`` topic (see ContactDirectory).
"""

from __future__ import annotations

import logging
from typing import Any

import faust

from proto import codec
from proto import events as ev
from proto import topics
from proto.contact_crypto import ContactKeyError, open_card, parse_keyring
from services.kafka.dead_letters import dead_letter_headers
from services.kafka.faust_app import make_faust_app, raw_topic
from services.notifier.contact_directory import ContactDirectory
from services.notifier.domain.templates import TEMPLATES, check_templates, render
from services.kafka.metrics import DEAD_LETTERS
from services.notifier.metrics import SERVE_TO_SMS, SMS
from services.notifier.outbox import OutboxProvider
from services.notifier.settings import NotifierSettings
from services.notifier.views import register_views

log = logging.getLogger("triage.notifier")
SOURCE = "/triage/notifier"


def create_app(settings: NotifierSettings) -> faust.App:
    """The notifier's faust app; refuses to build with a template that contains a link."""
    check_templates(TEMPLATES)
    keyring = parse_keyring(settings.contact_keys)
    kafka = settings.kafka
    app = make_faust_app(
        "triage-notifier", kafka, web_host=settings.web_host, web_port=settings.web_port,
        data_dir=settings.data_dir,
    )
    notices = raw_topic(app, kafka.topic(topics.QUEUE_YOUR_TURN.name))
    notices_dlq = raw_topic(app, kafka.topic(topics.QUEUE_YOUR_TURN.dlq().name))
    sms_events = raw_topic(app, kafka.topic(topics.SMS_EVENTS.name))
    contacts = ContactDirectory(kafka)
    app.task(contacts.run)
    provider = OutboxProvider(settings.outbox_path)
    sent_notices: set[str] = set()  # issue #5 makes this durable

    async def publish(message: Any) -> None:
        await sms_events.send(
            key=message.case_id.encode(), value=codec.encode(message),
            headers=codec.cloudevent_headers(message, SOURCE),
        )

    async def contact_for(case_id: str) -> ev.ContactCard | None:
        raw = await contacts.wait_for(case_id, settings.contact_wait_s)
        return None if raw is None else codec.CONTACT_CARDS.decode(raw)

    @app.agent(notices)
    async def notify(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            tp = event.message
            try:
                notice = codec.PATIENT_NOTICES.decode(event.value)
            except codec.DecodeError as exc:
                log.warning("dead-lettered %s/%s@%s: %s", tp.topic, tp.partition, tp.offset, exc)
                DEAD_LETTERS.labels(topics.QUEUE_YOUR_TURN.name, "decode_error").inc()
                await notices_dlq.send(key=event.key, value=event.value,
                                       headers=dead_letter_headers(str(exc), tp.topic, tp.partition, tp.offset))
                continue
            if notice.event_id in sent_notices:
                continue
            kind = "your_turn" if isinstance(notice, ev.YourTurn) else "heads_up"
            sms_id = ev.new_id()
            card = await contact_for(notice.case_id)
            try:
                if card is None:
                    raise ContactKeyError("no contact card for this case")
                phone = open_card(card, keyring)
            except (ContactKeyError, codec.DecodeError) as exc:
                log.error("case %s: cannot send %s: %s", notice.case_id, kind, exc)
                SMS.labels(provider.name, kind, "failed").inc()
                await publish(ev.SmsFailed(sms_id=sms_id, case_id=notice.case_id,
                                           provider=provider.name, reason=str(exc)))
                continue
            provider_id = await provider.send(sms_id, notice.case_id, phone, render(notice))
            sent_notices.add(notice.event_id)
            SMS.labels(provider.name, kind, "sent").inc()
            if isinstance(notice, ev.YourTurn):
                SERVE_TO_SMS.observe(max(0.0, (ev.utcnow() - notice.called_at).total_seconds()))
            log.info("case %s: %s SMS handed to %s", notice.case_id, kind, provider.name)
            await publish(ev.SmsSent(
                sms_id=sms_id, case_id=notice.case_id, kind=kind, provider=provider.name,
                provider_id=provider_id, trigger_event_id=notice.event_id,
                trigger_at=notice.called_at if isinstance(notice, ev.YourTurn) else None,
            ))

    register_views(app)
    return app
