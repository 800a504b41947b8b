"""The simulator's clinician policy driven against the running queue, for the live cross-check.

One clinician, on the scenario's *intended* timeline (open loop: a slow answer does not
shift later events): arrivals are published as CaseTriaged at their time; a free
clinician sends ServeNext; a called patient is seen for their consultation time (or
misses the call: MarkNoShow after ``no_show_s``), then CompleteCase and ServeNext again;
ServeNextEmpty leaves the clinician idle until the next arrival. Before each ServeNext the
driver waits until every case published so far is CaseQueued: triage.events and
queue.commands are two topics with no order between them, and the simulator (one
process) always has the arrival in the queue before the call.
"""

from __future__ import annotations

import asyncio
import heapq
from typing import Any

from proto import codec, topics
from proto import events as ev
from services.kafka.publisher import Publisher
from services.kafka.settings import KafkaSettings
from services.kafka.tail import LogTail
from services.queue_model.scenario import Scenario

OUTCOME_OF_SIM_LIVE = "advice"  # every consultation ends with advice (the history export carries the kind)


class LiveRun:
    def __init__(self, kafka: KafkaSettings, scenario: Scenario, region: str, no_show_s: float) -> None:
        self.kafka, self.scenario, self.region, self.no_show_s = kafka, scenario, region, no_show_s
        self.queued: dict[str, asyncio.Event] = {}
        self.answers: dict[str, asyncio.Future[list[ev.Message]]] = {}
        self._pending: dict[str, list[ev.Message]] = {}  # request id -> the queue's answers so far
        self.calls: list[tuple[str, float]] = []  # (case id, wait in seconds as the queue stamped it)

    async def run(self, lead_s: float = 1.0) -> list[tuple[str, float]]:
        pub = Publisher(self.kafka, "/tests/sim-live")
        await pub.start()
        reader = asyncio.create_task(LogTail(self.kafka, (topics.QUEUE_EVENTS.name,)).run(self._read))
        try:
            await self._drive(pub, asyncio.get_running_loop().time() + lead_s)
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            await pub.stop()
        return self.calls

    async def _read(self, records: list[tuple[str, Any]]) -> None:
        for _topic, r in records:
            try:
                m = codec.QUEUE_EVENTS.decode(r.value)
            except codec.DecodeError:
                continue
            if isinstance(m, ev.CaseQueued):
                self.queued.setdefault(m.case_id, asyncio.Event()).set()
            rid = getattr(m, "request_id", "")
            if rid:
                self._pending.setdefault(rid, []).append(m)
                fut = self.answers.get(rid)
                if fut is not None and not fut.done():
                    fut.set_result(self._pending[rid])

    async def _ask(self, pub: Publisher, cmd: ev.Command) -> list[ev.Message]:
        fut: asyncio.Future[list[ev.Message]] = asyncio.get_running_loop().create_future()
        self.answers[cmd.request_id] = fut
        await pub.publish(topics.QUEUE_COMMANDS, self.region, cmd)
        return await asyncio.wait_for(fut, 30)

    async def _drive(self, pub: Publisher, t0: float) -> None:
        loop = asyncio.get_running_loop()
        arrivals = self.scenario.arrivals
        heap: list[tuple[float, int, str, Any]] = [(a.t, 1, "arrive", i) for i, a in enumerate(arrivals)]
        heap.append((0.0, 0, "serve", None))
        heapq.heapify(heap)
        attempts = [0] * len(arrivals)
        idle = False
        n = 0
        while heap:
            t, _, kind, data = heapq.heappop(heap)
            await asyncio.sleep(max(0.0, t0 + t - loop.time()))
            if kind == "arrive":
                case_id = f"{self.kafka.namespace}-c{data}"
                self.queued.setdefault(case_id, asyncio.Event())
                a = arrivals[data]
                await pub.publish(
                    topics.TRIAGE_EVENTS,
                    self.region,
                    ev.CaseTriaged(
                        case_id=case_id,
                        region=self.region,
                        urgency=a.urgency,
                        symptom="fever",
                        person_pseudonym=f"p-{case_id}",
                        triaged_at=ev.utcnow(),
                    ),
                )
                if not idle:
                    continue
                idle = False
            elif kind == "free":
                idx, missed = data
                case_id = f"{self.kafka.namespace}-c{idx}"
                done: ev.Command = (
                    ev.MarkNoShow(region=self.region, case_id=case_id, by="sim-live")
                    if missed
                    else ev.CompleteCase(
                        region=self.region, case_id=case_id, by="sim-live", outcome=OUTCOME_OF_SIM_LIVE
                    )
                )
                await self._ask(pub, done)
            for event in list(self.queued.values()):
                await asyncio.wait_for(event.wait(), 30)
            n += 1
            answer = await self._ask(
                pub,
                ev.ServeNext(
                    region=self.region, clinician_id="sim-live-1", request_id=f"{self.kafka.namespace}-s{n}"
                ),
            )
            called = next((m for m in answer if isinstance(m, ev.CaseCalled)), None)
            if called is None:
                idle = True
                continue
            idx = int(called.case_id.rsplit("-c", 1)[1])
            tries = attempts[idx]
            attempts[idx] += 1
            if tries == 0:
                self.calls.append((called.case_id, (called.called_at - called.queued_at).total_seconds()))
            else:
                self.calls.append((called.case_id, float("nan")))
            missed = tries < arrivals[idx].no_shows
            busy = self.no_show_s if missed else arrivals[idx].consult_s
            heapq.heappush(heap, (t + busy, 2, "free", (idx, missed)))


def run_live(
    kafka: KafkaSettings, scenario: Scenario, region: str, no_show_s: float
) -> list[tuple[str, float]]:
    """Drive the running queue with ``scenario``; the calls in order with their first-call waits."""
    return asyncio.run(LiveRun(kafka, scenario, region, no_show_s).run())
