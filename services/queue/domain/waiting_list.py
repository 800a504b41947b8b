"""A page of a region's waiting list, as staff see it: who is next, how long they waited,
by when each should be called (the urgency's time frame), whether the heads-up went out;
and the called patients who were "not reached" (their your-turn SMS finally failed).

Pure: the view in ``services/queue/views.py`` calls it on the owner's ``QueueState``; the page
is ``proto.views.WaitingList``, which the staff API reads.
Cases are shown by case id and person pseudonym only (no personal data).
"""

from __future__ import annotations

import datetime as dt

from proto.views import NotReachedCase, WaitingCase, WaitingList
from services.queue.domain.state import RegionState

# 1177 direkt's time frame per urgency (docs/DOMAIN: Prio 1 minutes -- regions aim at 15 min;
# Prio 2 one or a few hours; Prio 3 within 24 h; Prio 4 within the coming week; Prio 5 when
# capacity allows, so no due time).
TIME_FRAME_S: dict[int, float | None] = {1: 15 * 60.0, 2: 3 * 3600.0, 3: 24 * 3600.0, 4: 7 * 86400.0, 5: None}
MAX_PAGE = 500


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat().replace("+00:00", "Z")


def waiting_page(region: str, rs: RegionState | None, now: float, offset: int, limit: int) -> WaitingList:
    """The body of ``GET /v1/regions/{region}/waiting``: ``limit`` cases from ``offset`` (0-based).

    ``next_offset`` is null on the last page. ``overdue`` is true once ``due_by`` has passed.
    """
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"offset must be >= 0 and limit 1..{MAX_PAGE}, got offset={offset} limit={limit}")
    total = len(rs.queue) if rs else 0
    cases = []
    if rs is not None:
        for position, waiting in enumerate(rs.queue.page(offset, limit), start=offset + 1):
            rec = rs.cases[waiting.case_id]
            frame = TIME_FRAME_S[rec.urgency]
            due = None if frame is None else rec.queued_at + frame
            cases.append(
                WaitingCase(
                    position=position,
                    case_id=rec.case_id,
                    urgency=rec.urgency,
                    person_pseudonym=rec.person_pseudonym,
                    queued_at=_iso(rec.queued_at),
                    waited_seconds=max(0.0, now - rec.queued_at),
                    due_by=None if due is None else _iso(due),
                    overdue=due is not None and now > due,
                    heads_up_sent=rec.heads_up,
                    no_shows=rec.no_shows,
                )
            )
    end = offset + len(cases)
    return WaitingList(
        region=region,
        total=total,
        offset=offset,
        cases=cases,
        next_offset=end if end < total else None,
        not_reached=not_reached(rs),
    )


def not_reached(rs: RegionState | None) -> list[NotReachedCase]:
    """Called cases whose your-turn SMS finally failed ("not reached"): a clinician should phone
    them. Shown on every page, oldest first, until the case is completed, closed or requeued."""
    if rs is None:
        return []
    out = []
    for case_id, since in sorted(rs.not_reached.items(), key=lambda item: item[1]):
        rec = rs.cases[case_id]
        out.append(
            NotReachedCase(
                case_id=case_id,
                urgency=rec.urgency,
                person_pseudonym=rec.person_pseudonym,
                status="not_reached",
                called_at=None if rec.called_at is None else _iso(rec.called_at),
                not_reached_since=_iso(since),
            )
        )
    return out
