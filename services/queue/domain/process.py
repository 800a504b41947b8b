"""``handle``: one input message through decide and evolve, with idempotency and heads-ups.

This is the whole per-message behaviour of the queue; the faust worker only decodes,
calls ``handle``, sends what it returns and persists what changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from proto import events as ev
from services.queue.domain.command_rules import rejection, why_invalid
from services.queue.domain.decide import decide
from services.queue.domain.state import QueueState, RegionState, evolve


@dataclass(frozen=True)
class Outcome:
    """What one input caused: the events to send, and how the command went (for metrics)."""

    events: tuple[ev.Message, ...]
    command: str | None  # the command's type name; None for triage events
    outcome: str  # accepted | rejected | replayed | ignored


def handle(state: QueueState, message: ev.Message, now: dt.datetime) -> Outcome:
    """Decide ``message`` on ``state``, fold the result in, and return what to send.

    A command whose request_id was answered before gets the same answer again (same
    events, same ids) and changes nothing: that is how a replayed ServeNext returns the
    same case instead of popping another.
    """
    command = type(message).__name__ if isinstance(message, ev.Command) else None
    if isinstance(message, ev.Command) and not isinstance(message, ev.TransferIn):
        why = why_invalid(message, state.policy.transfer_regions)
        if why is not None:  # before state.region(): a bad region must not create state
            return Outcome((rejection(message, why),), command, "rejected")
    rs = state.region(message.region)  # type: ignore[attr-defined]
    key = answer_key(message)
    if key is not None:
        answered = rs.answers.get(key)
        if answered is not None:
            return Outcome(answered, command, "replayed")
    events = decide(state, message, now)
    for event in events:
        evolve(state, event)
    events += heads_up_due(state, rs)
    if key is not None and events:
        rs.record_answer(key, tuple(events), state.policy.answer_memory)
    if not events:
        return Outcome((), command, "ignored")
    rejected = any(isinstance(e, ev.CommandRejected) for e in events)
    return Outcome(tuple(events), command, "rejected" if rejected else "accepted")


def answer_key(message: ev.Message) -> str | None:
    """Under which id the answer to ``message`` is remembered (None: not remembered)."""
    if isinstance(message, ev.Command):
        return message.request_id
    if isinstance(message, ev.CaseTriaged):
        return f"triaged-{message.case_id}"
    return None


def heads_up_due(state: QueueState, rs: RegionState) -> list[ev.Message]:
    """HeadsUp for every case that has now reached position <= K for the first time (O(K))."""
    out: list[ev.Message] = []
    for position, waiting in enumerate(rs.queue.head(state.policy.heads_up_position), start=1):
        rec = rs.cases[waiting.case_id]
        if not rec.heads_up:
            out.append(ev.HeadsUp(event_id=f"heads-up-{rs.region}-{rec.case_id}-{rec.sequence}",
                                  case_id=rec.case_id, region=rs.region, position=position,
                                  language=rec.language))
    for event in out:
        evolve(state, event)
    return out
