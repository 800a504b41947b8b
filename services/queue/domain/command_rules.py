"""Rules every queue command must meet before it is decided (issue #13).

Other services still send raw Kafka commands, so the queue itself refuses what a staff
edge would refuse: a region that is not one of the 21, a transfer to a region where the
service is not enabled, a command without an actor, a change without a reason, opening
hours the hours file would refuse (issue 14: the same reader, the same words). A
refused command is answered with ``CommandRejected`` naming the field and how to fix
it; it never creates state for the region it names (no phantom regions in the metrics).
"""

from __future__ import annotations

from proto import events as ev
from proto.regions import is_region
from services.opening_hours.region_table import describe, read_whole_week

_EXAMPLE = "an ISO 3166-2:SE code such as SE-C"


def _blank(value: str) -> bool:
    return not value.strip()


def why_invalid(command: ev.Command, transfer_regions: frozenset[str]) -> str | None:
    """Why ``command`` must be rejected before it is decided; None when it may be decided.

    ``transfer_regions`` are the regions a case may be transferred to (where the service is
    enabled); empty means any of the 21 regions.
    """
    if not is_region(command.region):
        return f"region {command.region!r} is not a Swedish region: use {_EXAMPLE}"
    match command:
        case ev.ServeNext():
            if _blank(command.clinician_id):
                return "clinician_id is required: the clinician who will take the call"
        case ev.CancelCase() | ev.Reprioritise() | ev.TransferCase():
            if _blank(command.by):
                return f"by is required: who {type(command).__name__} the case (the staff member's id)"
            if _blank(command.reason):
                return f"reason is required for {type(command).__name__}: say why, in a few words"
            if isinstance(command, ev.TransferCase):
                return _transfer_target(command, transfer_regions)
        case ev.MarkNoShow() | ev.CompleteCase():
            if _blank(command.by):
                return f"by is required: who marks the case ({type(command).__name__})"
        case ev.SetOpeningHours():
            if _blank(command.by):
                return "by is required: the team lead who changes the opening hours"
            return hours_problems(command)
    return None


def hours_problems(command: ev.SetOpeningHours) -> str | None:
    """What is wrong with the new hours (the hours file's rules and words), or None."""
    _, problems = read_whole_week(command.days, command.exceptions, command.capacity, command.hourly_capacity)
    return f"invalid opening hours: {describe(problems)}" if problems else None


def _transfer_target(command: ev.TransferCase, transfer_regions: frozenset[str]) -> str | None:
    if not is_region(command.to_region):
        return f"to_region {command.to_region!r} is not a Swedish region: use {_EXAMPLE}"
    if transfer_regions and command.to_region not in transfer_regions:
        return (
            f"to_region {command.to_region} does not run this service: transfer to one of "
            f"{', '.join(sorted(transfer_regions))}"
        )
    return None


def rejection(command: ev.Command, reason: str) -> ev.CommandRejected:
    """The answer to a command that broke a rule (its id derives from the request: replays dedupe)."""
    return ev.CommandRejected(
        event_id=f"rejected-{command.request_id}",
        region=command.region,
        request_id=command.request_id,
        command_type=type(command).__name__,
        reason=reason,
        case_id=getattr(command, "case_id", ""),
    )
