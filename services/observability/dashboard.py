"""Builds deploy/grafana/triage-dashboard.json from dashboard_panels.ROWS.

Regenerate after changing the panels: ``python -m services.observability.dashboard``
(a test fails while the committed JSON is stale).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from services.observability.dashboard_panels import ROWS, Panel

OUTPUT = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "triage-dashboard.json"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
WIDTH, HEIGHT = 8, 8  # three panels per row on Grafana's 24-column grid


def _panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    steps = [{"color": c, "value": None if i == 0 else v} for i, (v, c) in enumerate(panel.thresholds)]
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": HEIGHT, "w": WIDTH, "x": x, "y": y},
        "fieldConfig": {
            "defaults": {
                "unit": panel.unit,
                **({"thresholds": {"mode": "absolute", "steps": steps}} if steps else {}),
            },
            "overrides": [],
        },
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}},
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": DATASOURCE,
                "expr": q.expr,
                "legendFormat": q.legend,
                "range": True,
            }
            for i, q in enumerate(panel.queries)
        ],
    }


def _variables() -> list[dict[str, Any]]:
    region_query = "label_values(triage_queue_waiting_cases, region)"
    return [
        {
            "name": "datasource",
            "label": "Prometheus",
            "type": "datasource",
            "query": "prometheus",
            "current": {},
            "hide": 0,
            "refresh": 1,
            "regex": "",
            "options": [],
        },
        {
            "name": "region",
            "label": "Region",
            "type": "query",
            "datasource": DATASOURCE,
            "definition": region_query,
            "query": {"query": region_query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "includeAll": True,
            "multi": True,
            "allValue": ".*",
            "current": {},
            "hide": 0,
            "refresh": 2,
            "sort": 1,
            "regex": "",
            "options": [],
        },
    ]


def build_dashboard() -> dict[str, Any]:
    """The dashboard as a dict (Grafana 10/11 JSON model)."""
    panels: list[dict[str, Any]] = []
    next_id, y = 1, 0
    for row_title, row_panels in ROWS:
        panels.append(
            {
                "id": next_id,
                "type": "row",
                "title": row_title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        next_id, y = next_id + 1, y + 1
        for i, panel in enumerate(row_panels):
            x = (i % (24 // WIDTH)) * WIDTH
            if i and x == 0:
                y += HEIGHT
            panels.append(_panel(panel, next_id, x, y))
            next_id += 1
        y += HEIGHT
    return {
        "uid": "triage-overview",
        "title": "Triage queue (1177 direkt)",
        "description": "Waiting patients, wait against the 1177 time frames, SMS, Kafka/faust and intake.",
        "tags": ["triage"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": _variables()},
        "annotations": {"list": []},
        "links": [],
        "panels": panels,
    }


def render() -> str:
    """The JSON text exactly as committed."""
    return json.dumps(build_dashboard(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    OUTPUT.write_text(render())
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
