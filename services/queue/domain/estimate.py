"""Estimated waits from the recent serving rate of a region, and the read views' figures.

Serving rate: the number of CaseCalled in the region during the last ``rate_window_s``
seconds (default 15 minutes), divided by the window in minutes. A case at position p
is expected to be called after p more calls: ``p / rate`` minutes. A newly arriving case
of urgency u would be at position (waiting with urgency <= u) + 1. When no call happened
in the window the estimate is null: we do not guess.
"""

from __future__ import annotations

from typing import Any

from services.queue.domain.region_queue import URGENCIES
from services.queue.domain.state import QueuePolicy, RegionState


def serving_rate_per_minute(rs: RegionState | None, now: float, policy: QueuePolicy) -> float:
    """Calls per minute in the region over the last window."""
    if rs is None:
        return 0.0
    since = now - policy.rate_window_s
    recent = sum(1 for t in rs.calls if t >= since)
    return recent / (policy.rate_window_s / 60.0)


def wait_for_position(position: int, rate_per_minute: float) -> float | None:
    """Seconds until the case at ``position`` is called at the current rate (None: no rate)."""
    if rate_per_minute <= 0:
        return None
    return position / rate_per_minute * 60.0


def region_view(region: str, rs: RegionState | None, now: float, policy: QueuePolicy) -> dict[str, Any]:
    """The body of ``GET /v1/regions/{region}/queue``."""
    rate = serving_rate_per_minute(rs, now, policy)
    depth, oldest, estimate = {}, {}, {}
    for u in URGENCIES:
        key = str(u)
        depth[key] = rs.queue.depth(u) if rs else 0
        at = rs.queue.oldest_queued_at(u) if rs else None
        oldest[key] = None if at is None else max(0.0, now - at)
        estimate[key] = wait_for_position((rs.queue.waiting_up_to(u) if rs else 0) + 1, rate)
    return {"region": region, "waiting": sum(depth.values()), "depth": depth,
            "oldest_wait_seconds": oldest, "estimated_wait_seconds": estimate,
            "serving_rate_per_minute": rate}


def case_view(rs: RegionState, case_id: str, now: float, policy: QueuePolicy) -> dict[str, Any] | None:
    """The body of ``GET /v1/regions/{region}/cases/{case_id}`` (None: unknown here)."""
    import datetime as dt

    rec = rs.cases.get(case_id)
    if rec is None:
        return None
    position = rs.queue.position(case_id) if rec.status == "waiting" else None
    rate = serving_rate_per_minute(rs, now, policy)
    body: dict[str, Any] = {
        "case_id": case_id, "region": rs.region, "status": rec.status, "urgency": rec.urgency,
        "position": position,
        "estimated_wait_seconds": None if position is None else wait_for_position(position, rate),
        "queued_at": dt.datetime.fromtimestamp(rec.queued_at, dt.timezone.utc).isoformat().replace("+00:00", "Z"),
    }
    if rec.to_region:
        body["to_region"] = rec.to_region
    return body
