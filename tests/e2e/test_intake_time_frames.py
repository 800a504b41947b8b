"""A time frame is a promise (issue 25, item 1): a case its region cannot call within its urgency's
frame is not queued silently, at every urgency, for a closed region and for an overloaded open one;
and a waiting case that will now miss its frame is told once, by SMS and in its case view.

Real intake, queue and notifier processes on the real broker. SE-C is closed until a staffed day
the day after tomorrow; SE-M and SE-H are open around the clock but take one call per 20 hours
(capacity 0.05), so a short queue is already far too long.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from proto import events as ev
from services.commands import send_command
from services.kafka.settings import KafkaSettings
from services.opening_hours.schedule import STOCKHOLM
from tests.e2e.test_intake_http import case, post
from tests.support.people import personnummer
from tests.support.stack import Stack, new_namespace, wait_until

pytestmark = pytest.mark.e2e

REOPENS = dt.datetime.now(STOCKHOLM).date() + dt.timedelta(days=2)
ALL_DAY = "\n".join(f'{d} = ["00:00-24:00"]' for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
CLOSED = "\n".join(f"{d} = []" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
HOURS = f"""version = "test-time-frames"
[default]
{ALL_DAY}

[regions."SE-C"]   # Uppsala: closed until the day after tomorrow, 08:00
{CLOSED}
[regions."SE-C".exceptions]
"{REOPENS.isoformat()}" = ["08:00-17:00"]

[regions."SE-M"]   # Skåne: open, but one call per 20 hours
{ALL_DAY}
capacity = 0.05

[regions."SE-H"]   # Kalmar: the same
{ALL_DAY}
capacity = 0.05
"""
# a symptom and answers for each urgency (the shipped rules: eye.vision_loss .. eye.red, sore_throat.mild)
EYE = {
    1: ("eye_problems", {"vision_loss": True}),
    2: ("eye_problems", {"eye_pain": True}),
    3: ("eye_problems", {"red_eye": True, "contact_lenses": True}),
    4: ("eye_problems", {"red_eye": True}),
    5: ("sore_throat", {"days_with_symptoms": 2}),
}


def stack_with_hours(
    bootstrap_servers: str, workdir: Path, hours: str, check_every_s: str = "1"
) -> Iterator[Stack]:
    """Intake, queue and notifier with the hours file ``hours``, intake's sweep every
    ``check_every_s`` seconds, and no heads-up SMS (only the notices are counted)."""
    (workdir / "hours.toml").write_text(hours)
    stack = Stack(
        kafka=KafkaSettings(bootstrap_servers, new_namespace()),
        workdir=workdir,
        extra_env={
            "OPENING_HOURS_PATH": str(workdir / "hours.toml"),
            "INTAKE_FRAME_CHECK_S": check_every_s,
            "QUEUE_HEADS_UP_POSITION": "0",
        },
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def frames(bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from stack_with_hours(bootstrap_servers, tmp_path_factory.mktemp("time-frames"), HOURS)


def eye(region: str, urgency: int, **extra: Any) -> dict[str, Any]:
    return {
        "region": region,
        "personnummer": personnummer(),
        "phone": "070-123 45 67",
        "symptom": EYE[urgency][0],
        "answers": EYE[urgency][1],
        **extra,
    }


def _opens_at_utc() -> str:
    local = dt.datetime(REOPENS.year, REOPENS.month, REOPENS.day, 8, tzinfo=STOCKHOLM)
    return local.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


WHERE = {  # what each urgency is told to do instead (the rules file's [time_frames.alternative])
    1: ("refer", "Ring 112 eller åk till närmaste akutmottagning nu."),
    2: ("refer", "Ring 1177 nu. Sjukvårdsrådgivningen på 1177 har öppet dygnet runt."),
    3: ("refer", "Ring 1177 nu. Sjukvårdsrådgivningen på 1177 har öppet dygnet runt."),
}


@pytest.mark.parametrize("urgency", [1, 2, 3])
def test_a_closed_region_that_opens_too_late_sends_prio_1_to_3_elsewhere_now(
    frames: Stack, urgency: int
) -> None:
    resp = post(frames, eye("SE-C", urgency))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "refer" and body["urgency"] == urgency and body["case_id"] is None
    assert body["reason"] == "opens_too_late" and body["opens_at"] == _opens_at_utc()
    assert body["region_open"] is False
    assert WHERE[urgency][1] in body["advice"] and "kl. 08:00" in body["advice"]
    english = post(frames, eye("SE-C", urgency, language="en")).json()
    assert "is closed and opens" in english["advice"] and "at 08:00" in english["advice"]


@pytest.mark.parametrize("urgency", [4, 5])
def test_a_closed_region_within_the_frame_queues_prio_4_and_5_and_says_when_it_opens(
    frames: Stack, urgency: int
) -> None:
    resp = post(frames, eye("SE-C", urgency))
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["status"] == "queued" and body["urgency"] == urgency
    assert body["region_open"] is False and body["opens_at"] == _opens_at_utc()
    assert "inte bemannad just nu" in body["advice"]
    assert body["advice"].count("112") == 1  # the 1177/112 sentence is said once, not twice


def test_an_overloaded_open_region_at_every_urgency(frames: Stack) -> None:
    # 22 Prio 4 patients who chose to wait, then 2 Prio 3: one call per 20 h serves them in weeks
    seeded = []
    for _ in range(22):
        resp = post(frames, eye("SE-M", 4, accept_long_wait=True))
        assert resp.status_code == 202, resp.text
        seeded.append(resp.json())
    for _ in range(2):
        resp = post(frames, eye("SE-M", 3))  # positions 1 and 2: 7.5 h and 22.5 h at the least
        assert resp.status_code == 202, resp.text
    wait_until(
        lambda: frames.get("queue", "/v1/regions/SE-M/queue")[1]["waiting"] == 24, 30, "24 waiting in SE-M"
    )
    wait_until(lambda: case(frames, seeded[-1]["case_id"]).json()["status"] == "waiting", 20, "intake's view")

    answers = {u: post(frames, eye("SE-M", u)) for u in (1, 2, 3, 4, 5)}
    waiting_by_choice: list[str] = []
    for urgency in (1, 2, 3):
        body = answers[urgency].json()
        assert answers[urgency].status_code == 200 and body["status"] == "refer", body
        assert body["urgency"] == urgency
        assert body["reason"] == "wait_too_long" and body["region_open"] is True
        assert WHERE[urgency][1] in body["advice"] and "Väntetiden i 1177 direkt är just nu" in body["advice"]
    for urgency in (4, 5):  # past 7 and 14 days: the patient may still choose to wait
        body = answers[urgency].json()
        assert answers[urgency].status_code == 200 and body["status"] == "long_wait", body
        assert body["reason"] == "wait_too_long" and body["case_id"] is None and body["urgency"] == urgency
        assert ("7 dagar" if urgency == 4 else "14 dagar") in body["advice"]
        assert "Du kan ändå välja att vänta i kön" in body["advice"]
        chosen = post(frames, eye("SE-M", urgency, accept_long_wait=True))
        assert chosen.status_code == 202 and chosen.json()["status"] == "queued", chosen.text
        assert "Väntetiden i 1177 direkt är just nu" in chosen.json()["advice"]
        waiting_by_choice.append(chosen.json()["case_id"])
    ignored = post(frames, eye("SE-M", 2, accept_long_wait=True))  # Prio 1-3 cannot choose to wait
    assert ignored.json()["status"] == "refer"
    # told at admission, they chose to wait: no SMS saying it again (the sweep runs every second)
    wait_until(lambda: case(frames, waiting_by_choice[-1]).json()["status"] == "waiting", 20, "intake's view")
    time.sleep(3)
    assert [r for r in frames.outbox_records() if r["case_id"] in waiting_by_choice] == []


def test_waiting_patients_who_will_now_miss_their_frame_are_told_once_by_sms_and_in_their_case(
    frames: Stack,
) -> None:
    # SE-H also takes one call per 20 h: two Prio 3 cases (7.5 h and 22.5 h away at the least,
    # within their day) and a Prio 4 case wait
    a, b, c = (post(frames, eye("SE-H", u)).json()["case_id"] for u in (3, 3, 4))
    wait_until(lambda: frames.get("queue", "/v1/regions/SE-H/queue")[1]["waiting"] == 3, 30, "three in SE-H")
    time.sleep(3)  # three sweeps (INTAKE_FRAME_CHECK_S=1)
    assert [r for r in frames.outbox_records() if r["case_id"] in (a, b, c)] == []

    # a nurse moves the Prio 4 case up to Prio 1: it cannot be called within 15 minutes, and the
    # second Prio 3 case is now a third call away, past its day; the first is still in time
    asyncio.run(
        send_command(
            ev.Reprioritise(
                region="SE-H",
                case_id=c,
                urgency=1,
                reason="worse on the phone",
                by="nurse-1",
                request_id=uuid.uuid4().hex,
            ),
            frames.kafka,
        )
    )

    def told() -> dict[str, str]:
        return {r["case_id"]: r["message"] for r in frames.outbox_records() if r["case_id"] in (a, b, c)}

    wait_until(lambda: len(told()) >= 2, 30, "an SMS to both late cases")
    assert set(told()) == {b, c}
    assert (
        told()[c].startswith("1177 direkt kan inte ringa upp dig så snart") and "akutmottagning" in told()[c]
    )
    assert "Ring 1177 nu, öppet dygnet runt" in told()[b]
    view = case(frames, b).json()
    assert view["status"] == "waiting" and view["time_frame_reason"] == "wait_too_long"
    assert "ett dygn" in view["time_frame_advice"] and "Ring 1177 nu" in view["time_frame_advice"]
    assert case(frames, a).json()["time_frame_reason"] is None
    time.sleep(3)  # three more sweeps: nobody is told twice
    ids = [r["case_id"] for r in frames.outbox_records() if r["case_id"] in (a, b, c)]
    assert sorted(ids) == sorted([b, c])
