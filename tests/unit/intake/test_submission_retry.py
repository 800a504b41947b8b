"""A retry of a submission whose answer timed out while its event still landed opens no second case.

Under a broker fault (the 3-broker chaos run's leader kill) intake's publish of a CaseTriaged can
outlive the HTTP request's timeout and land later. The client retries with the same
submission_id; intake's index and view do not know the first attempt yet. The retry must name
the same case, or the queue refuses the second CaseTriaged as "person already waiting" while
the client holds its id (docs/queue.md, "Open"). The publisher is the small store interface
faked here; the e2e tier runs the real one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from proto import events as ev
from services.intake.domain.submission_index import SubmissionIndex
from services.intake.lifecycle import load_rules
from services.intake.settings import IntakeSettings, packaged_rules_path
from services.intake.submissions import TriageService

BODY = {
    "region": "SE-C",
    "personnummer": "19900101-0017",
    "phone": "070-123 45 67",
    "symptom": "sore_throat",
    "answers": {},
    "submission_id": "retry-1",
}


class SlowFirstPublisher:
    """Keeps every record it is given; the first CaseTriaged's acknowledgement never comes."""

    def __init__(self) -> None:
        self.triaged: list[ev.CaseTriaged] = []

    async def publish(self, topic: Any, key: str, message: Any) -> None:
        if isinstance(message, ev.CaseTriaged):
            self.triaged.append(message)  # it lands on the broker either way
            if len(self.triaged) == 1:
                await asyncio.sleep(3600)  # ... but its ack outlives the request


def _service(publisher: SlowFirstPublisher) -> TriageService:
    settings = IntakeSettings(enabled_regions=frozenset({"SE-C"}))
    return TriageService(settings, load_rules(packaged_rules_path()), publisher, SubmissionIndex())  # type: ignore[arg-type]


async def _submit_timed_out_then_retry(service: TriageService, body: dict[str, Any]) -> str | None:
    now = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
    try:
        async with asyncio.timeout(0.05):  # the HTTP edge's INTAKE_REQUEST_TIMEOUT_S, shortened
            await service.submit(dict(body), now)
    except TimeoutError:
        pass
    retried = await service.submit(dict(body), now)
    assert retried.status == "queued"
    return retried.case_id


def test_a_retry_after_a_timed_out_publish_names_the_same_case_as_the_event_that_landed() -> None:
    publisher = SlowFirstPublisher()
    case_id = asyncio.run(_submit_timed_out_then_retry(_service(publisher), BODY))
    assert len(publisher.triaged) == 2
    assert {t.case_id for t in publisher.triaged} == {case_id}


def test_two_different_submissions_of_one_person_still_get_two_case_ids() -> None:
    publisher = SlowFirstPublisher()
    service = _service(publisher)
    first = asyncio.run(_submit_timed_out_then_retry(service, BODY))
    other = {**BODY, "submission_id": "retry-2", "region": "SE-C", "symptom": "cough"}
    publisher2 = SlowFirstPublisher()
    second = asyncio.run(_submit_timed_out_then_retry(_service(publisher2), other))
    assert first != second


class OrderPublisher:
    """Logs when each record's send starts and is acknowledged; can refuse the contact card."""

    def __init__(self, refuse_card: bool = False) -> None:
        self.refuse_card = refuse_card
        self.log: list[tuple[str, str]] = []

    async def publish(self, topic: Any, key: str, message: Any) -> None:
        self.log.append(("sent", topic.name))
        await asyncio.sleep(0.01)  # the broker's round trip: another send could start meanwhile
        if self.refuse_card and topic.name == "patient.contacts":
            raise ConnectionError("the card's partition has no leader")
        self.log.append(("acked", topic.name))


def test_the_contact_card_is_acknowledged_before_the_case_is_sent_to_the_queue() -> None:
    publisher = OrderPublisher()
    now = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
    assert asyncio.run(_service(publisher).submit(dict(BODY), now)).status == "queued"  # type: ignore[arg-type]
    assert publisher.log == [
        ("sent", "patient.contacts"),
        ("acked", "patient.contacts"),
        ("sent", "triage.events"),
        ("acked", "triage.events"),
    ]


def test_a_refused_contact_card_sends_no_case_to_the_queue() -> None:
    publisher = OrderPublisher(refuse_card=True)
    now = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
    try:
        asyncio.run(_service(publisher).submit(dict(BODY), now))  # type: ignore[arg-type]
    except ConnectionError:
        pass
    else:
        raise AssertionError("the submission was answered although its card was refused")
    assert ("sent", "triage.events") not in publisher.log  # no case without a way to reach the patient
