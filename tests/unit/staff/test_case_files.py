"""The clinician's case files, folded from intake's and the queue's events."""

from __future__ import annotations

import datetime as dt

from proto import events as ev
from services.staff.domain.case_files import CaseFiles

T0 = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)


def _triaged(case_id: str = "c1", region: str = "SE-C") -> ev.CaseTriaged:
    return ev.CaseTriaged(
        case_id=case_id,
        region=region,
        urgency=2,
        symptom="fever",
        person_pseudonym="p1",
        triaged_at=T0,
        language="en",
        rule_id="fever.very_high",
        rules_version="v1",
        advice="High fever: drink plenty and rest.",
        answers={"temperature_over_40": True, "days_with_fever": 2},
        symptom_text="Fever",
        answer_texts=["Temperature over 40 °C: yes", "Days with fever: 2"],
    )


def _queued(case_id: str = "c1", region: str = "SE-C", at: dt.datetime = T0) -> ev.CaseQueued:
    return ev.CaseQueued(
        case_id=case_id, region=region, urgency=2, queued_at=at, sequence=0, person_pseudonym="p1"
    )


def _called(by: str, at: dt.datetime, region: str = "SE-C") -> ev.CaseCalled:
    return ev.CaseCalled(
        case_id="c1", region=region, urgency=2, clinician_id=by, request_id="r", queued_at=T0, called_at=at
    )


def test_a_called_case_shows_symptom_answers_language_rule_advice_and_who_called_it() -> None:
    files = CaseFiles()
    for message in (_triaged(), _queued(), _called("nurse-anna", T0 + dt.timedelta(minutes=14))):
        files.apply(message)
    f = files.get("c1")
    assert f is not None and f.triaged
    assert (f.symptom, f.language, f.rule_id) == ("fever", "en", "fever.very_high")
    assert f.answers == {"temperature_over_40": True, "days_with_fever": 2}
    assert (f.symptom_text, f.answer_texts[0]) == ("Fever", "Temperature over 40 °C: yes")
    assert f.advice.startswith("High fever")
    assert (f.status, f.called_by, f.region) == ("called", "nurse-anna", "SE-C")
    assert f.waited_s(0.0) == 14 * 60


def test_no_shows_count_and_the_next_call_names_the_new_clinician() -> None:
    files = CaseFiles()
    files.apply(_triaged())
    files.apply(_queued())
    files.apply(_called("nurse-anna", T0 + dt.timedelta(minutes=5)))
    files.apply(ev.CaseNoShow(case_id="c1", region="SE-C", attempt=1, by="nurse-anna"))
    f = files.get("c1")
    assert f is not None and (f.status, f.no_shows, f.called_at) == ("waiting", 1, None)
    files.apply(_called("nurse-olle", T0 + dt.timedelta(minutes=9)))
    assert (f.status, f.called_by, f.no_shows) == ("called", "nurse-olle", 1)


def test_a_transferred_case_is_in_its_new_region_with_its_original_queue_time() -> None:
    files = CaseFiles()
    files.apply(_triaged())
    files.apply(_queued())
    files.apply(
        ev.CaseTransferred(
            case_id="c1", region="SE-C", to_region="SE-E", urgency=2, queued_at=T0, reason="moved", by="lead"
        )
    )
    files.apply(_queued(region="SE-E"))
    f = files.get("c1")
    assert f is not None and (f.region, f.status, f.queued_at) == ("SE-E", "waiting", T0.timestamp())


def test_the_queues_events_read_before_the_triage_event_keep_the_current_region() -> None:
    files = CaseFiles()
    files.apply(_queued(region="SE-E"))
    files.apply(_triaged(region="SE-C"))
    f = files.get("c1")
    assert f is not None and f.region == "SE-E" and f.symptom == "fever"


def test_a_closed_case_says_why_and_past_capacity_the_oldest_file_leaves_memory() -> None:
    files = CaseFiles(capacity=2)
    files.apply(_triaged("c1"))
    files.apply(ev.CaseClosed(case_id="c1", region="SE-C", reason="completed", by="nurse-anna"))
    c1 = files.get("c1")
    assert c1 is not None and (c1.status, c1.closed_reason) == ("closed", "completed")
    files.apply(_triaged("c2"))
    files.apply(_triaged("c3"))
    assert files.get("c1") is None and len(files) == 2
