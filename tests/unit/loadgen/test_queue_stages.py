"""The queue worker's stage breakdown, read back from its Prometheus text (issue 11 follow-up)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from services.loadgen.queue_stages import describe, describe_gc, parse


def metrics_text() -> str:
    registry = CollectorRegistry()
    stage = Histogram(
        "triage_queue_batch_stage_seconds", "", ["stage"], buckets=(0.001, 0.002, 0.005), registry=registry
    )
    for seconds in (0.0008, 0.0015, 0.0015, 0.004):
        stage.labels("append").observe(seconds)
    stage.labels("drain")  # a series with no batch yet
    age = Histogram("triage_queue_input_age_seconds", "", ["topic"], buckets=(0.01,), registry=registry)
    age.labels("queue.commands").observe(0.008)
    return generate_latest(registry).decode()


def test_the_append_stage_reads_back_as_its_batch_count_mean_and_percentile_buckets() -> None:
    append = parse(metrics_text())["triage_queue_batch_stage_seconds"]["append"]
    assert append["count"] == 4
    assert round(append["mean_ms"], 3) == 1.95
    assert (append["p50_le_ms"], append["p99_le_ms"]) == (2.0, 5.0)


def test_a_stage_without_batches_is_left_out_and_input_age_is_listed_by_topic() -> None:
    breakdown = parse(metrics_text())
    assert "drain" not in breakdown["triage_queue_batch_stage_seconds"]
    lines = describe(breakdown)
    assert lines[0].startswith("  append   batches       4  mean   1.95 ms")
    assert lines[-1] == "  queue.commands age when read: mean 8.00 ms, p99 <= 10.0 ms"


def test_since_an_earlier_scrape_only_what_was_observed_after_it_counts() -> None:
    registry = CollectorRegistry()
    gc_pauses = Histogram(
        "triage_queue_gc_pause_seconds", "", ["generation"], buckets=(0.005, 0.025, 0.1), registry=registry
    )
    gc_pauses.labels("2").observe(0.05)  # a full collection at start-up
    gc_pauses.labels("0").observe(0.001)
    before = generate_latest(registry).decode()
    for _ in range(3):
        gc_pauses.labels("0").observe(0.002)
    after = generate_latest(registry).decode()
    assert parse(after)["triage_queue_gc_pause_seconds"]["2"]["max_le_ms"] == 100.0
    serving = parse(after, since=before)["triage_queue_gc_pause_seconds"]
    assert "2" not in serving  # none while serving
    assert serving["0"]["count"] == 3 and round(serving["0"]["mean_ms"], 3) == 2.0
    assert (serving["0"]["p99_le_ms"], serving["0"]["max_le_ms"]) == (5.0, 5.0)
    assert describe_gc(parse(after, since=before)) == [
        "  GC gen 0: 3 pauses, mean 2.00 ms, p99 <= 5.0 ms, max <= 5.0 ms"
    ]
