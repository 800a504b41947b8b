"""The queue worker's moving parts around the domain: persist, send, recover, re-route.

Order of effects for one input record (at-least-once, the broker has no transactions):
1. ``handle`` decides and folds the result into the in-memory state; the answer (the
   events it produced) is recorded under the input's request id (``triaged-<case>`` for
   a triage event);
2. the changed case records and that answer are written to the table's changelog and we
   WAIT for the broker's acks (outbox: the decision is durable before anyone hears of it);
3. only then are the events sent (and acked) to queue.events / queue.your-turn.
After a crash the uncommitted inputs are replayed: an input whose answer is in the table
gets the recorded answer re-sent (same events, same ids; consumers dedupe on ``event_id``),
and an input that left no trace is decided afresh. Nothing was told to anyone about a
decision that is not durable, so a replay can never call a different patient than the
one who already got an SMS.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import faust

from proto import codec
from proto import events as ev
from services.queue.domain.process import Outcome
from services.queue.domain.rebuild import (
    Journal, decode_answer, decode_journal, decode_record, encode_answer, encode_journal, encode_record, rebuild,
)
from services.queue.domain.state import CaseRecord, QueueState
from services.queue.metrics import CASES_CALLED_WAIT, COMMANDS, EVENTS
from services.queue.partitioning import region_partition, split_table_key, table_key

log = logging.getLogger("triage.queue")
SOURCE = "/triage/queue"


class QueueRuntime:
    """Binds the pure state to faust: output topics, the durable table, recovery."""

    def __init__(self, app: faust.App, table: Any, state: QueueState, outputs: dict[str, Any],
                 input_topics: tuple[str, ...], partitions: int) -> None:
        self.app = app
        self.table = table
        self.state = state
        self.outputs = outputs
        self.input_topics = input_topics  # all have the same partition count (co-partitioning)
        self.partitions = partitions
        # (input topic, partition) -> the next offset to handle; durable as o/<partition>/<topic>
        self.offsets: dict[tuple[str, int], int] = {}
        self.ready = False
        self.last_recovery_s: float | None = None

    # ---------------------------------------------------------------- sending
    async def emit(self, outcome: Outcome) -> None:
        """Send the outcome's events and wait until the broker has them all."""
        futures = []
        for message in outcome.events:
            futures.append(await self._send(message))
            if isinstance(message, ev.CaseClosed | ev.CaseCancelled):
                # The case left the system: delete the patient's phone (compacted topic).
                futures.append(await self.outputs["contacts"].send(key=message.case_id.encode(), value=None,
                                                                   force=True))
        await asyncio.gather(*futures)
        if outcome.command:
            COMMANDS.labels(outcome.command, outcome.outcome).inc()
        if outcome.outcome == "replayed":
            return
        for message in outcome.events:
            EVENTS.labels(type(message).__name__).inc()
            if isinstance(message, ev.CaseCalled):
                CASES_CALLED_WAIT.labels(str(message.urgency)).observe(
                    max(0.0, (message.called_at - message.queued_at).total_seconds()))

    async def _send(self, message: ev.Message) -> Any:
        if isinstance(message, ev.YourTurn | ev.HeadsUp):
            target = self.outputs["your_turn"]
        elif isinstance(message, ev.TransferIn):
            target = self.outputs["commands"]  # keyed by the target region: its owner enqueues
        else:
            target = self.outputs["events"]
        return await target.send(key=message.region.encode(),  # type: ignore[attr-defined]
                                 value=codec.encode(message),
                                 headers=codec.cloudevent_headers(message, SOURCE),
                                 # force: send now. Without it faust "attaches" the record to the
                                 # input offset and sends it only at commit time, so a kill -9
                                 # would lose events whose decision is already durable.
                                 force=True)

    async def reroute(self, topic: str, partition: int, offset: int, region: str, value: bytes | None,
                      headers: list[tuple[str, bytes]]) -> None:
        """Forward a record that arrived on the wrong partition to its region's partition."""
        target = region_partition(region, self.partitions)
        fut = await self.app.producer.send(
            topic, region.encode(), value, partition=target, timestamp=None,
            headers=headers + [("x-rerouted-from", f"{partition}@{offset}".encode())],
        )
        await fut

    # ---------------------------------------------------------------- persistence
    async def persist(self, region: str | None, done: tuple[str, int, int]) -> None:
        """Make the input's outcome durable, then return (outbox: nobody hears of it before).

        ``done`` = (topic, partition, offset + 1). First the region's journal (the whole
        outcome in one record, so a crash cannot leave half of it), then the per-case
        entries, the answer and the input offset, each awaited.
        """
        topic, partition, next_offset = done
        rs = self.state.regions.get(region) if region else None
        futures: list[Any] = []

        def put(key: bytes, value: bytes | None) -> None:
            # The store and the changelog directly (not ``table[key] = v``) so that we get the
            # changelog send's future and can wait for it before telling anyone the outcome.
            if value is None:
                self.table.data.pop(key, None)
                futures.append(self.table.send_changelog(partition, key, None, value_serializer="raw"))
            else:
                self.table.data[key] = value
                futures.append(self.table.send_changelog(partition, key, value))

        if rs is not None and region is not None:
            answer_key = rs.new_answers[-1] if rs.new_answers else None
            put(table_key("j", region, "last"), encode_journal(Journal(
                region, topic, partition, next_offset, answer_key,
                list(rs.answers.get(answer_key, ())) if answer_key else [],
                [rs.cases[c] for c in rs.touched])))
            await asyncio.gather(*futures)
            futures.clear()
            for case_id in rs.touched:
                put(table_key("c", region, case_id), encode_record(rs.cases[case_id]))
            for request_id in rs.new_answers:
                if request_id in rs.answers:
                    put(table_key("a", region, request_id), encode_answer(rs.answers[request_id]))
            for request_id in rs.evicted_answers:
                put(table_key("a", region, request_id), None)
            rs.touched.clear()
            rs.new_answers.clear()
            rs.evicted_answers.clear()
        put(table_key("o", str(partition), topic), str(next_offset).encode())
        self.offsets[(topic, partition)] = next_offset
        await asyncio.gather(*futures)

    # ---------------------------------------------------------------- recovery
    def owned_partitions(self) -> set[int]:
        """The input partitions this worker is assigned now."""
        return {tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == self.input_topics[0]}

    def owns_partition(self, partition: int) -> bool:
        return partition in self.owned_partitions()

    async def on_recovered(self) -> None:
        """Table recovery finished (start or rebalance): rebuild the regions we now own."""
        started = time.perf_counter()
        owned = self.owned_partitions()
        records: dict[tuple[str, str], CaseRecord] = {}
        answers, regions, journals = [], set(), []
        self.offsets = {}
        for key, value in self.table.data.items():
            kind, region, ident = split_table_key(key)
            if kind == "o":  # o/<partition>/<topic>: the next input offset to handle
                if int(region) in owned:
                    self.offsets[(ident, int(region))] = int(value)
                continue
            if region_partition(region, self.partitions) not in owned:
                continue  # a region of a partition another worker owns now
            regions.add(region)
            if kind == "c":
                rec = decode_record(value)
                records[(region, rec.case_id)] = rec
            elif kind == "a":
                answers.append((region, ident, decode_answer(value)))
            else:
                journals.append(decode_journal(value))
        known = {(r, k) for r, k, _ in answers}
        for j in journals:  # the last outcome of each region is whole in its journal: apply it over
            for rec in j.records:
                records[(j.region, rec.case_id)] = rec
            if j.answer_key and (j.region, j.answer_key) not in known:
                answers.append((j.region, j.answer_key, tuple(j.answer)))
            tp = (j.topic, j.partition)
            self.offsets[tp] = max(self.offsets.get(tp, 0), j.next_offset)
        found = rebuild(self.state, regions, records.values(), answers, time.time())
        # The last outcome of each region may be durable but unsent (the worker died between
        # persisting and sending it: one input at most, processing is sequential). Re-send
        # it before any new input is decided, so the history keeps decision order.
        for j in journals:
            if j.answer:
                log.info("re-sending the last answer of %s (%d events)", j.region, len(j.answer))
                await self.emit(Outcome(tuple(j.answer), None, "replayed"))
        self.last_recovery_s = time.perf_counter() - started
        self.ready = True
        log.info("recovered partitions %s: %d regions, %d cases (%d waiting), %d answers in %.3fs",
                 sorted(owned), found.regions, found.cases, found.waiting, found.answers, self.last_recovery_s)
