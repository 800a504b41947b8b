"""Deciding a team lead's SetOpeningHours (issue 14). Pure.

The hours themselves were checked by ``command_rules.why_invalid`` (the hours file's rules),
so here only the region's history decides: the change gets the next version, unless the team
lead edited an older version than the current one (``expected_version``: two team leads
editing at once must not silently undo each other). The event carries the whole week, so a
reader needs only the latest one.
"""

from __future__ import annotations

from proto import events as ev
from services.queue.domain.state import RegionState


def hours_version(rs: RegionState) -> int:
    """The region's hours version: 0 = the hours file's, n = after the n-th change."""
    return rs.hours_changed.version if rs.hours_changed is not None else 0


def set_opening_hours(rs: RegionState, cmd: ev.SetOpeningHours) -> list[ev.Message]:
    """``OpeningHoursChanged`` with the next version, or ``CommandRejected`` on a version conflict."""
    current = hours_version(rs)
    if cmd.expected_version is not None and cmd.expected_version != current:
        return [
            ev.CommandRejected(
                event_id=f"rejected-{cmd.request_id}",
                region=rs.region,
                request_id=cmd.request_id,
                command_type=type(cmd).__name__,
                reason=(
                    f"the opening hours of {rs.region} are at version {current}, not "
                    f"{cmd.expected_version}: someone changed them meanwhile; read them again and reapply"
                ),
            )
        ]
    return [
        ev.OpeningHoursChanged(
            event_id=f"hours-changed-{cmd.request_id}",
            region=rs.region,
            days=cmd.days,
            exceptions=cmd.exceptions,
            capacity=cmd.capacity,
            hourly_capacity=cmd.hourly_capacity,
            version=current + 1,
            by=cmd.by,
            request_id=cmd.request_id,
            reason=cmd.reason,
        )
    ]
