"""`triage up` as an operator runs it: one process tree, restarts, and nothing left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.kafka.embedded_broker import free_port
from tests.support.stack import wait_until
from tests.support.triage_up import TriageUp
from tests.support.triage_up import free_ports as _free_ports

pytestmark = pytest.mark.e2e


def _ready(port: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def _listening(port: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=0.2):
            return True
    except OSError:
        return False


def _pid_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] == "Z"  # a zombie has exited; its parent may reap it late
    except FileNotFoundError:
        return True


@pytest.fixture
def triage_up(tmp_path: Path) -> Iterator[TriageUp]:
    env = {**_free_ports(), "KAFKA_BOOTSTRAP_SERVERS": ""}
    up = TriageUp(tmp_path / "var", env)
    try:
        wait_until(lambda: "triage is up." in up.output(), 120, "the triage up banner")
        yield up
    finally:
        if up.proc.poll() is None:
            up.proc.send_signal(signal.SIGINT)
            up.proc.wait(60)


def test_triage_up_says_the_embedded_broker_is_memory_only_and_keeps_data_under_var_dir(
    triage_up: TriageUp, tmp_path: Path
) -> None:
    assert "in memory only" in triage_up.output() and "KAFKA_BOOTSTRAP_SERVERS" in triage_up.output()
    var = tmp_path / "var"
    assert (var / "queue").is_dir() and (var / "notifier").is_dir()
    assert (var / "logs" / "broker.log").exists()
    assert f"SMS outbox: {(var / 'sms-outbox.jsonl').resolve()}" in triage_up.output()


def test_a_queue_killed_with_sigkill_is_restarted_and_the_rest_of_the_stack_stays_up(
    triage_up: TriageUp,
) -> None:
    intake_pid = triage_up.child_pid("intake")
    os.kill(triage_up.child_pid("queue"), signal.SIGKILL)
    wait_until(lambda: "restarting queue" in triage_up.output(), 30, "the restart log line")
    assert "service queue exited with code -9" in triage_up.output()
    wait_until(lambda: _ready(triage_up.env["QUEUE_WEB_PORT"]), 90, "the restarted queue's /readyz")
    assert triage_up.proc.poll() is None
    assert triage_up.child_pid("intake") == intake_pid


def test_killing_triage_up_hard_takes_the_broker_and_the_services_with_it(triage_up: TriageUp) -> None:
    children = [triage_up.child_pid(s) for s in ("queue", "notifier", "intake")]
    broker_port = triage_up.env["TRIAGE_BROKER_PORT"]
    assert _listening(broker_port)
    triage_up.proc.kill()
    triage_up.proc.wait(10)
    wait_until(lambda: not _listening(broker_port), 20, "the broker port to close")
    wait_until(lambda: all(_pid_gone(p) for p in children), 30, "every service process to exit")


def test_triage_up_refuses_to_start_when_the_broker_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, **_free_ports(), "TRIAGE_BROKER_PORT": str(port), "KAFKA_BOOTSTRAP_SERVERS": ""}
        out = subprocess.run(
            [sys.executable, "-m", "services.cli", "up", "--var-dir", str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in out.stderr
    assert "Traceback" not in out.stderr


def test_topics_finds_the_broker_through_triage_broker_port_and_says_so_when_none_runs() -> None:
    port = free_port()
    env = {**os.environ, "TRIAGE_BROKER_PORT": str(port), "KAFKA_BOOTSTRAP_SERVERS": ""}
    out = subprocess.run(
        [sys.executable, "-m", "services.cli", "topics"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert f"cannot reach Kafka at 127.0.0.1:{port}" in out.stderr
    assert "Traceback" not in out.stderr


def test_serve_next_says_in_one_line_when_the_staff_api_is_not_running() -> None:
    # serve-next is synchronous through the staff API (issue 13): it needs the API, not the broker.
    env = {**os.environ, "STAFF_URL": f"http://127.0.0.1:{free_port()}", "STAFF_TOKEN": "any"}
    out = subprocess.run(
        [sys.executable, "-m", "services.cli", "serve-next", "--region", "SE-C", "--clinician", "nurse-1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    assert "is not answering" in out.stderr and "STAFF_URL" in out.stderr
    assert "Traceback" not in out.stderr
