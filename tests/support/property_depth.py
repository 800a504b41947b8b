"""How many examples a property test tries: its own count times ``TRIAGE_PROPERTY_DEPTH``.

A failing example hypothesis finds is saved only in the local example database
(``.hypothesis/``), which a fresh clone (CI) never replays; so where the search runs, it must be
deep enough to find it. ``make test`` runs each property test at its own count (depth 1);
``make test-slow`` runs every property test ten times deeper (the queue's, intake's phone fast
path, the simulator's engine: its ``PROPERTY_TESTS``); a new property test takes its count from
``examples`` and goes on that list. (A schedule of the crash
property test that failed for a day was found this way: tests/unit/queue/test_commit_and_recover.py,
``PARTS_IN_FLIGHT_AT_A_KILL``.)
"""

from __future__ import annotations

import os

VARIABLE = "TRIAGE_PROPERTY_DEPTH"


def examples(count: int) -> int:
    """``count`` times the depth (a whole number >= 1; unset or blank = 1)."""
    raw = os.environ.get(VARIABLE, "").strip()
    try:
        depth = int(raw) if raw else 1
    except ValueError:
        depth = 0
    if depth < 1:
        raise ValueError(f"{VARIABLE}={raw!r}: expected a whole number >= 1 (how many times deeper)")
    return count * depth
