"""Intake's read model of the queue: a pure fold of queue.events and triage.events."""

from __future__ import annotations

import datetime as dt
import itertools

import msgspec

from proto import events as ev
from services.intake.domain.queue_view import QueueView
from services.opening_hours.hours_file import load_hours_from_env

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def triaged(case_id: str, person: str, region: str = "SE-C", urgency: int = 3) -> ev.CaseTriaged:
    return ev.CaseTriaged(
        case_id=case_id,
        region=region,
        urgency=urgency,
        symptom="fever",  # type: ignore[arg-type]
        person_pseudonym=person,
        triaged_at=T0,
    )


def queued(
    case_id: str, person: str, seq: int, region: str = "SE-C", urgency: int = 3, t: float = 0
) -> ev.CaseQueued:
    return ev.CaseQueued(
        case_id=case_id,
        region=region,
        urgency=urgency,
        queued_at=at(t),  # type: ignore[arg-type]
        sequence=seq,
        person_pseudonym=person,
    )


def called(case_id: str, t: float, region: str = "SE-C") -> ev.CaseCalled:
    return ev.CaseCalled(
        case_id=case_id,
        region=region,
        urgency=3,
        clinician_id="n1",
        request_id=f"r-{case_id}",
        queued_at=T0,
        called_at=at(t),
    )


def rejected(case_id: str, region: str = "SE-C") -> ev.CommandRejected:
    return ev.CommandRejected(
        region=region,
        request_id=case_id,
        command_type="case.triaged.v1",
        reason="person already waiting",
        case_id=case_id,
    )


def test_a_triaged_case_is_pending_and_blocks_the_same_person_in_every_region() -> None:
    view = QueueView()
    view.apply(triaged("a", "p1", region="SE-F"))
    assert view.case("a").status == "pending"  # type: ignore[union-attr]
    found = view.person_waiting("p1")
    assert found is not None and found.case_id == "a" and found.region == "SE-F"
    assert view.person_waiting("p2") is None


def test_a_case_the_queue_rejected_as_a_second_case_shows_as_duplicate_of_the_first() -> None:
    view = QueueView()
    for e in (triaged("a", "p1"), triaged("b", "p1"), queued("a", "p1", 1), rejected("b")):
        view.apply(e)
    b = view.case("b")
    assert b is not None and b.status == "duplicate" and b.duplicate_of == "a"
    assert view.person_waiting("p1").case_id == "a"  # type: ignore[union-attr]
    assert view.depth("SE-C") == 1


def test_a_duplicate_names_the_first_case_whatever_order_the_two_topics_are_read_in() -> None:
    # triage.events and queue.events are read side by side: every interleaving of the two
    # (each in its own order) must end with b a duplicate of a, on the view's answer.
    triage_topic = [triaged("a", "p1"), triaged("b", "p1")]
    queue_topic = [queued("a", "p1", 1), rejected("b")]
    for slots in itertools.combinations(range(4), 2):  # where the triage records fall
        t, q = iter(triage_topic), iter(queue_topic)
        view = QueueView()
        for i in range(4):
            view.apply(next(t) if i in slots else next(q))
        b = view.case("b")
        assert b is not None and b.status == "duplicate" and b.duplicate_of == "a", slots
        assert view.person_waiting("p1").case_id == "a", slots  # type: ignore[union-attr]


def test_when_the_queue_takes_the_second_case_first_the_first_becomes_the_duplicate() -> None:
    view = QueueView()
    for e in (triaged("a", "p1"), triaged("b", "p1"), queued("b", "p1", 1), rejected("a")):
        view.apply(e)
    assert view.case("a").duplicate_of == "b"  # type: ignore[union-attr]
    assert view.person_waiting("p1").case_id == "b"  # type: ignore[union-attr]


def test_positions_follow_urgency_then_arrival() -> None:
    view = QueueView()
    view.apply(queued("late3", "p1", 1, urgency=3, t=0))
    view.apply(queued("early3", "p2", 2, urgency=3, t=-60))
    view.apply(queued("prio1", "p3", 3, urgency=1, t=30))
    assert [c.case_id for c in view.waiting_in("SE-C")] == ["prio1", "early3", "late3"]
    assert view.position("late3") == 3 and view.position("prio1") == 1
    assert view.waiting_up_to("SE-C", 2) == 1 and view.waiting_up_to("SE-C", 5) == 3


def test_a_called_person_may_submit_again_and_leaves_the_depth() -> None:
    view = QueueView()
    view.apply(queued("a", "p1", 1))
    view.apply(called("a", 10))
    assert view.person_waiting("p1") is None
    assert view.case("a").status == "called" and view.position("a") is None  # type: ignore[union-attr]
    assert view.depth("SE-C") == 0


def test_the_same_event_applied_twice_changes_nothing_the_second_time() -> None:
    view = QueueView()
    first = queued("a", "p1", 1)
    assert view.apply(first) is True
    view.apply(called("a", 5))
    assert view.apply(first) is False  # a redelivery after a crash must not re-queue a called case
    assert view.case("a").status == "called"  # type: ignore[union-attr]


def test_an_unknown_record_type_is_counted_and_skipped() -> None:
    class BatchCommitted(ev.Message, frozen=True, kw_only=True, tag="queue.batch-committed.v1"):
        region: str

    view = QueueView()
    assert view.apply(BatchCommitted(region="SE-C")) is False
    assert view.apply(msgspec.json.decode(b'{"type": "x"}')) is False
    assert view.skipped == 2
    view.apply(queued("a", "p1", 1))
    assert view.depth("SE-C") == 1


def test_serving_rate_and_estimated_wait_come_from_recent_calls() -> None:
    view = QueueView(rate_window_s=600)
    for i in range(10):
        view.apply(queued(f"c{i}", f"p{i}", i))
    for i in range(5):
        view.apply(called(f"c{i}", 60.0 * i))
    now = at(300).timestamp()
    assert view.serving_rate_per_minute("SE-C", now) == 0.5  # 5 calls in 10 minutes
    assert view.estimated_wait_s("SE-C", 3, now) == 360.0
    assert view.estimated_wait_s("SE-C", 3, now + 3600) is None  # nobody called lately: no guess


def test_reprioritise_transfer_and_no_show_move_the_case() -> None:
    view = QueueView()
    view.apply(queued("a", "p1", 1, urgency=4))
    view.apply(queued("b", "p2", 2, urgency=3))
    view.apply(
        ev.CaseReprioritised(case_id="a", region="SE-C", from_urgency=4, to_urgency=2, reason="r", by="n")
    )
    assert view.position("a") == 1
    view.apply(
        ev.CaseTransferred(
            case_id="a",
            region="SE-C",
            to_region="SE-F",
            urgency=2,
            queued_at=T0,
            reason="r",
            by="n",
            person_pseudonym="p1",
        )
    )
    assert view.depth("SE-C") == 1 and view.case("a").status == "transferred"  # type: ignore[union-attr]
    view.apply(queued("a", "p1", 1, region="SE-F", urgency=2))
    assert view.case("a").region == "SE-F" and view.person_waiting("p1").region == "SE-F"  # type: ignore[union-attr]
    view.apply(called("b", 1))
    view.apply(ev.CaseNoShow(case_id="b", region="SE-C", attempt=1, requeued=True))
    assert view.case("b").status == "waiting" and view.person_waiting("p2").case_id == "b"  # type: ignore[union-attr]


def test_finished_cases_are_forgotten_oldest_first_beyond_the_bound() -> None:
    view = QueueView(max_finished=2)
    for i in range(3):
        view.apply(queued(f"c{i}", f"p{i}", i))
        view.apply(ev.CaseClosed(case_id=f"c{i}", region="SE-C", reason="completed"))
    assert view.case("c0") is None and view.case("c2") is not None


def test_one_person_queued_in_two_regions_keeps_the_earlier_case_and_withdraws_the_later() -> None:
    view = QueueView()
    view.apply(queued("later", "p1", 1, region="SE-G", t=5))
    view.apply(queued("first", "p1", 1, region="SE-F", t=0))
    assert view.regions_to_withdraw() == {"later": "first"}
    later = view.case("later")
    assert later is not None and later.status == "duplicate" and later.duplicate_of == "first"
    assert view.person_waiting("p1").case_id == "first"  # type: ignore[union-attr]
    assert view.depth("SE-G") == 0
    view.apply(ev.CaseCancelled(case_id="later", region="SE-G", reason="duplicate", by="intake"))
    assert view.regions_to_withdraw() == {}
    assert view.case("later").status == "duplicate"  # type: ignore[union-attr]


def test_a_pending_second_region_case_is_withdrawn_once_the_queue_takes_it() -> None:
    view = QueueView()
    view.apply(triaged("later", "p1", region="SE-G"))
    view.apply(queued("first", "p1", 1, region="SE-F", t=-10))
    assert view.case("later").status == "duplicate" and view.regions_to_withdraw() == {}  # type: ignore[union-attr]
    view.apply(queued("later", "p1", 1, region="SE-G", t=0))
    assert view.regions_to_withdraw() == {"later": "first"}
    assert view.depth("SE-G") == 0


def test_a_finished_case_shows_its_outcome_after_a_transfer_a_no_show_or_a_cancellation() -> None:
    view = QueueView()
    view.apply(queued("a", "p1", 1))
    view.apply(
        ev.CaseTransferred(
            case_id="a",
            region="SE-C",
            to_region="SE-F",
            urgency=3,
            queued_at=T0,
            reason="r",
            by="n",
            person_pseudonym="p1",
        )
    )
    view.apply(queued("a", "p1", 1, region="SE-F"))
    assert (view.case("a").region, view.case("a").status, view.position("a")) == ("SE-F", "waiting", 1)  # type: ignore[union-attr]
    view.apply(called("a", 1, region="SE-F"))
    view.apply(ev.CaseClosed(case_id="a", region="SE-F", reason="no_show"))
    view.apply(queued("b", "p2", 2))
    view.apply(ev.CaseCancelled(case_id="b", region="SE-C", reason="r", by="nurse"))
    assert (view.case("a").status, view.case("a").outcome) == ("closed", "no_show")  # type: ignore[union-attr]
    assert (view.case("b").status, view.case("b").outcome) == ("cancelled", "cancelled")  # type: ignore[union-attr]


def hours_changed(version: int, days: dict[str, list[str]], event_id: str = "") -> ev.OpeningHoursChanged:
    return ev.OpeningHoursChanged(
        event_id=event_id or f"hours-{version}", region="SE-I", days=days, version=version, by="lead-1"
    )


def test_a_team_leads_hours_replace_the_files_for_that_region_only() -> None:
    file_hours = load_hours_from_env({})
    view = QueueView()
    closed = {d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    monday_noon = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)
    assert view.hours_of("SE-I", file_hours).is_open(monday_noon)  # the file: weekdays 08-17

    assert view.apply(hours_changed(1, closed))
    assert not view.hours_of("SE-I", file_hours).is_open(monday_noon)
    assert view.hours_of("SE-C", file_hours) == file_hours.of("SE-C")

    assert view.apply(hours_changed(2, {**closed, "mon": ["00:00-24:00"]}))
    assert view.hours_of("SE-I", file_hours).is_open(monday_noon)
    assert not view.apply(hours_changed(1, closed, event_id="late-copy"))  # an older version never wins
    assert view.hours_of("SE-I", file_hours).is_open(monday_noon)
