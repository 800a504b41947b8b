"""Effectively-once SMS through a kill -9 of the notifier (real broker, real processes)."""

from __future__ import annotations

import time
import uuid
from collections import Counter

import pytest

from proto.events import SmsSent
from tests.support.sms_feed import metric, publish, sms_events, your_turn
from tests.support.stack import Stack, wait_until

pytestmark = pytest.mark.e2e

FAST_RECOVERY = {
    "SMS_SEND_CONCURRENCY": "1",  # one SMS in flight: the crash hook hits a known SMS
    "SMS_REQUEST_TIMEOUT_S": "2",
    "NOTIFIER_REDRIVE_GRACE_S": "3",
    "NOTIFIER_SESSION_TIMEOUT_S": "6",  # the dead member leaves the group sooner
}


def patients(n: int) -> list[tuple[str, str]]:
    return [(uuid.uuid4().hex, f"+4670100000{i}") for i in range(n)]


def crash_and_restart(stack: Stack, crash_point: str, n: int, lines: int) -> list[tuple[str, str]]:
    """Start the notifier armed to die at ``crash_point`` of its first SMS, feed it ``n``
    YourTurns, let it die, restart it unarmed and replay the same YourTurns once more."""
    stack.extra_env.update(FAST_RECOVERY, NOTIFIER_CRASH_AFTER_SEND="1", NOTIFIER_CRASH_POINT=crash_point)
    stack.start(("notifier",))
    cards = patients(n)
    notices = [your_turn(case_id) for case_id, _ in cards]
    publish(stack.kafka, cards, notices)
    child = stack.children["notifier"]
    wait_until(lambda: not child.alive(), 60, "the notifier to hit its crash hook and die")
    assert child.proc is not None and child.proc.returncode == 70, stack.logs("notifier")
    assert len(stack.outbox_records()) == 1

    stack.extra_env.pop("NOTIFIER_CRASH_AFTER_SEND")
    restarted = time.monotonic()
    stack.start_service("notifier")
    stack.wait_healthy(("notifier",))
    publish(stack.kafka, notices=notices)  # a duplicate delivery of every YourTurn
    wait_until(
        lambda: (
            len({r["case_id"] for r in stack.outbox_records()}) == n and len(stack.outbox_records()) >= lines
        ),
        90,
        f"{lines} SMS for the {n} patients",
    )
    wait_until(
        lambda: len({e.case_id for e in sms_events(stack.kafka) if isinstance(e, SmsSent)}) == n,
        30,
        "an SmsSent for every patient (nothing left unfinished)",
    )
    print(f"restart -> every SMS sent and announced: {time.monotonic() - restarted:.1f} s")
    wait_until(
        lambda: metric(stack.url("notifier"), "triage_sms_total", outcome="duplicate_suppressed") >= n,
        30,
        "the replayed YourTurns to be recognised as duplicates",
    )
    return cards


def test_a_notifier_killed_after_sending_but_before_committing_sends_no_second_sms(stack: Stack) -> None:
    cards = crash_and_restart(stack, "recorded", n=3, lines=3)
    per_case = Counter(r["case_id"] for r in stack.outbox_records())
    assert per_case == {case_id: 1 for case_id, _ in cards}
    sent = {e.case_id: e for e in sms_events(stack.kafka) if isinstance(e, SmsSent)}
    assert set(sent) == {case_id for case_id, _ in cards}
    assert all(e.segments == 1 and e.provider == "outbox" for e in sent.values())


@pytest.mark.slow
def test_a_crash_between_provider_accept_and_the_sent_record_is_the_window_that_can_duplicate(
    stack: Stack,
) -> None:
    """The documented limit (docs/notifier.md): the provider has no idempotency key."""
    cards = crash_and_restart(stack, "accepted", n=2, lines=3)
    per_case = Counter(r["case_id"] for r in stack.outbox_records())
    first = stack.outbox_records()[0]["case_id"]
    assert per_case[first] == 2
    assert all(per_case[c] == 1 for c, _ in cards if c != first)
