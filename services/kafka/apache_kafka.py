"""Apache Kafka on this machine: a KRaft cluster of 1 or 3 nodes, for tests and ``triage up``.

Each node is one JVM (broker and controller in one process) under ``base_dir/node-<id>``:
its server.properties, its data, its log (``server.log``). A reused ``base_dir`` keeps its
cluster id, its ports and its data: the storage is formatted only once. Every node dies with
the process that started it (PR_SET_PDEATHSIG, as the embedded Tansu does); ``stop()`` stops
them cleanly (SIGTERM, then SIGKILL after a timeout).

    with KafkaCluster(tmp / "kafka", nodes=3) as cluster:
        cluster.bootstrap_servers          # "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3"
        cluster.leader("t", 0)             # node id of a partition's leader
        cluster.kill(2); cluster.restart(2)
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from services.kafka.embedded_broker import BrokerStartError, free_port, port_open
from services.kafka.kafka_config import (
    LOG4J2_PROPERTIES,
    Listener,
    NodePorts,
    ScramCredential,
    jvm_options,
    server_properties,
)
from services.kafka.kafka_dist import ensure_kafka_libs, java_executable
from services.kafka.kafka_probe import cluster_brokers, partition_leader, wait_ready
from services.process_group import die_with_parent

__all__ = ["KafkaCluster", "Listener", "ScramCredential"]

_STATE = "cluster.json"


class KafkaCluster:
    """``nodes`` combined KRaft nodes (1, or 3 for RF 3 / min ISR 2) on ``host``.

    ``port``: node 1's client port (0: a free one, or the one a reused ``base_dir`` had).
    ``listeners``: extra client listeners; ``properties``: extra server properties for every
    node (they win over the generated ones); ``scram``: users added when the storage is
    formatted (a reused, already formatted ``base_dir`` keeps the users it has).
    """

    def __init__(
        self,
        base_dir: Path,
        nodes: int = 1,
        *,
        port: int = 0,
        listeners: Sequence[Listener] = (),
        properties: Mapping[str, str] | None = None,
        scram: Sequence[ScramCredential] = (),
        heap_mb: int = 512,
        host: str = "127.0.0.1",
    ) -> None:
        if nodes < 1:
            raise ValueError(f"nodes={nodes}: a cluster needs at least one node")
        self.base_dir = Path(base_dir).resolve()
        self.node_ids = list(range(1, nodes + 1))
        self.host = host
        self.listeners = tuple(listeners)
        self.properties = dict(properties or {})
        self.scram = tuple(scram)
        self.heap_mb = heap_mb
        self._port = port
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        # Every node is started from this one long-lived thread: PR_SET_PDEATHSIG (die_with_parent)
        # fires when the THREAD that forked the child ends, not the process. A node restarted
        # from a short-lived thread (the chaos test restarts killed brokers from one) got SIGTERM
        # as soon as that thread returned: a clean shutdown nobody asked for, leaving the cluster
        # a node short for the next kill (quorum lost with two of three down).
        self._spawner: concurrent.futures.ThreadPoolExecutor | None = None
        self.cluster_id = ""
        self.ports: dict[int, NodePorts] = {}

    # ---- addresses -------------------------------------------------------------------------
    @property
    def bootstrap_servers(self) -> str:
        """The PLAINTEXT address of every node, comma-separated."""
        return ",".join(f"{self.host}:{self.ports[n].broker}" for n in self.node_ids)

    def listener_bootstrap(self, name: str) -> str:
        """The addresses of the extra listener ``name`` on every node, comma-separated."""
        return ",".join(f"{self.host}:{self.ports[n].extra[name]}" for n in self.node_ids)

    def node_dir(self, node_id: int) -> Path:
        return self.base_dir / f"node-{node_id}"

    def log_path(self, node_id: int) -> Path:
        """Where node ``node_id`` writes its log."""
        return self.node_dir(node_id) / "server.log"

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self, timeout: float = 120.0) -> str:
        """Start every node and wait until the cluster creates a topic; return bootstrap servers."""
        java = java_executable()
        libs = ensure_kafka_libs()
        self._prepare()
        for node_id in self.node_ids:
            self._format(java, libs, node_id)
        for node_id in self.node_ids:
            self._spawn(java, libs, node_id)
        try:
            wait_ready(self.bootstrap_servers, len(self.node_ids), timeout, self._check_alive)
        except BaseException:
            self.stop()
            raise
        return self.bootstrap_servers

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every node: SIGTERM to all (a clean shutdown), SIGKILL what is left after ``timeout``."""
        for node_id in list(self._procs):
            self._signal(node_id, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for node_id in list(self._procs):
            self._reap(node_id, max(0.1, deadline - time.monotonic()))
        if self._spawner is not None:
            self._spawner.shutdown(wait=False)
            self._spawner = None

    def kill(self, node_id: int) -> None:
        """SIGKILL one node (a crash: no clean shutdown, no leadership handed over)."""
        self._signal(node_id, signal.SIGKILL)
        self._reap(node_id, 10.0)

    def stop_node(self, node_id: int, timeout: float = 30.0) -> None:
        """Stop one node cleanly (SIGTERM; SIGKILL after ``timeout``)."""
        self._signal(node_id, signal.SIGTERM)
        self._reap(node_id, timeout)

    def restart(self, node_id: int, timeout: float = 120.0) -> None:
        """Start node ``node_id`` again (stopping it first if it runs) and wait until it is back
        in the cluster's metadata as a live broker."""
        if node_id in self._procs:
            self.stop_node(node_id)
        self._spawn(java_executable(), ensure_kafka_libs(), node_id)
        deadline = time.monotonic() + timeout
        # Its port open (the NEW process listens) and in the metadata: a killed node stays in the
        # metadata until the controller fences it, so the metadata alone answered "back" at once
        # when the restart came before the fencing (a chaos run then killed a second node while
        # this one was still down: no quorum).
        broker_port = self.ports[node_id].broker
        while not port_open(self.host, broker_port) or node_id not in cluster_brokers(self.bootstrap_servers):
            self._check_alive(node_id)  # only this one: another may be killed on purpose meanwhile
            if time.monotonic() > deadline:
                raise BrokerStartError(
                    f"Kafka node {node_id} did not rejoin within {timeout:.0f}s; see {self.log_path(node_id)}"
                )
            time.sleep(0.25)

    def running(self, node_id: int) -> bool:
        proc = self._procs.get(node_id)
        return proc is not None and proc.poll() is None

    def leader(self, topic: str, partition: int = 0) -> int:
        """The node id leading ``topic``/``partition`` now (-1: none, e.g. all replicas down)."""
        live = [n for n in self.node_ids if self.running(n)]
        bootstrap = ",".join(f"{self.host}:{self.ports[n].broker}" for n in live)
        return partition_leader(bootstrap, topic, partition)

    def __enter__(self) -> KafkaCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- internals -------------------------------------------------------------------------
    def _prepare(self) -> None:
        """Cluster id and ports: from ``cluster.json`` of a reused ``base_dir``, else new."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        state_path = self.base_dir / _STATE
        state = json.loads(state_path.read_text()) if state_path.exists() else {}
        if state and len(state["ports"]) != len(self.node_ids):
            raise BrokerStartError(
                f"{self.base_dir} holds a {len(state['ports'])}-node cluster, not "
                f"{len(self.node_ids)} nodes: use another directory, or delete this one"
            )
        self.cluster_id = state.get("cluster_id") or _random_cluster_id()
        saved = {int(k): v for k, v in state.get("ports", {}).items()}
        for node_id in self.node_ids:
            old = saved.get(node_id, {})
            broker = (
                (self._port + node_id - 1 if self._port else 0) or old.get("broker") or free_port(self.host)
            )
            extra = {
                x.name: (x.port + node_id - 1 if x.port else 0)
                or old.get("extra", {}).get(x.name)
                or free_port(self.host)
                for x in self.listeners
            }
            self.ports[node_id] = NodePorts(broker, old.get("controller") or free_port(self.host), extra)
        state = {
            "cluster_id": self.cluster_id,
            "ports": {
                n: {"broker": p.broker, "controller": p.controller, "extra": p.extra}
                for n, p in self.ports.items()
            },
        }
        state_path.write_text(json.dumps(state, indent=1))
        (self.base_dir / "log4j2.properties").write_text(LOG4J2_PROPERTIES)
        for node_id in self.node_ids:
            self.node_dir(node_id).mkdir(exist_ok=True)
            props = server_properties(
                node_id,
                self.ports,
                self.node_dir(node_id) / "data",
                self.listeners,
                self.properties,
                self.host,
            )
            (self.node_dir(node_id) / "server.properties").write_text(props)

    def _format(self, java: str, libs: Path, node_id: int) -> None:
        if (self.node_dir(node_id) / "data" / "meta.properties").exists():
            return  # formatted before: keep its data (and its SCRAM users)
        argv = [
            java,
            "-Xmx256m",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            f"{libs}/*",
            "kafka.tools.StorageTool",
            "format",
        ]
        argv += ["-t", self.cluster_id, "-c", str(self.node_dir(node_id) / "server.properties")]
        for cred in self.scram:
            argv += ["--add-scram", cred.format_argument()]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise BrokerStartError(
                f"formatting Kafka node {node_id} failed: {(out.stdout + out.stderr).strip()[-2000:]}"
            )

    def _spawn(self, java: str, libs: Path, node_id: int) -> None:
        for port in (
            self.ports[node_id].broker,
            self.ports[node_id].controller,
            *self.ports[node_id].extra.values(),
        ):
            if port_open(self.host, port):
                raise BrokerStartError(
                    f"port {port} on {self.host} is already in use (a Kafka left running from "
                    f"{self.base_dir}?, or another program): stop it, or choose another port"
                )
        argv = [java, *jvm_options(self.heap_mb, self.base_dir / "log4j2.properties")]
        argv += ["-cp", f"{libs}/*", "kafka.Kafka", str(self.node_dir(node_id) / "server.properties")]

        def popen() -> subprocess.Popen[bytes]:
            with open(self.log_path(node_id), "ab") as log:
                return subprocess.Popen(
                    argv,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    preexec_fn=die_with_parent,  # own session; SIGTERM when we die, even by SIGKILL
                )

        if self._spawner is None:
            self._spawner = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kafka-nodes")
        self._procs[node_id] = self._spawner.submit(popen).result()

    def _check_alive(self, only: int | None = None) -> None:
        for node_id, proc in list(self._procs.items()):
            if only is not None and node_id != only:
                continue
            if proc.poll() is not None:
                raise BrokerStartError(
                    f"Kafka node {node_id} exited with code {proc.returncode}; see {self.log_path(node_id)}"
                )

    def _signal(self, node_id: int, sig: int) -> None:
        proc = self._procs.get(node_id)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, sig)

    def _reap(self, node_id: int, timeout: float) -> None:
        proc = self._procs.pop(node_id, None)
        if proc is None:
            return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _random_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (22 characters).

    Never one that starts with '-': the storage tool would read it as an option (1 in 64).
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
