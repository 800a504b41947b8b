"""The read views' figures: depth, oldest waits, open/closed and estimated waits of a region.

Serving rate: the number of CaseCalled in the region during the last ``rate_window_s``
seconds (default 15 minutes), divided by the window in minutes. Estimated waits come from
the shared model ``services/opening_hours/eta.py`` (recent rate, else the region's
capacity; only staffed time counts; a range). A newly arriving case of urgency u would be
at position (waiting with urgency <= u) + 1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.opening_hours.eta import estimate_wait
from services.queue.domain.region_queue import URGENCIES
from services.queue.domain.state import QueuePolicy, RegionState, region_hours


def serving_rate_per_minute(rs: RegionState | None, now: float, policy: QueuePolicy) -> float:
    """Calls per minute in the region over the last window."""
    if rs is None:
        return 0.0
    since = now - policy.rate_window_s
    recent = sum(1 for t in rs.calls if t >= since)
    return recent / (policy.rate_window_s / 60.0)


def _iso(at: dt.datetime | None) -> str | None:
    return None if at is None else at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def hours_view(rs: RegionState | None, region: str, now: float, policy: QueuePolicy) -> dict[str, Any]:
    """Whether the region is staffed now and when that next changes (``next_change_at``: null = never)."""
    hours = region_hours(rs, region, policy)
    at = dt.datetime.fromtimestamp(now, dt.UTC)
    return {"open": hours.is_open(at), "next_change_at": _iso(hours.next_change(at))}


def wait_view(
    rs: RegionState | None, region: str, position: int, now: float, policy: QueuePolicy
) -> dict[str, Any] | None:
    """The ETA of ``position`` as ``{point_seconds, low_seconds, high_seconds, text, basis}``."""
    since = now - policy.rate_window_s
    recent = sum(1 for t in rs.calls if t >= since) if rs else 0
    eta = estimate_wait(
        position,
        recent,
        policy.rate_window_s,
        region_hours(rs, region, policy),
        dt.datetime.fromtimestamp(now, dt.UTC),
        policy.eta,
    )
    if eta is None:
        return None
    return {
        "point_seconds": eta.point_s,
        "low_seconds": eta.low_s,
        "high_seconds": eta.high_s,
        "text": eta.text(),
        "basis": eta.basis,
    }


def region_view(region: str, rs: RegionState | None, now: float, policy: QueuePolicy) -> dict[str, Any]:
    """The body of ``GET /v1/regions/{region}/queue``."""
    rate = serving_rate_per_minute(rs, now, policy)
    depth, oldest, estimate, ranges = {}, {}, {}, {}
    for u in URGENCIES:
        key = str(u)
        depth[key] = rs.queue.depth(u) if rs else 0
        at = rs.queue.oldest_queued_at(u) if rs else None
        oldest[key] = None if at is None else max(0.0, now - at)
        wait = wait_view(rs, region, (rs.queue.waiting_up_to(u) if rs else 0) + 1, now, policy)
        ranges[key], estimate[key] = wait, None if wait is None else wait["point_seconds"]
    return {
        "region": region,
        "waiting": sum(depth.values()),
        "depth": depth,
        "oldest_wait_seconds": oldest,
        "estimated_wait_seconds": estimate,
        "estimated_wait": ranges,
        "serving_rate_per_minute": rate,
        **hours_view(rs, region, now, policy),
    }


def case_view(rs: RegionState, case_id: str, now: float, policy: QueuePolicy) -> dict[str, Any] | None:
    """The body of ``GET /v1/regions/{region}/cases/{case_id}`` (None: unknown here)."""
    rec = rs.cases.get(case_id)
    if rec is None:
        return None
    position = rs.queue.position(case_id) if rec.status == "waiting" else None
    wait = None if position is None else wait_view(rs, rs.region, position, now, policy)
    body: dict[str, Any] = {
        "case_id": case_id,
        "region": rs.region,
        "status": rec.status,
        "urgency": rec.urgency,
        "position": position,
        "estimated_wait_seconds": None if wait is None else wait["point_seconds"],
        "estimated_wait": wait,
        "queued_at": _iso(dt.datetime.fromtimestamp(rec.queued_at, dt.UTC)),
        **hours_view(rs, rs.region, now, policy),
    }
    if rec.to_region:
        body["to_region"] = rec.to_region
    return body
