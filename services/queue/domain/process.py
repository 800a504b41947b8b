"""``handle``: one input message through decide and evolve, with idempotency and heads-ups.

This is the whole per-message behaviour of the queue. The worker decides a batch of
inputs with it (``domain/batch.py``), records ``Outcome.recorded`` on queue.events and
sends what ``outputs_for`` derives from those events once they are durable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import msgspec

from proto import events as ev
from services.opening_hours.eta import estimate_wait
from services.queue.domain.command_rules import rejection, why_invalid
from services.queue.domain.decide import decide
from services.queue.domain.outputs import derived_messages
from services.queue.domain.state import QueueState, RegionState, evolve


@dataclass(frozen=True)
class Outcome:
    """What one input caused.

    ``events``: everything it caused, the recorded queue events followed by the notices
    and commands derived from them (YourTurn, TransferIn); ``recorded``: the queue events
    to write on queue.events (empty for a replayed answer: it is on the log already).
    """

    events: tuple[ev.Message, ...]
    command: str | None  # the command's type name; None for triage events
    outcome: str  # accepted | rejected | replayed | ignored
    recorded: tuple[ev.Message, ...] = ()


def handle(state: QueueState, message: ev.Message, now: dt.datetime) -> Outcome:
    """Decide ``message`` on ``state``, fold the result in, and return what it caused.

    A command whose request_id was answered before gets the same answer again (same
    events, same ids) and changes nothing: that is how a replayed ServeNext returns the
    same case instead of popping another.
    """
    command = type(message).__name__ if isinstance(message, ev.Command) else None
    if isinstance(message, ev.Command) and not isinstance(message, ev.TransferIn):
        why = why_invalid(message, state.policy.transfer_regions)
        if why is not None:  # before state.region(): a bad region must not create state
            refused = (msgspec.structs.replace(rejection(message, why), occurred_at=now),)
            return Outcome(refused, command, "rejected", refused)  # recorded: staff waits for it
    rs = state.region(message.region)  # type: ignore[attr-defined]
    key = answer_key(message)
    if key is not None:
        answered = rs.answer(key)
        if answered is not None:
            return Outcome(answered + derived_messages(answered), command, "replayed")
    # occurred_at = the input's time, so re-deciding an input after a crash gives equal events
    events = [msgspec.structs.replace(e, occurred_at=now) for e in decide(state, message, now)]
    for event in events:
        evolve(state, event)
    events += heads_up_due(state, rs, now, events)
    if not events:
        return Outcome((), command, "ignored")
    recorded = tuple(events)
    if key is not None:
        rs.record_answer(key, recorded, state.policy.answer_memory)
    rejected = any(isinstance(e, ev.CommandRejected) for e in events)
    return Outcome(
        recorded + derived_messages(recorded), command, "rejected" if rejected else "accepted", recorded
    )


def answer_key(message: ev.Message) -> str | None:
    """Under which id the answer to ``message`` is remembered (None: not remembered)."""
    if isinstance(message, ev.Command):
        return message.request_id
    if isinstance(message, ev.CaseTriaged):
        return f"triaged-{message.case_id}"
    return None


def apply_recorded(state: QueueState, key: str | None, recorded: tuple[ev.Message, ...]) -> None:
    """Fold one input's recorded events into ``state`` exactly as ``handle`` did live (recovery)."""
    if not recorded:
        return
    for event in recorded:
        evolve(state, event)
    region = getattr(recorded[0], "region", None)
    if key is not None and region is not None:
        state.region(region).record_answer(key, recorded, state.policy.answer_memory)


def heads_up_due(
    state: QueueState, rs: RegionState, now: dt.datetime, caused: list[ev.Message] | None = None
) -> list[ev.Message]:
    """HeadsUp for the cases that are now truly close to being called (O(K)).

    The rule (issue 14): a waiting case gets its one heads-up when ALL of these hold
    - the input that was just decided moved the queue forward (a call, or a case that left
      it). Never on an arrival: a queue that is short only because the rest of a burst has
      not arrived yet, or because nobody is serving, says nothing about how soon anyone is
      called (7 patients joining an idle queue within a second get no heads-up);
    - the region is staffed at ``now`` -- the input's own time, so replay decides the same;
    - the case is among the next ``heads_up_position`` (K);
    - it is expected to be called within ``heads_up_within_s`` (the ETA model's point:
      recent rate, else the region's capacity, counting only staffed time);
    - it never had one in this region.
    """
    policy = state.policy
    if caused is not None and not any(isinstance(e, ev.CaseCalled) for e in caused):
        return []
    hours = state.hours_of(rs.region)
    if policy.heads_up_position <= 0 or not hours.is_open(now):
        return []
    since = now.timestamp() - policy.rate_window_s
    recent = sum(1 for t in rs.calls if t >= since)
    out: list[ev.Message] = []
    for position, waiting in enumerate(rs.queue.head(policy.heads_up_position), start=1):
        rec = rs.cases[waiting.case_id]
        if rec.heads_up:
            continue
        eta = estimate_wait(position, recent, policy.rate_window_s, hours, now, policy.eta)
        if eta is None or eta.point_s > policy.heads_up_within_s:
            break  # later positions are expected later still
        out.append(
            ev.HeadsUp(
                event_id=f"heads-up-{rs.region}-{rec.case_id}-{rec.sequence}",
                case_id=rec.case_id,
                region=rs.region,
                position=position,
                language=rec.language,
                occurred_at=now,
            )
        )
    for event in out:
        evolve(state, event)
    return out
