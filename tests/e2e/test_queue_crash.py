"""kill -9 of the queue worker mid-stream: nothing lost, nobody called twice, order kept."""

from __future__ import annotations

import datetime as dt
import random
import threading
import uuid

import pytest

from proto import events as ev
from tests.support.queue_checks import check_history
from tests.support.queue_io import history, of_type, publish, triaged
from tests.support.stack import Stack, wait_until

pytestmark = pytest.mark.e2e
REGIONS = ("SE-C", "SE-E", "SE-M")


def _stream(n_cases: int, seed: int) -> tuple[list[ev.Message], list[ev.CaseTriaged]]:
    """Triage events with random urgencies, and a ServeNext after every second case."""
    rnd = random.Random(seed)
    t0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    out: list[ev.Message] = []
    cases = []
    for i in range(n_cases):
        region = rnd.choice(REGIONS)
        case = triaged(region, rnd.randint(1, 5), t0 + dt.timedelta(seconds=i))
        cases.append(case)
        out.append(case)
        if i % 2:
            out.append(
                ev.ServeNext(region=rnd.choice(REGIONS), clinician_id="n", request_id=uuid.uuid4().hex)
            )
    return out, cases


def _ready(stack: Stack) -> bool:
    try:
        return stack.get("queue", "/readyz")[0] == 200
    except OSError:
        return False


def _drain(stack: Stack, cases: list[ev.CaseTriaged]) -> list[ev.Message]:
    """Serve every region until it says it is empty; return the final history."""
    # triage.events and queue.commands have no order between them: first let all cases in
    wanted = {c.case_id for c in cases}
    wait_until(
        lambda: wanted <= {m.case_id for m in of_type(history(stack.kafka), ev.CaseQueued)},
        90,
        "every case queued",
        interval=0.5,
    )
    for region in REGIONS:
        n = sum(1 for c in cases if c.region == region)
        publish(
            stack.kafka,
            [
                ev.ServeNext(region=region, clinician_id="drain", request_id=uuid.uuid4().hex)
                for _ in range(n + 1)
            ],
        )

    def done() -> list[ev.Message] | None:
        h = history(stack.kafka)
        empty = {m.region for m in of_type(h, ev.ServeNextEmpty) if m.clinician_id == "drain"}
        return h if empty == set(REGIONS) else None

    return wait_until(done, 90, "every region drained", interval=0.5)


def test_a_queue_worker_killed_three_times_in_a_row_loses_no_case_and_calls_nobody_twice(
    stack: Stack,
) -> None:
    stack.start(("queue",))
    wait_until(lambda: _ready(stack), 60, "the queue to be ready")
    stream, cases = _stream(240, seed=7)
    early_serves = [m for m in stream[:60] if isinstance(m, ev.ServeNext)]

    publisher = threading.Thread(target=publish, args=(stack.kafka, stream), daemon=True)
    publisher.start()
    for kill, calls in enumerate((5, 15, 25)):
        wait_until(
            lambda calls=calls: len(of_type(history(stack.kafka), ev.CaseCalled)) >= calls,
            60,
            f"{calls} calls before kill {kill + 1}",
            interval=0.1,
        )
        stack.kill("queue")  # SIGKILL: no flush, no commit, no goodbye to the group
        stack.start_service("queue")
        if kill < 2:  # the next kill comes while it is still catching up (recovery, replay)
            wait_until(lambda: _ready(stack), 90, "the restarted queue to be ready", interval=0.05)
    wait_until(lambda: _ready(stack), 90, "the restarted queue to be ready")
    publisher.join(120)
    assert not publisher.is_alive()

    # A clinician's client retries its ServeNext after the restart: same request, same answer.
    before = {m.request_id: m.case_id for m in of_type(history(stack.kafka), ev.CaseCalled)}
    retried = [s for s in early_serves if s.request_id in before][:5]
    publish(stack.kafka, retried)

    final = _drain(stack, cases)
    counts = check_history(final, cases)
    after = {m.request_id: m.case_id for m in of_type(final, ev.CaseCalled)}
    assert all(after[s.request_id] == before[s.request_id] for s in retried)
    assert counts["queued"] == len(cases) and counts["called"] == len(cases) and counts["still_waiting"] == 0
