"""deploy/k8s/base/generated/ is what generate.py makes from the code and the other teams' files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.deploy.manifests import K8S, crd_schema, load_generator, render_dir

gen = load_generator()

ALERTS = """\
groups:
  - name: triage-sample
    rules:
      - alert: TriageServiceDown
        expr: up{job=~"triage-.*"} == 0
        for: 2m
        labels: {severity: page}
        annotations: {summary: "{{ $labels.job }} is down: check its pod events first"}
"""
DASHBOARD = {"title": "Triage", "uid": "triage", "panels": [{"type": "timeseries", "title": "Waiting"}]}


def _inputs(tmp_path: Path) -> object:
    (tmp_path / "alerts.yml").write_text(ALERTS)
    (tmp_path / "triage-dashboard.json").write_text(json.dumps(DASHBOARD))
    (tmp_path / "urgency.toml").write_text('version = "sample-1"\n')
    return gen.Inputs(
        alerts=tmp_path / "alerts.yml",
        dashboard=tmp_path / "triage-dashboard.json",
        urgency_rules=tmp_path / "urgency.toml",
    )


def test_checked_in_generated_manifests_are_current_and_no_input_is_missing() -> None:
    files, missing = gen.render()
    assert not missing, (
        "deploy/k8s/generate.py inputs are missing, so the PrometheusRule, the Grafana dashboard "
        f"ConfigMap or the urgency rules ConfigMap are not deployed: {missing}. Merge the branches "
        "that provide them, then run `make contract`."
    )
    stale = gen.stale(gen.OUT_DIR, files)
    assert not stale, f"deploy/k8s/base/generated is stale ({stale}): run `make contract` and commit"


def test_alert_rules_and_dashboard_are_wrapped_for_the_prometheus_operator_and_grafana(
    tmp_path: Path,
) -> None:
    files, missing = gen.render(_inputs(tmp_path))
    assert missing == []
    (rule,) = yaml.safe_load_all(files["prometheus-rule.yaml"])
    jsonschema.validate(rule, crd_schema(rule["apiVersion"], "PrometheusRule"))
    assert rule["spec"]["groups"] == yaml.safe_load(ALERTS)["groups"]
    (dash,) = yaml.safe_load_all(files["grafana-dashboard-configmap.yaml"])
    assert dash["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(dash["data"]["triage-dashboard.json"]) == DASHBOARD
    (rules,) = yaml.safe_load_all(files["urgency-rules-configmap.yaml"])
    assert rules["data"]["urgency.toml"] == 'version = "sample-1"\n'


def test_generated_sample_output_renders_as_a_kustomization(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    files, _ = gen.render(_inputs(tmp_path / "in"))
    out = tmp_path / "generated"
    out.mkdir()
    for name, text in files.items():
        (out / name).write_text(text)
    kinds = sorted(d["kind"] for d in render_dir(out))
    assert kinds.count("PrometheusRule") == 1 and kinds.count("KafkaTopic") >= 13


def test_a_rules_file_without_groups_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path)
    inputs.alerts.write_text("rules: []\n")
    with pytest.raises(ValueError, match="expected a top-level `groups:` list"):
        gen.render(inputs)


def test_a_missing_input_is_named_with_who_provides_it(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path)
    inputs.dashboard.unlink()
    files, missing = gen.render(inputs)
    assert "grafana-dashboard-configmap.yaml" not in files
    assert any("triage-dashboard.json" in m and "observability" in m for m in missing)
    assert "grafana-dashboard-configmap.yaml" not in yaml.safe_load(files["kustomization.yaml"])["resources"]


def test_the_generator_check_mode_fails_on_a_stale_file(tmp_path: Path) -> None:
    files, _ = gen.render(_inputs(tmp_path))
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert gen.stale(tmp_path, files) == []
    (tmp_path / "kafka-topics.yaml").write_text("# edited by hand\n")
    assert gen.stale(tmp_path, files) == ["kafka-topics.yaml"]
    assert (K8S / "base" / "generated" / "kustomization.yaml").is_file()
