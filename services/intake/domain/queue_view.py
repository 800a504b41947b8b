"""Intake's read model of the queue: a pure fold of ``queue.events`` (+ intake's own ``triage.events``).

Answers, without asking the queue service: is this person already waiting (anywhere in
Sweden), how deep is a region and how fast is it served (admission), where is a case
(``GET /v1/cases/{id}``), and a region's hours once a team lead changed them (the latest
OpeningHoursChanged wins over the hours file). The queue stays the authority: a CaseTriaged
is only ``pending`` until the queue answers with CaseQueued, or CommandRejected (then the case is a
``duplicate`` of the person's first case and is never shown as queued).

One region per person, nationally: the queue arbitrates per region only, so when two intake
processes raced one person into two regions, both cases get queued. This view then names the
later one (by queued_at, then case id: every intake process agrees) a duplicate of the earlier
one and lists it in ``regions_to_withdraw`` until the queue reports it cancelled, called or
closed; the runtime sends the CancelCase.

At-least-once input: events are deduplicated by ``event_id``; record types this view does not
know (the queue may add new ones) are counted in ``skipped`` and otherwise ignored.
Costs: apply O(log n) (a SortedList per region), position O(log n), depth O(1).

Retention: a finished case (called, closed, cancelled, transferred away, duplicate) is kept
``retention_s`` after it finished (event time), then ``expire`` forgets it with its patient facts
in O(dropped); at most ``max_finished`` are kept in any case. The retention must cover a
patient's own view of a finished case (the SMS link and the list "my cases" show how it ended).
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace

from sortedcontainers import SortedList

from proto import events as ev
from services.intake.domain.case_status import LIVE, CaseStatus, Status
from services.intake.domain.expiry import Expiry
from services.intake.domain.patient_cases import PatientCases
from services.intake.domain.wait_forecasts import WaitForecasts
from services.opening_hours.region_table import read_whole_week
from services.opening_hours.schedule import OpeningHours, RegionHours


@dataclass
class _Region:
    waiting: SortedList = field(default_factory=SortedList)  # of OrderKey
    calls: deque[float] = field(default_factory=lambda: deque(maxlen=4096))  # called_at epochs


# intake's own and the queue's answers to intake: not a step of a case's life in one region
_NOT_QUEUE_CASE_EVENTS = (ev.CaseTriaged, ev.CommandRejected)


class QueueView:
    """The projection. ``apply`` each event once or more (duplicates are ignored)."""

    def __init__(
        self,
        max_finished: int = 200_000,
        max_event_ids: int = 500_000,
        rate_window_s: float = 900.0,
        retention_s: float = 7 * 24 * 3600.0,
    ) -> None:
        self.max_finished = max_finished
        self.retention_s = retention_s
        self._clock = 0.0  # event time (epoch s) of the event being folded: when a case finished
        self.max_event_ids = max_event_ids
        self.rate_window_s = rate_window_s
        self.skipped = 0  # unknown record types seen (counted, never fatal)
        self._cases: dict[str, CaseStatus] = {}
        self._finished: OrderedDict[str, float] = OrderedDict()  # case -> finished at, in finishing order
        self._expiry = Expiry()  # the finished cases by the time they finished
        self._person: dict[str, str] = {}  # pseudonym -> live case id (national: one region per person)
        self._regions: dict[str, _Region] = {}
        # event id -> event time: the dedupe of at-least-once records, for ``seen_window_s`` of
        # event time (a redelivery, or intake's own event read back, comes within seconds; an old
        # event folded twice by a full read changes nothing that is still shown)
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._seen_expiry = Expiry()
        self.seen_window_s = 3600.0
        self._withdraw: dict[str, str] = {}  # a person's second case in another region -> the first
        self._hours: dict[str, tuple[int, RegionHours]] = {}  # a team lead's latest hours per region
        self._hours_changed: dict[str, ev.OpeningHoursChanged] = {}  # ... as decided (for snapshots)
        self._as_of: dict[str, dt.datetime] = {}  # case -> time of its newest queue event (transfers)
        # the patients' own cases (advice, outcome reasons, index by person): forgotten with ours
        self.patients = PatientCases(max_cases=max_finished + 100_000)
        self.forecasts = WaitForecasts()  # queue.forecasts: each waiting case's forecast range

    # ------------------------------------------------------------------ queries
    def case(self, case_id: str) -> CaseStatus | None:
        """The case, or None if this view never saw it."""
        return self._cases.get(case_id)

    def person_waiting(self, pseudonym: str) -> CaseStatus | None:
        """The person's pending or waiting case in any region, or None."""
        case_id = self._person.get(pseudonym)
        return self._cases.get(case_id) if case_id else None

    def depth(self, region: str) -> int:
        """Cases waiting in the region (pending ones not yet counted: the queue has not taken them)."""
        r = self._regions.get(region)
        return len(r.waiting) if r else 0

    def regions_waiting(self) -> list[str]:
        """The regions with at least one waiting case."""
        return [name for name, r in self._regions.items() if r.waiting]

    def waiting_in(self, region: str) -> list[CaseStatus]:
        """The region's waiting cases in the order they will be called."""
        r = self._regions.get(region)
        return [self._cases[key[4]] for key in r.waiting] if r else []

    def position(self, case_id: str) -> int | None:
        """1 = next to be called; None unless waiting."""
        c = self._cases.get(case_id)
        if c is None or c.status != "waiting":
            return None
        return int(self._regions[c.region].waiting.index(c.order())) + 1

    def serving_rate_per_minute(self, region: str, now: float) -> float:
        """Calls per minute in the region over the last ``rate_window_s`` (event time)."""
        r = self._regions.get(region)
        if r is None:
            return 0.0
        since = now - self.rate_window_s
        return sum(1 for t in r.calls if t >= since) / (self.rate_window_s / 60.0)

    def estimated_wait_s(self, region: str, position: int, now: float) -> float | None:
        """Seconds until ``position`` is called at the recent rate; None when nobody was called lately."""
        rate = self.serving_rate_per_minute(region, now)
        return position / rate * 60.0 if rate > 0 else None

    def waiting_up_to(self, region: str, urgency: int) -> int:
        """Cases ahead of a new case of ``urgency`` (same or more urgent)."""
        r = self._regions.get(region)
        return int(r.waiting.bisect_left((urgency + 1,))) if r else 0

    def hours_of(self, region: str, file_hours: OpeningHours) -> RegionHours:
        """The region's hours: a team lead's latest change (OpeningHoursChanged), else the file's."""
        changed = self._hours.get(region)
        return changed[1] if changed is not None else file_hours.of(region)

    def regions_to_withdraw(self) -> dict[str, str]:
        """Cases the queue holds for a person already waiting in another region -> the first case."""
        return dict(self._withdraw)

    # ------------------------------------------------------------------ fold
    def apply(self, event: object) -> bool:
        """Fold one event in; False when it was a duplicate, irrelevant or of an unknown type."""
        event_id = getattr(event, "event_id", None)
        if not isinstance(event, ev.Message) or not isinstance(event_id, str):
            self.skipped += 1
            return False
        if event_id in self._seen:
            return False
        self._seen[event_id] = at = event.occurred_at.timestamp()
        self._seen_expiry.add(event_id, at)
        if len(self._seen) > self.max_event_ids:
            self._seen.popitem(last=False)
        if isinstance(event, ev.WaitForecast):
            return self.forecasts.apply(event)
        self.patients.apply(event)
        return self._evolve(event)

    def _evolve(self, e: ev.Message) -> bool:
        if self._from_a_region_left(e):
            return False
        at = self._clock = e.occurred_at.timestamp()
        match e:
            case ev.CaseTriaged():
                if (known := self._cases.get(e.case_id)) is not None:
                    # The queue already answered (topics are read in any order). A refusal read
                    # first knew no person: take it from here, so the duplicate names the first case.
                    if known.status == "duplicate" and not known.pseudonym:
                        # status unchanged (not live): no index holds it by person or position
                        named = replace(known, pseudonym=e.person_pseudonym, urgency=e.urgency)
                        self._cases[e.case_id] = replace(named, duplicate_of=self._first_case_of(named))
                    return False
                self._put(
                    CaseStatus(e.case_id, e.region, "pending", e.urgency, e.person_pseudonym, e.triaged_at)
                )
            case ev.CaseQueued():
                self._queued(
                    CaseStatus(
                        e.case_id, e.region, "waiting", e.urgency, e.person_pseudonym, e.queued_at, e.sequence
                    )
                )
            case ev.CommandRejected() if e.command_type == "case.triaged.v1" and e.case_id:
                self._reject_duplicate(e.case_id, e.region)
            case ev.CaseCalled():
                self._leave(e.case_id, "called", at=at)
                self._regions.setdefault(e.region, _Region()).calls.append(e.called_at.timestamp())
            case ev.CaseCancelled():
                self._leave(e.case_id, "cancelled", "cancelled", at)
            case ev.CaseClosed():
                self._leave(e.case_id, "closed", e.reason, at)
            case ev.CaseTransferred():
                self._leave(e.case_id, "transferred")  # its CaseQueued in the target region follows
            case ev.CaseReprioritised():
                if (c := self._cases.get(e.case_id)) is not None and c.status == "waiting":
                    self._put(replace(c, urgency=e.to_urgency))
            case ev.CaseNoShow() if e.requeued:
                if (c := self._cases.get(e.case_id)) is not None:
                    self._put(replace(c, status="waiting", front=True))
            case ev.OpeningHoursChanged():
                hours, problems = read_whole_week(e.days, e.exceptions, e.capacity, e.hourly_capacity)
                if problems or e.version < self._hours.get(e.region, (0, None))[0]:
                    return False  # the queue decided it valid; an older version never wins
                self._hours[e.region] = (e.version, hours)
                self._hours_changed[e.region] = e
            case ev.CaseNoShow() | ev.CaseReferred() | ev.ServeNextEmpty() | ev.CommandRejected():
                return False  # known, and nothing to change here
            case _:
                self.skipped += 1
                return False
        return True

    def _from_a_region_left(self, e: ev.Message) -> bool:
        """True for a queue event older than what is known of its case, from another region.

        A transferred case's events are in two regions' partitions, which a rebuild reads side
        by side: the new region's may come first. The queue's event times order them (a
        transfer arrival is decided only after the CaseTransferred is durable), so an older
        event of the region the case left must not turn a closed case back into a waiting one.
        """
        case_id = getattr(e, "case_id", None)
        if not case_id or type(e) in _NOT_QUEUE_CASE_EVENTS:
            return False
        at, newest = e.occurred_at, self._as_of.get(case_id)
        if newest is not None and at < newest:
            known = self._cases.get(case_id)
            return known is not None and known.region != getattr(e, "region", known.region)
        self._as_of[case_id] = at
        return False

    def _queued(self, queued: CaseStatus) -> None:
        known = self._cases.get(queued.case_id)
        if known is not None and known.status == "duplicate" and known.duplicate_of:
            self._withdraw[queued.case_id] = known.duplicate_of  # already named the second case: it must go
            return
        if known is not None and known.status == "transferred":
            # The same case arriving in its new region, not a second case of the person: keep the
            # person's other live case (a later one, seen first by a rebuild) as their live one.
            other = self._person.get(queued.pseudonym, "")
            self._put(queued)
            if other and (o := self._cases.get(other)) is not None and o.status in LIVE:
                self._person[queued.pseudonym] = other
            return
        previous = self.person_waiting(queued.pseudonym) if queued.pseudonym else None
        self._put(queued)
        if previous is not None and previous.case_id != queued.case_id and previous.region != queued.region:
            # One person, two regions (two intake processes raced): the later case must go.
            first, later = sorted((previous, queued), key=lambda c: (c.order()[2], c.case_id))
            self._put(replace(later, status="duplicate", duplicate_of=first.case_id))
            self._person[queued.pseudonym] = first.case_id
            if later.status == "waiting":
                self._withdraw[later.case_id] = first.case_id

    def _reject_duplicate(self, case_id: str, region: str) -> None:
        c = self._cases.get(case_id) or CaseStatus(case_id, region, "pending", 5)
        self._put(replace(c, status="duplicate", duplicate_of=self._first_case_of(c)))

    def _first_case_of(self, c: CaseStatus) -> str:
        """The person's live case other than ``c`` ("" while this view knows no person for ``c``).

        The first case's CaseQueued precedes the refusal on the region's queue.events partition,
        so it is known by the time ``c``'s person is (from the refusal's case, or its CaseTriaged).
        """
        first = self._person.get(c.pseudonym, "") if c.pseudonym else ""
        return first if first != c.case_id else ""

    def _leave(self, case_id: str, status: Status, outcome: str = "", at: float | None = None) -> None:
        self._withdraw.pop(case_id, None)
        if (c := self._cases.get(case_id)) is not None and not (
            c.status == "duplicate" and status == "cancelled"
        ):
            self._put(replace(c, status=status, outcome=outcome))
        if at is None:
            return
        for later, first in list(self._withdraw.items()):
            d = self._cases.get(later)
            if (
                first == case_id
                and d is not None
                and d.queued_at is not None
                and d.queued_at.timestamp() >= at
            ):
                # The first case had left before this one was queued (a rebuild folded the regions
                # out of order): no second case after all, so it is not withdrawn.
                del self._withdraw[later]
                self._put(replace(d, status="waiting", duplicate_of=""))

    def _put(self, new: CaseStatus) -> None:
        old = self._cases.get(new.case_id)
        if old is not None and old.status == "waiting":
            self._regions[old.region].waiting.discard(old.order())
        self._cases[new.case_id] = new
        if new.status == "waiting":
            self._regions.setdefault(new.region, _Region()).waiting.add(new.order())
        if new.pseudonym:
            if new.status in LIVE:
                if new.pseudonym not in self._person or new.status == "waiting":
                    self._person[new.pseudonym] = new.case_id  # the queue took it: it is the live one
            elif self._person.get(new.pseudonym) == new.case_id:
                del self._person[new.pseudonym]
        if new.status not in LIVE:
            self._finished[new.case_id] = self._clock
            self._finished.move_to_end(new.case_id)
            self._expiry.add(new.case_id, self._clock)
            if len(self._finished) > self.max_finished:
                self._forget(self._finished.popitem(last=False)[0])
        else:
            self._finished.pop(new.case_id, None)

    def expire(self, now: float) -> int:
        """Forget the cases finished before ``now - retention_s``; how many. O(forgotten)."""
        for event_id in self._seen_expiry.due(now - self.seen_window_s):
            self._seen.pop(event_id, None)
        cutoff, finished, dropped = now - self.retention_s, self._finished, 0
        for case_id in self._expiry.due(cutoff):
            at = finished.get(case_id)
            if at is not None and at < cutoff:
                del finished[case_id]
                self._forget(case_id)
                dropped += 1
        return dropped

    def _forget(self, case_id: str) -> None:
        self._cases.pop(case_id, None)
        self._as_of.pop(case_id, None)
        self.patients.forget(case_id)
