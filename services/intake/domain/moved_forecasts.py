"""Waiting cases whose wait forecast has moved, to be told once by SMS (issue 22, truth over time).

The case view already says so (``wait_forecast_moved``: the median call time shifted by more
than the width of the first range shown). This sweep picks the cases the SMS is for: still
waiting in the region the forecast is for, not told yet, and never while that region is closed
(a case whose forecast moved in the night is told when the region opens, if it has still moved
then: nobody gets an SMS about their wait at 03:00, when nobody can be called anyway).

Costs: O(cases whose forecast has moved) per sweep; one ``is_open`` per such case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from services.intake.domain.queue_view import QueueView
from services.opening_hours.eta import WaitEstimate
from services.opening_hours.schedule import RegionHours


@dataclass(frozen=True)
class MovedForecast:
    case_id: str
    region: str
    estimate: WaitEstimate  # the new range from now, rounded as the patient is shown it


def notice_id(case_id: str) -> str:
    """The notice's event id: one per case, so every intake process sends the same one and the
    notifier's ledger sends one SMS."""
    return f"forecast-moved-{case_id}"


def moved_forecasts(
    view: QueueView,
    hours_of: Callable[[str], RegionHours],
    now: dt.datetime,
    told: Collection[str] = (),
) -> Iterator[MovedForecast]:
    """Every waiting case not in ``told`` whose forecast moved, in a region open at ``now``."""
    open_now: dict[str, bool] = {}
    for case_id, region in view.forecasts.moved_cases().items():
        if case_id in told:
            continue
        case = view.case(case_id)
        if case is None or case.status != "waiting" or case.region != region:
            continue
        if region not in open_now:
            open_now[region] = hours_of(region).is_open(now)
        if not open_now[region]:
            continue
        shown = view.forecasts.range_of(case_id, now)
        if shown is not None and shown.moved:
            yield MovedForecast(case_id, region, shown.estimate)
