"""Where the queue worker's batches spend their time, as it reports on its own ``/metrics``.

Read by ``triage loadgen`` (with a queue URL) and ``benchmarks/queue_latency.py`` after a run:
the stage histograms of the write path (issue 11 follow-up), the age of inputs when their
batch reads them, and garbage-collector pauses. Histograms count since the worker started;
``parse(text, since=earlier_text)`` gives what was observed between two scrapes.
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

Summary = dict[str, float]  # count, mean_ms, p50_le_ms, p99_le_ms, max_le_ms


def _raw(text: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (metric, label value): cumulative buckets [(le, count)], sum and count."""
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
    return raw


def parse(text: str, since: str = "") -> dict[str, dict[str, Summary]]:
    """Per metric and label value: count, mean and the bucket bounds holding p50, p99 and the
    largest observation (ms); with ``since`` (an earlier scrape of the same worker), only what
    was observed after it."""
    raw, earlier = _raw(text), _raw(since)
    out: dict[str, dict[str, Summary]] = {}
    for key, h in raw.items():
        before = earlier.get(key, {})
        old = dict(before.get("buckets", []))
        buckets = [(le, c - old.get(le, 0.0)) for le, c in h["buckets"]]
        count = h.get("count", 0.0) - before.get("count", 0.0)
        if not count:
            continue
        summary = {"count": count, "mean_ms": 1000 * (h.get("sum", 0.0) - before.get("sum", 0.0)) / count}
        for q in (50, 99, 100):
            bound = next((le for le, c in buckets if c >= count * q / 100), float("inf"))
            summary[f"p{q}_le_ms" if q < 100 else "max_le_ms"] = 1000 * bound
        metric, label = key
        out.setdefault(metric, {})[label] = summary
    return out


def fetch(queue_url: str, timeout_s: float = 10) -> str:
    """The worker's /metrics text; OSError if it does not answer."""
    with urllib.request.urlopen(f"{queue_url.rstrip('/')}/metrics", timeout=timeout_s) as resp:
        return resp.read().decode()


def scrape(queue_url: str, timeout_s: float = 10) -> dict[str, dict[str, Summary]]:
    """``parse`` of the worker's /metrics; OSError if it does not answer."""
    return parse(fetch(queue_url, timeout_s))


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
    lines += describe_gc(breakdown)
    for topic, a in sorted(breakdown.get("triage_queue_input_age_seconds", {}).items()):
        lines.append(f"  {topic} age when read: mean {a['mean_ms']:.2f} ms, p99 <= {a['p99_le_ms']:.1f} ms")
    return lines


def describe_gc(breakdown: dict[str, dict[str, Summary]], indent: str = "  ") -> list[str]:
    """One line per collector generation: pauses, mean, and the bucket bounds of p99 and max."""
    return [
        f"{indent}GC gen {generation}: {g['count']:.0f} pauses, mean {g['mean_ms']:.2f} ms, "
        f"p99 <= {g['p99_le_ms']:.1f} ms, max <= {g['max_le_ms']:.1f} ms"
        for generation, g in sorted(breakdown.get("triage_queue_gc_pause_seconds", {}).items())
    ]
