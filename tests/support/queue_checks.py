"""Checks of the queue's history (queue.events): the invariants a crash must not break."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from proto import events as ev

FRONT, NORMAL = 0, 1
# A CaseTriaged counts as "on the broker before the ServeNext" when its record was created this
# much earlier than the ServeNext's record (both CreateTime, one machine): the producer -> broker
# hop of intake's record is not the queue's fault.
STALE_MARGIN_S = 0.25


def check_history(
    history: Sequence[ev.Message],
    triaged: Sequence[ev.CaseTriaged],
    triage_times: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Assert the queue's invariants over its deduplicated history; return counts for the report.

    - every triaged case was queued exactly once (no case lost, none queued twice);
    - no case was called twice by two different requests without a no-show between;
    - every call took the most urgent waiting case at that moment: replaying each region's
      history in order, with reprioritisations and the front-of-level lane of a requeued
      no-show, the called case is the minimum of (urgency, lane, queued_at, sequence);
    - with ``triage_times`` (case id -> a time by which its CaseTriaged was on the broker, such
      as when intake acknowledged it): no stale call, i.e. no call while a more urgent case,
      triaged on the broker before that ServeNext (``CaseCalled.called_at`` is the ServeNext's
      record time, no later than its append), was not yet queued.
    """
    queued = Counter((m.region, m.case_id) for m in history if isinstance(m, ev.CaseQueued))
    ids = {case_id for _, case_id in queued}
    missing = [t.case_id for t in triaged if t.case_id not in ids]
    assert not missing, f"{len(missing)} triaged cases were never queued (lost): {missing[:5]}"
    twice = {c: n for c, n in queued.items() if n > 1}  # a transfer queues it once in another region
    assert not twice, f"cases queued more than once: {twice}"

    by_case = {t.case_id: t for t in triaged}
    waiting: dict[str, dict[str, tuple[int, int, float, int]]] = defaultdict(dict)
    ever_queued: set[str] = set()
    called_by: dict[str, set[str]] = defaultdict(set)
    requeues: Counter[str] = Counter()
    stale: list[str] = []  # per stale call: what it called and what it should have seen
    for m in history:
        match m:
            case ev.CaseQueued():
                waiting[m.region][m.case_id] = (m.urgency, NORMAL, m.queued_at.timestamp(), m.sequence)
                ever_queued.add(m.case_id)
            case ev.CaseCalled():
                region = waiting[m.region]
                assert m.case_id in region, f"called {m.case_id} which was not waiting in {m.region}"
                best = min(region, key=lambda c: region[c])
                assert region[m.case_id] == region[best], (
                    f"{m.request_id} called {m.case_id} {region[m.case_id]} while {best} {region[best]} "
                    f"was more urgent"
                )
                called_by[m.case_id].add(m.request_id)
                assert len(called_by[m.case_id]) <= 1 + requeues[m.case_id], f"case {m.case_id} called twice"
                if triage_times is not None:
                    stale += _stale(m, region[m.case_id], by_case, triage_times, ever_queued)[:1]
                del region[m.case_id]
            case ev.CaseReprioritised():
                u, lane, at, seq = waiting[m.region][m.case_id]
                waiting[m.region][m.case_id] = (m.to_urgency, lane, at, seq)
            case ev.CaseNoShow() if m.requeued:
                requeues[m.case_id] += 1
                prev = [
                    q
                    for q in history
                    if isinstance(q, ev.CaseQueued) and q.case_id == m.case_id and q.region == m.region
                ][-1]
                urgency = _urgency_now(m.case_id, m.region, history, m)
                waiting[m.region][m.case_id] = (urgency, FRONT, prev.queued_at.timestamp(), prev.sequence)
            case ev.CaseCancelled() | ev.CaseTransferred() | ev.CaseClosed():
                waiting[m.region].pop(m.case_id, None)
    calls = sum(len(r) for r in called_by.values())
    return {
        "queued": len(ids),
        "called": len(called_by),
        "calls": calls,
        "stale_calls": len(stale),
        "stale_details": stale,
        "still_waiting": sum(len(w) for w in waiting.values()),
    }


def _urgency_now(case_id: str, region: str, history: Sequence[ev.Message], until: ev.Message) -> int:
    urgency = 0
    for m in history:
        if m is until:
            break
        if isinstance(m, ev.CaseQueued) and m.case_id == case_id and m.region == region:
            urgency = m.urgency
        elif isinstance(m, ev.CaseReprioritised) and m.case_id == case_id and m.region == region:
            urgency = m.to_urgency
    return urgency


def _stale(
    call: ev.CaseCalled,
    rank: tuple[int, int, float, int],
    by_case: Mapping[str, ev.CaseTriaged],
    triage_times: Mapping[str, float],
    ever_queued: set[str],
) -> list[str]:
    """The more urgent cases of the region triaged on the broker before the ServeNext but not yet queued."""
    asked = call.called_at.timestamp()
    out = []
    for case_id, at in triage_times.items():
        t = by_case.get(case_id)
        if t is None or t.region != call.region or case_id in ever_queued or at >= asked - STALE_MARGIN_S:
            continue
        if (t.urgency, NORMAL, t.triaged_at.timestamp()) < rank[:3]:
            out.append(
                f"{call.request_id} called {call.case_id} (Prio {rank[0]}) at {call.called_at.isoformat()}; "
                f"{case_id} (Prio {t.urgency}) had a record time {asked - at:.3f}s before it"
            )
    return out
