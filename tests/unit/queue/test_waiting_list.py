"""The staff waiting list: serving order, waits, due-by from the urgency's time frame, paging."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from proto import events as ev
from services.queue.domain.process import handle
from services.queue.domain.state import QueueState
from services.queue.domain.waiting_list import waiting_page as typed_waiting_page

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def _state() -> QueueState:
    state = QueueState()
    for i, urgency in enumerate((3, 1, 5, 2)):
        handle(
            state,
            ev.CaseTriaged(
                case_id=f"c{i}",
                region="SE-C",
                urgency=urgency,
                symptom="fever",  # type: ignore[arg-type]
                person_pseudonym=f"p{i}",
                triaged_at=T0 + dt.timedelta(minutes=i),
            ),
            T0,
        )
    return state


def waiting_page(*args: Any) -> Any:
    """The page as the queue serves it (JSON builtins)."""
    return msgspec.to_builtins(typed_waiting_page(*args))


def test_the_waiting_list_shows_the_most_urgent_first_with_its_wait_and_due_time() -> None:
    now = (T0 + dt.timedelta(minutes=30)).timestamp()
    page = waiting_page("SE-C", _state().regions["SE-C"], now, 0, 10)
    assert [c["case_id"] for c in page["cases"]] == ["c1", "c3", "c0", "c2"]
    prio1 = page["cases"][0]
    assert prio1["position"] == 1 and prio1["waited_seconds"] == 29 * 60
    assert prio1["due_by"] == "2026-11-23T08:16:00Z" and prio1["overdue"] is True
    assert page["cases"][-1]["due_by"] is None  # Prio 5: when capacity allows
    assert page["total"] == 4 and page["next_offset"] is None


def test_paging_through_the_waiting_list_keeps_positions_and_says_where_to_go_next() -> None:
    rs = _state().regions["SE-C"]
    first = waiting_page("SE-C", rs, T0.timestamp(), 0, 3)
    second = waiting_page("SE-C", rs, T0.timestamp(), first["next_offset"], 3)
    assert first["next_offset"] == 3 and [c["position"] for c in second["cases"]] == [4]
    assert second["next_offset"] is None


def test_a_region_nobody_waits_in_has_an_empty_list() -> None:
    assert waiting_page("SE-E", None, 0.0, 0, 50) == {
        "region": "SE-E",
        "total": 0,
        "offset": 0,
        "cases": [],
        "next_offset": None,
        "not_reached": [],
    }


def test_a_page_size_out_of_bounds_is_refused() -> None:
    with pytest.raises(ValueError, match="limit 1..500"):
        waiting_page("SE-C", None, 0.0, 0, 0)
