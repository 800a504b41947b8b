"""The queue's state across regions, and ``evolve``: folding events into it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from proto import events as ev
from services.queue.domain.region_queue import RegionQueue

CaseStatus = Literal["waiting", "called", "closed"]


@dataclass(slots=True)
class CaseRecord:
    """What the queue knows of one case."""

    case_id: str
    region: str
    urgency: int
    queued_at: float
    sequence: int
    status: CaseStatus = "waiting"
    person_pseudonym: str = ""
    language: str = "sv"


@dataclass
class QueueState:
    """All regions' heaps plus the facts needed to decide idempotently."""

    regions: dict[str, RegionQueue] = field(default_factory=dict)
    cases: dict[str, CaseRecord] = field(default_factory=dict)
    # (region, pseudonym) -> case_id of a waiting case: the duplicate-person guard
    waiting_person: dict[tuple[str, str], str] = field(default_factory=dict)
    # ServeNext request_id -> the CaseCalled it produced (None: the queue was empty)
    served: dict[str, ev.CaseCalled | None] = field(default_factory=dict)
    next_sequence: int = 0

    def region(self, region: str) -> RegionQueue:
        queue = self.regions.get(region)
        if queue is None:
            queue = self.regions[region] = RegionQueue(region)
        return queue


def evolve(state: QueueState, event: ev.Message) -> None:
    """Apply one queue event to the state (in place: the heap is too big to copy)."""
    match event:
        case ev.CaseQueued():
            queued_at = event.queued_at.timestamp()
            state.region(event.region).push(event.case_id, event.urgency, queued_at, event.sequence)
            state.cases[event.case_id] = CaseRecord(
                event.case_id, event.region, event.urgency, queued_at, event.sequence,
                person_pseudonym=event.person_pseudonym, language=event.language,
            )
            if event.person_pseudonym:
                state.waiting_person[(event.region, event.person_pseudonym)] = event.case_id
            state.next_sequence = max(state.next_sequence, event.sequence + 1)
        case ev.CaseCalled():
            if event.request_id in state.served:
                return  # a replayed answer (same request, same case): already applied
            record = state.cases[event.case_id]
            state.region(event.region).remove(event.case_id)
            record.status = "called"
            state.waiting_person.pop((record.region, record.person_pseudonym), None)
            state.served[event.request_id] = event
        case ev.ServeNextEmpty():
            state.served[event.request_id] = None
        case _:
            pass  # events this state does not track (YourTurn goes to the notifier)
