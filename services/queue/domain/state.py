"""The queue's state, one ``RegionState`` per region, and ``evolve``: folding events into it.

A region's state is everything needed to decide its commands: the ordered waiting
cases, a record per case it has seen, the duplicate-person guard, the recorded answers
to recent commands (idempotency), and recent call times (serving rate). Each region
lives on exactly one Kafka partition, so a worker rebuilds exactly the regions of the
partitions it is assigned.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

import msgspec

from proto import events as ev
from services.opening_hours.eta import EtaPolicy
from services.opening_hours.region_table import read_whole_week
from services.opening_hours.schedule import OpeningHours, RegionHours
from services.queue.domain.case_record import CaseRecord, CaseStatus
from services.queue.domain.expiry import DAY_S, FINISHED, expire, index_of, note_finished
from services.queue.domain.region_queue import RegionQueue

# Recorded answers are kept encoded (the snapshot embeds these bytes as they are).
_ANSWER_ENCODER = msgspec.msgpack.Encoder()
_ANSWER_DECODER = msgspec.msgpack.Decoder(list[ev.QUEUE_EVENT])


@dataclass(frozen=True)
class QueuePolicy:
    """Operational rules of the queue (from the service settings)."""

    no_show_attempts: int = 3  # the Nth no-show closes the case
    heads_up_position: int = 3  # HeadsUp only among the next K ...
    heads_up_within_s: float = 600.0  # ... and when expected to be called within this (rule: process.py)
    answer_memory: int = 20_000  # recorded command answers kept per region
    rate_window_s: float = 900.0  # serving rate = calls in this window
    transfer_regions: frozenset[str] = frozenset()  # where a case may be transferred; empty = any region
    hours: OpeningHours = field(default_factory=OpeningHours)  # staffed hours (default: always open)
    eta: EtaPolicy = field(default_factory=EtaPolicy)
    closed_retention_s: float = 14 * DAY_S  # finished cases kept this long (expiry.py); 0 = for ever


@dataclass
class RegionState:
    """One region: its queue, case records and idempotency memory."""

    region: str
    queue: RegionQueue
    cases: dict[str, CaseRecord] = field(default_factory=dict)
    waiting_person: dict[str, str] = field(default_factory=dict)  # pseudonym -> case_id
    # request id -> its recorded events, msgpack-encoded: bytes hold no GC-tracked objects (a
    # full collection skips them), decoded only when a command is replayed (``answer``)
    answers: OrderedDict[str, bytes] = field(default_factory=OrderedDict)
    calls: deque[float] = field(default_factory=deque)  # called_at of recent calls
    not_reached: dict[str, float] = field(default_factory=dict)  # called, your-turn SMS failed -> when
    next_sequence: int = 0
    hours_changed: ev.OpeningHoursChanged | None = None  # a team lead's hours: they replace the file's
    hours: RegionHours | None = None  # ``hours_changed`` parsed once
    finished: list[tuple[float, str]] | None = None  # expiry index; None: built on first use (snapshot)
    expired_through: float = 0.0  # latest finish time of an expired record: late duplicates' guard

    def change_hours(self, event: ev.OpeningHoursChanged) -> None:
        """Take a team lead's hours (decided valid; on a parse problem the previous hours stay)."""
        hours, problems = read_whole_week(event.days, event.exceptions, event.capacity, event.hourly_capacity)
        if not problems:
            self.hours_changed, self.hours = event, hours

    def record_answer(self, request_id: str, events: tuple[ev.Message, ...], memory: int) -> None:
        """Remember what a command answered, so a replay returns the same thing."""
        self.answers[request_id] = _ANSWER_ENCODER.encode(events)
        while len(self.answers) > memory:
            self.answers.popitem(last=False)

    def finished_index(self) -> list[tuple[float, str]]:
        """The finished cases by time (``expiry.py``), built from the records on first use."""
        if self.finished is None:
            self.finished = index_of(self.cases.values())
        return self.finished

    def answer(self, request_id: str) -> tuple[ev.Message, ...] | None:
        """The events a command with ``request_id`` was answered with, if still remembered."""
        blob = self.answers.get(request_id)
        return None if blob is None else tuple(_ANSWER_DECODER.decode(blob))

    def note_call(self, called_at: float, window_s: float) -> None:
        self.calls.append(called_at)
        while self.calls and self.calls[0] < called_at - window_s:
            self.calls.popleft()


@dataclass
class QueueState:
    """All regions this worker serves."""

    policy: QueuePolicy = field(default_factory=QueuePolicy)
    regions: dict[str, RegionState] = field(default_factory=dict)

    def region(self, region: str) -> RegionState:
        """The state of ``region``, created empty on first use."""
        rs = self.regions.get(region)
        if rs is None:
            rs = self.regions[region] = RegionState(region, RegionQueue(region))
        return rs

    def hours_of(self, region: str) -> RegionHours:
        """The region's hours: a team lead's latest change, else the hours file's."""
        return region_hours(self.regions.get(region), region, self.policy)


def region_hours(rs: RegionState | None, region: str, policy: QueuePolicy) -> RegionHours:
    """A team lead's latest hours of ``region`` (in ``rs``), else the hours file's."""
    if rs is not None and rs.hours is not None:
        return rs.hours
    return policy.hours.of(region)


def _waiting_again(rs: RegionState, rec: CaseRecord) -> None:
    rs.not_reached.pop(rec.case_id, None)
    rs.queue.push(rec.case_id, rec.urgency, rec.queued_at, rec.sequence, rec.front)
    rec.status = "waiting"
    if rec.person_pseudonym:
        rs.waiting_person[rec.person_pseudonym] = rec.case_id


def _leaves_queue(rs: RegionState, rec: CaseRecord, status: CaseStatus, at: float = 0.0) -> None:
    rs.not_reached.pop(rec.case_id, None)
    if rec.case_id in rs.queue:
        rs.queue.remove(rec.case_id)
    if status in FINISHED:
        note_finished(rs.finished_index(), rec.case_id, at)
        rec.finished_at = at
    rec.status = status
    if rec.person_pseudonym and rs.waiting_person.get(rec.person_pseudonym) == rec.case_id:
        del rs.waiting_person[rec.person_pseudonym]


def evolve(state: QueueState, event: ev.Message) -> None:
    """Apply one queue event to the state (in place: the queue is too big to copy)."""
    region = getattr(event, "region", None)
    if region is None or isinstance(
        event,
        (
            ev.YourTurn,
            ev.CommandRejected,
            ev.ServeNextEmpty,
            ev.TransferIn,
            ev.BatchCommitted,
            ev.PartitionFenced,
        ),
    ):
        return  # answers and notices change no state
    rs = state.region(region)
    match event:
        case ev.CaseQueued():
            rec = CaseRecord(
                event.case_id,
                region,
                event.urgency,
                event.queued_at.timestamp(),
                event.sequence,
                person_pseudonym=event.person_pseudonym,
                language=event.language,
                heads_up=event.heads_up_sent,
            )
            rs.cases[event.case_id] = rec
            _waiting_again(rs, rec)
            rs.next_sequence = max(rs.next_sequence, event.sequence + 1)
        case ev.CaseCalled():
            rec = rs.cases[event.case_id]
            _leaves_queue(rs, rec, "called")
            rec.called_at = event.called_at.timestamp()
            rs.note_call(rec.called_at, state.policy.rate_window_s)
            note_finished(rs.finished_index(), rec.case_id, rec.called_at)  # expires if left called
        case ev.CaseCancelled():
            _leaves_queue(rs, rs.cases[event.case_id], "cancelled", event.occurred_at.timestamp())
        case ev.CaseReprioritised():
            rec = rs.cases[event.case_id]
            rec.urgency = event.to_urgency
            rs.queue.change_urgency(event.case_id, event.to_urgency)
        case ev.CaseTransferred():
            rec = rs.cases[event.case_id]
            _leaves_queue(rs, rec, "transferred", event.occurred_at.timestamp())
            rec.to_region = event.to_region
        case ev.CaseNoShow():
            rec = rs.cases[event.case_id]
            rec.no_shows = event.attempt
            if event.requeued:
                rec.front = True
                _waiting_again(rs, rec)
        case ev.CaseClosed():
            _leaves_queue(rs, rs.cases[event.case_id], "closed", event.occurred_at.timestamp())
        case ev.HeadsUp():
            rs.cases[event.case_id].heads_up = True
        case ev.CaseNotReached():
            rs.not_reached[event.case_id] = event.occurred_at.timestamp()
        case ev.OpeningHoursChanged():
            rs.change_hours(event)
        case _:
            return
    # Expiry of finished (and abandoned called) cases, clocked by the event's recorded time
    # (expiry.py: the same on replay).
    if state.policy.closed_retention_s > 0:
        latest = expire(
            rs.cases,
            rs.finished_index(),
            event.occurred_at.timestamp(),
            state.policy.closed_retention_s,
            also=(rs.not_reached,),
        )
        if latest is not None:
            rs.expired_through = max(rs.expired_through, latest)
