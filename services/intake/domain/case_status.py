"""One case as intake's read model of the queue sees it (see ``queue_view``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Status = Literal["pending", "waiting", "called", "closed", "cancelled", "transferred", "duplicate"]
LIVE: frozenset[str] = frozenset({"pending", "waiting"})  # "already waiting" for the person guard
OrderKey = tuple[int, int, float, int, str]


@dataclass(frozen=True, slots=True)
class CaseStatus:
    """One case as intake sees it. ``duplicate_of``: the person's first case (status duplicate)."""

    case_id: str
    region: str
    status: Status
    urgency: int
    pseudonym: str = ""
    queued_at: dt.datetime | None = None
    sequence: int = 0
    front: bool = False  # requeued after a no-show: ahead of its urgency level
    duplicate_of: str = ""
    outcome: str = ""  # once finished: completed | no_show | cancelled (the patient's view of why)

    def order(self) -> OrderKey:
        """The queue's order: urgency, no-show requeues first, then first come first served."""
        at = self.queued_at.timestamp() if self.queued_at else 0.0
        return (self.urgency, 0 if self.front else 1, at, self.sequence, self.case_id)
