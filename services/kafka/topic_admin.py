"""Creating the system's topics (idempotent) from the specs in ``proto.topics``."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from proto.topics import ALL_TOPICS, FAUST_INTERNAL_TOPICS, TopicSpec
from services.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicPlacement:
    """How many copies of each partition, and how many must have a write before it is acked.

    One broker (the embedded one, a laptop Kafka): 1 and 1. Production Kafka: 3 and 2, as the
    Strimzi cluster in deploy/k8s sets (there the topic operator creates the topics instead).
    """

    replication_factor: int = 1
    min_insync_replicas: int = 1

    @classmethod
    def from_args(cls, replication_factor: int, min_insync_replicas: int) -> TopicPlacement:
        """Validated values from ``triage topics`` options; ValueError says what is wrong."""
        if replication_factor < 1:
            raise ValueError(f"--replication-factor {replication_factor}: needs at least 1")
        if not 1 <= min_insync_replicas <= replication_factor:
            raise ValueError(
                f"--min-insync-replicas {min_insync_replicas}: must be between 1 and the "
                f"replication factor ({replication_factor}), or no write could ever be acked"
            )
        return cls(replication_factor, min_insync_replicas)


def _topic_config(spec: TopicSpec, placement: TopicPlacement) -> dict[str, str]:
    return {
        "cleanup.policy": "compact" if spec.compacted else "delete",
        "retention.ms": str(spec.retention_ms),
        "min.insync.replicas": str(placement.min_insync_replicas),
    }


async def ensure_topics(
    kafka: KafkaSettings,
    specs: tuple[TopicSpec, ...] = ALL_TOPICS,
    timeout: float = 30.0,
    *,
    placement: TopicPlacement | None = None,
) -> list[str]:
    """Create every missing topic; return the names created. Existing ones are left as they are.

    ``placement``: replication factor and min ISR of new topics (default: one broker's 1 and 1).
    With the default ``specs`` faust's own topics (its leader topics and table changelogs) are
    created too, as production's Topic Operator does: a changelog that faust creates itself at
    start can be missing from the group leader's metadata at the first assignment on Apache
    Kafka, and faust then assigns the queue no partition at all.
    """
    placement = placement or TopicPlacement()
    named = [(kafka.topic(s.name), s) for s in specs]
    if specs is ALL_TOPICS:
        named += [(kafka.group(s.name), s) for s in FAUST_INTERNAL_TOPICS]
    admin = AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=10000)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name, s.partitions, placement.replication_factor, topic_configs=_topic_config(s, placement)
            )
            for name, s in named
            if name not in existing
        ]
        created = []
        for topic in wanted:  # one at a time: a topic that appeared meanwhile is not an error
            try:
                await admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass
        if created:
            log.info("created %d topics", len(created))
        return created
    finally:
        await admin.close()
