"""The queue worker's loop: follow faust's assignment, recover, then group-commit batches.

faust is kept for what it is good at: group membership (which partition numbers this
worker owns), the owner-routed web views and metrics. The table ``queue-state`` is never
written; it exists so that faust assigns its (empty) changelog partitions 0..7 and the
router knows which worker owns a region's partition. The inputs are read by our own
``InputReader`` and every decision goes through ``BatchCommitter`` (services/queue/write_path.py).

On every assignment: pause, wait for the batch in flight, forget revoked partitions,
recover each newly assigned partition from queue.events (and re-send its last batch's
outputs), seek the reader to the resume positions, go on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import faust

from proto import codec
from proto import events as ev
from services.kafka.dead_letters import dead_letter_headers
from services.kafka.metrics import DEAD_LETTERS
from services.observability.consumer_lag import LagSample
from services.observability.gc_pauses import SettleWhenGrown
from services.queue.domain.batch import Input, InputPosition
from services.queue.domain.state import QueueState
from services.queue.input_reader import InputReader
from services.queue.kafka_log import KafkaQueueLog
from services.queue.metrics import (
    CASES_CALLED_WAIT,
    COMMANDS,
    EVENTS,
    INPUT_AGE,
    RECOVERY,
    REROUTED,
    count_outcome,
)
from services.queue.partitioning import region_partition
from services.queue.snapshot_store import KafkaSnapshotStore
from services.queue.write_path import BatchCommitter

log = logging.getLogger("triage.queue")
_INPUT = codec.Decoder[Any](ev.TRIAGE_EVENT | ev.QUEUE_COMMAND | ev.TransferIn | ev.NotifyFailed)


class QueueRuntime:
    """Binds the pure state to the broker: assignment, recovery, the batch loop."""

    def __init__(
        self,
        app: faust.App,
        state: QueueState,
        qlog: KafkaQueueLog,
        reader: InputReader,
        partitions: int,
        table_changelog: str,
        fetch_wait_ms: int,
        snapshots: KafkaSnapshotStore | None = None,
        snapshot_every_events: int = 5_000,
        snapshot_every_s: float | None = None,
        observe: Callable[[str, float], None] | None = None,
    ) -> None:
        self.app = app
        self.state = state
        self.qlog = qlog
        self.reader = reader
        self.partitions = partitions
        self.changelog = table_changelog
        self.fetch_wait_ms = fetch_wait_ms
        self.snapshots = snapshots
        self.committer = BatchCommitter(
            qlog,
            state,
            lambda r: region_partition(r, partitions),
            snapshots=snapshots,
            snapshot_every=snapshot_every_events,
            snapshot_every_s=snapshot_every_s,
            observe=observe,
        )
        # the heap is settled (collected, then frozen) after each recovery and whenever a region
        # appears: its containers grow with its queue, and a full collection would walk them
        self.heap_settler = SettleWhenGrown(lambda: len(state.regions))
        self.lock = asyncio.Lock()
        self.owned: set[int] = set()
        self.ready = False
        self.last_recovery_s: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        """Start the clients and the batch loop (idempotent: faust may assign before its tasks run)."""
        async with self._starting:
            if self._task is None:
                await self.qlog.start()
                await self.reader.start()
                self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.reader.stop()
        await self.committer.settle()  # a snapshot being written finishes before its store stops
        if self.snapshots is not None:
            await self.snapshots.stop()
        await self.qlog.stop()

    # ---------------------------------------------------------------- assignment
    async def on_revoked(self) -> None:
        """A rebalance starts: finish the batch in flight and stop taking new ones."""
        async with self.lock:
            self.ready = False
            await self._flush_or_exit()  # the last batch is written before another worker may take over

    async def _flush_or_exit(self) -> None:
        """Wait for the last batch's writes; if they failed, only a restart (recovery) is safe."""
        try:
            await self.committer.flush()
        except Exception:
            log.critical(
                "the last batch's writes failed; exiting so that recovery rebuilds from the log",
                exc_info=True,
            )
            os._exit(70)

    async def on_recovered(self) -> None:
        """faust finished an assignment: rebuild what we now own from queue.events."""
        started = time.perf_counter()
        owned = {tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == self.changelog}
        # the group's part of a restart ends here; the process CPU so far shows what waited for a core
        log.info("assigned partitions %s: recovering (process CPU %.2fs)", sorted(owned), time.process_time())
        await self.start()
        async with self.lock:
            await self._flush_or_exit()  # no write of ours is in flight while partitions move
            self.owned -= self.committer.take_fenced()  # fenced out meanwhile: recovered if ours again
            for p in self.owned - owned:
                self.committer.forget(p)
                await self.qlog.release(p)
            # A partition we kept may have been someone else's in between (two quick rebalances):
            # if anyone wrote there after our last record, our state is stale: rebuild it.
            stale = await self.qlog.written_by_others(self.owned & owned)
            if stale:
                log.warning(
                    "partitions %s were written by another worker since our last batch; recovering them",
                    sorted(stale),
                )
            # Concurrently: on Kafka each recovery is several round trips to the transaction
            # coordinator (InitProducerId, then the fence's transaction), ~1.5 s per partition on
            # the busy test machine; one after another that was most of a restarted worker's stall.
            # Partitions share no state (each recovery touches only its own regions and positions).
            todo = sorted((owned - self.owned) | stale)
            for p, rec in zip(
                todo, await asyncio.gather(*(self.committer.recover(p) for p in todo)), strict=True
            ):
                log.info(
                    "recovered partition %d: snapshot up to offset %s + %d batches, %d orphan records "
                    "(%d inputs to replay first), %d torn and %d duplicate markers, %d late records voided, "
                    "%d regions, positions %s",
                    p,
                    rec.snapshot_covers,
                    rec.batches,
                    rec.orphans,
                    len(rec.replay_first),
                    rec.torn,
                    rec.duplicates,
                    rec.late,
                    len(rec.state.regions),
                    rec.positions,
                )
            self.owned = owned
            await self.reader.assign({p: self.committer.positions[p] for p in owned})
            self.last_recovery_s = time.perf_counter() - started
            RECOVERY.labels(str(len(todo))).observe(self.last_recovery_s)
            self.ready = True
        log.info(
            "serving partitions %s after %.3fs of recovery (process CPU %.2fs)",
            sorted(owned),
            self.last_recovery_s,
            time.process_time(),
        )

    def lag_samples(self) -> list[LagSample]:
        """Input records not yet committed, per input partition (triage_consumer_lag_records)."""
        out = []
        for topic, partition, highwater in self.reader.highwaters():
            committed = self.committer.positions.get(partition, {}).get(topic)
            if committed is not None:
                out.append(LagSample(topic, partition, max(0, highwater - committed)))
        return out

    # ---------------------------------------------------------------- the batch loop
    async def _run(self) -> None:
        try:
            while True:
                if not self.ready:
                    await asyncio.sleep(0.01)
                    continue
                self.committer.check()  # an output send that failed in the background stops the loop
                async with self.lock:
                    if self.ready:
                        await self._one_batch()
        except asyncio.CancelledError:
            raise
        except BaseException:  # the state may be ahead of the log: only a restart is safe
            log.critical(
                "the queue's write path failed; exiting so that recovery rebuilds from the log", exc_info=True
            )
            os._exit(70)

    async def _one_batch(self) -> None:
        need = {p: self.committer.must_read_up_to(p) for p in self.owned}
        fetched = await self.reader.fetch(self.fetch_wait_ms, {p: n for p, n in need.items() if n})
        if not fetched:
            await self.committer.flush()  # idle: no next batch to decide while the last one is written
            await self._give_up_fenced()
            return
        inputs: dict[int, list[Input]] = {}
        forwards = []
        wall_ms = time.time() * 1000
        for partition, records in fetched.items():
            items = inputs.setdefault(partition, [])
            for topic, r in records:
                message, fwd = self._decode(topic, partition, r)
                if fwd is not None:
                    forwards.append(fwd)
                now = (
                    dt.datetime.fromtimestamp(r.timestamp / 1000, dt.UTC) if r.timestamp > 0 else ev.utcnow()
                )
                items.append(Input(InputPosition(topic, partition, r.offset), message, now))
                if r.timestamp > 0:
                    INPUT_AGE.labels(topic).observe(max(0.0, wall_ms - r.timestamp) / 1000)
        if forwards:  # re-routes and dead letters are durable before the marker covers them
            await asyncio.gather(*[await f for f in forwards])
        commits = await self.committer.commit(inputs)
        self.heap_settler()
        await self._give_up_fenced()
        for c in commits:
            for outcome in c.outcomes:
                if outcome.command:
                    COMMANDS.labels(outcome.command, outcome.outcome).inc()
                for m in outcome.recorded:
                    EVENTS.labels(type(m).__name__).inc()
                    if isinstance(m, ev.CaseClosed):
                        count_outcome(m)
                    elif isinstance(m, ev.CaseCalled):
                        CASES_CALLED_WAIT.labels(str(m.urgency)).observe(
                            max(0.0, (m.called_at - m.queued_at).total_seconds())
                        )

    async def _give_up_fenced(self) -> None:
        """Stop reading partitions another worker fenced us out of (we stalled past our session).

        The committer already dropped their state; the group's next rebalance tells us what we
        own (faust rejoins after a missed session), so we serve on as a member, not a zombie.
        """
        lost = self.committer.take_fenced() & self.owned
        if not lost:
            return
        self.owned -= lost
        # from the decided positions: the batch in flight is not re-read
        await self.reader.assign({p: self.committer.decided[p] for p in self.owned})
        log.warning(
            "gave up partitions %s: another worker owns them now; serving %s until the next rebalance",
            sorted(lost),
            sorted(self.owned),
        )

    def _decode(self, topic: str, partition: int, r: Any) -> tuple[ev.Message | None, Any]:
        """The input's message, or None with the send that dead-letters or re-routes it."""
        headers = [(k, bytes(v)) for k, v in r.headers or ()]
        try:
            message = _INPUT.decode(r.value)
        except codec.DecodeError as exc:
            log.warning("dead-lettered %s/%s@%s: %s", topic, partition, r.offset, exc)
            DEAD_LETTERS.labels(topic, "decode_error").inc()
            dlq = self.reader.broker_topic(topic) + ".dlq"
            return None, self.qlog.forward(
                dlq,
                0,
                r.key,
                r.value,
                dead_letter_headers(str(exc), self.reader.broker_topic(topic), partition, r.offset, headers),
            )
        target = region_partition(message.region, self.partitions)
        if target != partition:
            # Written by a producer with another partitioner: forward it to the region's
            # partition, so that exactly one worker (one heap) holds each region.
            REROUTED.labels(topic).inc()
            return None, self.qlog.forward(
                self.reader.broker_topic(topic),
                target,
                message.region.encode(),
                r.value,
                headers + [("x-rerouted-from", f"{partition}@{r.offset}".encode())],
            )
        return message, None
