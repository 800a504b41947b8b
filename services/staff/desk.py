"""The staff desk: a staff command or read, with its audit records, as one use case.

A command goes: audit "requested" (awaited: no record, no command) -> publish on
queue.commands -> wait for the queue's answer with the same request_id -> audit the
outcome -> answer. A read goes: fetch -> audit what was shown -> answer. The HTTP layer
only parses, authenticates and maps results to status codes.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiokafka.errors import KafkaError

from proto import events as ev
from proto import topics
from services.kafka.publisher import Publisher
from services.staff.answers import QueueAnswers
from services.staff.audit_trail import AuditTrail, AuditUnavailable
from services.staff.domain.access import Principal
from services.staff.domain.request_binding import RequestBindings, request_digest

log = logging.getLogger("triage.staff")


@dataclass(frozen=True)
class Caller:
    """Who acts (verified token), in which role, from which address."""

    principal: Principal
    role: str
    client: str

    def audit(
        self,
        action: str,
        outcome: str,
        region: str = "",
        case_id: str = "",
        request_id: str = "",
        case_ids: tuple[str, ...] = (),
        detail: str = "",
        request_digest: str = "",
    ) -> ev.AuditRecorded:
        """An audit record of this caller's ``action``."""
        return ev.AuditRecorded(
            actor=self.principal.subject,
            role=self.role,
            action=action,
            outcome=outcome,
            region=region,
            case_id=case_id,  # type: ignore[arg-type]
            case_ids=list(case_ids),
            client=self.client,
            request_id=request_id,
            detail=detail[:200],
            request_digest=request_digest,
        )


class AnswerTimeout(Exception):
    """The queue did not answer in time; the command may still be decided (retry the same request_id)."""


class CommandNotSent(Exception):
    """queue.commands did not take the command; nothing was decided."""


def outcome_of(answer: ev.Message) -> str:
    """The audit outcome of the queue's answer."""
    if isinstance(answer, ev.CommandRejected):
        return "rejected"
    if isinstance(answer, ev.ServeNextEmpty):
        return "empty"
    return "ok"


class StaffDesk:
    """Runs staff commands against the queue with an audit trail."""

    def __init__(
        self,
        publisher: Publisher,
        answers: QueueAnswers,
        trail: AuditTrail,
        answer_timeout_s: float,
        bindings: RequestBindings | None = None,
    ) -> None:
        self.publisher = publisher
        self.answers = answers
        self.trail = trail
        self.answer_timeout_s = answer_timeout_s
        # request_id -> the request it named; fed by the audit trail's "requested" records too
        self.bindings = bindings if bindings is not None else RequestBindings()

    async def command(
        self, caller: Caller, action: str, command: ev.Command, request: object | None = None
    ) -> ev.Message:
        """Send ``command`` and return the queue's answer (CaseCalled, CommandRejected, ...).

        ``request``: what the request_id is bound to when it is not the command itself (a body
        the command is derived from with the current state). Raises RequestIdReused (nothing
        sent), AuditUnavailable (nothing sent), CommandNotSent or AnswerTimeout.
        """
        case_id = getattr(command, "case_id", "")
        rid, region = command.request_id, command.region
        actor = caller.principal.subject
        digest = request_digest(
            command if request is None else (type(command).__name__, region, actor, request)
        )
        self.bindings.check(rid, digest)  # an id reused for another request never gets its answer
        await self.trail.record(
            caller.audit(action, "requested", region, case_id, rid, request_digest=digest)
        )
        self.bindings.note(rid, digest)
        future = self.answers.expect(rid)
        try:
            try:
                await self.publisher.publish(topics.QUEUE_COMMANDS, region, command)
            except KafkaError as exc:
                await self._outcome(
                    caller.audit(action, "failed", region, case_id, rid, detail=type(exc).__name__)
                )
                raise CommandNotSent(
                    f"queue.commands did not accept the command ({type(exc).__name__})"
                ) from None
            try:
                answer = await asyncio.wait_for(asyncio.shield(future), self.answer_timeout_s)
            except TimeoutError:
                await self._outcome(caller.audit(action, "timeout", region, case_id, rid))
                raise AnswerTimeout(rid) from None
        finally:
            self.answers.forget(rid, future)
        detail = answer.reason if isinstance(answer, ev.CommandRejected) else outcome_note(command)
        await self._outcome(
            caller.audit(
                action,
                outcome_of(answer),
                region,
                getattr(answer, "case_id", "") or case_id,
                rid,
                detail=detail,
            )
        )
        return answer

    async def _outcome(self, entry: ev.AuditRecorded) -> None:
        # The "requested" record is already durable; losing the outcome record must not hide
        # the queue's answer from the clinician (queue.events holds it under the request_id).
        try:
            await self.trail.record(entry)
        except AuditUnavailable:
            log.error(
                "audit outcome record lost for request %s (the requested record exists)", entry.request_id
            )

    async def shown(self, caller: Caller, action: str, region: str, case_ids: tuple[str, ...]) -> None:
        """Audit a read of case data BEFORE the data leaves (AuditUnavailable: do not show it)."""
        await self.trail.record(caller.audit(action, "ok", region, case_ids=case_ids))


def outcome_note(command: ev.Command) -> str:
    """The audit detail of a completion: its outcome kind (issue 26), never the advice (health data)."""
    outcome = command.outcome if isinstance(command, ev.CompleteCase) else None
    return f"outcome={outcome}" if outcome else ""
