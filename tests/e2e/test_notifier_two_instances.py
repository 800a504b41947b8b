"""Two notifier instances in one group: partitions split, each SMS sent once, reports answered anywhere."""

from __future__ import annotations

import os
import signal
import uuid
from collections import Counter

import pytest

from proto.events import SmsSent
from services.kafka.embedded_broker import free_port
from services.process_group import Child, service_argv
from tests.support.fake_46elks import Fake46elks
from tests.support.sms_feed import metric, publish, sms_events, your_turn
from tests.support.stack import Stack, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SECRET = "two-instances-" + uuid.uuid4().hex  # the delivery-report webhook's secret (issue 13)
REGIONS = ["SE-AB", "SE-C", "SE-D", "SE-E", "SE-F", "SE-G", "SE-H", "SE-I", "SE-K", "SE-M", "SE-O", "SE-S"]


def second_notifier(stack: Stack) -> Child:
    port = free_port()
    env = {
        **stack.env("notifier"),
        "NOTIFIER_WEB_PORT": str(port),
        "NOTIFIER_DATA_DIR": str(stack.workdir / "notifier2-data"),
    }
    # /readyz, like every Stack child: a load balancer sends delivery reports only to an instance
    # that has read the SMS ledger (before that it answers 503 and 46elks retries)
    child = Child("notifier2", service_argv("notifier"), f"http://127.0.0.1:{port}/readyz", env)
    log = os.open(stack.workdir / "notifier2.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    child.start(log)
    os.close(log)
    stack.children["notifier2"] = child
    stack.ports["notifier2"] = port
    return child


def feed(stack: Stack, n: int, offset: int) -> list[tuple[str, str]]:
    cards = [(uuid.uuid4().hex, f"+46704{offset + i:06d}") for i in range(n)]
    publish(
        stack.kafka, cards, [your_turn(c, region=REGIONS[i % len(REGIONS)]) for i, (c, _) in enumerate(cards)]
    )
    return cards


def test_two_notifiers_split_the_work_and_one_leaving_loses_and_repeats_nothing(stack: Stack) -> None:
    with Fake46elks() as elks:
        stack.extra_env.update(
            {
                **elks.env(),
                "SMS_REQUEST_TIMEOUT_S": "2",
                "NOTIFIER_REDRIVE_GRACE_S": "3",
                "NOTIFIER_SESSION_TIMEOUT_S": "6",
                "NOTIFIER_WEBHOOK_SECRET": SECRET,
            }
        )
        stack.start(("notifier",))
        other = second_notifier(stack)
        stack.wait_healthy(("notifier", "notifier2"))
        first = feed(stack, 24, 0)
        wait_until(lambda: len(elks.accepted()) >= len(first), 90, "the first 24 SMS")

        def sent_by() -> dict[str, float]:
            return {
                name: metric(stack.url(name), "triage_sms_total", outcome="sent")
                for name in ("notifier", "notifier2")
            }

        shares = wait_until(
            lambda: s if sum((s := sent_by()).values()) == len(first) else None,
            30,
            "both instances to count the SMS they sent",
        )

        # a delivery report reaches whichever instance the load balancer picks: both know every SMS
        sent = wait_until(
            lambda: (
                [e for e in sms_events(stack.kafka) if isinstance(e, SmsSent)]
                if len(sms_events(stack.kafka)) >= len(first)
                else None
            ),
            30,
            "SmsSent events",
        )
        for name in ("notifier", "notifier2"):
            status, body = stack.post(
                name,
                f"/v1/sms/delivery-reports?secret={SECRET}",
                {"id": sent[0].provider_id, "status": "delivered"},
            )
            assert (status, body.get("status")) == (200, "accepted"), (name, status, body)

        other.stop(signal.SIGTERM)  # a clean leave: its partitions move to the first instance
        assert other.proc is not None
        other.proc.wait(30)
        second = feed(stack, 24, 100)
        wait_until(lambda: len(elks.accepted()) >= len(first) + len(second), 120, "the next 24 SMS")
        assert Counter(r.to for r in elks.accepted()) == {p: 1 for _, p in first + second}
        print(f"sent per instance before the leave: {shares}")
