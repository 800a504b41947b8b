"""The ETA-error benchmark, run small against a real broker and real services: every figure it
reports comes from real estimates (GET /v1/cases/{id}) scored against real CaseCalled events."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_a_short_eta_run_scores_the_estimates_of_called_patients_per_urgency(
    bootstrap_servers: str, tmp_path: Path
) -> None:
    # the session's broker; the benchmark starts intake, queue and notifier in its own namespace
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.eta_error",
            *("--time-scale", "600", "--closed", "0", "--duration", "12", "--drain", "20"),
            *("--resample", "0.5", "--mix", "10/20/30/30/10", "--seed", "3"),
            *("--out-dir", str(tmp_path), "--name", "eta", "--no-progress"),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads((tmp_path / "eta.json").read_text())
    counts = result["counts"]
    assert counts["queued"] > 0 and counts["called"] == counts["queued"], counts
    assert counts["duplicate_calls"] == 0
    entry = result["eta"]["errors"]["entry"]["all"]
    seen = {str(p[0]) for p in result["points"]}
    assert seen and seen <= set(entry), (seen, entry.keys())
    for urgency, st in entry.items():
        assert st["n"] > 0, urgency
        for key in ("abs_error_p50_min", "abs_error_p90_min"):
            assert math.isfinite(st[key]) and st[key] >= 0, (urgency, key, st)
        assert st["abs_error_p50_min"] <= st["abs_error_p90_min"]
        assert 0.0 <= st["in_range"] <= 1.0
    # the sampled estimates say which rate they used; the model's bases are all that appear
    assert {p[2] for p in result["points"]} <= {"capacity", "recent_rate"}
    assert sum(st["n"] for u, st in entry.items() if u != "all") == entry["all"]["n"]
    assert (tmp_path / "eta.png").stat().st_size > 10_000
    assert "| entry | all | all |" in proc.stdout
