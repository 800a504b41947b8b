"""Intake when the region is not staffed: a case whose time frame outlasts the closure (here
Prio 4) is still queued, and the patient is told when staff are back (machine-readable ``opens_at`` + text); an emergency still gets "Ring 112";
the case's estimated wait counts only staffed time. Real intake process, real broker; the test
plays the queue on queue.events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from proto import events as ev
from services.kafka.settings import KafkaSettings
from services.opening_hours.schedule import STOCKHOLM
from tests.e2e.test_intake_http import as_queue, case, post, seen, submission
from tests.support.queue_stub import QueueStub
from tests.support.stack import Stack, new_namespace

pytestmark = pytest.mark.e2e

REOPENS = dt.datetime.now(STOCKHOLM).date() + dt.timedelta(days=2)
HOURS = f"""version = "test-closed"
[default]
mon = ["00:00-24:00"]
tue = ["00:00-24:00"]
wed = ["00:00-24:00"]
thu = ["00:00-24:00"]
fri = ["00:00-24:00"]
sat = ["00:00-24:00"]
sun = ["00:00-24:00"]

[regions."SE-C"]   # Uppsala: closed every day ...
mon = []
tue = []
wed = []
thu = []
fri = []
sat = []
sun = []

[regions."SE-C".exceptions]   # ... until a staffed day the day after tomorrow
"{REOPENS.isoformat()}" = ["08:00-17:00"]
"""


@pytest.fixture(scope="module")
def closed_intake(bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("intake-closed")
    hours = Path(workdir / "hours.toml")
    hours.write_text(HOURS)
    with QueueStub() as stub:
        stack = Stack(
            kafka=KafkaSettings(bootstrap_servers, new_namespace()),
            workdir=workdir,
            extra_env={
                "QUEUE_URL": stub.url,
                "QUEUE_WEB_PORT": stub.url.rsplit(":", 1)[1],
                "OPENING_HOURS_PATH": str(hours),
                "ETA_CAPACITY_PER_HOUR": "12",
            },
        )
        stack.start(services=("intake",))
        try:
            yield stack
        finally:
            stack.stop()


def _opens_at_utc() -> str:
    local = dt.datetime(REOPENS.year, REOPENS.month, REOPENS.day, 8, tzinfo=STOCKHOLM)
    return local.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


PRIO_4 = {"days_with_fever": 2}  # fever.recent: a 7-day frame, so two closed days are within it


def test_a_patient_of_a_closed_region_is_queued_and_told_when_it_opens(closed_intake: Stack) -> None:
    resp = post(closed_intake, submission(region="SE-C", answers=PRIO_4))
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["status"] == "queued" and body["region_open"] is False
    assert body["opens_at"] == _opens_at_utc()
    assert "inte bemannad" in body["advice"] and "kl. 08:00" in body["advice"]
    english = post(closed_intake, submission(region="SE-C", language="en", answers=PRIO_4)).json()
    assert "It opens" in english["advice"] and "at 08:00" in english["advice"]


def test_a_patient_of_an_open_region_is_told_nothing_about_hours(closed_intake: Stack) -> None:
    body = post(closed_intake, submission(region="SE-E")).json()
    assert body["status"] == "queued" and body["region_open"] is True and body["opens_at"] is None
    assert "bemannad" not in body["advice"]


def test_an_emergency_in_a_closed_region_is_still_told_to_ring_112(closed_intake: Stack) -> None:
    resp = post(closed_intake, submission(region="SE-C", answers={"chest_pain": True}))
    assert resp.status_code == 200 and resp.json()["status"] == "refer"
    assert "Ring 112" in resp.json()["advice"] and resp.json()["opens_at"] is None


def test_the_estimated_wait_in_a_closed_region_counts_only_staffed_time(closed_intake: Stack) -> None:
    resp = post(closed_intake, submission(region="SE-C", answers=PRIO_4))
    case_id = resp.json()["case_id"]
    as_queue(
        closed_intake,
        ev.CaseQueued(
            case_id=case_id,
            region="SE-C",
            urgency=4,
            queued_at=ev.utcnow(),
            sequence=1,
            person_pseudonym="p-closed",
        ),
    )
    seen(closed_intake, case_id)
    view = case(closed_intake, case_id).json()
    opens = dt.datetime.fromisoformat(_opens_at_utc().replace("Z", "+00:00"))
    until_open = (opens - dt.datetime.now(dt.UTC)).total_seconds()
    assert view["region_open"] is False and view["opens_at"] == _opens_at_utc()
    # position 1 at 12 calls per staffed hour: 5 staffed minutes after opening, shown as a range
    assert until_open < view["estimated_wait_seconds"] <= until_open + 5 * 60 + 5
    assert (
        view["estimated_wait_low_seconds"]
        < view["estimated_wait_seconds"]
        < view["estimated_wait_high_seconds"]
    )
    # Reopening the day after tomorrow at 08:00 is under two days away from 08:00 on (hours) and
    # over two days before it (whole days): the text's unit follows the range's low end.
    unit = "dygn" if view["estimated_wait_low_seconds"] >= 2 * 86400 else "tim"
    assert view["estimated_wait_text"].endswith(unit), (view["estimated_wait_text"], unit)
