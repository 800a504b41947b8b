"""Running the services as child processes that never outlive their parent."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """In a child before exec: own session, and SIGTERM when the parent dies (even by SIGKILL)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass
    os.setsid()


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    health_url: str
    env: Mapping[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    def start(self, log_file: int | None = None) -> None:
        self.proc = subprocess.Popen(
            list(self.argv),
            env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT if log_file is not None else None,
            preexec_fn=die_with_parent,
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_code(self) -> int | None:
        """The exit status once it has ended (negative: killed by that signal), else None."""
        return None if self.proc is None else self.proc.poll()

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=1) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.alive():
            assert self.proc is not None
            os.killpg(self.proc.pid, sig)


def service_argv(service: str) -> list[str]:
    """How to run one service in a child process with this interpreter."""
    return [sys.executable, "-m", "services.cli", service]


def wait_healthy(children: Sequence[Child], timeout: float) -> list[str]:
    """Wait until every child answers its health URL; return the names that did not."""
    deadline = time.monotonic() + timeout
    pending = list(children)
    while pending and time.monotonic() < deadline:
        for child in list(pending):
            if not child.alive():
                return [child.name]
            if child.healthy():
                pending.remove(child)
        time.sleep(0.2)
    return [c.name for c in pending]


def stop_all(children: Sequence[Child], timeout: float = 20.0) -> None:
    """SIGTERM every child, then SIGKILL whatever is still running after ``timeout``."""
    for child in reversed(children):
        child.stop(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children:
        if child.proc is None:
            continue
        try:
            child.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.stop(signal.SIGKILL)
            child.proc.wait()
