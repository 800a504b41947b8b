"""Snapshots on the real broker: a worker killed after writing snapshots recovers from the latest one plus the tail."""

from __future__ import annotations

import threading

import pytest

from proto import events as ev
from tests.e2e.test_queue_crash import _drain, _ready, _stream
from tests.support.queue_checks import check_history
from tests.support.queue_io import history, of_type, publish
from tests.support.sms_feed import metric, series
from tests.support.stack import Stack, wait_until

pytestmark = pytest.mark.e2e


def test_a_worker_killed_after_snapshots_recovers_from_the_latest_one_and_loses_no_case(stack: Stack) -> None:
    stack.extra_env["QUEUE_SNAPSHOT_EVERY_EVENTS"] = "10"  # many small snapshots, chunks and tombstones
    stack.start(("queue",))
    wait_until(lambda: _ready(stack), 60, "the queue to be ready")
    stream, cases = _stream(160, seed=11)
    publisher = threading.Thread(target=publish, args=(stack.kafka, stream), daemon=True)
    publisher.start()
    wait_until(lambda: len(of_type(history(stack.kafka), ev.CaseCalled)) >= 20, 60, "20 calls", interval=0.1)
    log = stack.workdir / "queue.log"
    wait_until(lambda: "snapshot of partition" in log.read_text(), 30, "a snapshot to be written")
    written = [ln for ln in log.read_text().splitlines() if "snapshot of partition" in ln]
    assert all("pause" in ln and "(fork)" in ln for ln in written), written  # encoded in a forked child
    # what an SRE sees over HTTP (docs/metrics.md)
    url = stack.url("queue")
    assert metric(url, "triage_queue_snapshots_total", outcome="written") >= 1
    assert metric(url, "triage_queue_snapshots_total", outcome="failed") == 0
    assert metric(url, "triage_queue_snapshot_pause_seconds_count") >= 1
    # every owned partition reports what a restart would fold; with a snapshot every 10 events
    # it stays far below the 160 cases' records
    tail = {labels["partition"]: value for labels, value in series(url, "triage_queue_snapshot_tail_records")}
    assert len(tail) == 8 and max(tail.values()) < 200, tail  # all 8 owned
    stack.kill("queue")
    stack.start_service("queue")
    wait_until(lambda: _ready(stack), 90, "the restarted queue to be ready")
    publisher.join(120)
    assert not publisher.is_alive()

    recoveries = series(url, "triage_queue_recovery_seconds_count")
    rebuilt = sum(int(labels["partitions"]) * count for labels, count in recoveries)
    assert rebuilt >= 8, recoveries  # the restarted worker's recoveries rebuilt all 8 partitions
    recovered = [ln for ln in log.read_text().splitlines() if "recovered partition" in ln]
    assert any("snapshot up to offset None" not in ln for ln in recovered), recovered
    final = _drain(stack, cases)
    counts = check_history(final, cases)
    assert counts["queued"] == len(cases) and counts["called"] == len(cases) and counts["still_waiting"] == 0
