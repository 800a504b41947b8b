"""Keeping the garbage collector's pauses short in a process with a large long-lived heap,
and measuring them (``triage_intake_gc_pause_seconds``), so a latency tail can be blamed or cleared."""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

from services.intake.metrics import GC_PAUSES

_started: dict[str, float] = {}


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started["t"] = time.perf_counter()
    elif "t" in _started:
        GC_PAUSES.labels(str(info.get("generation", "?"))).observe(time.perf_counter() - _started.pop("t"))


def measure_gc_pauses() -> None:
    """Observe every collection's pause in the histogram (once per process)."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


async def keep_gc_pauses_short(every_s: float = 1.0) -> None:
    """Collect what is new, then freeze everything that survived, every ``every_s`` seconds.

    Why: intake holds a large, long-lived heap (the libraries, the submission index, the queue
    view). A full collection walks all of it (15-25 ms here), and it falls in the middle of
    requests: it was the p99 of the open-loop benchmark. Frozen objects are skipped by the
    collector (still freed by reference counting when dropped), so each pause only walks what
    was allocated since the last freeze. Cost: a reference cycle among frozen objects is never
    collected; intake's state holds no cycles.
    """
    while True:
        gc.collect()
        gc.freeze()
        await asyncio.sleep(every_s)
