"""Intake over real HTTP and a real broker. The test plays the queue: it writes the queue's
events (CaseQueued, CaseCalled, CommandRejected...) to queue.events, which intake folds into
its own read model. A recording HTTP server stands where the queue's read views would be
(QUEUE_URL and QUEUE_WEB_PORT point at it): intake must never call it.

One intake process serves the whole module (its own topic namespace); each test uses
fresh people and, where rate limiting matters, its own API key.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from proto import codec, topics
from proto import events as ev
from proto.pseudonym import DEV_PSEUDONYM_KEY, person_pseudonym
from services.intake.domain.case_access import case_token, derive_key
from services.kafka.publisher import Publisher
from services.kafka.settings import KafkaSettings
from tests.support.people import personnummer
from tests.support.queue_stub import QueueStub
from tests.support.stack import Stack, new_namespace, wait_until
from tests.support.topic_reader import read_records

pytestmark = pytest.mark.e2e
import base64  # noqa: E402

PSEUDONYM_KEY = base64.b64decode(DEV_PSEUDONYM_KEY)
TOKEN_KEY = derive_key(PSEUDONYM_KEY)


@pytest.fixture(scope="module")
def queue_stub() -> Iterator[QueueStub]:
    with QueueStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def intake(
    bootstrap_servers: str, queue_stub: QueueStub, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    stack = Stack(
        kafka=KafkaSettings(bootstrap_servers, new_namespace()),
        workdir=tmp_path_factory.mktemp("intake-http"),
        extra_env={
            "QUEUE_URL": queue_stub.url,
            "QUEUE_WEB_PORT": queue_stub.url.rsplit(":", 1)[1],
            "INTAKE_MAX_WAITING": "100",
            "INTAKE_RATE_BURST": "30",
            "INTAKE_RATE_PER_S": "0.2",
        },
    )
    stack.start(services=("intake",))
    try:
        yield stack
    finally:
        stack.stop()


def post(stack: Stack, body: Any, *, raw: bytes | None = None, key: str | None = None) -> httpx.Response:
    headers = {"content-type": "application/json", "x-api-key": key or uuid.uuid4().hex}
    content = raw if raw is not None else httpx.Request("POST", "/", json=body).content
    return httpx.post(stack.url("intake") + "/v1/triage", content=content, headers=headers, timeout=10)


def submission(**overrides: Any) -> dict[str, Any]:
    body = {
        "region": "SE-C",
        "personnummer": personnummer(),
        "phone": "070-123 45 67",
        "symptom": "fever",
        "answers": {"temperature_over_40": True},
    }
    body.update(overrides)
    return body


def pointers(resp: httpx.Response) -> set[str]:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["status"] == 422 and problem["title"]
    return {e["pointer"] for e in problem["errors"]}


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "overrides, bad",
    [
        ({"personnummer": "19900101-0018"}, {"#/personnummer"}),  # wrong check digit
        ({"personnummer": "19901301-0017"}, {"#/personnummer"}),  # month 13
        ({"phone": "08-123 456 78"}, {"#/phone"}),  # landline
        ({"region": "SE-Q"}, {"#/region"}),
        ({"symptom": "headache"}, {"#/symptom"}),
        ({"language": "de"}, {"#/language"}),
        ({"answers": {"favourite_colour": True}}, {"#/answers/favourite_colour"}),
        ({"answers": {"temperature_over_40": "yes"}}, {"#/answers/temperature_over_40"}),
        ({"answers": {"days_with_fever": 400}}, {"#/answers/days_with_fever"}),
        ({"answers": {f"q{i}": True for i in range(40)}}, {"#/answers"}),
        ({"phone": "0" * 200}, {"#/phone"}),
        ({"submission_id": "not ok!"}, {"#/submission_id"}),
        ({"nickname": "x"}, {"#/nickname"}),
    ],
)
def test_each_bad_field_gets_its_own_problem_entry(
    intake: Stack, overrides: dict[str, Any], bad: set[str]
) -> None:
    assert pointers(post(intake, submission(**overrides))) == bad


def test_every_bad_field_is_reported_at_once(intake: Stack) -> None:
    resp = post(
        intake,
        {
            "region": "XX",
            "personnummer": 1234,
            "phone": "hello",
            "symptom": "fever",
            "answers": {"temperature_over_40": 3},
            "extra": 1,
        },
    )
    assert pointers(resp) == {
        "#/region",
        "#/personnummer",
        "#/phone",
        "#/answers/temperature_over_40",
        "#/extra",
    }


def test_missing_fields_and_broken_json_are_problem_json(intake: Stack) -> None:
    assert pointers(post(intake, {"symptom": "fever"})) == {"#/region", "#/personnummer", "#/phone"}
    assert pointers(post(intake, None, raw=b'{"region": ')) == {"#"}
    assert pointers(post(intake, None, raw=b"[1, 2]")) == {"#"}


def test_error_messages_never_echo_the_personnummer(intake: Stack) -> None:
    resp = post(intake, submission(personnummer="19900101-0018", phone="+46 8 123 456 78"))
    assert "19900101" not in resp.text and "123 456" not in resp.text


def test_an_oversized_body_is_refused_with_413_problem_json(intake: Stack) -> None:
    resp = post(intake, None, raw=b'{"pad": "' + b"x" * 40_000 + b'"}')
    assert resp.status_code == 413
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_unknown_routes_are_problem_json(intake: Stack) -> None:
    resp = httpx.get(intake.url("intake") + "/v1/nothing-here")
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")


# ------------------------------------------------------------------ decisions, idempotency
def test_a_queued_case_is_published_with_rule_id_and_rules_version(intake: Stack) -> None:
    sid = uuid.uuid4().hex
    resp = post(intake, submission(submission_id=sid, language="en"))
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["status"] == "queued" and body["urgency"] == 2 and body["rule_id"] == "fever.very_high"
    assert "queue" in body["advice"]
    triaged = [codec.TRIAGE_EVENTS.decode(r.value) for r in read_records(intake.kafka, ["triage.events"])]
    mine = [e for e in triaged if isinstance(e, ev.CaseTriaged) and e.submission_id == sid]
    assert len(mine) == 1
    assert mine[0].case_id == body["case_id"] and mine[0].rule_id == "fever.very_high"
    assert mine[0].rules_version == "2026-12-05.1"


def test_a_retried_submission_id_gets_the_same_case_and_no_second_event(intake: Stack) -> None:
    sid = uuid.uuid4().hex
    body = submission(submission_id=sid)
    first, second = post(intake, body), post(intake, body)
    assert first.status_code == second.status_code == 202
    assert first.json()["case_id"] == second.json()["case_id"]
    triaged = [codec.TRIAGE_EVENTS.decode(r.value) for r in read_records(intake.kafka, ["triage.events"])]
    assert sum(1 for e in triaged if getattr(e, "submission_id", "") == sid) == 1


def test_concurrent_retries_of_one_submission_make_one_case(intake: Stack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    body = submission(submission_id=uuid.uuid4().hex)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: post(intake, body), range(6)))
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["case_id"] for a in answers}) == 1
    triaged = [codec.TRIAGE_EVENTS.decode(r.value) for r in read_records(intake.kafka, ["triage.events"])]
    assert sum(1 for e in triaged if getattr(e, "submission_id", "") == body["submission_id"]) == 1


@pytest.mark.parametrize(
    "overrides, reason, advice",
    [
        ({"answers": {"chest_pain": True}}, "red_flag", "Ring 112"),
        ({"symptom": "rash", "answers": {"rash_does_not_fade_under_glass": True}}, "red_flag", "Ring 112"),
        ({"personnummer": "infant"}, "infant", "1177"),
        ({"protected_identity": True}, "protected_identity", "1177"),
        ({"region": "SE-AB"}, "region_not_enabled", "Stockholm"),
        ({"needs_spoken_contact": True}, "needs_spoken_contact", "Ring 1177"),  # finds written text hard
        ({"needs_spoken_contact": True, "language": "en"}, "needs_spoken_contact", "Call 1177"),
    ],
)
def test_refer_away_paths_answer_200_with_advice_and_a_referred_event(
    intake: Stack, overrides: dict[str, Any], reason: str, advice: str
) -> None:
    if overrides.get("personnummer") == "infant":
        overrides = {"personnummer": personnummer(dt.date.today() - dt.timedelta(days=200))}
    sid = uuid.uuid4().hex
    resp = post(intake, submission(submission_id=sid, **overrides))
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "refer" and advice in resp.json()["advice"]
    assert resp.json()["reason"] == PUBLIC_REASON[reason]  # machine-readable: apps never parse advice
    events = [codec.TRIAGE_EVENTS.decode(r.value) for r in read_records(intake.kafka, ["triage.events"])]
    referred = [e for e in events if isinstance(e, ev.CaseReferred) and e.submission_id == sid]
    assert [e.reason for e in referred] == [reason]


PUBLIC_REASON = {
    "red_flag": "emergency",
    "infant": "under_one_year",
    "protected_identity": "protected_identity",
    "region_not_enabled": "region_not_enabled",
    "needs_spoken_contact": "needs_spoken_contact",
}


def test_a_replayed_submission_gets_exactly_the_first_answer_advice_included(intake: Stack) -> None:
    body = submission(submission_id=uuid.uuid4().hex, language="en")
    first = post(intake, body)
    again = post(intake, {**body, "language": "sv"})  # even if the retry differs
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    refer = submission(submission_id=uuid.uuid4().hex, region="SE-AB")
    assert post(intake, refer).json() == post(intake, refer).json()


def test_a_personnummer_dated_in_the_future_is_422_not_an_infant_referral(intake: Stack) -> None:
    future = personnummer(dt.date.today() + dt.timedelta(days=30))
    resp = post(intake, submission(personnummer=future))
    assert pointers(resp) == {"#/personnummer"} and "future" in resp.text


# ------------------------------------------------------------------ the read model: duplicate, full, case
def as_queue(stack: Stack, *events: ev.Message) -> None:
    """Publish events on queue.events as the queue service would (keyed by region)."""

    async def run() -> None:
        pub = Publisher(stack.kafka, "/triage/queue")
        await pub.start()
        try:
            await asyncio.gather(*(pub.publish(topics.QUEUE_EVENTS, e.region, e) for e in events))  # type: ignore[attr-defined]
        finally:
            await pub.stop()

    asyncio.run(run())


def queued(
    region: str, person: str = "", case_id: str | None = None, seq: int = 1, urgency: int = 3
) -> ev.CaseQueued:
    return ev.CaseQueued(
        case_id=case_id or uuid.uuid4().hex,
        region=region,
        urgency=urgency,  # type: ignore[arg-type]
        queued_at=ev.utcnow(),
        sequence=seq,
        person_pseudonym=person or uuid.uuid4().hex,
    )


def case(stack: Stack, case_id: str, token: str | None = None) -> httpx.Response:
    headers = {
        "x-case-token": token if token is not None else case_token(TOKEN_KEY, case_id),
        "x-api-key": uuid.uuid4().hex,
    }  # polling must not drain one client's rate bucket
    return httpx.get(stack.url("intake") + f"/v1/cases/{case_id}", headers=headers, timeout=10)


def seen(stack: Stack, case_id: str, status: str = "waiting") -> None:
    wait_until(
        lambda: case(stack, case_id).status_code == 200 and case(stack, case_id).json()["status"] == status,
        10,
        f"intake's view to show {case_id} as {status}",
    )


def test_a_person_already_waiting_in_any_region_gets_their_existing_case(intake: Stack) -> None:
    pnr = personnummer()
    pseudonym = person_pseudonym(pnr.replace("-", ""), PSEUDONYM_KEY)
    first = queued("SE-C", pseudonym)
    as_queue(intake, first)
    seen(intake, first.case_id)
    same_region = post(intake, submission(personnummer=pnr))
    other_region = post(intake, submission(personnummer=pnr, region="SE-E"))
    for resp in (same_region, other_region):  # one region per person, nationally
        assert resp.status_code == 200, resp.text
        assert resp.json()["status"] == "duplicate" and resp.json()["case_id"] == first.case_id
        assert resp.json()["case_token"] == case_token(TOKEN_KEY, first.case_id)
    # the advice says where the person waits when they asked for another region
    assert same_region.json()["advice"].startswith("Du står redan i kö i den här regionen")
    assert other_region.json()["advice"].startswith("Du står redan i kö hos 1177 direkt i Region Uppsala")


def test_a_double_submission_finds_the_case_before_the_queue_shows_it(intake: Stack) -> None:
    pnr = personnummer()  # no queue runs here: the first case stays pending in intake's view
    first = post(intake, submission(personnummer=pnr, region="SE-G"))
    second = post(intake, submission(personnummer=pnr, region="SE-F"))
    assert first.status_code == 202 and second.status_code == 200
    assert second.json()["status"] == "duplicate" and second.json()["case_id"] == first.json()["case_id"]


def test_a_case_the_queue_refused_as_a_second_case_shows_as_duplicate_never_queued(intake: Stack) -> None:
    pnr = personnummer()
    pseudonym = person_pseudonym(pnr.replace("-", ""), PSEUDONYM_KEY)
    sid = uuid.uuid4().hex
    mine = post(intake, submission(personnummer=pnr, submission_id=sid)).json()
    assert case(intake, mine["case_id"]).json()["status"] == "pending"
    # Another intake process raced us: the queue took its case first and refused ours.
    theirs = queued("SE-C", pseudonym)
    as_queue(
        intake,
        theirs,
        ev.CommandRejected(
            region="SE-C",
            request_id=sid,
            command_type="case.triaged.v1",
            reason=f"person already waiting in SE-C as case {theirs.case_id}",
            case_id=mine["case_id"],
        ),
    )
    seen(intake, mine["case_id"], "duplicate")
    assert case(intake, mine["case_id"]).json()["duplicate_of"] == theirs.case_id
    replay = post(intake, submission(personnummer=pnr, submission_id=sid))
    assert replay.json()["status"] == "duplicate" and replay.json()["case_id"] == theirs.case_id


def test_a_full_region_says_so_honestly_but_still_takes_prio_1(intake: Stack) -> None:
    crowd = [queued("SE-M", seq=i) for i in range(100)]  # INTAKE_MAX_WAITING=100 in this module
    as_queue(intake, *crowd)
    seen(intake, crowd[-1].case_id)
    wait_until(lambda: post(intake, submission(region="SE-M")).json()["status"] == "full", 10, "SE-M full")
    full = post(intake, submission(region="SE-M"))
    assert full.status_code == 200 and full.json()["status"] == "full"
    assert "1177" in full.json()["advice"] and "112" in full.json()["advice"]
    prio1 = post(intake, submission(region="SE-M", answers={"immunosuppressed": True}))
    assert prio1.status_code == 202 and prio1.json()["urgency"] == 1


def test_a_wait_past_the_time_frame_is_not_queued_silently(intake: Stack) -> None:
    # Issue 25 (replaces the flat INTAKE_MAX_ESTIMATED_WAIT_S): three calls in the last 15 minutes
    # (5 minutes a call) and 60 Prio 2 cases waiting: a new Prio 2 case is at least
    # 0.75 x 60.5 x 5 min = 3 h 46 min away (3 h 45 min rounded down), past its 3 hours.
    waiting = [queued("SE-I", seq=i, urgency=2) for i in range(63)]
    calls = [
        ev.CaseCalled(
            case_id=w.case_id,
            region="SE-I",
            urgency=2,
            clinician_id="n1",
            request_id=uuid.uuid4().hex,
            queued_at=w.queued_at,
            called_at=ev.utcnow(),
        )
        for w in waiting[:3]
    ]
    as_queue(intake, *waiting, *calls)
    seen(intake, waiting[2].case_id, "called")
    refused = post(intake, submission(region="SE-I"))  # fever.very_high: Prio 2
    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "refer" and refused.json()["reason"] == "wait_too_long"
    assert "Ring 1177 nu" in refused.json()["advice"]
    assert (
        post(intake, submission(region="SE-I", answers={"days_with_fever": 6})).status_code == 202
    )  # Prio 3


def test_a_patient_sees_their_case_with_its_token_and_nobody_else_does(intake: Stack) -> None:
    created = post(intake, submission(region="SE-F"))
    assert created.status_code == 202
    case_id, token = created.json()["case_id"], created.json()["case_token"]
    assert case(intake, case_id, token).json()["status"] == "pending"
    as_queue(intake, queued("SE-F", case_id=case_id, urgency=2, seq=1))
    seen(intake, case_id)
    mine = case(intake, case_id, token).json()
    assert mine["position"] >= 1 and mine["urgency"] == 2 and mine["region"] == "SE-F"
    other = post(intake, submission(region="SE-F")).json()
    assert case(intake, case_id, other["case_token"]).status_code == 404  # someone else's token
    no_token = httpx.get(
        intake.url("intake") + f"/v1/cases/{case_id}", headers={"x-api-key": uuid.uuid4().hex}
    )
    assert no_token.status_code == 401 and no_token.headers["content-type"].startswith(
        "application/problem+json"
    )
    missing = case(intake, "unknown")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_no_request_on_the_submit_path_or_case_lookup_reaches_the_queue_service(
    intake: Stack, queue_stub: QueueStub
) -> None:
    pnr = personnummer()
    first = post(intake, submission(personnummer=pnr, submission_id=uuid.uuid4().hex))
    post(intake, submission(personnummer=pnr))  # duplicate
    post(intake, submission(answers={"chest_pain": True}))  # refer
    case(intake, first.json()["case_id"], first.json()["case_token"])
    assert first.status_code == 202
    assert queue_stub.requests == []


# ------------------------------------------------------------------ abuse
def test_a_client_over_its_rate_gets_429_with_retry_after(intake: Stack) -> None:
    key = uuid.uuid4().hex
    statuses = [post(intake, {"symptom": "fever"}, key=key).status_code for _ in range(40)]
    assert statuses[:30] == [422] * 30
    assert 429 in statuses[30:]
    limited = post(intake, {"symptom": "fever"}, key=key)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert post(intake, {"symptom": "fever"}).status_code == 422  # another client is not affected


def test_metrics_count_submissions_by_outcome(intake: Stack) -> None:
    def count(region: str, outcome: str) -> float:
        for line in httpx.get(intake.url("intake") + "/metrics").text.splitlines():
            if line.startswith(f'triage_submissions_total{{outcome="{outcome}",region="{region}"}}'):
                return float(line.split()[-1])
        return 0.0

    before = {o: count("SE-H", o) for o in ("queued", "referred", "full", "duplicate")}
    invalid_before = count("other", "invalid")
    pnr = personnummer()
    post(intake, submission(region="SE-H", personnummer=pnr))
    post(intake, submission(region="SE-H", personnummer=pnr))
    post(intake, submission(region="SE-H", answers={"chest_pain": True}))
    post(intake, {"symptom": "fever"})
    crowd = [queued("SE-H", seq=i) for i in range(100)]
    as_queue(intake, *crowd)
    seen(intake, crowd[-1].case_id)
    post(intake, submission(region="SE-H"))
    after = {o: count("SE-H", o) for o in ("queued", "referred", "full", "duplicate")}
    assert {o: after[o] - before[o] for o in after} == {"queued": 1, "referred": 1, "full": 1, "duplicate": 1}
    assert count("other", "invalid") == invalid_before + 1


def test_metrics_send_one_charset_that_prometheus_3_accepts(intake: Stack) -> None:
    content_type = httpx.get(intake.url("intake") + "/metrics").headers["content-type"]
    assert content_type.count("charset") == 1 and content_type.startswith("text/plain; version=")


def test_record_types_the_queue_adds_later_are_skipped_and_counted_not_fatal(intake: Stack) -> None:
    from aiokafka import AIOKafkaProducer

    def skipped(kind: str) -> float:
        for line in httpx.get(intake.url("intake") + "/metrics").text.splitlines():
            if line.startswith("triage_intake_view_skipped_records_total") and f'type="{kind}"' in line:
                return float(line.split()[-1])
        return 0.0

    before = skipped("queue.batch-committed.v1")

    async def send_raw() -> None:
        producer = AIOKafkaProducer(**intake.kafka.client_options(), enable_idempotence=False)
        await producer.start()
        try:
            await producer.send_and_wait(
                intake.kafka.topic("queue.events"),
                b'{"type": "queue.batch-committed.v1", "region": "SE-K"}',
                key=b"SE-K",
                headers=[("ce_type", b"queue.batch-committed.v1")],
            )
            await producer.send_and_wait(intake.kafka.topic("queue.events"), b"{not json", key=b"SE-K")
        finally:
            await producer.stop()

    asyncio.run(send_raw())
    after_them = queued("SE-K")
    as_queue(intake, after_them)
    seen(intake, after_them.case_id)  # the tail went on past both
    assert skipped("queue.batch-committed.v1") == before + 1
    assert skipped("unknown") >= 1
    assert intake.get("intake", "/readyz")[0] == 200


def test_garbage_collector_pauses_are_measured_for_the_latency_tail(intake: Stack) -> None:
    def full_collections() -> float:
        for line in httpx.get(intake.url("intake") + "/metrics").text.splitlines():
            if line.startswith('triage_intake_gc_pause_seconds_count{generation="2"}'):
                return float(line.split()[-1])
        return 0.0

    wait_until(lambda: full_collections() >= 2, 10, "intake's periodic collections to be measured")
