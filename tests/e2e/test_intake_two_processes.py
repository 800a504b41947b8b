"""Two intake processes, a real queue and a real broker: the duplicate race and the national
one-region guard hold across processes (the queue arbitrates; intake's views converge)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from proto import codec
from proto import events as ev
from services.kafka.settings import KafkaSettings
from tests.support.people import personnummer
from tests.support.stack import Stack, wait_until
from tests.support.topic_reader import read_records

pytestmark = pytest.mark.e2e


@pytest.fixture
def two_intakes(stack: Stack, tmp_path: Path) -> tuple[Stack, Stack]:
    """``stack`` runs the queue and intake A; a second Stack on the same namespace runs intake B."""
    stack.start(("queue", "intake"))
    other = Stack(kafka=stack.kafka, workdir=tmp_path / "b")
    other.workdir.mkdir()
    try:
        other.start(("intake",))
        yield stack, other  # type: ignore[misc]
    finally:
        other.stop()


def post(stack: Stack, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        stack.url("intake") + "/v1/triage", json=body, timeout=30, headers={"x-api-key": uuid.uuid4().hex}
    )


def body(pnr: str, region: str = "SE-C", **more: Any) -> dict[str, Any]:
    return {
        "region": region,
        "personnummer": pnr,
        "phone": "070-123 45 67",
        "symptom": "fever",
        "answers": {"temperature_over_40": True},
        "submission_id": uuid.uuid4().hex,
        **more,
    }


def queue_history(kafka: KafkaSettings) -> list[ev.Message]:
    out = []
    for record in read_records(kafka, ["queue.events"]):
        try:
            out.append(codec.QUEUE_EVENTS.decode(record.value))
        except codec.DecodeError:
            pass  # a record type this build does not know
    return out


def case_status(stack: Stack, answer: dict[str, Any]) -> dict[str, Any]:
    resp = httpx.get(
        stack.url("intake") + f"/v1/cases/{answer['case_id']}",
        headers={"x-case-token": answer["case_token"], "x-api-key": uuid.uuid4().hex},
        timeout=10,
    )
    return resp.json() if resp.status_code == 200 else {"status": f"http {resp.status_code}"}


def test_64_concurrent_submissions_of_one_person_across_two_intakes_queue_them_once(
    two_intakes: tuple[Stack, Stack],
) -> None:
    a, b = two_intakes
    pnr = personnummer()
    with ThreadPoolExecutor(64) as pool:
        answers = list(pool.map(lambda i: post((a, b)[i % 2], body(pnr)), range(64)))
    assert {r.status_code for r in answers} <= {200, 202}, [r.text for r in answers if r.status_code >= 300]
    bodies = [r.json() for r in answers]
    assert {x["status"] for x in bodies} <= {"queued", "duplicate"}
    announced = {x["case_id"] for x in bodies}
    assert len(announced) <= 2  # at most one case per intake process got past its own view

    def settled() -> list[ev.CaseQueued] | None:
        history = queue_history(a.kafka)
        answered = {
            getattr(m, "case_id", "") for m in history if isinstance(m, ev.CaseQueued | ev.CommandRejected)
        }
        queued = [m for m in history if isinstance(m, ev.CaseQueued) and m.case_id in announced]
        return queued if announced <= answered else None

    queued = wait_until(settled, 60, "the queue to answer every announced case", interval=0.3)
    assert len({q.case_id for q in queued}) == 1  # the person is queued once
    winner = queued[0].case_id
    # Whoever was told "queued" for the losing case now sees it as a duplicate of the winner, on both intakes.
    for stack in (a, b):
        for x in bodies:
            # Settled: waiting, or a duplicate that names the first case (the view may read the
            # queue's refusal before the case's own CaseTriaged, which says whose case it is).
            wait_until(
                lambda stack=stack, x=x: (
                    (v := case_status(stack, x))["status"] == "waiting"
                    or (v["status"] == "duplicate" and v.get("duplicate_of"))
                ),
                15,
                "the case to be settled in this intake's view",
            )
            view = case_status(stack, x)
            if x["case_id"] == winner:
                assert view["status"] == "waiting"
            else:
                assert view["status"] == "duplicate" and view["duplicate_of"] == winner


def test_a_person_waiting_in_one_region_is_a_duplicate_in_another_through_the_other_intake(
    two_intakes: tuple[Stack, Stack],
) -> None:
    a, b = two_intakes
    pnr = personnummer()
    first = post(a, body(pnr, region="SE-F"))
    assert first.status_code == 202, first.text
    # B learns of the case from triage.events (no call to A or to the queue)
    wait_until(
        lambda: case_status(b, first.json())["status"] in ("pending", "waiting"),
        15,
        "intake B to see the case intake A announced",
    )
    second = post(b, body(pnr, region="SE-G"))
    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    assert second.json()["case_id"] == first.json()["case_id"]
    wait_until(lambda: case_status(b, first.json())["status"] == "waiting", 30, "the queue to take the case")
    queued = [m for m in queue_history(a.kafka) if isinstance(m, ev.CaseQueued)]
    assert [m.region for m in queued if m.case_id == first.json()["case_id"]] == ["SE-F"]
    assert len(queued) == 1


def test_one_person_raced_into_two_regions_by_two_intakes_ends_up_waiting_in_one(
    two_intakes: tuple[Stack, Stack],
) -> None:
    a, b = two_intakes
    people = [personnummer() for _ in range(6)]
    with ThreadPoolExecutor(12) as pool:
        answers = list(
            pool.map(
                lambda job: post(job[0], body(job[1], region=job[2])),
                [(a, p, "SE-F") for p in people] + [(b, p, "SE-G") for p in people],
            )
        )
    assert {r.status_code for r in answers} <= {200, 202}
    cases = {r.json()["case_id"] for r in answers}

    def waiting_per_case() -> dict[str, str] | None:
        history = queue_history(a.kafka)
        queued = {
            m.case_id: m.person_pseudonym
            for m in history
            if isinstance(m, ev.CaseQueued) and m.case_id in cases
        }
        gone = {m.case_id for m in history if isinstance(m, ev.CaseCancelled)}
        live = {c: p for c, p in queued.items() if c not in gone}
        return live if len(live) == len(set(live.values())) == len(people) else None

    try:
        live = wait_until(waiting_per_case, 60, "each person waiting in exactly one region", interval=0.5)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{_race_report(a, cases, answers)}") from None

    # every answer's case is either the one left waiting, or shows as a duplicate of it (intake's
    # view folds queue.events a moment after the history above shows them: wait for it to agree)
    def views_agree() -> list[dict[str, object]] | None:
        views = [case_status(a, r.json()) for r in answers]
        settled = all(
            (r.json()["case_id"] in live) == (v["status"] == "waiting")
            for r, v in zip(answers, views, strict=True)
        )
        return views if settled else None

    views = wait_until(views_agree, 30, "intake's case views to agree with the queue's history", interval=0.5)
    for r, view in zip(answers, views, strict=True):
        assert (r.json()["case_id"] in live) == (view["status"] == "waiting"), view
        if view["status"] != "waiting":
            assert view["status"] == "duplicate" and view["duplicate_of"] in live


def test_intake_with_two_workers_serves_on_one_port_and_replays_retries_from_either(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    stack = Stack(kafka=kafka, workdir=tmp_path, extra_env={"INTAKE_WORKERS": "2"})
    try:
        stack.start(("intake",))
        supervisor = stack.children["intake"].proc
        assert supervisor is not None
        workers = Path(f"/proc/{supervisor.pid}/task/{supervisor.pid}/children").read_text().split()
        assert len(workers) >= 2  # uvicorn's worker processes (plus, maybe, its resource tracker)
        bodies = [body(personnummer()) for _ in range(12)]
        first = [post(stack, b) for b in bodies]
        again = [post(stack, b) for b in bodies]  # new connections: the kernel picks the worker
        assert [r.status_code for r in first] == [202] * 12
        assert [r.json()["case_id"] for r in again] == [r.json()["case_id"] for r in first]
    finally:
        stack.stop()


def _race_report(stack: Stack, cases: set[str], answers: list[httpx.Response]) -> str:
    """What the queue's history and the command topic say about the raced cases (on failure)."""
    lines = []
    for m in queue_history(stack.kafka):
        case_id = getattr(m, "case_id", "")
        if case_id in cases or isinstance(m, ev.CommandRejected):
            lines.append(
                f"event {type(m).__name__} case={case_id} region={getattr(m, 'region', '')} "
                f"person={getattr(m, 'person_pseudonym', '')[:8]} at={getattr(m, 'queued_at', '')} "
                f"reason={getattr(m, 'reason', '')}"
            )
    for record in read_records(stack.kafka, ["queue.commands"]):
        try:
            command = codec.QUEUE_COMMANDS.decode(record.value)
        except codec.DecodeError:
            continue
        lines.append(
            f"command {type(command).__name__} case={getattr(command, 'case_id', '')} "
            f"request={command.request_id} at {record.partition}@{record.offset}"
        )
    for record in read_records(stack.kafka, ["triage.events"]):
        lines.append(f"triage.events {record.partition}@{record.offset}")
    try:
        text = httpx.get(stack.url("queue") + "/metrics", timeout=5).text
        lines += [
            line
            for line in text.splitlines()
            if line.startswith(("triage_consumer_lag", "triage_queue_commands"))
        ]
    except httpx.HTTPError as exc:
        lines.append(f"queue metrics: {exc}")
    lines += [f"answer {r.status_code} {r.json()}" for r in answers]
    return "\n".join(lines)
