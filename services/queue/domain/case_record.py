"""``CaseRecord``: what the queue knows of one case in one region (one per case it has seen,
waiting or finished, until its record expires: ``expiry.py``). Pure, no IO."""

from __future__ import annotations

from typing import Literal

import msgspec

CaseStatus = Literal["waiting", "called", "closed", "cancelled", "transferred"]


class CaseRecord(msgspec.Struct, array_like=True, gc=False):
    """What the queue knows of one case in one region.

    ``gc=False``: never tracked by the garbage collector (its fields are scalars, so it can be
    in no reference cycle), and 16 bytes smaller: a full collection does not walk the cases.
    """

    case_id: str
    region: str
    urgency: int
    queued_at: float
    sequence: int
    status: CaseStatus = "waiting"
    person_pseudonym: str = ""
    language: str = "sv"
    front: bool = False  # requeued after a no-show: front of its urgency level
    no_shows: int = 0
    heads_up: bool = False  # HeadsUp already sent
    called_at: float | None = None
    to_region: str = ""  # set when transferred
    # when it was closed, cancelled or transferred (expiry.py); last, so older snapshots decode
    finished_at: float | None = None
