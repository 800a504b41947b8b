"""Intake over real HTTP, a real broker and a real (stub) queue read-view server.

One intake process serves the whole module (its own topic namespace); each test uses
fresh people and, where rate limiting matters, its own API key.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from proto import codec
from proto import events as ev
from proto.pseudonym import person_pseudonym
from services.intake.settings import DEV_PSEUDONYM_KEY
from services.kafka.settings import KafkaSettings
from tests.support.people import personnummer
from tests.support.queue_stub import QueueStub, region_view
from tests.support.stack import Stack, new_namespace
from tests.support.topic_reader import read_records

pytestmark = pytest.mark.e2e
import base64  # noqa: E402

PSEUDONYM_KEY = base64.b64decode(DEV_PSEUDONYM_KEY)


@pytest.fixture(scope="module")
def queue_stub() -> Iterator[QueueStub]:
    with QueueStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def intake(bootstrap_servers: str, queue_stub: QueueStub,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(kafka=KafkaSettings(bootstrap_servers, new_namespace()),
                  workdir=tmp_path_factory.mktemp("intake-http"),
                  extra_env={"QUEUE_URL": queue_stub.url, "INTAKE_MAX_WAITING": "100",
                             "INTAKE_MAX_ESTIMATED_WAIT_S": "3600", "INTAKE_RATE_BURST": "30",
                             "INTAKE_RATE_PER_S": "0.2"})
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
    body = {"region": "SE-C", "personnummer": personnummer(), "phone": "070-123 45 67",
            "symptom": "fever", "answers": {"temperature_over_40": True}}
    body.update(overrides)
    return body


def pointers(resp: httpx.Response) -> set[str]:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["status"] == 422 and problem["title"]
    return {e["pointer"] for e in problem["errors"]}


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("overrides, bad", [
    ({"personnummer": "19900101-0018"}, {"#/personnummer"}),            # wrong check digit
    ({"personnummer": "19901301-0017"}, {"#/personnummer"}),            # month 13
    ({"phone": "08-123 456 78"}, {"#/phone"}),                          # landline
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
])
def test_each_bad_field_gets_its_own_problem_entry(intake: Stack, overrides: dict[str, Any], bad: set[str]) -> None:
    assert pointers(post(intake, submission(**overrides))) == bad


def test_every_bad_field_is_reported_at_once(intake: Stack) -> None:
    resp = post(intake, {"region": "XX", "personnummer": 1234, "phone": "hello", "symptom": "fever",
                         "answers": {"temperature_over_40": 3}, "extra": 1})
    assert pointers(resp) == {"#/region", "#/personnummer", "#/phone", "#/answers/temperature_over_40",
                              "#/extra"}


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
    assert mine[0].rules_version == "2026-11-23.1"


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


@pytest.mark.parametrize("overrides, reason, advice", [
    ({"answers": {"chest_pain": True}}, "red_flag", "Ring 112"),
    ({"symptom": "rash", "answers": {"rash_does_not_fade_under_glass": True}}, "red_flag", "Ring 112"),
    ({"personnummer": "infant"}, "infant", "1177"),
    ({"protected_identity": True}, "protected_identity", "1177"),
    ({"region": "SE-AB"}, "region_not_enabled", "Stockholm"),
])
def test_refer_away_paths_answer_200_with_advice_and_a_referred_event(
        intake: Stack, overrides: dict[str, Any], reason: str, advice: str) -> None:
    if overrides.get("personnummer") == "infant":
        overrides = {"personnummer": personnummer(dt.date.today() - dt.timedelta(days=200))}
    sid = uuid.uuid4().hex
    resp = post(intake, submission(submission_id=sid, **overrides))
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "refer" and advice in resp.json()["advice"]
    events = [codec.TRIAGE_EVENTS.decode(r.value) for r in read_records(intake.kafka, ["triage.events"])]
    referred = [e for e in events if isinstance(e, ev.CaseReferred) and e.submission_id == sid]
    assert [e.reason for e in referred] == [reason]


# ------------------------------------------------------------------ queue views: duplicate, full, case
def test_a_person_already_waiting_in_the_region_gets_their_existing_case(
        intake: Stack, queue_stub: QueueStub) -> None:
    pnr = personnummer()
    pseudonym = person_pseudonym(pnr.replace("-", ""), PSEUDONYM_KEY)
    queue_stub.routes[f"/v1/regions/SE-C/persons/{pseudonym}"] = (200, {
        "case_id": "c0ffee", "region": "SE-C", "status": "waiting", "urgency": 3, "position": 4,
        "estimated_wait_seconds": 600.0, "queued_at": "2026-11-23T09:00:00Z"})
    resp = post(intake, submission(personnummer=pnr))
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "duplicate" and resp.json()["case_id"] == "c0ffee"
    other_region = post(intake, submission(personnummer=pnr, region="SE-E"))
    assert other_region.status_code == 202


def test_a_double_submission_finds_the_case_before_the_queue_shows_it(intake: Stack) -> None:
    pnr = personnummer()  # the stub queue has no person view for them: only intake's own memory
    first = post(intake, submission(personnummer=pnr, region="SE-G"))
    second = post(intake, submission(personnummer=pnr, region="SE-G"))
    assert first.status_code == 202 and second.status_code == 200
    assert second.json()["status"] == "duplicate" and second.json()["case_id"] == first.json()["case_id"]


def test_a_full_region_says_so_honestly_but_still_takes_prio_1(intake: Stack, queue_stub: QueueStub) -> None:
    queue_stub.routes["/v1/regions/SE-M/queue"] = (200, region_view("SE-M", waiting=150))
    full = post(intake, submission(region="SE-M"))
    assert full.status_code == 200 and full.json()["status"] == "full"
    assert "1177" in full.json()["advice"] and "112" in full.json()["advice"]
    prio1 = post(intake, submission(region="SE-M", answers={"immunosuppressed": True}))
    assert prio1.status_code == 202 and prio1.json()["urgency"] == 1


def test_a_long_estimated_wait_also_means_full(intake: Stack, queue_stub: QueueStub) -> None:
    queue_stub.routes["/v1/regions/SE-I/queue"] = (200, region_view("SE-I", waiting=3, estimate_s=7200))
    assert post(intake, submission(region="SE-I")).json()["status"] == "full"


def test_a_case_is_looked_up_in_its_region_on_the_queue(intake: Stack, queue_stub: QueueStub) -> None:
    created = post(intake, submission(region="SE-F")).json()
    case_id = created["case_id"]
    view = {"case_id": case_id, "region": "SE-F", "status": "waiting", "urgency": 2, "position": 1,
            "estimated_wait_seconds": 120.0, "queued_at": "2026-11-23T09:00:00Z"}
    queue_stub.routes[f"/v1/regions/SE-F/cases/{case_id}"] = (200, view)
    resp = httpx.get(intake.url("intake") + f"/v1/cases/{case_id}")
    assert resp.status_code == 200 and resp.json()["position"] == 1
    missing = httpx.get(intake.url("intake") + "/v1/cases/unknown")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


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


def test_metrics_count_submissions_by_outcome(intake: Stack, queue_stub: QueueStub) -> None:
    def count(region: str, outcome: str) -> float:
        for line in httpx.get(intake.url("intake") + "/metrics").text.splitlines():
            if line.startswith(f'triage_submissions_total{{outcome="{outcome}",region="{region}"}}'):
                return float(line.split()[-1])
        return 0.0

    queue_stub.routes["/v1/regions/SE-H/queue"] = (200, region_view("SE-H", waiting=0))
    before = {o: count("SE-H", o) for o in ("queued", "referred", "full", "duplicate")}
    invalid_before = count("other", "invalid")
    pnr = personnummer()
    post(intake, submission(region="SE-H", personnummer=pnr))
    post(intake, submission(region="SE-H", personnummer=pnr))
    post(intake, submission(region="SE-H", answers={"chest_pain": True}))
    post(intake, {"symptom": "fever"})
    queue_stub.routes["/v1/regions/SE-H/queue"] = (200, region_view("SE-H", waiting=1000))
    import time
    time.sleep(1.1)  # let intake's one-second cache of the region view expire (not an assertion)
    post(intake, submission(region="SE-H"))
    after = {o: count("SE-H", o) for o in ("queued", "referred", "full", "duplicate")}
    assert {o: after[o] - before[o] for o in after} == {"queued": 1, "referred": 1, "full": 1, "duplicate": 1}
    assert count("other", "invalid") == invalid_before + 1
