"""The body of the queue's ``GET /v1/regions/{region}/opening-hours`` (``proto.views.RegionOpeningHours``;
the staff API shows it). Pure.

The region's hours in the hours file's words -- the same table a team lead PUTs back --
with where they come from (the file, or the n-th change and who made it), the capacity
the estimates use, and whether the region is open now and when that next changes.
"""

from __future__ import annotations

from proto.views import RegionOpeningHours, WeekHours
from services.opening_hours.capacity import capacity_of
from services.opening_hours.region_table import region_table
from services.queue.domain.estimate import hours_view
from services.queue.domain.opening_hours_rules import hours_version
from services.queue.domain.state import QueuePolicy, RegionState, region_hours


def opening_hours_view(
    rs: RegionState | None, region: str, now: float, policy: QueuePolicy
) -> RegionOpeningHours:
    """The region's hours; ``hours`` = ``{mon..sun, exceptions, capacity, hourly_capacity}``, what a
    PUT sends back."""
    hours = region_hours(rs, region, policy)
    changed = rs.hours_changed if rs is not None else None
    table = region_table(hours)
    table["capacity"] = capacity_of(hours, policy.eta.capacity_per_hour)  # what the estimates use
    now_open = hours_view(rs, region, now, policy)
    return RegionOpeningHours(
        region=region,
        version=hours_version(rs) if rs is not None else 0,
        source="staff-api" if changed is not None else "file",
        file_version=policy.hours.version,
        changed_by=changed.by if changed is not None else None,
        changed_at=changed.occurred_at.isoformat() if changed is not None else None,
        hours=WeekHours(**table),
        open=now_open["open"],
        next_change_at=now_open["next_change_at"],
    )
