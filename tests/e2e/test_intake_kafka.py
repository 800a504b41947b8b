"""Intake's Kafka ingress and its idempotency across an intake restart (real broker, real process)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from proto import codec, topics
from proto import events as ev
from services.kafka.publisher import Publisher
from services.kafka.settings import KafkaSettings
from tests.support.people import personnummer
from tests.support.stack import Stack, new_namespace, wait_until
from tests.support.topic_reader import read_records

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def intake(bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # No queue service runs: intake must proceed when the queue is unreachable.
    stack = Stack(
        kafka=KafkaSettings(bootstrap_servers, new_namespace()),
        workdir=tmp_path_factory.mktemp("intake-kafka"),
    )
    stack.start(services=("intake",))
    try:
        yield stack
    finally:
        stack.stop()


def send(kafka: KafkaSettings, key: str, value: bytes | ev.Message) -> None:
    async def go() -> None:
        publisher = Publisher(kafka, source="/tests")
        await publisher.start()
        try:
            if isinstance(value, bytes):
                await publisher.producer.send_and_wait(
                    kafka.topic(topics.TRIAGE_SUBMISSIONS.name), value, key=key.encode()
                )
            else:
                await publisher.publish(topics.TRIAGE_SUBMISSIONS, key, value)
        finally:
            await publisher.stop()

    asyncio.run(go())


def results_for(kafka: KafkaSettings, submission_id: str) -> list[ev.TriageResult]:
    return [
        r
        for r in (codec.TRIAGE_RESULTS.decode(rec.value) for rec in read_records(kafka, ["triage.results"]))
        if r.submission_id == submission_id
    ]


def wait_results(kafka: KafkaSettings, submission_id: str, count: int = 1) -> list[ev.TriageResult]:
    return wait_until(
        lambda: r if len(r := results_for(kafka, submission_id)) >= count else None,
        60,
        f"{count} TriageResult(s) for {submission_id}",
        interval=0.3,
    )


def kafka_submission(**overrides: Any) -> ev.TriageSubmission:
    fields: dict[str, Any] = dict(
        submission_id=uuid.uuid4().hex,
        correlation_id=uuid.uuid4().hex,
        region="SE-C",
        personnummer=personnummer(),
        phone="+46701234567",
        symptom="back_pain",
        answers={"numbness_or_incontinence": True},
    )
    fields.update(overrides)
    return ev.TriageSubmission(**fields)


def test_a_kafka_submitter_gets_its_result_with_its_correlation_id(intake: Stack) -> None:
    sub = kafka_submission()
    send(intake.kafka, sub.submission_id, sub)
    [result] = wait_results(intake.kafka, sub.submission_id)
    assert result.correlation_id == sub.correlation_id
    assert result.status == "queued" and result.urgency == 1 and result.case_id


def test_a_kafka_submitter_for_someone_who_finds_written_text_hard_is_referred_to_1177_by_phone(
    intake: Stack,
) -> None:
    sub = kafka_submission(needs_spoken_contact=True, language="en")
    send(intake.kafka, sub.submission_id, sub)
    [result] = wait_results(intake.kafka, sub.submission_id)
    assert result.status == "refer" and result.case_id is None and "Call 1177" in result.advice
    events = [codec.TRIAGE_EVENTS.decode(r.value) for r in read_records(intake.kafka, ["triage.events"])]
    referred = [e for e in events if isinstance(e, ev.CaseReferred) and e.submission_id == sub.submission_id]
    assert [e.reason for e in referred] == [
        "needs_spoken_contact"
    ]  # machine-readable, like the other refer-aways


def test_an_undecodable_submission_is_dead_lettered_and_answered_invalid(intake: Stack) -> None:
    sid = uuid.uuid4().hex
    send(
        intake.kafka,
        sid,
        b'{"type": "triage.submission.v1", "submission_id": "%s", '
        b'"correlation_id": "c-1", "region": 7}' % sid.encode(),
    )
    [result] = wait_results(intake.kafka, sid)
    assert result.status == "invalid" and result.correlation_id == "c-1" and result.errors
    dlq = wait_until(
        lambda: [r for r in read_records(intake.kafka, ["triage.submissions.dlq"]) if r.key == sid.encode()],
        30,
        "the dead letter",
    )
    assert dict(dlq[0].headers)["error"]


def test_a_decodable_but_invalid_submission_is_dead_lettered_with_every_field_error(intake: Stack) -> None:
    sub = kafka_submission(personnummer="19900101-0018", symptom="headache")
    send(intake.kafka, sub.submission_id, sub)
    [result] = wait_results(intake.kafka, sub.submission_id)
    assert result.status == "invalid"
    assert any(e.startswith("#/personnummer") for e in result.errors)
    assert any(e.startswith("#/symptom") for e in result.errors)
    assert "19900101" not in " ".join(result.errors)
    dlq = wait_until(
        lambda: [
            r
            for r in read_records(intake.kafka, ["triage.submissions.dlq"])
            if r.key == sub.submission_id.encode()
        ],
        30,
        "the dead letter",
    )
    assert b"#/personnummer" in dict(dlq[0].headers)["error"]


def test_garbage_does_not_stop_the_ingress(intake: Stack) -> None:
    send(intake.kafka, "junk", b"\xff\xfe not json")
    sub = kafka_submission()
    send(intake.kafka, sub.submission_id, sub)
    assert wait_results(intake.kafka, sub.submission_id)[0].status == "queued"


def test_retries_get_the_same_case_over_http_and_kafka_even_after_an_intake_restart(intake: Stack) -> None:
    http_body = {
        "region": "SE-E",
        "personnummer": personnummer(),
        "phone": "0701234567",
        "symptom": "cough",
        "answers": {"fever_over_3_days": True},
        "submission_id": uuid.uuid4().hex,
    }
    first_http = httpx.post(intake.url("intake") + "/v1/triage", json=http_body, timeout=10).json()
    sub = kafka_submission()
    send(intake.kafka, sub.submission_id, sub)
    [first_kafka] = wait_results(intake.kafka, sub.submission_id)

    intake.kill("intake")
    intake.start_service("intake")
    intake.wait_healthy(("intake",), timeout=90)

    again = httpx.post(intake.url("intake") + "/v1/triage", json=http_body, timeout=10)
    assert again.status_code == 202
    assert again.json()["case_id"] == first_http["case_id"]
    # the same submission over the other ingress is the same submission
    send(intake.kafka, http_body["submission_id"], ev.TriageSubmission(**http_body))
    [cross] = wait_results(intake.kafka, http_body["submission_id"])
    assert cross.case_id == first_http["case_id"]
    send(intake.kafka, sub.submission_id, sub)
    replayed = wait_results(intake.kafka, sub.submission_id, count=2)
    assert {r.case_id for r in replayed} == {first_kafka.case_id}
    triaged = [codec.TRIAGE_EVENTS.decode(r.value) for r in read_records(intake.kafka, ["triage.events"])]
    ids = [e.submission_id for e in triaged if isinstance(e, ev.CaseTriaged)]
    assert ids.count(http_body["submission_id"]) == 1 and ids.count(sub.submission_id) == 1


def test_a_kafka_submitter_gets_what_an_http_client_gets_case_token_hours_and_refer_reason(
    intake: Stack,
) -> None:
    queued, referred = kafka_submission(), kafka_submission(answers={"chest_pain": True}, symptom="cough")
    send(intake.kafka, queued.submission_id, queued)
    send(intake.kafka, referred.submission_id, referred)
    [result] = wait_results(intake.kafka, queued.submission_id)
    assert result.status == "queued" and result.case_token and result.reason is None
    assert isinstance(result.region_open, bool) and (result.opens_at is None) == result.region_open
    # the token is the one the patient app presents to GET /v1/cases/{id}, as over HTTP
    shown = httpx.get(
        intake.url("intake") + f"/v1/cases/{result.case_id}",
        headers={"x-case-token": result.case_token},
        timeout=10,
    )
    assert shown.status_code == 200 and shown.json()["case_id"] == result.case_id, shown.text
    [refer] = wait_results(intake.kafka, referred.submission_id)
    assert (refer.status, refer.reason, refer.case_token, refer.region_open) == (
        "refer",
        "emergency",
        None,
        None,
    )


def test_a_submission_id_reused_for_another_request_is_refused_naming_it_over_http_and_kafka_after_a_restart(
    intake: Stack,
) -> None:
    # issue 25: the same id with temperature_over_40 came back as the old Prio 3
    body = {
        "region": "SE-E",
        "personnummer": personnummer(),
        "phone": "070-123 45 67",
        "symptom": "fever",
        "answers": {"days_with_fever": 6},
        "submission_id": uuid.uuid4().hex,
    }
    url = intake.url("intake") + "/v1/triage"
    first = httpx.post(url, json=body, timeout=10)
    assert first.status_code == 202 and first.json()["urgency"] == 3, first.text
    worse = {**body, "answers": {"days_with_fever": 6, "temperature_over_40": True}}
    refused = httpx.post(url, json=worse, timeout=10)
    assert refused.status_code == 422 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    [error] = refused.json()["errors"]
    assert error["pointer"] == "#/submission_id" and body["submission_id"] in error["detail"]
    # the same request written otherwise is a retry, not another request
    same = httpx.post(url, json={**body, "phone": "+46701234567"}, timeout=10)
    assert same.status_code == 202 and same.json()["case_id"] == first.json()["case_id"]

    intake.kill("intake")  # the binding comes back from triage.events
    intake.start_service("intake")
    intake.wait_healthy(("intake",), timeout=90)
    after = httpx.post(url, json=worse, timeout=10)
    assert after.status_code == 422 and after.json()["errors"][0]["pointer"] == "#/submission_id", after.text
    send(intake.kafka, body["submission_id"], ev.TriageSubmission(**worse))
    [kafka] = wait_results(intake.kafka, body["submission_id"])
    assert kafka.status == "invalid" and kafka.case_id is None
    assert any("#/submission_id" in e and "different request" in e for e in kafka.errors)
    assert kafka.request_digest == ""  # nothing was decided for it
    triaged = [codec.TRIAGE_EVENTS.decode(r.value) for r in read_records(intake.kafka, ["triage.events"])]
    mine = [e for e in triaged if isinstance(e, ev.CaseTriaged) and e.submission_id == body["submission_id"]]
    assert len(mine) == 1 and mine[0].urgency == 3 and len(mine[0].request_digest) == 32
