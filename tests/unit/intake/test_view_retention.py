"""Intake's read model forgets what outlived its retention: remembered submissions, finished cases."""

from __future__ import annotations

import datetime as dt

from proto import events as ev
from services.intake.domain.queue_view import QueueView
from services.intake.domain.submission_index import Remembered, SubmissionIndex

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
DAY = 86400.0
SLACK = 60.0  # expiry works in time buckets of a minute: an entry may outlive its retention by one


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def queued(case_id: str, person: str, t: float) -> ev.CaseQueued:
    return ev.CaseQueued(
        case_id=case_id,
        region="SE-C",
        urgency=3,
        queued_at=at(t),
        sequence=1,
        person_pseudonym=person,
        occurred_at=at(t),
    )


def closed(case_id: str, t: float) -> ev.CaseClosed:
    return ev.CaseClosed(case_id=case_id, region="SE-C", reason="completed", by="n1", occurred_at=at(t))


def test_a_submission_is_replayed_within_its_retention_and_decided_afresh_after_it() -> None:
    index = SubmissionIndex(retention_s=DAY)
    t0 = T0.timestamp()
    index.remember("s1", Remembered("queued", "c1", "SE-C", 3), at=t0)
    index.remember("s2", Remembered("refer", None, "SE-C"), at=t0 + 3600)
    assert index.expire(t0 + DAY - 1) == 0
    assert index.outcome("s1") is not None
    assert index.expire(t0 + DAY + SLACK) == 1  # s1 is a day old; s2 is not yet
    assert index.outcome("s1") is None and index.outcome("s2") is not None
    assert index.expire(t0 + DAY + 3600 + SLACK) == 1 and len(index) == 0


def test_an_entry_learned_after_a_younger_one_still_expires_on_its_own_time() -> None:
    """A rebuild reads partitions side by side (days apart): the order learned is not time order."""
    index = SubmissionIndex(retention_s=100)
    index.remember("young", Remembered("queued", "c1", "SE-C", 3), at=1000)
    index.remember("old", Remembered("queued", "c2", "SE-C", 3), at=900)
    assert index.expire(900 + 100 + SLACK) == 1
    assert index.outcome("old") is None and index.outcome("young") is not None
    assert index.expire(1000 + 100 + SLACK) == 1


def test_the_logs_decision_overruling_a_provisional_one_keeps_its_time_and_leaves_the_snapshot_set() -> None:
    index = SubmissionIndex(retention_s=100)
    index.remember("s1", Remembered("queued", "mine", "SE-C", 3), provisional=True, at=10)
    assert [sid for sid, _, _ in index.logged()] == []  # provisional: not in a snapshot
    index.remember("s1", Remembered("queued", "theirs", "SE-C", 3), at=50)
    assert [(sid, t, r.case_id) for sid, t, r in index.logged()] == [("s1", 10, "theirs")]
    assert index.expire(110 + SLACK) == 1


def test_a_finished_case_and_its_patient_facts_are_kept_for_the_retention_then_forgotten() -> None:
    view = QueueView(retention_s=DAY)
    view.apply(queued("a", "p1", 0))
    view.apply(queued("b", "p2", 10))
    view.apply(closed("a", 60))
    now = T0.timestamp()
    assert view.expire(now + DAY) == 0  # a finished at +60 s: still shown to its patient
    assert view.case("a") is not None and view.patients.facts("a") is not None
    assert view.patients.case_ids_of("p1") == ["a"]
    assert view.expire(now + DAY + 60 + SLACK) == 1
    assert view.case("a") is None and view.patients.facts("a") is None
    assert view.patients.case_ids_of("p1") == []
    assert view.case("b") is not None and view.case("b").status == "waiting"  # type: ignore[union-attr]
    assert view.expire(now + 365 * DAY) == 0  # a waiting case never expires
    assert view.position("b") == 1


def test_a_case_called_again_after_a_no_show_requeue_starts_its_retention_anew() -> None:
    view = QueueView(retention_s=100)
    view.apply(queued("a", "p1", 0))
    view.apply(ev.CaseCalled(case_id="a", region="SE-C", urgency=3, clinician_id="n1",
                             request_id="r1", queued_at=T0, called_at=at(10), occurred_at=at(10)))  # fmt: skip
    view.apply(ev.CaseNoShow(case_id="a", region="SE-C", attempt=1, requeued=True, occurred_at=at(50)))
    view.apply(closed("a", 90))
    assert view.expire(T0.timestamp() + 150) == 0  # finished at 90, not at 10
    assert view.expire(T0.timestamp() + 190 + SLACK) == 1


def test_an_entry_the_size_cap_already_forgot_is_not_counted_again_when_its_time_comes() -> None:
    index = SubmissionIndex(max_entries=1, retention_s=10)
    index.remember("s1", Remembered("queued", "c1", "SE-C", 3), at=0)
    index.remember("s2", Remembered("queued", "c2", "SE-C", 3), at=0)  # s1 forgotten: the cap
    assert index.expire(10 + SLACK) == 1 and len(index) == 0


def test_event_ids_are_deduplicated_for_the_seen_window_then_forgotten() -> None:
    view = QueueView()
    first = queued("a", "p1", 0)
    view.apply(first)
    assert view.apply(first) is False  # a redelivery within the window
    view.expire(T0.timestamp() + view.seen_window_s + SLACK)
    assert first.event_id not in view._seen  # bounded by time, not only by count
