"""A team lead's SetOpeningHours: decided by the queue, folded into its state, kept by recovery and snapshots.

Who may send it (team-lead only) is the staff API's rule (tests/unit/staff/test_access.py,
tests/e2e/test_staff_opening_hours.py); here the queue's own rules are tested.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from proto import events as ev
from services.opening_hours.schedule import STOCKHOLM
from services.queue.domain.batch import InputPosition
from services.queue.domain.estimate import region_view
from services.queue.domain.opening_hours_view import opening_hours_view as typed_opening_hours_view
from services.queue.domain.process import handle
from services.queue.domain.recovery import LoggedRecord, recover
from services.queue.domain.snapshot import decode_snapshot, encode_snapshot
from services.queue.domain.state import QueuePolicy, QueueState

MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)
CLOSED_ALL_WEEK = {d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
WEEKDAYS = {**CLOSED_ALL_WEEK, **{d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}


def set_hours(rid: str, days: dict[str, list[str]], **extra: object) -> ev.SetOpeningHours:
    fields: dict[str, object] = {"region": "SE-C", "by": "lead-1", **extra}
    return ev.SetOpeningHours(days=days, request_id=rid, **fields)  # type: ignore[arg-type]


def opening_hours_view(*args: Any) -> Any:
    """The view as the queue serves it (JSON builtins)."""
    return msgspec.to_builtins(typed_opening_hours_view(*args))


def test_a_team_leads_new_hours_are_recorded_with_the_next_version_and_the_region_follows_them() -> None:
    state = QueueState(policy=QueuePolicy())  # the file's default: always open
    assert state.hours_of("SE-C").is_open(MONDAY_10)
    outcome = handle(
        state, set_hours("h1", CLOSED_ALL_WEEK, exceptions={"2026-12-01": ["08:00-12:00"]}), MONDAY_10
    )

    (changed,) = outcome.recorded
    assert isinstance(changed, ev.OpeningHoursChanged) and changed.version == 1 and changed.by == "lead-1"
    assert changed.days == CLOSED_ALL_WEEK and changed.exceptions == {"2026-12-01": ["08:00-12:00"]}
    assert not state.hours_of("SE-C").is_open(MONDAY_10)
    assert state.hours_of("SE-C").next_change(MONDAY_10) == dt.datetime(2026, 12, 1, 8, tzinfo=STOCKHOLM)
    assert region_view("SE-C", state.regions["SE-C"], MONDAY_10.timestamp(), state.policy)["open"] is False
    assert state.hours_of("SE-E").is_open(MONDAY_10)  # other regions keep the file's hours

    second = handle(state, set_hours("h2", WEEKDAYS, capacity=12), MONDAY_10).recorded[0]
    assert isinstance(second, ev.OpeningHoursChanged) and second.version == 2
    assert state.hours_of("SE-C").is_open(MONDAY_10) and state.hours_of("SE-C").capacity == 12.0


def test_hours_the_file_would_refuse_are_rejected_naming_the_field_and_change_nothing() -> None:
    state = QueueState()
    bad = {**WEEKDAYS, "mon": ["8-17"]}
    del bad["sun"]
    (rejected,) = handle(state, set_hours("h1", bad), MONDAY_10).recorded
    assert isinstance(rejected, ev.CommandRejected)
    assert "mon: '8-17' is not \"HH:MM-HH:MM\"" in rejected.reason and "lacks sun" in rejected.reason
    assert state.hours_of("SE-C").is_open(MONDAY_10) and "SE-C" not in state.regions


def test_hours_for_an_unknown_region_or_without_an_actor_are_rejected() -> None:
    state = QueueState()
    unknown = ev.SetOpeningHours(region="SE-QQ", by="lead-1", days=WEEKDAYS, request_id="h1")
    (rejected,) = handle(state, unknown, MONDAY_10).recorded
    assert isinstance(rejected, ev.CommandRejected) and "not a Swedish region" in rejected.reason
    (anonymous,) = handle(state, set_hours("h2", WEEKDAYS, by=" "), MONDAY_10).recorded  # type: ignore[arg-type]
    assert isinstance(anonymous, ev.CommandRejected) and "by is required" in anonymous.reason


def test_a_change_made_on_an_outdated_version_is_refused_so_no_team_lead_undoes_another_unseen() -> None:
    state = QueueState()
    handle(state, set_hours("h1", WEEKDAYS, expected_version=0), MONDAY_10)
    (conflict,) = handle(state, set_hours("h2", CLOSED_ALL_WEEK, expected_version=0), MONDAY_10).recorded
    assert isinstance(conflict, ev.CommandRejected) and "at version 1, not 0" in conflict.reason
    assert state.hours_of("SE-C").is_open(MONDAY_10)


def test_a_retried_change_is_answered_the_same_and_does_not_bump_the_version() -> None:
    state = QueueState()
    first = handle(state, set_hours("h1", WEEKDAYS), MONDAY_10)
    again = handle(state, set_hours("h1", WEEKDAYS), MONDAY_10)
    assert again.outcome == "replayed" and again.events[:1] == first.recorded and not again.recorded
    assert (
        state.regions["SE-C"].hours_changed is not None and state.regions["SE-C"].hours_changed.version == 1
    )


def _committed(events: tuple[ev.Message, ...], rid: str) -> list[LoggedRecord]:
    where = InputPosition("queue.commands", 2, 0)
    records = [LoggedRecord(i, e, where, rid, "b1") for i, e in enumerate(events)]
    marker = ev.BatchCommitted(
        batch_id="b1", partition=2, events=len(events), positions={"queue.commands": 1}
    )
    return [*records, LoggedRecord(len(events), marker)]


def test_recovery_replays_the_change_so_a_restarted_queue_keeps_the_team_leads_hours() -> None:
    live = QueueState()
    recorded = handle(live, set_hours("h1", CLOSED_ALL_WEEK), MONDAY_10).recorded
    recovered = recover(_committed(recorded, "h1"), QueuePolicy()).state
    assert not recovered.hours_of("SE-C").is_open(MONDAY_10)
    assert recovered.regions["SE-C"].hours_changed == live.regions["SE-C"].hours_changed


def test_a_snapshot_keeps_the_change_even_when_the_log_before_it_is_gone() -> None:
    live = QueueState()
    handle(
        live, set_hours("h1", WEEKDAYS, capacity=7, hourly_capacity={"mon": {"08:00-10:00": 25}}), MONDAY_10
    )
    chunks = encode_snapshot(live, ["SE-C"], 2, 10, {}, chunk_bytes=64)
    restored = decode_snapshot(chunks, QueuePolicy()).state
    assert restored.hours_of("SE-C") == live.hours_of("SE-C")
    assert restored.hours_of("SE-C").hourly[0] == ((480, 600, 25.0),)
    view = opening_hours_view(restored.regions["SE-C"], "SE-C", MONDAY_10.timestamp(), restored.policy)
    assert view["version"] == 1 and view["source"] == "staff-api" and view["hours"]["capacity"] == 7.0
