"""A team lead changes a region's opening hours through the staff API (issue 14).

Real staff, queue and intake processes on the real broker: the PUT becomes SetOpeningHours
on queue.commands, the queue records OpeningHoursChanged on queue.events, intake's read model
folds it and answers new patients "closed, opens at ..."; a nurse may read the hours but not
change them; every attempt is on audit.events; a restarted queue still has the new hours.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys

import pytest

from proto import codec
from proto import events as ev
from services.opening_hours.schedule import STOCKHOLM
from tests.e2e.test_intake_http import case, post, submission
from tests.support.stack import Stack, wait_until
from tests.support.staff_client import call, is_problem, token
from tests.support.topic_reader import read_records

pytestmark = pytest.mark.e2e

PATH = "/v1/regions/SE-C/opening-hours"
REOPENS = dt.datetime.now(STOCKHOLM).date() + dt.timedelta(days=2)
CLOSED_UNTIL_REOPENS = {
    **{d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    "exceptions": {REOPENS.isoformat(): ["08:00-17:00"]},
    "capacity": 12,
    "reason": "staff shortage",
}


def _opens_at_utc() -> str:
    local = dt.datetime(REOPENS.year, REOPENS.month, REOPENS.day, 8, tzinfo=STOCKHOLM)
    return local.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def test_a_team_lead_closes_a_region_and_intake_tells_new_patients_when_it_opens(stack: Stack) -> None:
    stack.extra_env.update({"INTAKE_FRAME_CHECK_S": "1"})
    stack.start(("queue", "intake", "staff", "notifier"))
    lead = token(stack, "lead-lisa", "team-lead", "SE-C")
    anna = token(stack, "nurse-anna", "nurse", "SE-C")

    before = call(stack, "GET", PATH, anna)
    assert before.status_code == 200, before.text
    assert (
        before.json()["source"] == "file" and before.json()["version"] == 0 and before.json()["open"] is True
    )
    first = post(stack, submission(region="SE-C"))
    assert first.status_code == 202 and first.json()["region_open"] is True, first.text

    denied = call(stack, "PUT", PATH, anna, CLOSED_UNTIL_REOPENS)
    assert is_problem(denied, 403) and "needs the role team-lead" in denied.json()["detail"]
    invalid = call(stack, "PUT", PATH, lead, {**CLOSED_UNTIL_REOPENS, "mon": ["8-17"], "capacity": 12})
    assert is_problem(invalid, 422), invalid.text
    assert [(e["pointer"], '"HH:MM-HH:MM"' in e["detail"]) for e in invalid.json()["errors"]] == [
        ("#/mon", True)
    ]

    changed = call(stack, "PUT", PATH, lead, {**CLOSED_UNTIL_REOPENS, "expected_version": 0})
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_type"] == "OpeningHoursChanged" and changed.json()["version"] == 1
    assert changed.json()["actor"] == "lead-lisa"
    stale = call(stack, "PUT", PATH, lead, {**CLOSED_UNTIL_REOPENS, "expected_version": 0})
    assert is_problem(stale, 409) and "at version 1, not 0" in stale.json()["detail"]

    # intake folds the change from queue.events: the first patient's case view turns "closed"
    case_id = first.json()["case_id"]
    wait_until(
        lambda: case(stack, case_id).json()["region_open"] is False, 20, "intake to fold the new hours"
    )
    # issue 25: the Prio 2 patient queued while it was open can no longer be called within 3 hours:
    # told once, by SMS and in the case view, where to go now (the case stays queued)
    wait_until(lambda: any(r["case_id"] == case_id for r in stack.outbox_records()), 30, "the past-frame SMS")
    [sms] = [r for r in stack.outbox_records() if r["case_id"] == case_id]
    assert "Ring 1177 nu" in sms["message"] and "dygnet runt" in sms["message"]
    view = case(stack, case_id).json()
    assert view["status"] == "waiting" and view["time_frame_reason"] == "opens_too_late"
    assert "3 timmar" in view["time_frame_advice"] and "Ring 1177 nu" in view["time_frame_advice"]
    # issue 25: a Prio 4 case can wait two days (7-day frame): queued, told when staff are back
    later = post(stack, submission(region="SE-C", answers={"days_with_fever": 2}))
    assert later.status_code == 202 and later.json()["urgency"] == 4, later.text
    assert later.json()["region_open"] is False and later.json()["opens_at"] == _opens_at_utc()
    assert "inte bemannad" in later.json()["advice"]
    urgent = post(stack, submission(region="SE-C"))  # Prio 2: 3 hours, but closed for two days
    assert urgent.status_code == 200 and urgent.json()["status"] == "refer", urgent.text
    assert urgent.json()["reason"] == "opens_too_late" and urgent.json()["opens_at"] == _opens_at_utc()
    other = post(stack, submission(region="SE-E"))
    assert other.json()["region_open"] is True  # only SE-C changed

    after = call(stack, "GET", PATH, anna).json()
    assert after["source"] == "staff-api" and after["version"] == 1 and after["changed_by"] == "lead-lisa"
    assert after["open"] is False and after["next_change_at"] == _opens_at_utc()
    assert after["hours"]["exceptions"] == {REOPENS.isoformat(): ["08:00-17:00"]}
    assert after["hours"]["capacity"] == 12

    def audit() -> list[tuple[str, str, str]]:
        records = [codec.AUDIT_EVENTS.decode(r.value) for r in read_records(stack.kafka, ["audit.events"])]
        return [(a.actor, a.action, a.outcome) for a in records if a.action == "opening-hours"]

    wait_until(lambda: len(audit()) >= 5, 20, "the audit records of the opening-hours attempts")
    assert sorted(audit()) == [
        ("lead-lisa", "opening-hours", "ok"),
        ("lead-lisa", "opening-hours", "rejected"),  # the stale version
        ("lead-lisa", "opening-hours", "requested"),
        ("lead-lisa", "opening-hours", "requested"),
        ("nurse-anna", "opening-hours", "denied"),
    ]

    # the change lives in the queue's log: a killed and restarted queue still decides with it
    stack.kill("queue", signal.SIGKILL)
    stack.start_service("queue")
    stack.wait_healthy(("queue",))
    again = call(stack, "GET", PATH, anna).json()
    assert again["version"] == 1 and again["open"] is False
    events = [codec.QUEUE_EVENTS.decode(r.value) for r in read_records(stack.kafka, ["queue.events"])]
    recorded = [e for e in events if isinstance(e, ev.OpeningHoursChanged)]
    assert [(e.region, e.version, e.by, e.reason) for e in recorded] == [
        ("SE-C", 1, "lead-lisa", "staff shortage")
    ]

    # the CLI: a team lead reopens the region from a TOML week; a bad file is refused by field
    week = stack.workdir / "week.toml"
    week.write_text(
        "\n".join(f'{d} = ["00:00-24:00"]' for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    )
    env = {**os.environ, "STAFF_URL": stack.url("staff"), "STAFF_TOKEN": lead}
    cli = [sys.executable, "-m", "services.cli", "opening-hours", "--region", "SE-C"]
    done = subprocess.run(
        [*cli, "--set", str(week), "--expected-version", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "now version 2" in done.stdout, done.stdout + done.stderr
    wait_until(lambda: case(stack, case_id).json()["region_open"] is True, 20, "intake to fold the reopening")
    week.write_text('mon = ["8-17"]\n')
    bad = subprocess.run([*cli, "--set", str(week)], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "#/mon:" in bad.stdout and "lacks tue" in bad.stdout, (
        bad.stdout + bad.stderr
    )
