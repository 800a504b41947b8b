"""Expiry of finished cases: the queue's state holds the open cases and a retention window, not
every case ever seen (issue 24). Pure, no IO.

A case is *finished* in a region when it was closed, cancelled or transferred away. Its record
is kept ``QueuePolicy.closed_retention_s`` (QUEUE_CLOSED_RETENTION_DAYS) after that, and then
dropped by ``evolve``. A case that was called and then left so (nobody completed it, marked it a
no-show or cancelled it) expires the same retention after its call, as intake's read model
counts a called case finished: otherwise every abandoned call stayed in the state for good. The rule is driven only by times recorded on
queue.events: a record's ``finished_at`` is its finishing event's ``occurred_at`` (the input
record's own timestamp), and the expiry runs when a later event of the region is folded, with
that event's ``occurred_at`` as the clock. So the live worker, a recovery from the full log and a
recovery from a snapshot plus its tail drop exactly the same records at the same events.

The index is a heap of ``(finished_at or called_at, case_id)``: an expiry costs O(log n) per
expired case, never a scan of all cases. A record that left that state again (a called case
completed or requeued, a case transferred back in with a new record) leaves a stale entry
behind; it is recognised by its status and time (``_expires_at``) and skipped.
Order-independent on purpose: a heap rebuilt from a snapshot's records expires the same set as
the live heap, whatever order the events came in.

A late duplicate of an expired case is never queued again (``stale_triage``): the region keeps
the latest finish time of any record it expired (``expired_through``, one float, in snapshots);
an expired case was triaged before it finished, so an unknown case triaged at or before that
time may be one whose record is gone, and is refused. A genuine new case is triaged now, long
after every expired finish; no clock comparison between producers is involved.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable

from services.queue.domain.case_record import CaseRecord

FINISHED = frozenset({"closed", "cancelled", "transferred"})
DAY_S = 86400.0
Index = list[tuple[float, str]]


def index_of(records: Iterable[CaseRecord]) -> Index:
    """The expiry index of ``records`` (a state decoded from a snapshot): O(n) once.

    A finished record without ``finished_at`` (in a snapshot written before expiry existed)
    counts as finished at the last time it records (called, else queued): it expires, a little
    early at worst, instead of never.
    """
    heap = []
    for r in records:
        if r.status in FINISHED and r.finished_at is None:
            r.finished_at = r.called_at or r.queued_at
        at = _expires_at(r)
        if at is not None:
            heap.append((at, r.case_id))
    heapq.heapify(heap)
    return heap


def note_finished(index: Index, case_id: str, at: float) -> None:
    """Add a case that finished (or was called) at ``at`` to ``index``."""
    heapq.heappush(index, (at, case_id))


def _expires_at(rec: CaseRecord) -> float | None:
    """The time ``rec``'s retention runs from: its finish, or its call while it is still called."""
    if rec.status in FINISHED:
        return rec.finished_at
    if rec.status == "called":
        return rec.called_at
    return None


def expire(
    cases: dict[str, CaseRecord],
    index: Index,
    now: float,
    retention_s: float,
    also: tuple[dict[str, float], ...] = (),
) -> float | None:
    """Drop the records of cases finished (or called and left so) before ``now - retention_s``,
    and their entries in ``also`` (other per-case maps of the region, e.g. its not-reached list).

    Returns the latest finish (or call) time among the dropped records (None: none dropped).
    ``retention_s <= 0`` keeps every case (no expiry).
    """
    if retention_s <= 0 or not index:
        return None
    cutoff = now - retention_s
    latest = None
    while index and index[0][0] < cutoff:
        at, case_id = heapq.heappop(index)
        rec = cases.get(case_id)
        if rec is not None and _expires_at(rec) == at:
            del cases[case_id]
            for other in also:
                other.pop(case_id, None)
            latest = at  # the heap pops in time order
    return latest


def stale_triage(triaged_at: float, expired_through: float) -> bool:
    """True when an unknown case may be one whose record expired: triaged at or before the
    latest finish (or call) time of an expired record (a case is triaged before either)."""
    return triaged_at <= expired_through


def when(epoch: float) -> str:
    """An epoch time in a reason text (UTC, ISO 8601, to the second)."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def retention_words(retention_s: float) -> str:
    """The retention in a reason text: "14 days"."""
    days = retention_s / DAY_S
    return f"{days:g} days" if days != 1 else "1 day"
