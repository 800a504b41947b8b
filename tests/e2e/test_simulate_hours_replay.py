"""Replaying an exported history under the opening hours the live system had (issue 25, item 7).

A team lead closes Gotland until the day after tomorrow (SetOpeningHours on queue.commands, as
the staff API sends it). A patient submits afterwards; intake tells them when the region opens.
The period is exported with ``triage history export`` (the change was made before the period,
so the export must find it earlier in queue.events) and replayed by the simulator with the
stack's hours file: the patient is called exactly when the live system said staff are back.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from proto import events as ev
from services.opening_hours.hours_file import load_opening_hours
from services.opening_hours.schedule import STOCKHOLM
from services.queue_model.engine import simulate_region
from services.queue_model.hours import timeline
from services.queue_model.scenario import CaseModel
from services.simulate.domain.history import read_history
from tests.e2e.test_intake_http import post, submission
from tests.support.queue_io import publish
from tests.support.stack import Stack, wait_until

pytestmark = pytest.mark.e2e
REGION = "SE-I"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = Path(__file__).parents[1] / "support" / "always-open-hours.toml"


def test_a_replayed_history_calls_the_patient_when_the_live_system_said_the_closed_region_opens(
    stack: Stack,
) -> None:
    stack.start()
    reopens = dt.datetime.now(STOCKHOLM).date() + dt.timedelta(days=2)
    publish(
        stack.kafka,
        [
            ev.SetOpeningHours(
                region=REGION,
                by="teamlead-eva",
                days={d: [] for d in DAYS},
                exceptions={reopens.isoformat(): ["08:00-17:00"]},
                reason="staff shortage",
            )
        ],
    )
    wait_until(
        lambda: stack.get("queue", f"/v1/regions/{REGION}/opening-hours")[1].get("version") == 1,
        30,
        "the queue to record the team lead's hours",
    )
    time.sleep(1.0)  # intake folds the same OpeningHoursChanged from queue.events
    since = dt.datetime.now(dt.UTC)
    resp = post(stack, submission(region=REGION, symptom="eye_problems", answers={"red_eye": True}))  # Prio 4
    assert resp.status_code == 202, resp.text
    told = resp.json()
    assert told["urgency"] == 4 and told["region_open"] is False, told
    opens_at = dt.datetime.fromisoformat(told["opens_at"].replace("Z", "+00:00"))
    assert opens_at == dt.datetime(reopens.year, reopens.month, reopens.day, 8, tzinfo=STOCKHOLM)
    wait_until(
        lambda: stack.get("queue", f"/v1/regions/{REGION}/queue")[1].get("waiting") == 1,
        30,
        "the case waiting in the closed region",
    )

    out = stack.workdir / "history.jsonl"
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka.bootstrap_servers,
        "TRIAGE_NAMESPACE": stack.kafka.namespace,
    }
    cmd = [sys.executable, "-m", "services.cli", "history", "export"]
    cmd += ["--since", since.isoformat(), "--until", until.isoformat(), "--out", str(out)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "teamlead-eva" not in out.read_text()

    replay = read_history(out, CaseModel())
    [change] = replay.hours_changes
    assert change.region == REGION and not change.hours.is_open(since)
    [arrival] = replay.arrivals
    hours = load_opening_hours(ALWAYS_OPEN.read_text(encoding="utf-8"))
    res = simulate_region(
        replay, REGION, [1] * 168, hours=timeline(hours, REGION, replay.hours_changes), drain_s=5 * 86400.0
    )
    [wait] = res.waits[4]
    called = replay.start + dt.timedelta(seconds=arrival.t + wait)
    assert abs((called - opens_at).total_seconds()) < 1e-3, (called, opens_at)
