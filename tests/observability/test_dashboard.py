"""The committed Grafana dashboard is the generated one, and it is wired the way Grafana needs."""

from __future__ import annotations

import json
import re

from services.observability.dashboard import render
from tests.observability.prometheus_server import DASHBOARD, ROOT, RULES

CATALOG = (ROOT / "docs" / "metrics.md").read_text()
# faust's sensor metrics with name_prefix "faust" (faust/sensors/prometheus.py, FaustMetrics.create)
FAUST_METRICS = {
    "faust_total_rebalances",
    "faust_events_runtime_ms",
    "faust_messages_received_per_topic",
    "faust_producer_send_latency",
}


def _dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def _exprs() -> list[str]:
    return [t["expr"] for p in _dashboard()["panels"] for t in p.get("targets", [])]


def test_committed_dashboard_json_is_what_the_generator_writes() -> None:
    assert DASHBOARD.read_text() == render(), (
        "deploy/grafana/triage-dashboard.json is stale: run `.venv/bin/python -m services.observability.dashboard`"
    )


def test_dashboard_has_a_datasource_variable_and_a_region_variable_from_waiting_cases() -> None:
    variables = {v["name"]: v for v in _dashboard()["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    region = variables["region"]
    assert region["query"]["query"] == "label_values(triage_queue_waiting_cases, region)"
    assert region["includeAll"] and region["allValue"] == ".*"


def test_every_panel_query_uses_the_datasource_variable() -> None:
    dashboard = _dashboard()
    assert dashboard["schemaVersion"] >= 39
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels:
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"]), panel["title"]


def test_region_panels_filter_on_the_region_variable() -> None:
    rows = [p for p in _dashboard()["panels"]]
    start = next(i for i, p in enumerate(rows) if p["type"] == "row" and "$region" in p["title"])
    region_panels = []
    for panel in rows[start + 1 :]:
        if panel["type"] == "row":
            break
        region_panels.append(panel)
    assert len(region_panels) >= 3
    assert all('region=~"$region"' in t["expr"] for p in region_panels for t in p["targets"])


def test_every_metric_a_panel_queries_is_in_the_catalog_or_a_rule_or_faust_s_sensor() -> None:
    recorded = set(re.findall(r"record: (\S+)", RULES.read_text()))
    functions = {
        "sum",
        "max",
        "rate",
        "increase",
        "histogram_quantile",
        "by",
        "ignoring",
        "group_left",
        "on",
        "up",
    }
    unknown = set()
    for expr in _exprs():
        # drop label matchers, strings, range windows ([$__rate_interval]) and numbers
        without_labels = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", re.sub(r'"[^"]*"', "", expr))
        for name in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_labels):
            base = re.sub(r"_(bucket|count|sum|total)$", "", name)
            if name in functions or name in recorded or base in FAUST_METRICS:
                continue
            if name in {
                "le",
                "urgency",
                "region",
                "outcome",
                "provider",
                "kind",
                "job",
                "route",
                "status",
                "service",
                "topic",
                "reason",
                "consumergroup",
                "partition",
                "partitions",
                "stage",
                "generation",
            }:
                continue
            if f"`{name}`" not in CATALOG and f"`{base}`" not in CATALOG and f"`{base}_total`" not in CATALOG:
                unknown.add(name)
    assert not unknown, f"dashboard queries metrics that docs/metrics.md does not list: {sorted(unknown)}"


def test_the_issue_s_sections_are_on_the_dashboard() -> None:
    text = " ".join(p["title"] for p in _dashboard()["panels"]).lower()
    for words in (
        "arrivals",
        "waiting now by urgency",
        "against its target",
        "calls per minute",
        "sms success",
        "$region",
        "sms pipeline",
        "consumer lag",
        "rebalances",
        "event processing time",
        "intake http",
        "4xx, 429, 5xx",
        "latency p99",
        "consumer-group lag by group and topic, broker side",
    ):
        assert words in text, words
