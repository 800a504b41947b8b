"""The clinician's case files: what staff may see of a case, folded from triage and queue events.

A ``CaseFile`` joins intake's ``CaseTriaged`` (symptom, answers, language, the rule that
decided and its advice, as the patient read it) with the queue's history of the case
(region across transfers, status, urgency after reprioritising, who called it, no-shows).
Pure: ``CaseFiles.apply`` takes decoded messages in log order; the staff process feeds it
from triage.events and queue.events (services/staff/case_log.py). Pseudonyms only: the
personnummer and phone stay sealed on the contact card (the identity read opens them).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

from proto import events as ev

Status = Literal["triaged", "waiting", "called", "transferred", "closed", "cancelled"]


@dataclass
class CaseFile:
    """One case as the clinician sees it (times are epoch seconds)."""

    case_id: str
    region: str = ""
    urgency: int = 0
    status: Status = "triaged"
    person_pseudonym: str = ""
    language: str = "sv"
    symptom: str = ""
    answers: dict[str, str | int | bool] = field(default_factory=dict)
    symptom_text: str = ""  # the symptom in the patient's language
    answer_texts: list[str] = field(default_factory=list)  # "Temperature over 40 °C: yes", in it too
    rule_id: str = ""
    rules_version: str = ""
    advice: str = ""
    triaged: bool = False  # CaseTriaged seen (the clinical part is known)
    queued_at: float | None = None
    called_at: float | None = None
    called_by: str = ""  # the clinician who called it last
    no_shows: int = 0
    not_reached: bool = False  # the your-turn SMS finally failed: phone the patient
    closed_reason: str = ""  # completed, no_show, cancelled

    def waited_s(self, now: float) -> float | None:
        """Seconds from queueing to the call (or to ``now`` while it waits)."""
        if self.queued_at is None:
            return None
        return max(0.0, (self.called_at or now) - self.queued_at)


class CaseFiles:
    """case_id -> CaseFile, bounded: past ``capacity`` the oldest files leave memory (never the log)."""

    def __init__(self, capacity: int = 500_000) -> None:
        self.capacity = capacity
        self._files: OrderedDict[str, CaseFile] = OrderedDict()

    def __len__(self) -> int:
        return len(self._files)

    def get(self, case_id: str) -> CaseFile | None:
        """The case's file, or None when this process has not seen the case."""
        return self._files.get(case_id)

    def _file(self, case_id: str) -> CaseFile:
        found = self._files.get(case_id)
        if found is None:
            found = self._files[case_id] = CaseFile(case_id)
            while len(self._files) > self.capacity:
                self._files.popitem(last=False)
        return found

    def apply(self, message: object) -> None:
        """Fold one triage.events or queue.events message into the files (others are ignored)."""
        match message:
            case ev.CaseTriaged():
                self._triaged(message)
            case ev.CaseQueued():
                f = self._file(message.case_id)
                f.region, f.urgency, f.status = message.region, message.urgency, "waiting"
                f.person_pseudonym = message.person_pseudonym or f.person_pseudonym
                f.queued_at = message.queued_at.timestamp()  # a transfer keeps the original time
            case ev.CaseCalled():
                f = self._file(message.case_id)
                f.region, f.urgency, f.status = message.region, message.urgency, "called"
                f.called_by, f.called_at = message.clinician_id, message.called_at.timestamp()
                f.queued_at = message.queued_at.timestamp()
                f.not_reached = False
            case ev.CaseNoShow():
                f = self._file(message.case_id)
                f.no_shows = message.attempt
                if message.requeued:
                    f.status, f.called_at = "waiting", None
            case ev.CaseReprioritised():
                self._file(message.case_id).urgency = message.to_urgency
            case ev.CaseTransferred():
                f = self._file(message.case_id)
                f.region, f.status = message.to_region, "transferred"
            case ev.CaseNotReached():
                self._file(message.case_id).not_reached = True
            case ev.CaseCancelled():
                f = self._file(message.case_id)
                f.status, f.closed_reason = "cancelled", "cancelled"
            case ev.CaseClosed():
                f = self._file(message.case_id)
                f.status, f.closed_reason = "closed", message.reason

    def _triaged(self, message: ev.CaseTriaged) -> None:
        f = self._file(message.case_id)
        f.symptom, f.answers, f.language = message.symptom, dict(message.answers), message.language
        f.symptom_text, f.answer_texts = message.symptom_text, list(message.answer_texts)
        f.rule_id, f.rules_version, f.advice = message.rule_id, message.rules_version, message.advice
        f.person_pseudonym = f.person_pseudonym or message.person_pseudonym
        if not f.triaged and f.status == "triaged":  # the queue's events, when read first, win
            f.region, f.urgency = message.region, message.urgency
        f.triaged = True
