"""Where the queue worker's batches spend their time, as it reports on its own ``/metrics``.

Read by ``triage loadgen`` (with a queue URL) and ``benchmarks/queue_latency.py`` after a run:
the stage histograms of the write path (issue 11 follow-up), the age of inputs when their
batch reads them, and garbage-collector pauses. Histograms count since the worker started.
"""

from __future__ import annotations

import urllib.request
from typing import Any

# metric -> the label that names its series
HISTOGRAMS = {
    "triage_queue_batch_stage_seconds": "stage",
    "triage_queue_input_age_seconds": "topic",
    "triage_queue_gc_pause_seconds": "generation",
}
STAGES = ("fetch", "drain", "decide", "wait", "append", "outputs")

Summary = dict[str, float]  # count, mean_ms, p50_le_ms, p99_le_ms


def parse(text: str) -> dict[str, dict[str, Summary]]:
    """Per metric and label value: count, mean and the bucket bounds holding p50 and p99 (ms)."""
    raw: dict[tuple[str, str], dict[str, Any]] = {}
    for line in text.splitlines():
        metric = next((m for m in HISTOGRAMS if line.startswith(m)), None)
        if metric is None:
            continue
        name, value = line.rsplit(" ", 1)
        inner = name[name.find("{") + 1 : name.rfind("}")] if "{" in name else ""
        labels = dict(kv.split("=", 1) for kv in inner.split(",") if "=" in kv)
        h = raw.setdefault((metric, labels.get(HISTOGRAMS[metric], "").strip('"')), {"buckets": []})
        if name.startswith(metric + "_bucket"):
            h["buckets"].append((float(labels["le"].strip('"')), float(value)))
        elif name.startswith(metric + "_sum"):
            h["sum"] = float(value)
        elif name.startswith(metric + "_count"):
            h["count"] = float(value)
    out: dict[str, dict[str, Summary]] = {}
    for (metric, label), h in raw.items():
        count = h.get("count", 0.0)
        if not count:
            continue
        summary = {"count": count, "mean_ms": 1000 * h.get("sum", 0.0) / count}
        for q in (50, 99):
            bound = next((le for le, c in h["buckets"] if c >= count * q / 100), float("inf"))
            summary[f"p{q}_le_ms"] = 1000 * bound
        out.setdefault(metric, {})[label] = summary
    return out


def scrape(queue_url: str, timeout_s: float = 10) -> dict[str, dict[str, Summary]]:
    """``parse`` of the worker's /metrics; OSError if it does not answer."""
    with urllib.request.urlopen(f"{queue_url.rstrip('/')}/metrics", timeout=timeout_s) as resp:
        return parse(resp.read().decode())


def describe(breakdown: dict[str, dict[str, Summary]]) -> list[str]:
    """Lines for a terminal: one per stage, GC generation and input topic."""
    lines = []
    stages = breakdown.get("triage_queue_batch_stage_seconds", {})
    for stage in STAGES:
        s = stages.get(stage)
        if s:
            lines.append(
                f"  {stage:8} batches {s['count']:>7.0f}  mean {s['mean_ms']:6.2f} ms"
                f"  p50 <= {s['p50_le_ms']:6.1f}  p99 <= {s['p99_le_ms']:6.1f}"
            )
    for generation, g in sorted(breakdown.get("triage_queue_gc_pause_seconds", {}).items()):
        lines.append(
            f"  GC gen {generation}: {g['count']:.0f} pauses, mean {g['mean_ms']:.2f} ms, p99 <= {g['p99_le_ms']:.1f} ms"
        )
    for topic, a in sorted(breakdown.get("triage_queue_input_age_seconds", {}).items()):
        lines.append(f"  {topic} age when read: mean {a['mean_ms']:.2f} ms, p99 <= {a['p99_le_ms']:.1f} ms")
    return lines
