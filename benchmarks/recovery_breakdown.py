"""Where a queue worker's restart went: kill -9 -> first answer, cut at the worker's own log lines.

Used by ``benchmarks/queue_recovery.py``. The parts, in order (wall-clock timestamps: the
benchmark's own for the kill, the spawn and the answer record's; the JSON log's ``ts`` for
the rest; one machine, one clock):

| part | from | to |
|---|---|---|
| ``respawn`` | kill -9 | the new process is started (the benchmark sends its ServeNext in between) |
| ``process_start`` | spawn | faust's ``Worker: Starting`` (interpreter, imports, ``create_app``) |
| ``faust_start`` | that | aiokafka's first ``(Re-)joining group`` (web server, producer, consumer, table manager) |
| ``group_join`` | that | the queue's ``assigned partitions ...: recovering`` before it served (JoinGroup/SyncGroup, waiting out the dead member's session, every rebalance in between) |
| ``recovery`` | that | ``serving partitions`` (own, snapshot read + decode, tail read + fold, fence, re-send; partitions concurrently) |
| ``first_answer`` | that | the CaseCalled record's timestamp (the first batch: fetch, decide, append) |

``stages`` sums the ``recovery stages of partition p`` lines over the partitions (they run
concurrently, so the sums can exceed ``recovery``; each one's max is given too).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

PARTS = ("respawn", "process_start", "faust_start", "group_join", "recovery", "first_answer")
_STAGES = re.compile(
    r"recovery stages of partition (\d+): own ([\d.]+)s, snapshot read ([\d.]+)s \((\d+) bytes\), "
    r"snapshot decode ([\d.]+)s, tail read ([\d.]+)s \((\d+) records\), fold ([\d.]+)s, fence ([\d.]+)s"
)
_CPU = re.compile(r"process CPU ([\d.]+)s")
_STAGE_NAMES = ("own", "snapshot_read", "snapshot_decode", "tail_read", "fold", "fence")


@dataclass
class Breakdown:
    """Seconds per part of one restart (None: the log line that ends it was not found)."""

    parts: dict[str, float | None]
    total_s: float
    stages_sum: dict[str, float] = field(default_factory=dict)
    stages_max: dict[str, float] = field(default_factory=dict)
    snapshot_bytes: int = 0
    tail_records: int = 0
    # the worker's process CPU (s) when recovery began and what recovery used: on a busy machine
    # the wall-clock parts wait for a core, these do not
    cpu_before_recovery_s: float | None = None
    cpu_recovery_s: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "total_s": round(self.total_s, 3),
            "parts_s": {k: None if v is None else round(v, 3) for k, v in self.parts.items()},
            "stages_sum_s": {k: round(v, 3) for k, v in self.stages_sum.items()},
            "stages_max_s": {k: round(v, 3) for k, v in self.stages_max.items()},
            "snapshot_bytes": self.snapshot_bytes,
            "tail_records": self.tail_records,
            "cpu_before_recovery_s": self.cpu_before_recovery_s,
            "cpu_recovery_s": self.cpu_recovery_s,
        }

    def lines(self) -> list[str]:
        out = [f"  {'part':<14} {'seconds':>8}"]
        for name in PARTS:
            v = self.parts.get(name)
            out.append(f"  {name:<14} {'?' if v is None else f'{v:8.3f}':>8}")
        out.append(f"  {'total':<14} {self.total_s:8.3f}")
        if self.stages_sum:
            out.append(
                "  recovery stages, sum over partitions (max of one): "
                + ", ".join(f"{k} {self.stages_sum[k]:.3f} ({self.stages_max[k]:.3f})" for k in _STAGE_NAMES)
            )
            out.append(
                f"  snapshot bytes read {self.snapshot_bytes:,}, tail records folded {self.tail_records:,}"
            )
        if self.cpu_recovery_s is not None:
            out.append(
                f"  worker CPU: {self.cpu_before_recovery_s:.2f}s before recovery (start, imports, faust), "
                f"{self.cpu_recovery_s:.2f}s in recovery"
            )
        return out


def _entries(log: Path) -> list[tuple[float, str]]:
    """(epoch seconds, message) of every JSON line of a worker's log."""
    out = []
    for ln in log.read_text(errors="replace").splitlines():
        try:
            d = orjson.loads(ln)
        except orjson.JSONDecodeError:
            continue
        if isinstance(d, dict) and "ts" in d:
            out.append((dt.datetime.fromisoformat(d["ts"]).timestamp(), str(d.get("msg", ""))))
    return out


def breakdown(log: Path, killed_at: float, spawned_at: float, answered_at: float) -> Breakdown:
    """The parts of the restart the worker logged in ``log`` (epoch-second arguments)."""
    entries = [(t, m) for t, m in _entries(log) if t <= answered_at + 0.001]

    def first(after: float, needle: str) -> float | None:
        return next((t for t, m in entries if t >= after and needle in m), None)

    def last(before: float, needle: str) -> float | None:
        found = [t for t, m in entries if t <= before and needle in m]
        return found[-1] if found else None

    worker = first(spawned_at, "Worker]: Starting")
    joining = first(worker or spawned_at, "(Re-)joining group")
    serving = last(answered_at, "serving partitions")
    assigned = last(serving, "recovering") if serving is not None else None
    if serving is not None and assigned is None:  # a worker from before the "recovering" line
        said = next((m for t, m in entries if t == serving and "serving partitions" in m), "")
        took = re.search(r"after ([\d.]+)s of recovery", said)
        assigned = serving - float(took.group(1)) if took else None
    marks = [killed_at, spawned_at, worker, joining, assigned, serving, answered_at]
    parts: dict[str, float | None] = {}
    for name, a, b in zip(PARTS, marks, marks[1:], strict=False):
        parts[name] = None if a is None or b is None else b - a
    out = Breakdown(parts, answered_at - killed_at)
    cpu = {
        needle: float(found.group(1))
        for t, m in entries
        for needle in ("recovering", "serving partitions")
        if t in (assigned, serving) and needle in m and (found := _CPU.search(m))
    }
    if len(cpu) == 2:
        out.cpu_before_recovery_s = cpu["recovering"]
        out.cpu_recovery_s = round(cpu["serving partitions"] - cpu["recovering"], 2)
    if assigned is not None and serving is not None:
        for t, m in entries:
            match = _STAGES.search(m)
            if not (assigned <= t <= serving and match):
                continue
            values = dict(zip(_STAGE_NAMES, map(float, match.group(2, 3, 5, 6, 8, 9)), strict=True))
            for k, v in values.items():
                out.stages_sum[k] = out.stages_sum.get(k, 0.0) + v
                out.stages_max[k] = max(out.stages_max.get(k, 0.0), v)
            out.snapshot_bytes += int(match.group(4))
            out.tail_records += int(match.group(7))
    return out
