"""Opening-hours changes keep what they do not name; one exception at a time; request ids bound to
their request (issue 25, items 3 and 4). Real staff and queue processes on the real broker."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.e2e.test_intake_http import post, submission
from tests.support.stack import Stack, wait_until
from tests.support.staff_client import call, is_problem, token

pytestmark = pytest.mark.e2e

PATH = "/v1/regions/SE-C/opening-hours"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK = {**{d: ["08:00-21:00"] for d in DAYS[:5]}, "sat": ["08:00-16:00"], "sun": ["08:00-16:00"]}
HOLIDAYS = {"2026-12-24": [], "2026-12-25": [], "2026-12-31": ["08:00-14:00"]}


def _hours(stack: Stack, bearer: str) -> dict:  # type: ignore[type-arg]
    resp = call(stack, "GET", PATH, bearer)
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def test_a_week_without_exceptions_keeps_the_holidays_and_one_date_changes_alone(stack: Stack) -> None:
    stack.start(("queue", "staff"))
    lead = token(stack, "lead-lisa", "team-lead", "SE-C")
    first = call(
        stack, "PUT", PATH, lead, {**WEEK, "exceptions": HOLIDAYS, "capacity": 15, "reason": "winter"}
    )
    assert first.status_code == 200 and first.json()["version"] == 1, first.text

    # the documented region-table form without [exceptions]: the holidays are kept, not dropped
    evening = {**WEEK, "fri": ["08:00-17:00"], "reason": "short Fridays"}
    kept = call(stack, "PUT", PATH, lead, evening)
    assert kept.status_code == 200 and kept.json()["version"] == 2, kept.text
    now = _hours(stack, lead)
    assert now["hours"]["exceptions"] == HOLIDAYS and now["hours"]["capacity"] == 15.0
    assert now["hours"]["fri"] == ["08:00-17:00"]

    # one date added, one changed, one removed; everything else stays
    added = call(stack, "PUT", f"{PATH}/exceptions/2027-01-06", lead, {"hours": [], "reason": "trettondagen"})
    assert added.status_code == 200 and added.json()["version"] == 3, added.text
    changed = call(stack, "PUT", f"{PATH}/exceptions/2026-12-31", lead, {"hours": ["08:00-13:00"]})
    assert changed.status_code == 200, changed.text
    removed = call(
        stack, "DELETE", f"{PATH}/exceptions/2026-12-25", lead, params={"reason": "staffed after all"}
    )
    assert removed.status_code == 200 and removed.json()["version"] == 5, removed.text
    assert _hours(stack, lead)["hours"]["exceptions"] == {
        "2026-12-24": [],
        "2026-12-31": ["08:00-13:00"],
        "2027-01-06": [],
    }
    missing = call(stack, "DELETE", f"{PATH}/exceptions/2026-12-25", lead)
    assert is_problem(missing, 404) and "no exception on 2026-12-25" in missing.json()["detail"]
    bad = call(stack, "PUT", f"{PATH}/exceptions/2026-12-31", lead, {"hours": ["8-13"]})
    assert is_problem(bad, 422) and bad.json()["errors"][0]["pointer"] == "#/exceptions/2026-12-31"
    stale = call(stack, "DELETE", f"{PATH}/exceptions/2026-12-24", lead, params={"expected_version": 1})
    assert is_problem(stale, 409) and "at version 5, not 1" in stale.json()["detail"]
    nurse = token(stack, "nurse-anna", "nurse", "SE-C")
    assert is_problem(call(stack, "PUT", f"{PATH}/exceptions/2027-01-07", nurse, {"hours": []}), 403)

    # an explicit empty table still removes them all (the way to replace the exceptions)
    cleared = call(stack, "PUT", PATH, lead, {**WEEK, "exceptions": {}})
    assert cleared.status_code == 200 and _hours(stack, lead)["hours"]["exceptions"] == {}

    # the CLI: the same two changes of one date
    env = {**os.environ, "STAFF_URL": stack.url("staff"), "STAFF_TOKEN": lead}
    cli = [sys.executable, "-m", "services.cli", "opening-hours", "--region", "SE-C"]
    run = {"env": env, "capture_output": True, "text": True, "timeout": 60}
    add = subprocess.run([*cli, "--add-exception", "2026-12-24=closed"], **run)  # type: ignore[call-overload]
    assert add.returncode == 0 and "now version 7" in add.stdout, add.stdout + add.stderr
    short = subprocess.run([*cli, "--add-exception", "2026-12-31=08:00-12:00,13:00-14:00"], **run)  # type: ignore[call-overload]
    assert short.returncode == 0, short.stdout + short.stderr
    assert _hours(stack, lead)["hours"]["exceptions"] == {
        "2026-12-24": [],
        "2026-12-31": ["08:00-12:00", "13:00-14:00"],
    }
    gone = subprocess.run([*cli, "--remove-exception", "2026-12-24"], **run)  # type: ignore[call-overload]
    assert gone.returncode == 0 and "now version 9" in gone.stdout, gone.stdout + gone.stderr
    week_file = stack.workdir / "week.toml"  # the documented --set form, no [exceptions]: kept
    week_file.write_text("\n".join(f"{d} = {WEEK[d]!r}".replace("'", '"') for d in DAYS))
    reset = subprocess.run([*cli, "--set", str(week_file)], **run)  # type: ignore[call-overload]
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert _hours(stack, lead)["hours"]["exceptions"] == {"2026-12-31": ["08:00-12:00", "13:00-14:00"]}


def test_a_staff_request_id_reused_for_another_request_is_refused_never_answered_with_the_first(
    stack: Stack,
) -> None:
    stack.start(("queue", "intake", "staff"))
    cases = [post(stack, submission(region="SE-C")).json()["case_id"] for _ in range(2)]
    wait_until(lambda: stack.get("queue", "/v1/regions/SE-C/queue")[1]["waiting"] == 2, 30, "two waiting")
    nurse = token(stack, "nurse-anna", "nurse", "SE-C")
    base = "/v1/regions/SE-C/cases"
    body = {"reason": "handled by phone", "request_id": "req-cancel-1"}
    first = call(stack, "POST", f"{base}/{cases[0]}/cancel", nurse, body)
    assert first.status_code == 200 and first.json()["case_id"] == cases[0], first.text
    again = call(stack, "POST", f"{base}/{cases[0]}/cancel", nurse, body)  # a retry: the same answer
    assert again.status_code == 200 and again.json()["case_id"] == cases[0], again.text
    other = call(stack, "POST", f"{base}/{cases[1]}/cancel", nurse, body)  # the same id, another case
    assert is_problem(other, 409), other.text
    assert other.json()["type"] == "/problems/request-id-reused" and "req-cancel-1" in other.json()["detail"]

    # after a restart of the staff API the binding is read back from audit.events
    stack.kill("staff")
    stack.start_service("staff")
    stack.wait_healthy(("staff",))
    after = call(stack, "POST", f"{base}/{cases[1]}/cancel", nurse, body)
    assert is_problem(after, 409) and after.json()["type"] == "/problems/request-id-reused", after.text
    served = call(stack, "POST", "/v1/regions/SE-C/serve-next", nurse, {"request_id": "req-cancel-1"})
    assert is_problem(served, 409)
    assert (
        call(stack, "POST", "/v1/regions/SE-C/serve-next", nurse, {"request_id": "req-serve-1"}).json()[
            "case"
        ]["case_id"]
        == cases[1]
    )
