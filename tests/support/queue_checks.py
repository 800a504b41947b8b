"""Checks of the queue's history (queue.events): the invariants a crash must not break."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from proto import events as ev


def check_history(history: Sequence[ev.Message], triaged: Sequence[ev.CaseTriaged]) -> dict[str, int]:
    """Assert the queue's invariants over its deduplicated history; return counts for the report.

    - every triaged case was queued exactly once (no case lost, none queued twice);
    - no case was called twice (by two different requests);
    - every call took the most urgent waiting case at that moment: replaying the history of
      each region in order, the called case is the minimum of (urgency, queued_at, sequence)
      among the cases waiting then.
    """
    queued = Counter(m.case_id for m in history if isinstance(m, ev.CaseQueued))
    missing = [t.case_id for t in triaged if queued[t.case_id] == 0]
    assert not missing, f"{len(missing)} triaged cases were never queued (lost): {missing[:5]}"
    twice = {c: n for c, n in queued.items() if n > 1}
    assert not twice, f"cases queued more than once: {twice}"

    calls: dict[str, set[str]] = defaultdict(set)
    for m in history:
        if isinstance(m, ev.CaseCalled):
            calls[m.case_id].add(m.request_id)
    double = {c: r for c, r in calls.items() if len(r) > 1}
    assert not double, f"cases called twice: {double}"

    waiting: dict[str, dict[str, tuple[int, float, int]]] = defaultdict(dict)
    for m in history:
        match m:
            case ev.CaseQueued():
                waiting[m.region][m.case_id] = (m.urgency, m.queued_at.timestamp(), m.sequence)
            case ev.CaseCalled():
                region = waiting[m.region]
                assert m.case_id in region, f"called {m.case_id} which was not waiting in {m.region}"
                best = min(region, key=lambda c: region[c])
                assert region[m.case_id] == region[best], (
                    f"{m.request_id} called {m.case_id} {region[m.case_id]} while {best} {region[best]} "
                    f"was more urgent")
                del region[m.case_id]
            case ev.CaseCancelled() | ev.CaseTransferred():
                waiting[m.region].pop(m.case_id, None)
    return {"queued": len(queued), "called": len(calls),
            "still_waiting": sum(len(w) for w in waiting.values())}
