"""Builders for the forecaster's unit tests: a region's state through the queue's own handle."""

from __future__ import annotations

import datetime as dt

from proto import events as ev
from services.queue.domain.process import handle
from services.queue.domain.state import QueueState

R = "SE-C"
NOW = dt.datetime(2026, 1, 7, 10, 20, tzinfo=dt.UTC)  # a Wednesday, 11:20 in Stockholm


def queued(state: QueueState, case_id: str, urgency: int, minutes_ago: float) -> None:
    at = NOW - dt.timedelta(minutes=minutes_ago)
    handle(
        state,
        ev.CaseTriaged(
            event_id=f"tr-{case_id}",
            occurred_at=at,
            case_id=case_id,
            region=R,
            urgency=urgency,  # type: ignore[arg-type]
            symptom="",
            person_pseudonym=f"p-{case_id}",
            triaged_at=at,
        ),
        at,
    )
