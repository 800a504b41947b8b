"""``decide``: a queue command or triage event in, the events it causes out. Pure, no IO.

The same function runs live, on replay after a crash, and in the load simulator.
"""

from __future__ import annotations

import datetime as dt

from proto import events as ev
from services.queue.domain.state import QueueState


def decide(state: QueueState, message: ev.Message, now: dt.datetime) -> list[ev.Message]:
    """The events that ``message`` causes in ``state``; [] when it changes nothing."""
    match message:
        case ev.CaseTriaged():
            return _enqueue(state, message)
        case ev.ServeNext():
            return _serve_next(state, message, now)
        case _:
            return []


def _enqueue(state: QueueState, triaged: ev.CaseTriaged) -> list[ev.Message]:
    if triaged.case_id in state.cases:
        return []  # redelivered: already queued
    if (triaged.region, triaged.person_pseudonym) in state.waiting_person:
        return []  # the same person is already waiting in this region
    return [
        ev.CaseQueued(
            case_id=triaged.case_id,
            region=triaged.region,
            urgency=triaged.urgency,
            queued_at=triaged.triaged_at,
            sequence=state.next_sequence,
            person_pseudonym=triaged.person_pseudonym,
            language=triaged.language,
        )
    ]


def _serve_next(state: QueueState, cmd: ev.ServeNext, now: dt.datetime) -> list[ev.Message]:
    if cmd.request_id in state.served:
        called = state.served[cmd.request_id]
        if called is None:
            return [ev.ServeNextEmpty(region=cmd.region, clinician_id=cmd.clinician_id, request_id=cmd.request_id)]
        return [called, _your_turn(state, called)]  # the same case again; nothing popped
    top = state.region(cmd.region).peek()
    if top is None:
        return [ev.ServeNextEmpty(region=cmd.region, clinician_id=cmd.clinician_id, request_id=cmd.request_id)]
    record = state.cases[top.case_id]
    called = ev.CaseCalled(
        case_id=top.case_id,
        region=cmd.region,
        urgency=record.urgency,  # type: ignore[arg-type]
        clinician_id=cmd.clinician_id,
        request_id=cmd.request_id,
        queued_at=dt.datetime.fromtimestamp(record.queued_at, dt.timezone.utc),
        called_at=now,
    )
    return [called, _your_turn(state, called)]


def _your_turn(state: QueueState, called: ev.CaseCalled) -> ev.YourTurn:
    # The event id is derived from the call, so a replay yields the same YourTurn id
    # and the notifier's dedupe sees it as the same notice.
    return ev.YourTurn(
        event_id=f"yt-{called.event_id}",
        case_id=called.case_id,
        region=called.region,
        urgency=called.urgency,
        clinician_id=called.clinician_id,
        called_at=called.called_at,
        language=state.cases[called.case_id].language,
    )
