"""What intake has already decided: submission_id -> outcome.

Rebuilt at start from ``triage.events`` and ``triage.results`` (the durable record),
then kept current from the same topics and from intake's own decisions. A decision this
process made is provisional until the log shows it: the log's first record for a
submission_id wins, so every intake process and replica converges on the same answer even
when two of them raced on one id. Bounded: the oldest entries are forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


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
    def __init__(self, max_entries: int = 1_000_000) -> None:
        self.max_entries = max_entries
        self._by_submission: OrderedDict[str, Remembered] = OrderedDict()
        self._provisional: set[str] = set()  # decided here, not yet read back from the log

    def __len__(self) -> int:
        return len(self._by_submission)

    def outcome(self, submission_id: str) -> Remembered | None:
        return self._by_submission.get(submission_id) if submission_id else None

    def remember(self, submission_id: str, outcome: Remembered, *, provisional: bool = False) -> None:
        """Record a decision. The first decision read from the log wins (retries replay it);
        ``provisional`` marks this process's own decision, which the log may still overrule."""
        if not submission_id or outcome.status in ("full", "invalid"):
            return  # transient or rejected: a retry is decided afresh
        if submission_id not in self._by_submission:
            self._by_submission[submission_id] = outcome
            if provisional:
                self._provisional.add(submission_id)
            if len(self._by_submission) > self.max_entries:  # forget the oldest
                self._provisional.discard(self._by_submission.popitem(last=False)[0])
        elif not provisional and submission_id in self._provisional:
            self._provisional.discard(submission_id)
            self._by_submission[submission_id] = outcome
