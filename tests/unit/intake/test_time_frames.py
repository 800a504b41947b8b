"""The time-frame rule (issue 25): a case its region cannot call within its urgency's frame is
not queued silently -- closed until after the frame, or an estimate whose lower bound ends after it."""

from __future__ import annotations

import datetime as dt

import pytest

from proto import events as ev
from services.intake.domain.frame_check import low_bounds, past_frame, past_frame_advice
from services.intake.domain.late_cases import late_cases
from services.intake.domain.queue_view import QueueView
from services.intake.domain.rules_file import RulesFileError, load_rulebook
from services.intake.domain.time_frames import frame_words, parse_duration
from services.intake.settings import packaged_rules_path
from services.opening_hours.eta import EtaPolicy, estimate_wait
from services.opening_hours.schedule import STOCKHOLM, RegionHours

SHIPPED = packaged_rules_path().read_text(encoding="utf-8")
RULES = load_rulebook(SHIPPED)
FRAMES = RULES.time_frames.seconds
WEEKDAYS_8_17 = RegionHours(weekly=(((480, 1020),),) * 5 + ((), ()))
SATURDAY_22 = dt.datetime(2026, 11, 28, 22, 0, tzinfo=STOCKHOLM)  # opens Monday 08:00: 34 h away
MONDAY_10 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=STOCKHOLM)
CAPACITY_12 = EtaPolicy(capacity_per_hour=12.0)  # 5 minutes a call


def _check(urgency: int, position: int, now: dt.datetime, recent: int = 0, waited_s: float = 0.0):  # type: ignore[no-untyped-def]
    return past_frame(
        frame_s=FRAMES[urgency],
        wait=estimate_wait(position, recent, 900.0, WEEKDAYS_8_17, now, CAPACITY_12),
        hours=WEEKDAYS_8_17,
        now=now,
        waited_s=waited_s,
    )


def test_the_shipped_rules_hold_the_1177_time_frames_and_where_to_turn() -> None:
    assert FRAMES == {1: 900.0, 2: 10800.0, 3: 86400.0, 4: 604800.0, 5: 1209600.0}
    alternative = RULES.time_frames.alternative
    assert [alternative[u] for u in (1, 2, 3, 4, 5)] == [
        "go_to_emergency",
        "call_1177",
        "call_1177",
        "queue_anyway",
        "queue_anyway",
    ]
    assert [RULES.time_frames.may_wait(u) for u in (1, 2, 3, 4, 5)] == [False, False, False, True, True]


@pytest.mark.parametrize("urgency", [1, 2, 3])
def test_a_region_closed_until_after_the_frame_cannot_take_prio_1_to_3(urgency: int) -> None:
    past = _check(urgency, 1, SATURDAY_22)
    assert past is not None and past.reason == "opens_too_late"
    assert past.opens_at == dt.datetime(2026, 11, 30, 8, 0, tzinfo=STOCKHOLM)


@pytest.mark.parametrize("urgency", [4, 5])
def test_a_weekend_closure_is_within_the_frame_of_prio_4_and_5(urgency: int) -> None:
    assert _check(urgency, 1, SATURDAY_22) is None


def test_a_region_that_opens_within_the_frame_takes_the_case() -> None:
    sunday_night = dt.datetime(2026, 11, 29, 23, 0, tzinfo=STOCKHOLM)  # 9 h before opening
    assert _check(3, 1, sunday_night) is None  # Prio 3: 24 h
    assert _check(2, 1, sunday_night) is not None  # Prio 2: 3 h


def test_an_overloaded_open_region_refuses_when_even_the_shortest_estimate_is_too_long() -> None:
    # capacity 12 an hour: position 53 is 52.5 calls away, low bound 0.75 x 52.5 x 5 min = 3 h 17 min
    assert _check(2, 45, MONDAY_10) is None
    past = _check(2, 53, MONDAY_10)
    assert past is not None and past.reason == "wait_too_long" and past.wait is not None
    assert past.wait.low_s > FRAMES[2]
    five_prio_1_ahead = _check(1, 6, MONDAY_10)  # 5.5 calls: low bound 20 min > 15 min
    assert five_prio_1_ahead is not None and five_prio_1_ahead.reason == "wait_too_long"
    assert _check(1, 1, MONDAY_10) is None


def test_without_a_recent_serving_rate_the_capacity_decides_not_nothing() -> None:
    # nobody called in the last 15 minutes: the estimate is the capacity's, and it still counts
    assert _check(2, 60, MONDAY_10, recent=0) is not None


def test_a_fast_recent_rate_lets_a_long_queue_through() -> None:
    # 30 calls in 15 minutes = 2 a minute: position 60 is about half an hour away
    assert _check(2, 60, MONDAY_10, recent=30) is None


def test_a_waiting_case_is_judged_by_the_time_it_has_left() -> None:
    assert _check(2, 20, MONDAY_10) is None  # 19.5 calls: low bound 1 h
    assert _check(2, 20, MONDAY_10, waited_s=2.5 * 3600) is not None  # only 30 min of the 3 h left


def test_the_advice_says_why_and_where_to_go_at_each_urgency() -> None:
    closed = _check(1, 1, SATURDAY_22)
    assert closed is not None
    sv = past_frame_advice(RULES, closed, 1, "sv")
    assert (
        "måndag 30 november kl. 08:00" in sv and "15 minuter" in sv and "112" in sv and "akutmottagning" in sv
    )
    en = past_frame_advice(RULES, closed, 2, "en")
    assert "Monday 30 November at 08:00" in en and "Call 1177 now" in en and "around the clock" in en
    slow = _check(4, 1000, MONDAY_10)  # about 9 days even at the low bound
    assert slow is not None and slow.reason == "wait_too_long"
    text = past_frame_advice(RULES, slow, 4, "sv")
    assert "7 dagar" in text and "välja att vänta" in text


def test_durations_and_their_words() -> None:
    assert [parse_duration(t) for t in ("15m", "3h", "7d", "3", "0h", "xh")] == [
        900,
        10800,
        604800,
        None,
        None,
        None,
    ]
    assert frame_words(900, "sv") == "15 minuter" and frame_words(10800, "en") == "3 hours"
    assert frame_words(86400, "sv") == "ett dygn" and frame_words(14 * 86400, "en") == "14 days"
    assert frame_words(3600, "sv") == "en timme" and frame_words(86400, "en") == "one day"


def test_a_bad_time_frames_table_is_refused_with_its_line() -> None:
    bad = SHIPPED.replace('2 = "3h"', '2 = "3 hours"').replace('4 = "queue_anyway"\n5', '4 = "nowhere"\n5')
    bad = bad.replace('3 = "call_1177"', '3 = "queue_anyway"')
    with pytest.raises(RulesFileError) as err:
        load_rulebook(bad)
    text = str(err.value)
    line = (
        SHIPPED.splitlines().index(
            "[time_frames.frame]            # units m, h, d; a more urgent level needs a shorter frame"
        )
        + 1
    )
    assert f"line {line}: [time_frames.frame] 2 = '3 hours'" in text
    assert "3 = 'queue_anyway': only Prio 4-5" in text and "4 = 'nowhere'" in text


# ------------------------------------------------------------------ while the patient waits
def _queued(case_id: str, urgency: int, seq: int, at: dt.datetime) -> ev.CaseQueued:
    return ev.CaseQueued(
        case_id=case_id,
        region="SE-C",
        urgency=urgency,  # type: ignore[arg-type]
        queued_at=at,
        sequence=seq,
        person_pseudonym=f"p-{case_id}",
        occurred_at=at,
    )


def test_the_sweep_finds_each_waiting_case_that_will_now_miss_its_frame_with_where_to_go() -> None:
    view = QueueView()
    friday_16 = dt.datetime(2026, 11, 27, 16, 0, tzinfo=STOCKHOLM)  # closes at 17, opens Monday 08
    for i, urgency in enumerate((1, 2, 3, 4, 5)):
        view.apply(_queued(f"c{urgency}", urgency, i, friday_16))
    at_18 = friday_16 + dt.timedelta(hours=2)  # nobody called them; the region is now closed
    found = list(late_cases(view, lambda _: WEEKDAYS_8_17, RULES.time_frames, CAPACITY_12, at_18))
    assert {(f.case.case_id, f.past.reason, f.notice_kind) for f in found} == {
        ("c1", "opens_too_late", "past_frame_emergency"),
        ("c2", "opens_too_late", "past_frame_call_1177"),
        ("c3", "opens_too_late", "past_frame_call_1177"),
    }  # Prio 4-5: Monday morning is still within 7 and 14 days
    told = [f.case.case_id for f in found]
    assert list(late_cases(view, lambda _: WEEKDAYS_8_17, RULES.time_frames, CAPACITY_12, at_18, told)) == []


def test_the_sweep_leaves_cases_the_region_can_still_call_in_time() -> None:
    view = QueueView()
    for i in range(3):
        view.apply(_queued(f"c{i}", 3, i, MONDAY_10))
    assert list(late_cases(view, lambda _: WEEKDAYS_8_17, RULES.time_frames, CAPACITY_12, MONDAY_10)) == []


@pytest.mark.parametrize(
    ("hours", "recent", "now"),
    [
        (WEEKDAYS_8_17, 0, MONDAY_10),  # the capacity, over a night and a weekend
        (WEEKDAYS_8_17, 0, SATURDAY_22),
        (WEEKDAYS_8_17, 9, MONDAY_10),  # the recent rate, turned into clock time through the hours
        (RegionHours(weekly=(((0, 1440),),) * 7), 4, MONDAY_10),  # always open
    ],
)
def test_the_sweeps_one_walk_gives_the_lower_bounds_the_patients_are_shown(
    hours: RegionHours, recent: int, now: dt.datetime
) -> None:
    walked = low_bounds(400, recent, 900.0, hours, now, CAPACITY_12)
    for p in (1, 2, 3, 17, 90, 255, 400):
        shown = estimate_wait(p, recent, 900.0, hours, now, CAPACITY_12)
        assert shown is not None and walked[p - 1] == pytest.approx(shown.low_s, abs=1e-6), p


def test_a_patient_who_chose_to_wait_past_the_frame_is_not_told_again() -> None:
    view = QueueView()
    friday_16 = dt.datetime(2026, 11, 27, 16, 0, tzinfo=STOCKHOLM)
    for i, chose in enumerate((False, True)):
        view.apply(
            ev.CaseTriaged(
                case_id=f"c{i}",
                region="SE-C",
                urgency=5,
                symptom="sore_throat",
                person_pseudonym=f"p{i}",
                triaged_at=friday_16,
                accept_long_wait=chose,
                occurred_at=friday_16,
            )
        )
        view.apply(_queued(f"c{i}", 5, i, friday_16))
    weeks_later = friday_16 + dt.timedelta(days=15)  # both are past their 14 days
    found = list(late_cases(view, lambda _: WEEKDAYS_8_17, RULES.time_frames, CAPACITY_12, weeks_later))
    assert [f.case.case_id for f in found] == ["c0"]
