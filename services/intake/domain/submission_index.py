"""What intake has already decided: submission_id -> outcome.

Rebuilt at start from ``triage.events`` and ``triage.results`` (the durable record),
then kept current from the same topics and from intake's own decisions. A decision this
process made is provisional until the log shows it: the log's first record for a
submission_id wins, so every intake process and replica converges on the same answer even
when two of them raced on one id.

Bounded twice: entries older than ``retention_s`` (by the time of the decision: the record's
event time, or the clock for this process's own) are dropped by ``expire`` in O(dropped) (time
buckets: ``expiry.py``), and at most ``max_entries`` are kept (the oldest learned forgotten first).
The retention must cover a client's retry window: a retry after it is decided afresh (the case id
is derived from the submission id and the request, so a retried queued case is still one case
for the queue).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from services.intake.domain.expiry import Expiry

DAY_S = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Remembered:
    """A decided submission: enough to answer a retry with the same case."""

    status: str  # queued | refer | duplicate | full | invalid
    case_id: str | None
    region: str
    urgency: int | None = None
    rule_id: str = ""
    reason: str = ""  # refer reason
    advice: str = ""
    language: str = ""  # the first answer's language, so a replay says exactly the same
    digest: str = ""  # the request this submission_id is bound to (domain/request_digest.py)


class SubmissionIndex:
    def __init__(self, max_entries: int = 1_000_000, retention_s: float = 7 * DAY_S) -> None:
        self.max_entries = max_entries
        self.retention_s = retention_s
        # submission_id -> (epoch seconds of the decision, outcome), in the order learned
        self._by_submission: OrderedDict[str, tuple[float, Remembered]] = OrderedDict()
        self._provisional: set[str] = set()  # decided here, not yet read back from the log
        self._expiry = Expiry()

    def __len__(self) -> int:
        return len(self._by_submission)

    def outcome(self, submission_id: str) -> Remembered | None:
        entry = self._by_submission.get(submission_id) if submission_id else None
        return entry[1] if entry is not None else None

    def remember(
        self,
        submission_id: str,
        outcome: Remembered,
        *,
        provisional: bool = False,
        at: float | None = None,
    ) -> None:
        """Record a decision made at ``at`` (epoch s; default now). The first decision read from
        the log wins (retries replay it); ``provisional`` marks this process's own decision,
        which the log may still overrule."""
        if not submission_id or outcome.status in ("full", "invalid"):
            return  # transient or rejected: a retry is decided afresh
        known = self._by_submission.get(submission_id)
        if known is None:
            at = time.time() if at is None else at
            self._by_submission[submission_id] = (at, outcome)
            self._expiry.add(submission_id, at)
            if provisional:
                self._provisional.add(submission_id)
            if len(self._by_submission) > self.max_entries:  # forget the oldest
                self._provisional.discard(self._by_submission.popitem(last=False)[0])
        elif not provisional and submission_id in self._provisional:
            self._provisional.discard(submission_id)
            self._by_submission[submission_id] = (known[0], outcome)

    def expire(self, now: float) -> int:
        """Drop the entries decided before ``now - retention_s``; how many. O(dropped)."""
        cutoff, entries, dropped = now - self.retention_s, self._by_submission, 0
        for submission_id in self._expiry.due(cutoff):
            entry = entries.get(submission_id)
            if entry is not None and entry[0] < cutoff:
                del entries[submission_id]
                self._provisional.discard(submission_id)
                dropped += 1
        return dropped

    def logged(self) -> Iterator[tuple[str, float, Remembered]]:
        """The entries read from the log, in their order (a snapshot leaves out provisional ones:
        this process's own decisions, which the log may never show)."""
        for submission_id, (at, outcome) in self._by_submission.items():
            if submission_id not in self._provisional:
                yield submission_id, at, outcome

    def restore(self, entries: Iterator[tuple[str, float, Remembered]]) -> None:
        """Load entries from a snapshot (before anything else is remembered)."""
        for submission_id, at, outcome in entries:
            self._by_submission[submission_id] = (at, outcome)
            self._expiry.add(submission_id, at)
