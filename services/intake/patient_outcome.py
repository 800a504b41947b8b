"""How the clinician closed a case, for its patient (issue 26): the outcome in the patient's
words, and the clinician's sealed note opened for this one read.

The note is health data: it stays sealed in the read model and is opened here per read, never
logged. A note that cannot be opened (its key was retired from ``ADVICE_KEYS``) shows the
outcome without the advice; only the case id and the error's type are logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from proto import events as ev
from proto.note_crypto import ContactKeyError, open_note
from services.intake.domain.completion_texts import outcome_title, visit_text
from services.intake.domain.patient_cases import CaseFacts
from services.intake.http_bodies import ClinicianOutcome

log = logging.getLogger("triage.intake.patients")


def clinician_outcome(facts: CaseFacts | None, keyring: Mapping[str, bytes]) -> ClinicianOutcome | None:
    """The clinician's outcome and advice of a completed case; None if none was recorded."""
    if facts is None or not facts.completion:
        return None
    note: ev.ClosingNote | None = None
    if facts.note is not None:
        try:
            note = open_note(facts.case_id, facts.note, keyring)
        except ContactKeyError as exc:
            log.warning("closing note of case %s cannot be opened: %s", facts.case_id, type(exc).__name__)
    visit = note.visit_at if note is not None else None
    return ClinicianOutcome(
        kind=facts.completion,  # type: ignore[arg-type]
        title=outcome_title(facts.completion, facts.language),
        advice=note.advice if note is not None else None,
        clinic=(note.clinic or None) if note is not None else None,
        visit_at=None if visit is None else visit.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        visit_text=visit_text(visit, facts.language) if visit is not None else None,
    )
