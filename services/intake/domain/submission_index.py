"""What intake has already decided: submission_id -> outcome, and case_id -> region.

Rebuilt at start from ``triage.events`` and ``triage.results`` (the durable record),
then kept current from the same topics and from intake's own decisions. Bounded:
the oldest entries are forgotten first once ``max_entries`` is reached.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

V = TypeVar("V")


@dataclass(frozen=True)
class Remembered:
    """A decided submission: enough to answer a retry with the same case."""

    status: str  # queued | refer | duplicate | full | invalid
    case_id: str | None
    region: str
    urgency: int | None = None
    rule_id: str = ""
    reason: str = ""  # refer reason
    advice: str = ""


class SubmissionIndex:
    def __init__(self, max_entries: int = 1_000_000) -> None:
        self.max_entries = max_entries
        self._by_submission: OrderedDict[str, Remembered] = OrderedDict()
        self._region_of_case: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._by_submission)

    def outcome(self, submission_id: str) -> Remembered | None:
        return self._by_submission.get(submission_id) if submission_id else None

    def region_of(self, case_id: str) -> str | None:
        return self._region_of_case.get(case_id)

    def remember(self, submission_id: str, outcome: Remembered) -> None:
        """Record a decision. The first decision for a submission id wins (retries replay it)."""
        if outcome.case_id and outcome.status == "queued":
            self._put(self._region_of_case, outcome.case_id, outcome.region)
        if not submission_id or outcome.status in ("full", "invalid"):
            return  # transient or rejected: a retry is decided afresh
        if submission_id not in self._by_submission:
            self._put(self._by_submission, submission_id, outcome)

    def _put(self, table: OrderedDict[str, V], key: str, value: V) -> None:
        table[key] = value
        if len(table) > self.max_entries:
            table.popitem(last=False)


@dataclass(frozen=True)
class RecentCase:
    case_id: str
    urgency: int
    triaged_at: float  # seconds since the epoch (event time)


class RecentCases:
    """Cases queued in the last ``window_s`` seconds, by (region, person pseudonym).

    Closes the gap between intake publishing a CaseTriaged and the queue's person view
    showing it: a double submission in that gap still finds the first case. Bounded.
    """

    def __init__(self, window_s: float = 120.0, max_entries: int = 100_000) -> None:
        self.window_s = window_s
        self.max_entries = max_entries
        self._cases: OrderedDict[tuple[str, str], RecentCase] = OrderedDict()

    def remember(self, region: str, pseudonym: str, case: RecentCase) -> None:
        key = (region, pseudonym)
        if key in self._cases and self._cases[key].triaged_at >= case.triaged_at:
            return
        self._cases[key] = case
        self._cases.move_to_end(key)
        if len(self._cases) > self.max_entries:
            self._cases.popitem(last=False)

    def find(self, region: str, pseudonym: str, now: float) -> RecentCase | None:
        case = self._cases.get((region, pseudonym))
        if case is None or now - case.triaged_at > self.window_s:
            return None
        return case
