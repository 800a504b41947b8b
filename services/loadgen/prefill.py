"""``--prefill N``: put N waiting cases (in enabled regions, by population) in the queues before the timed run, bypassing intake.

For the ServeNext -> YourTurn -> SMS path at high rates, the queues need more waiting
patients than intake can admit in a short run. The load generator then does what intake
does for each case: a sealed ContactCard on patient.contacts, then CaseTriaged on
triage.events (with CONTACT_KEYS / PSEUDONYM_KEY from the environment, or the dev keys,
which must match the notifier's). The cases count as queued in the accounting.
"""

from __future__ import annotations

import asyncio
import os
import time

from aiokafka import AIOKafkaProducer

from proto import codec, topics
from proto import events as ev
from proto.contact_crypto import DEV_CONTACT_KEYS, parse_keyring, seal
from proto.pseudonym import DEV_PSEUDONYM_KEY, person_pseudonym
from services.config.env import EnvReader
from services.kafka.settings import KafkaSettings
from services.loadgen.ledger import Ledger
from services.loadgen.patients import PatientFactory

SOURCE = "/triage/loadgen-prefill"


async def prefill(
    kafka: KafkaSettings, ledger: Ledger, patients: PatientFactory, count: int, timeout_s: float
) -> float:
    """Publish ``count`` cases and wait until the queue has queued them all; return seconds taken."""
    read = EnvReader(os.environ)  # the same keys as intake, read the same way
    key_id, key = next(iter(parse_keyring(read.text("CONTACT_KEYS", DEV_CONTACT_KEYS)).items()))
    pseudonym_key = read.base64("PSEUDONYM_KEY", DEV_PSEUDONYM_KEY)
    producer = AIOKafkaProducer(**kafka.client_options(), acks="all", linger_ms=5, enable_idempotence=False)
    await producer.start()
    started = time.monotonic()
    try:
        futures = []
        made = 0
        while made < count:
            p = patients.next()
            if p.region not in ledger.enabled_regions:
                continue  # intake would refer them; only queued cases are useful here
            made += 1
            case_id = ev.new_id()
            card = seal(case_id, p.phone, key_id, key)
            triaged = ev.CaseTriaged(
                case_id=case_id,
                region=p.region,
                urgency=p.recipe.yields,  # type: ignore[arg-type]
                symptom=p.recipe.symptom,
                person_pseudonym=person_pseudonym(p.personnummer.replace("-", ""), pseudonym_key),
                triaged_at=ev.utcnow(),
                rule_id="loadgen.prefill",
                submission_id=p.submission_id,
            )
            ledger.prefilled(p.submission_id, p.region, p.recipe.yields, case_id, time.monotonic())
            futures.append(
                await producer.send(
                    kafka.topic(topics.PATIENT_CONTACTS.name),
                    codec.encode_for(topics.PATIENT_CONTACTS.name, card),
                    key=case_id.encode(),
                    headers=codec.cloudevent_headers(card, SOURCE),
                )
            )
            futures.append(
                await producer.send(
                    kafka.topic(topics.TRIAGE_EVENTS.name),
                    codec.encode_for(topics.TRIAGE_EVENTS.name, triaged),
                    key=p.region.encode(),
                    headers=codec.cloudevent_headers(triaged, SOURCE),
                )
            )
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    deadline = time.monotonic() + timeout_s
    while ledger.outstanding()["not_yet_queued"] and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return time.monotonic() - started
