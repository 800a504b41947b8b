"""The queue's input for the throughput benchmarks, and records of its outputs' sizes.

N CaseTriaged (distinct cases and people, regions by population, the default urgency
mix) and M ServeNext, encoded exactly as intake and the CLI encode them. For the bare
passthrough, each input gets output records of the same kind and size the queue sends
(CaseQueued for a CaseTriaged; CaseCalled + YourTurn for a ServeNext), built from the
wire contract alone so this file does not depend on the queue's internals.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from proto import codec
from proto import events as ev
from proto.topics import QUEUE_COMMANDS, TRIAGE_EVENTS, TopicSpec
from services.queue_model.population import REGION_POPULATION, RegionPicker
from services.queue_model.traffic import DEFAULT_MIX, UrgencyMix

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]  # key, value, headers


@dataclass
class Workload:
    inputs: list[tuple[TopicSpec, Record]] = field(default_factory=list)
    # input event id -> [(output kind "events" | "your_turn", record)]
    outputs: dict[str, list[tuple[str, Record]]] = field(default_factory=dict)

    @property
    def input_bytes(self) -> int:
        return sum(len(r[1]) for _, r in self.inputs)

    @property
    def output_bytes(self) -> int:
        return sum(len(r[1]) for outs in self.outputs.values() for _, r in outs)


def _record(message: ev.Message, key: str, source: str) -> Record:
    return key.encode(), codec.encode(message), codec.cloudevent_headers(message, source)


def build(cases: int, serves: int, seed: int = 1) -> Workload:
    rng = random.Random(seed)
    regions = RegionPicker(REGION_POPULATION)
    mix = UrgencyMix(dict(DEFAULT_MIX))
    now = ev.utcnow()
    w = Workload()
    queued_by_region: dict[str, list[ev.CaseQueued]] = {}
    for i in range(cases):
        region = regions.pick(rng)
        urgency, recipe = mix.draw(rng)
        urgency = recipe.yields
        triaged = ev.CaseTriaged(
            case_id=ev.new_id(),
            region=region,
            urgency=urgency,
            symptom=recipe.symptom,  # type: ignore[arg-type]
            person_pseudonym=f"{rng.getrandbits(256):064x}",
            triaged_at=now + dt.timedelta(microseconds=i),
            rule_id=f"{recipe.symptom}.bench",
            rules_version="bench",
            submission_id=ev.new_id(),
        )
        w.inputs.append((TRIAGE_EVENTS, _record(triaged, region, "/triage/intake")))
        queued = ev.CaseQueued(
            case_id=triaged.case_id,
            region=region,
            urgency=triaged.urgency,
            queued_at=triaged.triaged_at,
            sequence=i,
            person_pseudonym=triaged.person_pseudonym,
        )
        queued_by_region.setdefault(region, []).append(queued)
        w.outputs[triaged.event_id] = [("events", _record(queued, region, "/triage/queue"))]
    for _ in range(serves):
        region = regions.pick(rng)
        cmd = ev.ServeNext(region=region, clinician_id=f"{region}-nurse-1")
        w.inputs.append((QUEUE_COMMANDS, _record(cmd, region, "/triage/cli")))
        waiting = queued_by_region.get(region)
        if not waiting:
            empty = ev.ServeNextEmpty(region=region, clinician_id=cmd.clinician_id, request_id=cmd.request_id)
            w.outputs[cmd.event_id] = [("events", _record(empty, region, "/triage/queue"))]
            continue
        case = waiting.pop(0)
        called = ev.CaseCalled(
            case_id=case.case_id,
            region=region,
            urgency=case.urgency,
            clinician_id=cmd.clinician_id,
            request_id=cmd.request_id,
            queued_at=case.queued_at,
            called_at=now,
        )
        turn = ev.YourTurn(
            event_id=f"yt-{called.event_id}",
            case_id=case.case_id,
            region=region,
            urgency=case.urgency,
            clinician_id=cmd.clinician_id,
            called_at=now,
        )
        w.outputs[cmd.event_id] = [
            ("events", _record(called, region, "/triage/queue")),
            ("your_turn", _record(turn, region, "/triage/queue")),
        ]
    return w
