"""Sending queue commands from outside the queue (staff tools, the CLI, load tests)."""

from __future__ import annotations

from proto import topics
from proto.events import Command
from services.kafka.publisher import Publisher
from services.kafka.settings import KafkaSettings


async def send_command(command: Command, kafka: KafkaSettings | None = None) -> None:
    """Publish one command on queue.commands, keyed by its region."""
    publisher = Publisher(kafka or KafkaSettings.from_env(), source="/triage/cli")
    await publisher.start()
    try:
        await publisher.publish(topics.QUEUE_COMMANDS, command.region, command)
    finally:
        await publisher.stop()
