"""The queue's read views that another service reads: typed once, here, for both sides.

The queue builds them in its pure core (``services/queue/domain/waiting_list.py``,
``opening_hours_view.py``) and serves them as JSON on its owner-routed pages; the staff API
decodes the same Structs and shows them in its own answers (they are its OpenAPI schema too).
They are not events: they are never written to a topic, and they carry no personal data
(cases by case id and person pseudonym only).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta


class WaitingCase(msgspec.Struct, kw_only=True):
    position: int
    case_id: str
    urgency: int
    person_pseudonym: str
    queued_at: str
    waited_seconds: float
    due_by: str | None
    overdue: bool
    heads_up_sent: bool
    no_shows: int
    # the forecaster's range for this case (issue 22), seconds from now; null: no forecast yet.
    # The queue leaves them null; the staff API fills them from the forecaster.
    wait_forecast_text: str | None = None
    wait_forecast_low_seconds: float | None = None
    wait_forecast_high_seconds: float | None = None


class NotReachedCase(msgspec.Struct, kw_only=True):
    """A called patient whose your-turn SMS finally failed: phone them."""

    case_id: str
    urgency: int
    person_pseudonym: str
    status: str  # "not_reached"
    called_at: str | None
    not_reached_since: str


class WaitingList(msgspec.Struct, kw_only=True):
    """One page of the region's waiting list, in serving order; ``next_offset`` null on the last page.

    ``not_reached``: called patients the your-turn SMS did not reach (on every page).
    """

    region: str
    total: int
    offset: int
    cases: list[WaitingCase]
    next_offset: int | None
    not_reached: list[NotReachedCase] = []


Day = Annotated[
    list[str], Meta(examples=[["08:00-12:00", "13:00-17:00"]], description='"HH:MM-HH:MM" local; [] = closed')
]
Exceptions = Annotated[
    dict[str, list[str]], Meta(description='dated days that replace the weekly ones: {"2026-12-24": []}')
]
Hourly = Annotated[
    dict[str, dict[str, float]],
    Meta(description='per weekday, hour ranges with their own calls per hour: {"mon": {"08:00-10:00": 30}}'),
]


class WeekHours(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A region's whole week, in the hours file's words.

    Every day is required; they are optional here only so that a missing day is reported
    together with every other problem of the week (by the hours file's reader), not alone.
    In a PUT, ``exceptions``, ``capacity`` and ``hourly_capacity`` left out (or null) KEEP the
    region's current ones (issue 25): send ``"exceptions": {}`` to remove every dated exception.
    """

    mon: Day | None = None
    tue: Day | None = None
    wed: Day | None = None
    thu: Day | None = None
    fri: Day | None = None
    sat: Day | None = None
    sun: Day | None = None
    exceptions: Exceptions | None = None
    capacity: Annotated[float, Meta(gt=0, description="calls per staffed hour")] | None = None
    hourly_capacity: Hourly | None = None


class RegionOpeningHours(msgspec.Struct, kw_only=True):
    """GET: the hours the queue decides with, where they come from, and open/closed now."""

    region: str
    version: int  # 0 = the hours file's; n = after the n-th change through this API
    source: str  # file | staff-api
    file_version: str
    changed_by: str | None
    changed_at: str | None
    hours: WeekHours
    open: bool
    next_change_at: str | None
