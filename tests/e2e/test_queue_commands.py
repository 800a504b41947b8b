"""One smoke test per queue command family over a real broker and a real queue process.

The per-rule behaviour (rejections, no-show counting, heads-up positions, ...) is tested
through ``handle`` in tests/unit/queue/test_command_rules.py.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from proto import events as ev
from proto import topics
from services.queue.partitioning import region_partition
from tests.support.queue_io import history, of_type, publish, publish_raw, read_all, triaged
from tests.support.stack import Stack, wait_until

pytestmark = pytest.mark.e2e
T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def _start_queue(stack: Stack) -> None:
    stack.start(("queue",))
    wait_until(lambda: stack.get("queue", "/readyz")[0] == 200, 60, "the queue to be ready")


def _answer(stack: Stack, request_id: str, timeout: float = 30) -> list[ev.Message]:
    def found() -> list[ev.Message] | None:
        got = [m for m in history(stack.kafka) if getattr(m, "request_id", None) == request_id]
        return got or None

    return wait_until(found, timeout, f"the answer to {request_id}", interval=0.3)


def _wait_queued(stack: Stack, n: int) -> None:
    # triage.events and queue.commands are different topics with no order between them
    wait_until(lambda: len(of_type(history(stack.kafka), ev.CaseQueued)) >= n, 30, f"{n} cases queued")


def _rid() -> str:
    return uuid.uuid4().hex


def test_case_commands_serve_next_and_its_replay_reach_the_log_and_the_views(stack: Stack) -> None:
    _start_queue(stack)
    a, b, c, d = (triaged("SE-C", u, T0 + dt.timedelta(minutes=i)) for i, u in enumerate([3, 3, 2, 4]))
    dup_person = triaged("SE-C", 1, T0, person=a.person_pseudonym)
    publish(stack.kafka, [a, b, c, d, a, dup_person])
    wait_until(lambda: len(of_type(history(stack.kafka), ev.CaseQueued)) == 4, 30, "four cases queued")
    status, body = stack.get("queue", "/v1/regions/SE-C/queue")
    assert (
        status == 200 and body["waiting"] == 4 and body["depth"] == {"1": 0, "2": 1, "3": 2, "4": 1, "5": 0}
    )
    # a redelivered CaseTriaged and the same person's second case were not queued
    assert len(of_type(history(stack.kafka), ev.CaseQueued)) == 4

    # Reprioritise b to 1: it moves to the front
    r = _rid()
    publish(
        stack.kafka,
        [
            ev.Reprioritise(
                region="SE-C", request_id=r, case_id=b.case_id, urgency=1, reason="worse", by="nurse-1"
            )
        ],
    )
    [rep] = _answer(stack, r)
    assert isinstance(rep, ev.CaseReprioritised) and (rep.from_urgency, rep.to_urgency) == (3, 1)
    assert stack.get("queue", f"/v1/regions/SE-C/cases/{b.case_id}")[1]["position"] == 1
    # ServeNext calls b (now prio 1); a replay returns b again and pops nothing
    s1 = _rid()
    publish(stack.kafka, [ev.ServeNext(region="SE-C", clinician_id="n1", request_id=s1)])
    [called] = of_type(_answer(stack, s1), ev.CaseCalled)
    assert called.case_id == b.case_id
    publish(stack.kafka, [ev.ServeNext(region="SE-C", clinician_id="n1", request_id=s1)])
    wait_until(lambda: ("ServeNext", "replayed") in _command_counts(stack), 30, "the replay to be counted")
    assert [m.case_id for m in of_type(history(stack.kafka), ev.CaseCalled)] == [b.case_id]
    done = _rid()
    publish(stack.kafka, [ev.CompleteCase(region="SE-C", request_id=done, case_id=b.case_id, by="n1")])
    [closed] = _answer(stack, done)
    assert isinstance(closed, ev.CaseClosed) and closed.reason == "completed"

    x1 = _rid()
    publish(
        stack.kafka, [ev.CancelCase(region="SE-C", request_id=x1, case_id=d.case_id, reason="better", by="p")]
    )
    assert isinstance(_answer(stack, x1)[0], ev.CaseCancelled)
    # a completed case gets a tombstone on patient.contacts (the phone is deleted); a case cancelled
    # by staff gets a final notice instead, after whose SMS the notifier deletes the phone
    # (tests/e2e/test_patient_notices.py)
    tombstones = wait_until(
        lambda: {k for _, _, k, v in read_all(stack.kafka, topics.PATIENT_CONTACTS) if v is None} or None,
        30,
        "tombstones on patient.contacts",
    )
    assert tombstones == {b.case_id.encode()}
    notices = wait_until(
        lambda: of_type(history(stack.kafka, topics.QUEUE_YOUR_TURN), ev.CaseNotice) or None,
        30,
        "the cancellation notice",
    )
    assert [(n.case_id, n.kind, n.final) for n in notices] == [(d.case_id, "cancelled", True)]
    assert stack.get("queue", f"/v1/regions/SE-C/cases/{d.case_id}")[1]["status"] == "cancelled"


def test_a_no_show_puts_the_called_patient_back_first_in_their_level(stack: Stack) -> None:
    _start_queue(stack)
    first, second = triaged("SE-H", 2, T0), triaged("SE-H", 2, T0 + dt.timedelta(minutes=1))
    publish(stack.kafka, [first, second])
    _wait_queued(stack, 2)
    s1, n1 = _rid(), _rid()
    publish(
        stack.kafka,
        [
            ev.ServeNext(region="SE-H", clinician_id="n", request_id=s1),
            ev.MarkNoShow(region="SE-H", request_id=n1, case_id=first.case_id, by="n"),
        ],
    )
    [no_show] = _answer(stack, n1)
    assert isinstance(no_show, ev.CaseNoShow) and no_show.attempt == 1 and no_show.requeued
    assert stack.get("queue", f"/v1/regions/SE-H/cases/{first.case_id}")[1]["position"] == 1


def test_a_transferred_case_keeps_its_join_time_in_a_region_on_another_partition(stack: Stack) -> None:
    src, dst = (
        "SE-C",
        next(
            r
            for r in ("SE-E", "SE-F", "SE-G", "SE-H", "SE-M", "SE-O")
            if region_partition(r, topics.QUEUE_PARTITIONS)
            != region_partition("SE-C", topics.QUEUE_PARTITIONS)
        ),
    )
    _start_queue(stack)
    old, newer = triaged(src, 3, T0), triaged(dst, 3, T0 + dt.timedelta(hours=1))
    publish(stack.kafka, [old, newer])
    # triage.events and queue.commands are different topics: no order between them, so wait
    wait_until(lambda: len(of_type(history(stack.kafka), ev.CaseQueued)) == 2, 30, "both cases queued")
    t = _rid()
    publish(
        stack.kafka,
        [
            ev.TransferCase(
                region=src, request_id=t, case_id=old.case_id, to_region=dst, reason="moved", by="n"
            )
        ],
    )
    assert isinstance(_answer(stack, t)[0], ev.CaseTransferred)
    body = wait_until(
        lambda: (r := stack.get("queue", f"/v1/regions/{dst}/cases/{old.case_id}"))[0] == 200 and r[1],
        30,
        "the case to arrive in the target region",
    )
    assert body["status"] == "waiting" and body["position"] == 1  # ahead of the newer case
    assert body["queued_at"] == "2026-11-23T08:00:00Z"
    assert stack.get("queue", f"/v1/regions/{src}/cases/{old.case_id}")[1]["status"] == "transferred"
    s = _rid()
    publish(stack.kafka, [ev.ServeNext(region=dst, clinician_id="n", request_id=s)])
    assert of_type(_answer(stack, s), ev.CaseCalled)[0].case_id == old.case_id


def test_heads_up_is_sent_once_when_calls_bring_a_case_near_the_front(stack: Stack) -> None:
    _start_queue(stack)
    cases = [triaged("SE-K", 4, T0 + dt.timedelta(minutes=i)) for i in range(5)]
    publish(stack.kafka, cases)
    _wait_queued(stack, 5)
    publish(stack.kafka, [ev.ServeNext(region="SE-K", clinician_id="n", request_id=_rid()) for _ in range(2)])

    def heads_ups() -> list[ev.HeadsUp] | None:
        found = of_type(history(stack.kafka, topics.QUEUE_YOUR_TURN), ev.HeadsUp)
        return found if len(found) >= 4 else None

    notices = wait_until(heads_ups, 30, "four heads-ups")
    # none on arrival; the first case is called without one; each of the others exactly once
    assert sorted(h.case_id for h in notices) == sorted(c.case_id for c in cases[1:])
    assert {h.position for h in notices} <= {1, 2, 3}


def test_undecodable_and_foreign_partitioned_records_are_handled(stack: Stack) -> None:
    _start_queue(stack)
    publish_raw(stack.kafka, topics.QUEUE_COMMANDS, b"SE-C", b"{not json")
    wait_until(lambda: read_all(stack.kafka, topics.QUEUE_COMMANDS.dlq()), 30, "the bad record in the DLQ")
    # a producer with another partitioner put SE-C's case on the wrong partition
    case = triaged("SE-C", 2, T0)
    wrong = (region_partition("SE-C", topics.QUEUE_PARTITIONS) + 1) % topics.QUEUE_PARTITIONS
    from proto import codec

    publish_raw(stack.kafka, topics.TRIAGE_EVENTS, b"SE-C", codec.encode(case), partition=wrong)
    body = wait_until(
        lambda: (r := stack.get("queue", f"/v1/regions/SE-C/cases/{case.case_id}"))[0] == 200 and r[1],
        30,
        "the re-routed case to be queued",
    )
    assert body["status"] == "waiting"
    queued = of_type(history(stack.kafka), ev.CaseQueued)
    assert [q.case_id for q in queued] == [case.case_id]


def _command_counts(stack: Stack) -> set[tuple[str, str]]:
    import urllib.request

    with urllib.request.urlopen(stack.url("queue") + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    out = set()
    for line in text.splitlines():
        if line.startswith("triage_queue_commands_total{"):
            labels = dict(kv.split("=") for kv in line[line.index("{") + 1 : line.index("}")].split(","))
            out.add((json.loads(labels["command"]), json.loads(labels["outcome"])))
    return out
