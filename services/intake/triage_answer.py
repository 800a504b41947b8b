"""What a submitter is told beyond the decision itself, the same over HTTP and Kafka.

``POST /v1/triage`` and ``triage.results`` answer one ``Outcome`` with the same extras: the
case token the patient app presents to ``GET /v1/cases/{id}``, whether the region is staffed
now, when it opens, and the advice with the closed-region sentence added. One function, so
the Kafka answer cannot fall behind the HTTP one again (issue 25).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.intake.domain.case_access import case_token
from services.intake.domain.staffed_hours import region_status
from services.intake.patient_api import iso
from services.intake.submissions import Outcome, TriageService

# The time-frame reasons (issue 25): the answer also says whether and when the region opens.
PAST_FRAME = ("opens_too_late", "wait_too_long")


@dataclass(frozen=True)
class TriageAnswer:
    """The extras of one outcome: advice as shown, case token and the region's hours."""

    advice: str
    case_token: str | None
    region_open: bool | None
    opens_at: str | None


def triage_answer(service: TriageService, outcome: Outcome, language: str, now: dt.datetime) -> TriageAnswer:
    """The advice, case token and opening status a submitter gets with ``outcome``."""
    token = case_token(service.settings.token_key(), outcome.case_id) if outcome.case_id else None
    queued = outcome.status in ("queued", "duplicate")
    if not queued and outcome.reason not in PAST_FRAME:
        return TriageAnswer(outcome.advice, token, None, None)
    hours = region_status(service.view.hours_of(outcome.region, service.settings.hours), now, language)
    # A closed region still queues: say when it opens (a time-frame answer already says so).
    advice = f"{outcome.advice} {hours.notice}".strip() if queued else outcome.advice
    return TriageAnswer(advice, token, hours.open, iso(hours.opens_at))
