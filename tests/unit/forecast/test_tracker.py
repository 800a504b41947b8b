"""The forecaster's fold of queue.events and its refresh schedule."""

from __future__ import annotations

import datetime as dt

import pytest

from proto import events as ev
from services.forecast.domain.tracker import Tracker
from services.forecast.domain.what_if import WhatIfError, read_what_if
from services.queue.domain.process import handle
from services.queue.domain.state import QueuePolicy, QueueState
from tests.unit.forecast.conftest import NOW, R

T0 = NOW.timestamp()


def queue_events() -> list[ev.Message]:
    """What the queue records for two arrivals and one call (through its own handle)."""
    live = QueueState()
    out: list[ev.Message] = []
    for i, u in enumerate((4, 2)):
        at = NOW + dt.timedelta(seconds=i)
        triaged = ev.CaseTriaged(
            event_id=f"t{i}", occurred_at=at, case_id=f"c{i}", region=R, urgency=u, symptom="",
            person_pseudonym=f"p{i}", triaged_at=at,
        )  # fmt: skip
        out += handle(live, triaged, at).recorded
    at = NOW + dt.timedelta(seconds=5)
    serve = ev.ServeNext(event_id="s", occurred_at=at, region=R, clinician_id="n1", request_id="r1")
    out += handle(live, serve, at).recorded
    return out


def tracker() -> Tracker:
    return Tracker(QueuePolicy(), 20.0, every_s=60.0, debounce_s=5.0)


def test_the_fold_follows_the_queue_and_skips_duplicates() -> None:
    t = tracker()
    events = queue_events()
    for e in events + events:  # at-least-once: everything twice
        t.apply(e, T0)
    rs = t.state.region(R)
    assert [w.case_id for w in rs.queue] == ["c0"]  # c1 (Prio 2) was called first
    assert t.histories[R].demand.by_urgency[2] == 1.0


def test_a_new_region_is_due_at_once_and_then_every_minute() -> None:
    t = tracker()
    t.apply(queue_events()[0], T0)
    assert t.due(T0) == [R]
    t.started(R, T0)
    assert t.due(T0 + 30) == []
    assert t.due(T0 + 60) == [R]


def test_a_call_makes_the_region_due_soon_but_not_sooner_than_the_debounce() -> None:
    t = tracker()
    events = queue_events()
    called = next(e for e in events if isinstance(e, ev.CaseCalled))
    for e in events[: events.index(called)]:
        t.apply(e, T0)
    t.started(R, T0)
    assert t.apply(called, T0 + 1)
    assert t.due(T0 + 2) == []
    assert t.due(T0 + 5) == [R]


def test_a_region_whose_refresh_is_costly_waits_longer_after_a_change_but_never_past_the_minute() -> None:
    t = tracker()
    events = queue_events()
    first, second = [e for e in events if isinstance(e, ev.CaseQueued)]
    called = next(e for e in events if isinstance(e, ev.CaseCalled))
    for e in events[: events.index(first) + 1]:
        t.apply(e, T0)
    t.started(R, T0)
    t.took(R, 1.0)  # 1 s of CPU: the next event-driven refresh 1 / EVENT_CPU_SHARE = 20 s later
    for e in events[events.index(first) + 1 : events.index(second) + 1]:
        t.apply(e, T0 + 1)
    assert t.due(T0 + 5) == [] and t.due(T0 + 19) == []
    assert t.due(T0 + 20) == [R]
    t.started(R, T0 + 20)
    t.took(R, 10.0)  # 200 s: only the minute's refresh
    assert t.apply(called, T0 + 21)
    assert t.due(T0 + 79) == [] and t.due(T0 + 80) == [R]


def test_an_event_about_a_case_never_seen_is_skipped_not_fatal() -> None:
    t = tracker()
    called = next(e for e in queue_events() if isinstance(e, ev.CaseCalled))
    assert not t.apply(called, T0)
    assert t.skipped == 1


def test_a_what_if_names_the_next_such_local_hour() -> None:
    w = read_what_if("2", "14:00", NOW)  # 11:20 Stockholm
    assert w is not None and w.extra == 2
    assert w.from_at == dt.datetime(2026, 1, 7, 13, 0, tzinfo=dt.UTC)
    assert read_what_if(None, None, NOW) is None


@pytest.mark.parametrize(
    ("extra", "start", "field"),
    [
        ("two", None, "extra"),
        ("0", None, "extra"),
        ("2", "14:30", "from"),
        ("2", "25:00", "from"),
        (None, "14:00", "extra"),
    ],
)
def test_a_what_if_that_cannot_be_read_names_its_field(
    extra: str | None, start: str | None, field: str
) -> None:
    with pytest.raises(WhatIfError) as err:
        read_what_if(extra, start, NOW)
    assert err.value.field == field
