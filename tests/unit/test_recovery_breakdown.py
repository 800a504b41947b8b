"""benchmarks/recovery_breakdown.py: a restart's parts, cut at the worker's log lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import pytest

from benchmarks.recovery_breakdown import PARTS, breakdown

T0 = dt.datetime(2026, 12, 5, 20, 0, tzinfo=dt.UTC).timestamp()


def _line(at: float, msg: str) -> bytes:
    ts = dt.datetime.fromtimestamp(T0 + at, dt.UTC).isoformat(timespec="milliseconds")
    return orjson.dumps({"ts": ts, "level": "info", "service": "queue", "msg": msg}) + b"\n"


def _stages(p: int, read: float, decode: float) -> str:
    return (
        f"recovery stages of partition {p}: own 0.010s, snapshot read {read:.3f}s (1000 bytes), snapshot "
        f"decode {decode:.3f}s, tail read 0.100s (50 records), fold 0.020s, fence 0.030s"
    )


def test_a_restart_is_cut_into_its_parts_at_the_worker_log_lines(tmp_path: Path) -> None:
    log = tmp_path / "queue.log"
    log.write_bytes(
        b"not json: a faust banner\n"
        + _line(1.5, "[^Worker]: Starting...")
        + _line(1.7, "(Re-)joining group bench-triage-queue")
        + _line(2.0, "assigned partitions [0, 1]: recovering (process CPU 1.10s)")
        + _line(2.4, _stages(0, 0.2, 0.1))
        + _line(2.9, _stages(1, 0.5, 0.3))
        + _line(3.0, "serving partitions [0, 1] after 1.000s of recovery (process CPU 1.85s)")
    )

    b = breakdown(log, killed_at=T0, spawned_at=T0 + 0.25, answered_at=T0 + 3.25)

    assert b.parts == pytest.approx(
        {
            "respawn": 0.25,
            "process_start": 1.25,
            "faust_start": 0.2,
            "group_join": 0.3,
            "recovery": 1.0,
            "first_answer": 0.25,
        },
        abs=0.002,
    )
    assert sum(b.parts.values()) == pytest.approx(b.total_s, abs=0.002)  # type: ignore[arg-type]
    assert b.stages_sum["snapshot_read"] == pytest.approx(0.7) and b.stages_max["snapshot_read"] == 0.5
    assert b.snapshot_bytes == 2000 and b.tail_records == 100
    assert list(b.as_json()["parts_s"]) == list(PARTS)
    assert (b.cpu_before_recovery_s, b.cpu_recovery_s) == (1.1, 0.75)


def test_a_worker_without_the_recovering_line_is_cut_by_the_seconds_its_serving_line_names(
    tmp_path: Path,
) -> None:
    log = tmp_path / "queue.log"  # the worker of the baseline build logs no "recovering" line
    log.write_bytes(
        _line(1.0, "[^Worker]: Starting...")
        + _line(1.2, "(Re-)joining group g")
        + _line(4.0, "serving partitions [0] after 1.500s of recovery")
    )

    b = breakdown(log, killed_at=T0, spawned_at=T0, answered_at=T0 + 4.1)

    assert b.parts["group_join"] == pytest.approx(1.3, abs=0.002)
    assert b.parts["recovery"] == pytest.approx(1.5, abs=0.002)
    assert b.cpu_recovery_s is None


def test_a_part_whose_log_line_is_missing_is_unknown_not_zero(tmp_path: Path) -> None:
    log = tmp_path / "queue.log"
    log.write_bytes(_line(1.0, "[^Worker]: Starting..."))  # killed again before it joined

    b = breakdown(log, killed_at=T0, spawned_at=T0 + 0.1, answered_at=T0 + 9.0)

    assert b.parts["process_start"] == pytest.approx(0.9, abs=0.002)
    assert b.parts["group_join"] is None and b.parts["recovery"] is None and b.parts["first_answer"] is None
    assert b.stages_sum == {}
    assert any("?" in line for line in b.lines())
