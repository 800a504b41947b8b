"""Completed cases are counted by region, urgency and outcome kind, with bounded label values."""

from __future__ import annotations

from prometheus_client import REGISTRY

from proto import events as ev
from services.queue.metrics import count_outcome


def _count(region: str, urgency: str, outcome: str) -> float:
    labels = {"region": region, "urgency": urgency, "outcome": outcome}
    return REGISTRY.get_sample_value("triage_queue_case_outcomes_total", labels) or 0.0


def test_a_completed_case_is_counted_under_its_region_urgency_and_outcome_kind() -> None:
    before = _count("SE-C", "2", "booked_visit")
    count_outcome(
        ev.CaseClosed(case_id="c", region="SE-C", reason="completed", outcome="booked_visit", urgency=2)
    )
    assert _count("SE-C", "2", "booked_visit") == before + 1


def test_unknown_regions_old_records_and_missing_kinds_fall_into_bounded_labels() -> None:
    before = _count("other", "unknown", "unrecorded")
    count_outcome(ev.CaseClosed(case_id="c", region="stockholm", reason="completed"))
    assert _count("other", "unknown", "unrecorded") == before + 1


def test_a_case_closed_after_no_shows_is_not_a_consultation_outcome() -> None:
    before = _count("SE-C", "3", "unrecorded")
    count_outcome(ev.CaseClosed(case_id="c", region="SE-C", reason="no_show", urgency=3))
    assert _count("SE-C", "3", "unrecorded") == before
