"""``decide``: a queue command or triage event in, the events it causes out. Pure, no IO.

The same function runs live, on replay after a crash, and in tests. Event ids are
derived from the request (or case) they answer, so deciding the same input on the same
state twice yields byte-identical ids and consumers can dedupe redeliveries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec

from proto import events as ev
from services.queue.domain.case_record import CaseRecord
from services.queue.domain.expiry import retention_words, stale_triage, when
from services.queue.domain.opening_hours_rules import set_opening_hours
from services.queue.domain.region_queue import URGENCIES
from services.queue.domain.state import QueueState, RegionState


def _ts(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def decide(state: QueueState, message: ev.Message, now: dt.datetime) -> list[ev.Message]:
    """The events that ``message`` causes in ``state``; [] when it changes nothing."""
    match message:
        case ev.CaseTriaged():
            return _enqueue(state.region(message.region), message)
        case ev.ServeNext():
            return _serve_next(state.region(message.region), message, now)
        case ev.TransferIn():
            return _transfer_in(state.region(message.region), message)
        case ev.NotifyFailed():
            return _not_reached(state.region(message.region), message)
        case ev.SetOpeningHours():
            return set_opening_hours(state.region(message.region), message)
        case ev.CancelCase() | ev.Reprioritise() | ev.TransferCase() | ev.MarkNoShow() | ev.CompleteCase():
            return _case_command(state, message)
        case _:
            return []  # CaseReferred: never queued


def _queued(
    rs: RegionState, case_id: str, urgency: int, queued_at: dt.datetime, pseudonym: str, language: str
) -> ev.CaseQueued:
    seq = rs.next_sequence
    return ev.CaseQueued(
        event_id=f"queued-{rs.region}-{case_id}-{seq}",
        case_id=case_id,
        region=rs.region,
        urgency=urgency,  # type: ignore[arg-type]
        queued_at=queued_at,
        sequence=seq,
        person_pseudonym=pseudonym,
        language=language,
    )


def _not_queued(rs: RegionState, triaged: ev.CaseTriaged, reason: str) -> list[ev.Message]:
    """A CaseTriaged refused, said so on queue.events, so the history accounts for every case intake announced."""
    return [
        ev.CommandRejected(
            event_id=f"rejected-triaged-{triaged.case_id}",
            region=rs.region,
            request_id=triaged.submission_id or triaged.case_id,
            command_type="case.triaged.v1",
            reason=reason,
            case_id=triaged.case_id,
        )
    ]


def _enqueue(rs: RegionState, triaged: ev.CaseTriaged) -> list[ev.Message]:
    if triaged.case_id in rs.cases:
        return []  # redelivered: already queued
    if stale_triage(triaged.triaged_at.timestamp(), rs.expired_through):
        # A late copy of a case triaged before the latest finish of an expired record: its own
        # record may be gone, so "unknown" does not mean "new" (expiry.py). Never queued again.
        return _not_queued(
            rs,
            triaged,
            f"case {triaged.case_id} was triaged at {when(triaged.triaged_at.timestamp())}, before cases of "
            f"{rs.region} whose records have expired (finished up to {when(rs.expired_through)}): "
            "a late duplicate of an expired case; not queued",
        )
    existing = rs.waiting_person.get(triaged.person_pseudonym) if triaged.person_pseudonym else None
    if existing is not None:  # the same person is already waiting here: not queued twice
        return _not_queued(rs, triaged, f"person already waiting in {rs.region} as case {existing}")
    return [
        _queued(
            rs,
            triaged.case_id,
            triaged.urgency,
            triaged.triaged_at,
            triaged.person_pseudonym,
            triaged.language,
        )
    ]


def _serve_next(rs: RegionState, cmd: ev.ServeNext, now: dt.datetime) -> list[ev.Message]:
    top = rs.queue.peek()
    if top is None:
        return [
            ev.ServeNextEmpty(
                event_id=f"empty-{cmd.request_id}",
                region=cmd.region,
                clinician_id=cmd.clinician_id,
                request_id=cmd.request_id,
            )
        ]
    record = rs.cases[top.case_id]
    # The YourTurn notice is derived from this event (``outputs_for``) once it is durable.
    return [
        ev.CaseCalled(
            event_id=f"called-{cmd.request_id}",
            case_id=top.case_id,
            region=cmd.region,
            urgency=record.urgency,  # type: ignore[arg-type]
            clinician_id=cmd.clinician_id,
            request_id=cmd.request_id,
            queued_at=_ts(record.queued_at),
            called_at=now,
            language=record.language,
            person_pseudonym=record.person_pseudonym,
        )
    ]


def _not_reached(rs: RegionState, cmd: ev.NotifyFailed) -> list[ev.Message]:
    rec = rs.cases.get(cmd.case_id)
    if rec is None or rec.status != "called" or rec.case_id in rs.not_reached:
        return []  # completed, closed or requeued since: nobody needs to phone them
    return [
        ev.CaseNotReached(
            event_id=f"not-reached-{cmd.request_id}",
            case_id=cmd.case_id,
            region=rs.region,
            sms_id=cmd.sms_id,
            request_id=cmd.request_id,
        )
    ]


def _transfer_in(rs: RegionState, cmd: ev.TransferIn) -> list[ev.Message]:
    known = rs.cases.get(cmd.case_id)
    if known is not None and known.status in ("waiting", "called"):
        return _reject(cmd, cmd.case_id, f"case {cmd.case_id} is already {known.status} in {rs.region}")
    if cmd.person_pseudonym and cmd.person_pseudonym in rs.waiting_person:
        return _reject(
            cmd,
            cmd.case_id,
            f"the same person already has a case waiting in {rs.region} "
            f"({rs.waiting_person[cmd.person_pseudonym]}); not queued twice",
        )
    queued = _queued(rs, cmd.case_id, cmd.urgency, cmd.queued_at, cmd.person_pseudonym, cmd.language)
    return [msgspec.structs.replace(queued, heads_up_sent=cmd.heads_up_sent)]


def _reject(cmd: ev.Command, case_id: str, reason: str) -> list[ev.Message]:
    return [
        ev.CommandRejected(
            event_id=f"rejected-{cmd.request_id}",
            region=cmd.region,
            request_id=cmd.request_id,
            command_type=type(cmd).__name__,
            reason=reason,
            case_id=case_id,
        )
    ]


def _not_applicable(
    rs: RegionState, cmd: ev.Command, case_id: str, want: str, retention_s: float
) -> str | None:
    """Why ``cmd`` does not apply to the case (None if it does)."""
    rec = rs.cases.get(case_id)
    if rec is None:
        expired = (
            f", or finished or called more than {retention_words(retention_s)} ago (expired)"
            if retention_s > 0
            else ""
        )
        return f"unknown case {case_id} in region {rs.region} (wrong region, never queued{expired})"
    if rec.status == "transferred":
        return f"case {case_id} was transferred from {rs.region} to {rec.to_region}; send it there"
    if rec.status != want:
        return f"case {case_id} is {rec.status}, but {type(cmd).__name__} needs a {want} case"
    return None


def _case_command(state: QueueState, cmd: ev.Message) -> list[ev.Message]:
    rs = state.region(cmd.region)  # type: ignore[attr-defined]
    case_id: str = cmd.case_id  # type: ignore[attr-defined]
    want = "called" if isinstance(cmd, (ev.MarkNoShow, ev.CompleteCase)) else "waiting"
    why = _not_applicable(rs, cmd, case_id, want, state.policy.closed_retention_s)  # type: ignore[arg-type]
    if why is not None:
        return _reject(cmd, case_id, why)  # type: ignore[arg-type]
    rec = rs.cases[case_id]
    rid = cmd.request_id  # type: ignore[attr-defined]
    match cmd:
        case ev.CancelCase():
            return [
                ev.CaseCancelled(
                    event_id=f"cancelled-{rid}",
                    case_id=case_id,
                    region=rs.region,
                    reason=cmd.reason,
                    by=cmd.by,
                    request_id=rid,
                    language=rec.language,
                )
            ]
        case ev.Reprioritise():
            if cmd.urgency not in URGENCIES:
                return _reject(cmd, case_id, f"urgency must be 1..5, got {cmd.urgency}")
            if cmd.urgency == rec.urgency:
                return _reject(cmd, case_id, f"case {case_id} already has urgency {cmd.urgency}")
            return [
                ev.CaseReprioritised(
                    event_id=f"reprioritised-{rid}",
                    case_id=case_id,
                    region=rs.region,
                    from_urgency=rec.urgency,  # type: ignore[arg-type]
                    to_urgency=cmd.urgency,  # type: ignore[arg-type]
                    reason=cmd.reason,
                    by=cmd.by,
                    request_id=rid,
                )
            ]
        case ev.TransferCase():
            return _transfer_out(rs, rec, cmd)
        case ev.MarkNoShow():
            attempt = rec.no_shows + 1
            last = attempt >= state.policy.no_show_attempts
            out: list[ev.Message] = [
                ev.CaseNoShow(
                    event_id=f"no-show-{rid}",
                    case_id=case_id,
                    region=rs.region,
                    attempt=attempt,
                    request_id=rid,
                    requeued=not last,
                    by=cmd.by,
                )
            ]
            if last:
                out.append(_closed(rs, rec, rid, cmd.by, "no_show"))
            return out
        case ev.CompleteCase():
            # outcome and note carried as sent: the note is sealed, the queue cannot read it
            return [_closed(rs, rec, rid, cmd.by, "completed", outcome=cmd.outcome, note=cmd.note)]
    return []  # pragma: no cover - every case command is matched above


def _closed(
    rs: RegionState, rec: CaseRecord, rid: str, by: str, reason: Literal["completed", "no_show"], **extra: Any
) -> ev.CaseClosed:
    """The CaseClosed of a called case (last no-show, or completed with the clinician's ``extra``)."""
    return ev.CaseClosed(
        event_id=f"closed-{rid}",
        case_id=rec.case_id,
        region=rs.region,
        reason=reason,
        by=by,
        request_id=rid,
        language=rec.language,
        urgency=rec.urgency,
        **extra,
    )


def _transfer_out(rs: RegionState, rec: CaseRecord, cmd: ev.TransferCase) -> list[ev.Message]:
    if not cmd.to_region or cmd.to_region == rs.region:
        return _reject(
            cmd, rec.case_id, f"to_region must be another region than {rs.region}, got {cmd.to_region!r}"
        )
    rid = cmd.request_id
    # The receiving half (TransferIn to the target region) is derived by ``outputs_for``.
    return [
        ev.CaseTransferred(
            event_id=f"transferred-{rid}",
            case_id=rec.case_id,
            region=rs.region,
            to_region=cmd.to_region,
            urgency=rec.urgency,  # type: ignore[arg-type]
            queued_at=_ts(rec.queued_at),
            reason=cmd.reason,
            by=cmd.by,
            person_pseudonym=rec.person_pseudonym,
            language=rec.language,
            request_id=rid,
            heads_up_sent=rec.heads_up,
        )
    ]
