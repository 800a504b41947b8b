"""Creating the system's topics (idempotent) from the specs in ``proto.topics``."""

from __future__ import annotations

import asyncio
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from proto.topics import ALL_TOPICS, TopicSpec
from services.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)


def _topic_config(spec: TopicSpec) -> dict[str, str]:
    return {
        "cleanup.policy": "compact" if spec.compacted else "delete",
        "retention.ms": str(spec.retention_ms),
    }


async def ensure_topics(
    kafka: KafkaSettings, specs: tuple[TopicSpec, ...] = ALL_TOPICS, timeout: float = 30.0
) -> list[str]:
    """Create every missing topic; return the names created. Existing ones are left as they are."""
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
            NewTopic(kafka.topic(s.name), s.partitions, 1, topic_configs=_topic_config(s))
            for s in specs
            if kafka.topic(s.name) not in existing
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
