"""Writing the audit trail: one AuditRecorded on audit.events per staff action or read.

The write is awaited and bounded: if the broker does not acknowledge it within
``STAFF_AUDIT_TIMEOUT_S`` the caller gets ``AuditUnavailable`` (503) and the action is
not carried out -- an action nobody can later account for must not happen.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka.errors import KafkaError

from proto import topics
from proto.events import AuditRecorded
from services.kafka.publisher import Publisher

log = logging.getLogger("triage.staff.audit")


class AuditUnavailable(Exception):
    """The audit record could not be written; the action must not go ahead."""


class AuditTrail:
    """Publishes audit records and waits for the broker's acknowledgement."""

    def __init__(self, publisher: Publisher, timeout_s: float) -> None:
        self.publisher = publisher
        self.timeout_s = timeout_s

    async def record(self, entry: AuditRecorded) -> None:
        """Write ``entry`` durably (acks=all) or raise AuditUnavailable."""
        try:
            async with asyncio.timeout(self.timeout_s):
                await self.publisher.publish(topics.AUDIT_EVENTS, entry.region or "-", entry)
        except (TimeoutError, KafkaError) as exc:
            log.error(
                "audit write failed (%s): action %s by %s refused",
                type(exc).__name__,
                entry.action,
                entry.actor,
            )
            raise AuditUnavailable(f"the audit trail could not be written ({type(exc).__name__})") from None
