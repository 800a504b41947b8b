"""Sending a waiting patient a CaseNotice from intake (past time frame, forecast moved).

Both sweeps (frame_watch.py, forecast_watch.py) send the same way: on queue.your-turn keyed by
the region, in the patient's language, the case remembered as told by this process (the
notifier's ledger is the truth: the notice's deterministic ``event_id`` makes a repeat one SMS).
"""

from __future__ import annotations

from typing import Any

from proto import events as ev
from proto import topics
from services.intake.submissions import TriageService


def language_of(service: TriageService, case_id: str) -> str:
    """The language the patient submitted in (Swedish when intake no longer knows the case)."""
    facts = service.view.patients.facts(case_id)
    return facts.language if facts is not None else "sv"


async def send_case_notice(
    service: TriageService, notice: ev.CaseNotice, told: dict[str, None], counter: Any
) -> None:
    """Publish ``notice``, remember its case as told and count it in ``counter`` (per region)."""
    await service.publisher.publish(topics.QUEUE_YOUR_TURN, notice.region, notice)
    told[notice.case_id] = None
    counter.labels(notice.region).inc()
