"""The generated configuration of a local Apache Kafka KRaft node (server.properties, log4j2).

Every node is broker and controller at once (combined mode): one JVM per node instead of two,
which matters on a 2-core machine. Settings follow production (deploy/k8s/base/kafka) where
behaviour depends on them: no topic auto-creation, RF 3 / min ISR 2 on three nodes, and
Kafka's default group session limits (6 s to 30 min), so the services are tested under the
limits they meet in production.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BROKER_LISTENER = "PLAINTEXT"  # clients and replication between the nodes
CONTROLLER_LISTENER = "CONTROLLER"
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")


@dataclass(frozen=True)
class Listener:
    """An extra client listener, e.g. ``Listener("SSL", "SSL")`` or ``("SASLSSL", "SASL_SSL")``.

    ``port`` is node 1's port (node n listens on ``port + n - 1``); 0 picks free ports. Its
    settings (keystores, SASL mechanisms) go into the cluster's extra properties under
    ``listener.name.<name lower-case>.``, as Kafka documents.
    """

    name: str
    security_protocol: str
    port: int = 0

    def __post_init__(self) -> None:
        if self.security_protocol not in SECURITY_PROTOCOLS:
            raise ValueError(
                f"listener {self.name}: security protocol {self.security_protocol!r} is not one "
                f"of {', '.join(SECURITY_PROTOCOLS)}"
            )
        if self.name.upper() in (BROKER_LISTENER, CONTROLLER_LISTENER):
            raise ValueError(f"listener name {self.name} is taken by the cluster itself")


@dataclass(frozen=True)
class ScramCredential:
    """A SCRAM user written into the metadata log when the storage is formatted."""

    name: str
    password: str
    mechanism: str = "SCRAM-SHA-512"

    def format_argument(self) -> str:
        """The value of ``kafka-storage format --add-scram``."""
        return f"{self.mechanism}=[name={self.name},password={self.password}]"


@dataclass
class NodePorts:
    """Where one node listens: its broker port, its controller port, and the extra listeners'."""

    broker: int
    controller: int
    extra: dict[str, int] = field(default_factory=dict)


def server_properties(
    node_id: int,
    ports: Mapping[int, NodePorts],
    data_dir: Path,
    listeners: Sequence[Listener],
    extra: Mapping[str, str],
    host: str = "127.0.0.1",
) -> str:
    """server.properties of ``node_id`` in a cluster whose nodes listen on ``ports``."""
    nodes = len(ports)
    mine = ports[node_id]
    addresses = {BROKER_LISTENER: mine.broker} | {x.name: mine.extra[x.name] for x in listeners}
    listen = ",".join(f"{name}://{host}:{port}" for name, port in addresses.items())
    protocols = {BROKER_LISTENER: "PLAINTEXT", CONTROLLER_LISTENER: "PLAINTEXT"} | {
        x.name: x.security_protocol for x in listeners
    }
    replicas = min(nodes, 3)
    isr = 2 if replicas >= 3 else 1
    props = {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        "controller.quorum.voters": ",".join(f"{n}@{host}:{p.controller}" for n, p in sorted(ports.items())),
        "listeners": f"{listen},{CONTROLLER_LISTENER}://{host}:{mine.controller}",
        "advertised.listeners": listen,
        "controller.listener.names": CONTROLLER_LISTENER,
        "inter.broker.listener.name": BROKER_LISTENER,
        "listener.security.protocol.map": ",".join(f"{k}:{v}" for k, v in protocols.items()),
        "log.dirs": str(data_dir),
        # production parity (deploy/k8s/base/kafka/kafka.yaml): topics are created on purpose
        "auto.create.topics.enable": "false",
        "default.replication.factor": str(replicas),
        "min.insync.replicas": str(isr),
        "offsets.topic.replication.factor": str(replicas),
        "transaction.state.log.replication.factor": str(replicas),
        "transaction.state.log.min.isr": str(isr),
        # fewer internal partitions than the default 50: created at the first group or
        # transaction, and 50 x 3 replicas cost seconds on a busy 2-core machine
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.num.partitions": "10",
        # A broker killed -9 keeps leading its partitions (and coordinating its groups and
        # transactions) until the controller fences it, one broker session after its last
        # heartbeat: 9 s by default, most of the serving stall after a broker kill (issue 21;
        # docs/deployment.md "Broker faults"). 4 s with a heartbeat every 0.5 s.
        "broker.session.timeout.ms": "4000",
        "broker.heartbeat.interval.ms": "500",
        # a test's first group should not wait 3 s for more members
        "group.initial.rebalance.delay.ms": "0",
        # few threads: 2 cores shared by everything on this machine
        "num.network.threads": "2",
        "num.io.threads": "4",
        "background.threads": "2",
        "num.recovery.threads.per.data.dir": "1",
        "num.replica.fetchers": "1",
        "log.cleaner.threads": "1",
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
    }
    props.update(extra)
    return "".join(f"{k}={v}\n" for k, v in props.items())


LOG4J2_PROPERTIES = """\
# Kafka's own log, written to stdout (the launcher sends it to server.log).
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
# every client's and the server's full config, at each start
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
# per-partition chatter: every test creates topics
logger.log.name = kafka.log
logger.log.level = WARN
logger.storage.name = org.apache.kafka.storage
logger.storage.level = WARN
logger.cluster.name = kafka.cluster
logger.cluster.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.fetcher.name = kafka.server.ReplicaFetcherManager
logger.fetcher.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.replication.name = org.apache.kafka.controller.ReplicationControlManager
logger.replication.level = WARN
"""


def jvm_options(heap_mb: int, log4j_path: Path) -> list[str]:
    """A small JVM: fixed heap, one GC thread each, quick start (this is a 2-core machine)."""
    return [
        f"-Xms{min(heap_mb, 256)}m",
        f"-Xmx{heap_mb}m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:ParallelGCThreads=1",
        "-XX:ConcGCThreads=1",
        "-XX:CICompilerCount=2",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j_path}",
    ]
