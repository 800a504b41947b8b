"""`triage up` as a child process of a test, its output collected line by line."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from services.kafka.embedded_broker import free_port


class TriageUp:
    """A `triage up` process whose combined output is collected line by line."""

    def __init__(self, var_dir: Path, env: dict[str, str], *args: str) -> None:
        self.env = env
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up", "--var-dir", str(var_dir), *args],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def child_pid(self, service: str) -> int:
        with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
            pids = [int(p) for p in f.read().split()]
        for pid in pids:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read().split(b"\0")[-2:-1] == [service.encode()]:
                    return pid
        raise AssertionError(f"no {service} child of triage up among {pids}")


def free_ports() -> dict[str, str]:
    """Every port `triage up` opens, free ones (no clash with another stack on the machine)."""
    return {
        "TRIAGE_BROKER_PORT": str(free_port()),
        "INTAKE_PORT": str(free_port()),
        "QUEUE_WEB_PORT": str(free_port()),
        "NOTIFIER_WEB_PORT": str(free_port()),
        "STAFF_PORT": str(free_port()),
    }
