"""The patient's own cases: what they were told and how each case ended, indexed by person.

A pure fold of the patient-facing facts that ``QueueView`` (status, region, position) does not
keep: the symptom and advice given at triage (CaseTriaged), when the case was called and
finished, why it was cancelled in words meant for the patient, the regions it was
transferred from, and which cases belong to which person pseudonym. ``QueueView`` owns one,
feeds it every event once (after its own dedupe) and tells it which finished cases it forgot,
so both forget together. Events may arrive in any order across the two topics (a rebuild
reads them side by side); every field is set by one kind of event, so the order does not
matter.

Memory: at most ``max_cases`` cases (oldest forgotten first) and ``max_per_person`` cases per
person (their oldest dropped from the list). Costs: apply O(1) (O(max_per_person) to index a
new case), ``case_ids_of`` O(k log k) for a person's k cases.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from proto import events as ev

PATIENT_REASONS = ("withdrawn_by_patient", "cancelled_by_staff", "duplicate")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(slots=True)
class CaseFacts:
    """What a patient sees about one case beyond its queue status."""

    case_id: str
    pseudonym: str = ""
    since: dt.datetime | None = None  # triaged_at (else the first queued_at): the list's order
    symptom: str = ""
    rule_id: str = ""
    advice: str = ""  # the rule's advice as given at triage ("" on records older than the field)
    language: str = "sv"
    # Completed (issue 26): the clinician's outcome kind and their note, kept sealed (opened only
    # to answer the patient's own read). Memory: up to ~3 kB per completed case with a note.
    completion: str = ""
    note: ev.SealedNote | None = None
    called_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    cancel_reason: str = ""  # withdrawn_by_patient | cancelled_by_staff | duplicate (never staff's words)
    transferred_from: tuple[str, ...] = ()
    no_shows: int = 0
    accepted_long_wait: bool = False  # queued past its time frame by the patient's choice (issue 25)


def patient_reason(cancelled: ev.CaseCancelled) -> str:
    """Why a case was cancelled, in terms shown to the patient (staff's free text never is)."""
    if cancelled.reason == ev.WITHDRAWN_BY_PATIENT:
        return "withdrawn_by_patient"
    if cancelled.by == "intake":
        return "duplicate"  # intake withdrew the person's second case; the first goes on
    return "cancelled_by_staff"


class PatientCases:
    """The fold. ``apply`` each event once (``QueueView`` dedupes); ``forget`` what it evicts."""

    def __init__(self, max_cases: int = 300_000, max_per_person: int = 50) -> None:
        self.max_cases = max_cases
        self.max_per_person = max_per_person
        self._facts: OrderedDict[str, CaseFacts] = OrderedDict()
        self._by_person: dict[str, list[str]] = {}

    def facts(self, case_id: str) -> CaseFacts | None:
        """The case's facts, or None if never seen (or forgotten)."""
        return self._facts.get(case_id)

    def case_ids_of(self, pseudonym: str) -> list[str]:
        """The person's cases, most recent first (by triage time, then case id)."""
        ids = self._by_person.get(pseudonym, [])
        return sorted(ids, key=self._order, reverse=True)

    def __len__(self) -> int:
        return len(self._facts)

    def _order(self, case_id: str) -> tuple[dt.datetime, str]:
        f = self._facts.get(case_id)
        return (f.since or _EPOCH) if f else _EPOCH, case_id

    def apply(self, e: ev.Message) -> None:
        """Fold one event in (events that change nothing a patient sees are ignored)."""
        fold = _FOLDS.get(type(e))  # one dict lookup: this runs for every record intake reads
        if fold is not None:
            fold(self, e)

    def _triaged(self, e: ev.CaseTriaged) -> None:
        f = self._known(e.case_id, e.person_pseudonym, e.triaged_at, triage_time=True)
        f.symptom, f.rule_id, f.language = e.symptom, e.rule_id, e.language
        f.advice = sys.intern(e.advice)  # a few hundred distinct texts, shared by every case
        f.accepted_long_wait = e.accept_long_wait

    def _queued(self, e: ev.CaseQueued) -> None:
        self._known(e.case_id, e.person_pseudonym, e.queued_at)

    def _later(self, e: ev.Message) -> None:
        known = self._facts.get(e.case_id)  # type: ignore[attr-defined]
        if known is None:
            return  # never seen, or forgotten: not brought back by a late event
        match e:
            case ev.CaseCalled():
                known.called_at = e.called_at
            case ev.CaseNoShow():
                known.no_shows = max(known.no_shows, e.attempt)
            case ev.CaseTransferred() if e.region not in known.transferred_from:
                known.transferred_from = (*known.transferred_from, e.region)
            case ev.CaseCancelled():
                known.finished_at, known.cancel_reason = e.occurred_at, patient_reason(e)
            case ev.CaseClosed():
                known.finished_at = e.occurred_at
                if e.reason == "completed":
                    known.completion, known.note = e.outcome or "", e.note

    def forget(self, case_id: str) -> None:
        """Drop a case (its read model forgot it: bounded memory)."""
        f = self._facts.pop(case_id, None)
        if f is None or not f.pseudonym:
            return
        ids = self._by_person.get(f.pseudonym)
        if ids is not None and case_id in ids:
            ids.remove(case_id)
            if not ids:
                del self._by_person[f.pseudonym]

    def _known(
        self, case_id: str, pseudonym: str, since: dt.datetime, triage_time: bool = False
    ) -> CaseFacts:
        """The case's facts (created if new), its time set and, first time, indexed under its person."""
        f = self._facts.get(case_id)
        if f is None:
            f = self._facts[case_id] = CaseFacts(case_id)
            while len(self._facts) > self.max_cases:
                self.forget(next(iter(self._facts)))
        if triage_time or f.since is None:
            f.since = since  # the triage time wins over a queued_at (they differ by milliseconds)
        if pseudonym and not f.pseudonym:
            f.pseudonym = pseudonym
            ids = self._by_person.setdefault(pseudonym, [])
            ids.append(case_id)
            if len(ids) > self.max_per_person:
                ids.remove(min(ids, key=self._order))  # the person's oldest case leaves their list
        return f


_FOLDS: dict[type, Callable[[PatientCases, Any], None]] = {
    ev.CaseTriaged: PatientCases._triaged,
    ev.CaseQueued: PatientCases._queued,
    **{
        t: PatientCases._later
        for t in (ev.CaseCalled, ev.CaseNoShow, ev.CaseTransferred, ev.CaseCancelled, ev.CaseClosed)
    },
}
