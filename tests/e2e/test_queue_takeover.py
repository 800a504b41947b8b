"""Two queue workers share the partitions; one is killed; the other takes its regions over."""

from __future__ import annotations

import datetime as dt
import signal
import time
import uuid

import pytest

from proto import events as ev
from services.kafka.embedded_broker import free_port
from services.process_group import Child, service_argv
from tests.support.queue_checks import check_history
from tests.support.queue_io import history, of_type, publish, triaged
from tests.support.stack import Stack, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
REGIONS = ("SE-C", "SE-E", "SE-M", "SE-F", "SE-H")


def _ready(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/readyz", timeout=3) as r:
            return r.status == 200
    except OSError:
        return False


def test_a_surviving_worker_takes_over_the_killed_workers_regions_with_state_intact(stack: Stack) -> None:
    stack.start(("queue",))
    port2 = free_port()
    env2 = {**stack.env("queue"), "QUEUE_WEB_PORT": str(port2), "QUEUE_DATA_DIR": str(stack.workdir / "q2")}
    log2 = open(stack.workdir / "queue2.log", "ab")
    second = Child("queue2", service_argv("queue"), f"http://127.0.0.1:{port2}/healthz", env2)
    second.start(log2.fileno())
    try:
        url1, url2 = stack.url("queue"), f"http://127.0.0.1:{port2}"
        wait_until(lambda: _ready(url1) and _ready(url2), 90, "both workers ready", interval=0.5)
        t0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
        cases = [triaged(r, 1 + i % 5, t0 + dt.timedelta(seconds=i)) for i, r in enumerate(REGIONS * 6)]
        publish(stack.kafka, cases)
        wait_until(lambda: len(of_type(history(stack.kafka), ev.CaseQueued)) == len(cases), 60, "all queued")
        publish(
            stack.kafka,
            [ev.ServeNext(region=r, clinician_id="n", request_id=uuid.uuid4().hex) for r in REGIONS],
        )
        wait_until(
            lambda: len(of_type(history(stack.kafka), ev.CaseCalled)) == len(REGIONS), 60, "first calls"
        )

        stack.kill("queue", signal.SIGKILL)
        killed_at = time.monotonic()

        # every region answers again (from the survivor) with its waiting cases intact
        def all_served() -> bool:
            for r in REGIONS:
                try:
                    import json
                    import urllib.request

                    with urllib.request.urlopen(f"{url2}/v1/regions/{r}/queue", timeout=3) as resp:
                        if json.loads(resp.read())["waiting"] != 5:
                            return False
                except OSError:
                    return False
            return True

        wait_until(all_served, 90, "the survivor to serve every region", interval=0.5)
        takeover_s = time.monotonic() - killed_at
        print(f"takeover: every region served by the survivor {takeover_s:.1f}s after kill -9")
        drain = [
            ev.ServeNext(region=r, clinician_id="drain", request_id=uuid.uuid4().hex)
            for r in REGIONS
            for _ in range(6)
        ]
        publish(stack.kafka, drain)
        final = wait_until(
            lambda: h if len(of_type(h := history(stack.kafka), ev.ServeNextEmpty)) >= len(REGIONS) else None,
            90,
            "every region drained",
            interval=0.5,
        )
        counts = check_history(final, cases)
        assert counts["called"] == len(cases) and counts["still_waiting"] == 0
    finally:
        second.stop(signal.SIGTERM)
        if second.proc is not None:
            second.proc.wait(30)
        log2.close()
