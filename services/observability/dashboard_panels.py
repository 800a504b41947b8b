"""What the triage Grafana dashboard shows: rows of panels, each with its PromQL queries.

Queries use Grafana's ``$__rate_interval`` and the ``$region`` template variable (a regex,
since the variable is multi-value with "All" = ``.*``). tests/observability evaluates every
query here against a real Prometheus scraping the real services.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RI = "$__rate_interval"
INTAKE = 'job="triage-intake"'
# Strimzi's Kafka Exporter (deploy/k8s/base/kafka/kafka.yaml, spec.kafkaExporter): the brokers'
# view of consumer-group lag. It runs only next to a Strimzi cluster, not with `triage up`.
KAFKA_EXPORTER_METRICS = ("kafka_consumergroup_lag",)
TRIAGE_GROUPS = 'consumergroup=~"triage-.*"'


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: str = "timeseries"  # timeseries | stat | bargauge
    description: str = ""
    thresholds: tuple[tuple[float, str], ...] = field(default=())


def _q(expr: str, legend: str = "") -> tuple[Query, ...]:
    return (Query(expr, legend),)


CALLS_PER_MIN = f"sum(rate(triage_queue_wait_seconds_count[{RI}])) * 60"
SMS_SENT_PER_MIN = f'sum(rate(triage_sms_total{{outcome="sent"}}[{RI}])) * 60'
TARGET_THRESHOLDS = ((0, "green"), (0.5, "yellow"), (1, "red"))

ROWS: tuple[tuple[str, tuple[Panel, ...]], ...] = (
    (
        "Overview (all regions)",
        (
            Panel(
                "Arrivals per minute by outcome",
                _q(f"sum by (outcome) (rate(triage_submissions_total[{RI}])) * 60", "{{outcome}}"),
                description="Submissions: queued, referred (112/1177), full (admission cap), invalid, duplicate.",
            ),
            Panel(
                "Waiting now by urgency",
                _q("sum by (urgency) (triage_queue_waiting_cases)", "Prio {{urgency}}"),
            ),
            Panel(
                "Oldest wait as share of its urgency target",
                _q("max by (urgency) (triage:oldest_wait_target_ratio)", "Prio {{urgency}}"),
                unit="percentunit",
                kind="bargauge",
                thresholds=TARGET_THRESHOLDS,
                description="100% = the 1177 time frame (P1 15 min, P2 3 h, P3 24 h, P4 7 d, P5 14 d).",
            ),
            Panel(
                "Oldest wait by urgency against its target",
                (
                    Query(
                        "max by (urgency) (triage_queue_oldest_wait_seconds)", "Prio {{urgency}} oldest wait"
                    ),
                    Query("triage:wait_target_seconds", "Prio {{urgency}} target"),
                ),
                unit="s",
            ),
            Panel(
                "Calls per minute",
                _q(CALLS_PER_MIN, "calls"),
                kind="stat",
                description="Cases called (ServeNext that popped a case), all regions.",
            ),
            Panel(
                "SMS success ratio",
                _q(
                    f'sum(rate(triage_sms_total{{outcome="sent"}}[{RI}]))'
                    f' / sum(rate(triage_sms_total{{outcome=~"sent|failed"}}[{RI}]))',
                    "sent / (sent + failed)",
                ),
                unit="percentunit",
                kind="stat",
            ),
            Panel(
                "Wait from queued to called, p90 by urgency",
                _q(
                    f"histogram_quantile(0.9, sum by (urgency, le) (rate(triage_queue_wait_seconds_bucket[{RI}])))",
                    "Prio {{urgency}} p90",
                ),
                unit="s",
            ),
            Panel(
                "Waiting now by region",
                _q("sum by (region) (triage_queue_waiting_cases)", "{{region}}"),
                kind="bargauge",
            ),
        ),
    ),
    (
        "Region $region",
        (
            Panel(
                "Waiting in $region by urgency",
                _q('sum by (urgency) (triage_queue_waiting_cases{region=~"$region"})', "Prio {{urgency}}"),
            ),
            Panel(
                "Oldest wait in $region by urgency",
                _q(
                    'max by (urgency) (triage_queue_oldest_wait_seconds{region=~"$region"})',
                    "Prio {{urgency}}",
                ),
                unit="s",
            ),
            Panel(
                "Oldest wait as share of target in $region",
                _q(
                    'max by (urgency) (triage:oldest_wait_target_ratio{region=~"$region"})',
                    "Prio {{urgency}}",
                ),
                unit="percentunit",
                kind="bargauge",
                thresholds=TARGET_THRESHOLDS,
            ),
            Panel(
                "Forecast: chance of a time-frame breach in the next hours, by urgency",
                _q(
                    'max by (urgency) (triage_forecast_breach_probability{region=~"$region"})',
                    "Prio {{urgency}}",
                ),
                unit="percentunit",
                kind="bargauge",
                thresholds=((0, "green"), (0.2, "yellow"), (0.5, "red")),
                description="The forecaster's futures (docs/forecast.md): the share in which some patient of "
                "this urgency waits past the urgency's time frame within the horizon, staffing as planned.",
            ),
            Panel(
                "Forecast: longest 90th-percentile wait still ahead, by urgency",
                _q(
                    'max by (urgency) (triage_forecast_wait_p90_seconds{region=~"$region"})',
                    "Prio {{urgency}}",
                ),
                unit="s",
            ),
            Panel(
                "Submissions per minute in $region by outcome",
                _q(
                    f'sum by (outcome) (rate(triage_submissions_total{{region=~"$region"}}[{RI}])) * 60',
                    "{{outcome}}",
                ),
            ),
            Panel(
                "How completed cases in $region ended, by urgency",
                _q(
                    'sum by (outcome, urgency) (increase(triage_queue_case_outcomes_total{region=~"$region"}'
                    "[$__range]))",
                    "{{outcome}} (Prio {{urgency}})",
                ),
                kind="bargauge",
                description="The clinicians' outcome kinds over the dashboard's time range: advice, "
                "booked_visit, referred_health_centre, referred_emergency, other (unrecorded: no kind given).",
            ),
        ),
    ),
    (
        "SMS pipeline",
        (
            Panel(
                "SMS per minute by outcome",
                _q(
                    f"sum by (provider, kind, outcome) (rate(triage_sms_total[{RI}])) * 60",
                    "{{provider}} {{kind}} {{outcome}}",
                ),
            ),
            Panel(
                "Calls vs SMS sent per minute",
                (Query(CALLS_PER_MIN, "calls"), Query(SMS_SENT_PER_MIN, "SMS sent")),
                description="The lines should move together; calls without SMS raise TriageCallsWithoutSms.",
            ),
            Panel(
                "Called to SMS handed to provider (p50, p99)",
                (
                    Query(
                        f"histogram_quantile(0.5, sum by (le) (rate(triage_serve_to_sms_seconds_bucket[{RI}])))",
                        "p50",
                    ),
                    Query(
                        f"histogram_quantile(0.99, sum by (le) (rate(triage_serve_to_sms_seconds_bucket[{RI}])))",
                        "p99",
                    ),
                ),
                unit="s",
            ),
            Panel(
                "SMS provider request latency p99 by provider",
                _q(
                    f"histogram_quantile(0.99, sum by (provider, le) "
                    f"(rate(triage_sms_provider_request_seconds_bucket[{RI}])))",
                    "{{provider}}",
                ),
                unit="s",
            ),
        ),
    ),
    (
        "Kafka and faust",
        (
            Panel(
                "Consumer lag by service and topic",
                _q("sum by (service, topic) (triage_consumer_lag_records)", "{{service}} {{topic}}"),
            ),
            Panel(
                "Rebalances since start", _q("max by (job) (faust_total_rebalances)", "{{job}}"), kind="stat"
            ),
            Panel(
                "Event processing time p99",
                _q(
                    f"histogram_quantile(0.99, sum by (job, le) (rate(faust_events_runtime_ms_bucket[{RI}])))",
                    "{{job}}",
                ),
                unit="ms",
            ),
            Panel(
                "Messages received per second by topic",
                _q(
                    f"sum by (job, topic) (rate(faust_messages_received_per_topic_total[{RI}]))",
                    "{{job}} {{topic}}",
                ),
            ),
            Panel(
                "Producer send latency p99",
                _q(
                    f"histogram_quantile(0.99, sum by (job, le) (rate(faust_producer_send_latency_bucket[{RI}])))",
                    "{{job}}",
                ),
                unit="ms",
            ),
            Panel(
                "Dead-lettered records by topic and reason",
                _q(
                    f"sum by (topic, reason) (increase(triage_dlq_records_total[{RI}]))",
                    "{{topic}} {{reason}}",
                ),
            ),
            Panel(
                "Services up",
                _q('up{job=~"triage-.*"}', "{{job}}"),
                kind="stat",
                thresholds=((0, "red"), (1, "green")),
            ),
        ),
    ),
    (
        "Kafka brokers (Strimzi Kafka Exporter)",
        (
            Panel(
                "Consumer-group lag by group and topic, broker side",
                _q(
                    f"sum by (consumergroup, topic) (kafka_consumergroup_lag{{{TRIAGE_GROUPS}}})",
                    "{{consumergroup}} {{topic}}",
                ),
                description="Records not yet consumed per group, as the brokers see it (Kafka Exporter). "
                "Unlike the services' own lag gauges it is there when a service is down.",
            ),
            Panel(
                "Largest partition lag by consumer group",
                _q(
                    f"max by (consumergroup) (kafka_consumergroup_lag{{{TRIAGE_GROUPS}}})",
                    "{{consumergroup}}",
                ),
                kind="bargauge",
                thresholds=((0, "green"), (1000, "yellow"), (10000, "red")),
            ),
        ),
    ),
    (
        "Queue worker and snapshots",
        (
            Panel(
                "Records a restart would fold, per partition",
                _q("max by (partition) (triage_queue_snapshot_tail_records)", "partition {{partition}}"),
                description="Event records committed after the partition's latest written snapshot: what a "
                "restart or a takeover folds after reading it. It falls at every snapshot; a line that only "
                "grows means snapshots fail (alert TriageQueueSnapshotsFailing).",
            ),
            Panel(
                "Snapshots by outcome, queue and intake",
                (
                    Query(
                        f"sum by (outcome) (increase(triage_queue_snapshots_total[{RI}]))",
                        "queue {{outcome}}",
                    ),
                    Query(
                        f"sum by (outcome) (increase(triage_intake_snapshots_total[{RI}]))",
                        "intake {{outcome}}",
                    ),
                ),
                description="Queue: a partition's snapshot (recovery starts from it); intake: its read model "
                "(a start reads on from it). written: chunks and manifest acknowledged; failed: the fork, the "
                "encoding or the write failed (the log says which).",
            ),
            Panel(
                "Recovery: assignment to serving, mean",
                _q(
                    f"max by (partitions) (rate(triage_queue_recovery_seconds_sum[{RI}]) "
                    f"/ rate(triage_queue_recovery_seconds_count[{RI}]))",
                    "{{partitions}} partitions",
                ),
                unit="s",
                description="Mean time from an assignment (a start, a takeover, a rebalance) to serving, by how "
                "many partitions the worker rebuilt; a restart at 1M waiting took 5-8 s on Kafka "
                "(docs/performance.md).",
            ),
            Panel(
                "Event-loop pause per snapshot, p99",
                _q(
                    f"histogram_quantile(0.99, sum by (le) (rate(triage_queue_snapshot_pause_seconds_bucket[{RI}])))",
                    "p99",
                ),
                unit="s",
                description="The fork (or the inline encoding) pauses everything the worker does; it grows with "
                "the worker's memory (docs/queue.md, Snapshots).",
            ),
            Panel(
                "Write path: time per batch stage, p99",
                _q(
                    f"histogram_quantile(0.99, sum by (stage, le) (rate(triage_queue_batch_stage_seconds_bucket[{RI}])))",
                    "{{stage}}",
                ),
                unit="s",
                description="fetch, drain, decide, wait, append, outputs: where a ServeNext's time goes "
                "(docs/queue.md, latency).",
            ),
            Panel(
                "Garbage-collector pauses p99 by generation",
                _q(
                    f"histogram_quantile(0.99, sum by (job, generation, le) "
                    f"(rate(triage_queue_gc_pause_seconds_bucket[{RI}])))",
                    "{{job}} gen {{generation}}",
                ),
                unit="s",
            ),
        ),
    ),
    (
        "Intake HTTP",
        (
            Panel(
                "Requests per second by route and status",
                _q(
                    f"sum by (route, status) (rate(triage_http_requests_total{{{INTAKE}}}[{RI}]))",
                    "{{route}} {{status}}",
                ),
                unit="reqps",
            ),
            Panel(
                "Error responses per second (4xx, 429, 5xx) by status",
                _q(
                    f'sum by (status) (rate(triage_http_requests_total{{{INTAKE},status=~"4..|5.."}}[{RI}]))',
                    "{{status}}",
                ),
                unit="reqps",
            ),
            Panel(
                "Error share of requests by status",
                _q(
                    f'sum by (status) (rate(triage_http_requests_total{{{INTAKE},status=~"4..|5.."}}[{RI}]))'
                    f" / ignoring (status) group_left () sum(rate(triage_http_requests_total{{{INTAKE}}}[{RI}]))",
                    "{{status}}",
                ),
                unit="percentunit",
            ),
            Panel(
                "Latency p99 by route",
                _q(
                    f"histogram_quantile(0.99, sum by (route, le) "
                    f"(rate(triage_http_request_duration_seconds_bucket{{{INTAKE}}}[{RI}])))",
                    "{{route}}",
                ),
                unit="s",
            ),
        ),
    ),
)
