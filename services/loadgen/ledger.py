"""What the load generator sent and what came back, correlated; the source of every figure.

Pure bookkeeping (no IO): drivers call ``submitted``/``answered``/``serve_sent``, the
tracker calls ``on_*`` with the time it saw each event. Events can arrive in any order
across topics (a YourTurn may be seen before its CaseCalled), so each latency is
recorded when the second of its two ends is known. Every case id is counted once per
distinct event id: a redelivered record (same event id) is not a duplicate, a second
CaseCalled or SmsSent for the same case (a new event id) is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from services.loadgen.histogram import LatencyHistogram

INTERVAL_S = 1.0  # resolution of the over-time series in the plot


@dataclass
class Submission:
    region: str
    urgency: int  # requested by the mix
    intended_t: float
    outcome: str = (
        ""  # queued | refer | full | duplicate | rejected_4xx | http_429 | http_5xx | timeout | error
    )
    case_id: str | None = None
    urgency_got: int | None = None
    accepted_t: float | None = None
    prefilled: bool = False  # put on triage.events by --prefill, not through intake


@dataclass
class ServeRequest:
    region: str
    intended_t: float
    outcome: str = ""  # called | empty | rejected
    case_id: str | None = None


def _series() -> defaultdict[int, LatencyHistogram]:
    return defaultdict(LatencyHistogram)


@dataclass
class Ledger:
    """All correlation state of one run; times are ``time.monotonic()`` seconds."""

    t0: float = 0.0
    enabled_regions: frozenset[str] = frozenset()  # regions intake queues for (others are referred)
    submissions: dict[str, Submission] = field(default_factory=dict)
    case_to_submission: dict[str, str] = field(default_factory=dict)
    queued_seen: dict[str, float] = field(default_factory=dict)
    serves: dict[str, ServeRequest] = field(default_factory=dict)
    called_by: dict[str, str] = field(default_factory=dict)  # case_id -> request_id
    your_turn_seen: dict[str, float] = field(default_factory=dict)
    sms_seen: dict[str, float] = field(default_factory=dict)
    event_ids: set[str] = field(default_factory=set)
    counters: Counter[str] = field(default_factory=Counter)
    hist: defaultdict[str, LatencyHistogram] = field(default_factory=lambda: defaultdict(LatencyHistogram))
    over_time: defaultdict[str, defaultdict[int, LatencyHistogram]] = field(
        default_factory=lambda: defaultdict(_series)
    )
    wait_by_urgency: defaultdict[int, LatencyHistogram] = field(
        default_factory=lambda: defaultdict(LatencyHistogram)
    )
    waiting: Counter[int] = field(default_factory=Counter)  # our cases queued and not yet called
    sends_per_interval: Counter[int] = field(default_factory=Counter)
    serves_per_interval: Counter[int] = field(default_factory=Counter)

    def _latency(self, name: str, start: float, end: float) -> None:
        self.hist[name].record(end - start)
        if end >= self.t0:  # the over-time series starts with the timed load
            self.over_time[name][int((end - self.t0) / INTERVAL_S)].record(end - start)

    def _first(self, event_id: str) -> bool:
        """False for a redelivered record (an event id already seen)."""
        if event_id in self.event_ids:
            self.counters["redelivered_records"] += 1
            return False
        self.event_ids.add(event_id)
        return True

    # ------------------------------------------------------------------ driver side
    def submitted(self, submission_id: str, region: str, urgency: int, intended_t: float) -> None:
        self.submissions[submission_id] = Submission(region, urgency, intended_t)
        self.counters["submitted"] += 1
        self.sends_per_interval[int((intended_t - self.t0) / INTERVAL_S)] += 1

    def answered(
        self,
        submission_id: str,
        outcome: str,
        now: float,
        *,
        case_id: str | None = None,
        urgency: int | None = None,
        sent_t: float | None = None,
    ) -> None:
        """The ingress answered (HTTP response or TriageResult): ``outcome`` as in Submission."""
        sub = self.submissions[submission_id]
        if sub.outcome:  # a second answer for one submission (Kafka redelivery): keep the first
            self.counters["duplicate_answers"] += 1
            return
        sub.outcome = outcome
        self.counters[f"outcome_{outcome}"] += 1
        self._latency("ingress", sub.intended_t, now)
        if sent_t is not None:
            self._latency("ingress_service", sent_t, now)
        if outcome == "queued" and case_id:
            sub.case_id, sub.urgency_got, sub.accepted_t = case_id, urgency, now
            self.case_to_submission[case_id] = submission_id
            if urgency is not None and urgency != sub.urgency:
                self.counters[f"urgency_asked_{sub.urgency}_got_{urgency}"] += 1
            if case_id in self.queued_seen:  # the tracker saw CaseQueued before the answer came
                self.counters["queued_before_answer"] += 1
                self._latency("accepted_to_queued", now, now)

    def prefilled(self, submission_id: str, region: str, urgency: int, case_id: str, now: float) -> None:
        """A case put straight onto triage.events (``--prefill``): queued, without an ingress answer."""
        self.submissions[submission_id] = Submission(
            region, urgency, now, "queued", case_id, urgency, now, prefilled=True
        )
        self.case_to_submission[case_id] = submission_id
        self.counters["submitted"] += 1
        self.counters["prefilled"] += 1

    def serve_sent(self, request_id: str, region: str, intended_t: float) -> None:
        self.serves[request_id] = ServeRequest(region, intended_t)
        self.counters["serve_next_sent"] += 1
        self.serves_per_interval[int((intended_t - self.t0) / INTERVAL_S)] += 1

    # ------------------------------------------------------------------ tracker side
    def on_case_queued(self, event_id: str, case_id: str, urgency: int, now: float) -> None:
        if not self._first(event_id):
            return
        if case_id in self.queued_seen:
            self._dup("duplicate_queued")
            return
        self.queued_seen[case_id] = now
        self.waiting[urgency] += 1
        sub_id = self.case_to_submission.get(case_id)
        if sub_id is not None:
            sub = self.submissions[sub_id]
            if sub.accepted_t is not None:
                self._latency(
                    "prefill_to_queued" if sub.prefilled else "accepted_to_queued", sub.accepted_t, now
                )

    def on_case_called(
        self, event_id: str, case_id: str, request_id: str, urgency: int, wait_s: float, now: float
    ) -> None:
        if not self._first(event_id):
            return
        req = self.serves.get(request_id)
        if req is None:
            self.counters["calls_by_other_requests"] += 1  # another client's ServeNext
            return
        if case_id in self.called_by:
            self._dup("duplicate_calls")
            return
        if req.outcome:
            self._dup("serve_next_answered_twice")
            return
        req.outcome, req.case_id = "called", case_id
        self.called_by[case_id] = request_id
        self.counters["called"] += 1
        if case_id in self.queued_seen:
            self.waiting[urgency] -= 1
        else:
            self.counters["called_not_ours"] += 1  # e.g. a case left waiting by an earlier run
        self.wait_by_urgency[urgency].record(wait_s)
        if case_id in self.your_turn_seen:
            self._latency("serve_to_your_turn", req.intended_t, self.your_turn_seen[case_id])
        if case_id in self.sms_seen:
            self._latency("serve_to_sms", req.intended_t, self.sms_seen[case_id])

    def on_serve_empty(self, event_id: str, request_id: str, now: float) -> None:
        self._serve_outcome(event_id, request_id, "empty", now)

    def on_command_rejected(self, event_id: str, request_id: str, now: float) -> None:
        self._serve_outcome(event_id, request_id, "rejected", now)

    def _serve_outcome(self, event_id: str, request_id: str, outcome: str, now: float) -> None:
        if not self._first(event_id):
            return
        req = self.serves.get(request_id)
        if req is None:
            return
        if req.outcome:
            self._dup("serve_next_answered_twice")
            return
        req.outcome = outcome
        self.counters[f"serve_next_{outcome}"] += 1

    def on_your_turn(self, event_id: str, case_id: str, now: float) -> None:
        if not self._first(event_id):
            return
        self._reached(case_id, now, self.your_turn_seen, "duplicate_your_turn", "serve_to_your_turn")

    def on_sms_sent(self, event_id: str, case_id: str, kind: str, now: float) -> None:
        if not self._first(event_id) or kind != "your_turn":
            return
        self._reached(case_id, now, self.sms_seen, "duplicate_sms", "serve_to_sms")

    def _reached(
        self, case_id: str, now: float, seen: dict[str, float], duplicate: str, latency: str
    ) -> None:
        """A called case reached the patient (YourTurn, its SMS): counted once as ``duplicate`` if
        seen before, else remembered and timed from the ServeNext that called it."""
        if case_id in seen:
            self._dup(duplicate)
            return
        seen[case_id] = now
        req_id = self.called_by.get(case_id)
        if req_id is not None:
            self._latency(latency, self.serves[req_id].intended_t, now)

    def on_sms_failed(self, event_id: str, case_id: str) -> None:
        if self._first(event_id):
            self.counters["sms_failed"] += 1

    def _dup(self, name: str) -> bool:
        self.counters[name] += 1
        return True

    # ------------------------------------------------------------------ progress
    def outstanding(self) -> dict[str, int]:
        """What is still expected: unanswered submissions, unseen CaseQueued, ServeNext, SMS."""
        accepted = [s for s in self.submissions.values() if s.outcome == "queued"]
        return {
            "unanswered": sum(1 for s in self.submissions.values() if not s.outcome),
            "not_yet_queued": sum(1 for s in accepted if s.case_id not in self.queued_seen),
            "serve_next_unanswered": sum(1 for r in self.serves.values() if not r.outcome),
            "sms_pending": sum(1 for c in self.called_by if c not in self.sms_seen),
        }
