"""`triage up --broker kafka`: the stack on a persistent Apache Kafka under the var dir.

Ctrl-C and start again: every waiting patient is still waiting in the same order, and no one
who was called before is called again.
"""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from proto import events as ev
from services.intake.patient_dev_issuer import DEV_PATIENT_DIR, PatientDevIssuer
from services.kafka.settings import KafkaSettings
from services.staff.dev_issuer import DevIssuer
from tests.support.people import mobile, personnummer
from tests.support.queue_io import history, of_type
from tests.support.stack import wait_until
from tests.support.triage_up import TriageUp, free_ports

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.only_broker(
        "kafka",
        why="starts `triage up --broker kafka` with its own Kafka; Tansu keeps nothing to restart with",
    ),
]
REGION = "SE-C"
PATIENTS = 8
SERVED_BEFORE = 3


def _up(var: Path, env: dict[str, str]) -> TriageUp:
    up = TriageUp(var, env, "--broker", "kafka")
    try:
        wait_until(lambda: "triage is up." in up.output() or up.proc.poll() is not None, 240, "the banner")
    except AssertionError:
        up.proc.kill()
        raise
    assert up.proc.poll() is None, up.output()
    return up


def _stop(up: TriageUp) -> None:
    up.proc.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal does
    assert up.proc.wait(90) == 0, up.output()
    assert "stopped." in up.output()


def _waiting(env: dict[str, str], nurse: str) -> list[tuple[int, str]]:
    url = f"http://127.0.0.1:{env['STAFF_PORT']}/v1/regions/{REGION}/waiting"
    page = httpx.get(url, headers={"authorization": f"Bearer {nurse}"}, params={"limit": 50}, timeout=20)
    assert page.status_code == 200, page.text
    return [(c["position"], c["case_id"]) for c in page.json()["cases"]]


def _serve_next(env: dict[str, str], nurse: str) -> dict[str, Any]:
    url = f"http://127.0.0.1:{env['STAFF_PORT']}/v1/regions/{REGION}/serve-next"
    resp = httpx.post(url, headers={"authorization": f"Bearer {nurse}"}, json={}, timeout=30)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def test_a_restarted_triage_up_on_kafka_keeps_every_waiting_patient_and_calls_no_one_twice(
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    # staffed around the clock, as every test stack: a Prio 2 case in a closed region is referred
    # to 1177 (issue 25), and this test is about what survives a restart, at any hour
    always_open = Path(__file__).parents[1] / "support" / "always-open-hours.toml"
    env = {**free_ports(), "KAFKA_BOOTSTRAP_SERVERS": "", "OPENING_HOURS_PATH": str(always_open)}
    up = _up(var, env)
    try:
        assert "Apache Kafka 1 node on" in up.output() and "in memory only" not in up.output()
        patients = PatientDevIssuer(var / DEV_PATIENT_DIR)
        submitted = []
        for i in range(PATIENTS):
            pnr = personnummer(serial=700 + i)
            resp = httpx.post(
                f"http://127.0.0.1:{env['INTAKE_PORT']}/v1/triage",
                headers={"authorization": f"Bearer {patients.mint(pnr)}"},
                json={
                    "region": REGION,
                    "personnummer": pnr,
                    "phone": mobile(700 + i),
                    "symptom": "fever",
                    "answers": {"temperature_over_40": True},
                },
                timeout=30,
            )
            assert resp.status_code == 202, resp.text
            submitted.append(resp.json()["case_id"])
        nurse = DevIssuer(var / "dev-issuer").mint("nurse-1", ["nurse"], [REGION])
        wait_until(lambda: len(_waiting(env, nurse)) == PATIENTS, 60, "every patient waiting")
        called_before = [_serve_next(env, nurse)["case"]["case_id"] for _ in range(SERVED_BEFORE)]
        assert called_before == submitted[:SERVED_BEFORE]  # same urgency: first come, first served
        waiting_before = _waiting(env, nurse)
        assert [c for _, c in waiting_before] == submitted[SERVED_BEFORE:]
    finally:
        _stop(up)

    up = _up(var, env)  # same var dir: the same Kafka data, the same queue
    try:
        nurse = DevIssuer(var / "dev-issuer").mint("nurse-1", ["nurse"], [REGION])
        assert _waiting(env, nurse) == waiting_before
        called_after = []
        while (answer := _serve_next(env, nurse))["outcome"] == "called":
            called_after.append(answer["case"]["case_id"])
        assert called_after == submitted[SERVED_BEFORE:]
        kafka = KafkaSettings(f"127.0.0.1:{env['TRIAGE_BROKER_PORT']}")
        calls = Counter(e.case_id for e in of_type(history(kafka), ev.CaseCalled))
        assert calls == {case_id: 1 for case_id in submitted}, "a patient was called twice, or not at all"
    finally:
        _stop(up)
