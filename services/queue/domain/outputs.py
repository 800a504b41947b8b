"""``outputs_for``: the side effects that committed queue events call for. Pure, no IO.

The queue's decisions are its events on ``queue.events``; everything else it sends is
derived from them by this one function, and sent only once the events are durable:

- ``CaseCalled``   -> ``YourTurn`` on queue.your-turn (the patient's SMS);
- ``HeadsUp``      -> itself on queue.your-turn (it is recorded on queue.events too);
- ``CaseTransferred`` -> ``TransferIn`` on queue.commands, keyed by the target region;
- ``CaseTransferred``, ``CaseCancelled`` by staff, ``CaseClosed`` after no-shows -> a
  ``CaseNotice`` on queue.your-turn (issue 14: the patient is told, one SMS per event);
- ``CaseClosed`` / ``CaseCancelled`` -> a tombstone for the case's contact card, unless a final
  notice goes out: then the notifier deletes the card after that SMS. Were the queue to delete
  it too, the notifier could read the tombstone before the notice and have no phone to send to.

Because the derivation is pure and the ids come from the event ids, recovery can send the
outputs of the last committed batch again and consumers see the same notices (they
dedupe on ``event_id``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from proto import events as ev


@dataclass(frozen=True)
class Outputs:
    """What to send after a batch is committed."""

    notices: tuple[ev.YourTurn | ev.HeadsUp | ev.CaseNotice, ...] = ()
    commands: tuple[ev.TransferIn, ...] = ()
    forget_contacts: tuple[str, ...] = ()  # case ids whose contact card is deleted

    def __bool__(self) -> bool:
        return bool(self.notices or self.commands or self.forget_contacts)

    def __add__(self, other: Outputs) -> Outputs:
        return Outputs(
            self.notices + other.notices,
            self.commands + other.commands,
            self.forget_contacts + other.forget_contacts,
        )


def your_turn(called: ev.CaseCalled) -> ev.YourTurn:
    """The patient's notice for a call; its id derives from the call's (same call, same notice)."""
    return ev.YourTurn(
        event_id=f"yt-{called.event_id}",
        case_id=called.case_id,
        region=called.region,
        urgency=called.urgency,
        clinician_id=called.clinician_id,
        called_at=called.called_at,
        language=called.language,
        occurred_at=called.occurred_at,
    )


def transfer_in(moved: ev.CaseTransferred) -> ev.TransferIn:
    """The receiving half of a transfer, for the worker that owns the target region."""
    rid = moved.request_id
    return ev.TransferIn(
        event_id=f"transfer-in-{rid}",
        region=moved.to_region,
        request_id=f"in-{rid}",
        case_id=moved.case_id,
        from_region=moved.region,
        urgency=moved.urgency,
        queued_at=moved.queued_at,
        person_pseudonym=moved.person_pseudonym,
        language=moved.language,
        reason=moved.reason,
        by=moved.by,
        heads_up_sent=moved.heads_up_sent,
        occurred_at=moved.occurred_at,
    )


# Cancellations the patient is not told of: intake's withdrawal of a person's second case
# (their first case goes on), and the patient's own withdrawal (they did it themselves).
SILENT_CANCELS_BY = frozenset({"intake"})
PATIENT_WITHDRAWAL = ev.WITHDRAWN_BY_PATIENT


def case_notice(event: ev.CaseTransferred | ev.CaseCancelled | ev.CaseClosed) -> ev.CaseNotice | None:
    """The patient's notice for a transfer, a staff cancellation or a closure after no-shows."""
    match event:
        case ev.CaseTransferred():
            kind, to_region, final = "transferred", event.to_region, False
        case ev.CaseCancelled() if event.by not in SILENT_CANCELS_BY and event.reason != PATIENT_WITHDRAWAL:
            kind, to_region, final = "cancelled", "", True
        case ev.CaseClosed() if event.reason == "no_show":
            kind, to_region, final = "closed_no_show", "", True
        case _:
            return None
    return ev.CaseNotice(
        event_id=f"notice-{event.event_id}",
        case_id=event.case_id,
        region=event.region,
        kind=kind,  # type: ignore[arg-type]
        to_region=to_region,
        language=event.language,
        final=final,
        occurred_at=event.occurred_at,
    )


def outputs_for(events: Iterable[ev.Message]) -> Outputs:
    """The notices, commands and contact deletions that ``events`` call for, in event order."""
    notices: list[ev.YourTurn | ev.HeadsUp | ev.CaseNotice] = []
    commands: list[ev.TransferIn] = []
    forget: list[str] = []
    for event in events:
        match event:
            case ev.CaseCalled():
                notices.append(your_turn(event))
            case ev.HeadsUp():
                notices.append(event)
            case ev.CaseTransferred():
                commands.append(transfer_in(event))
                notices.append(case_notice(event))  # type: ignore[arg-type]
            case ev.CaseClosed() | ev.CaseCancelled():
                notice = case_notice(event)
                if notice is None:
                    forget.append(event.case_id)
                else:  # the notifier deletes the card after this final SMS
                    notices.append(notice)
    return Outputs(tuple(notices), tuple(commands), tuple(forget))


def derived_messages(events: Iterable[ev.Message]) -> tuple[ev.Message, ...]:
    """The messages ``outputs_for`` adds that are not queue events themselves (YourTurn, CaseNotice, TransferIn)."""
    out = outputs_for(events)
    return tuple(n for n in out.notices if not isinstance(n, ev.HeadsUp)) + out.commands
