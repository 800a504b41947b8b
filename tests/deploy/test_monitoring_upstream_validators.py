"""Prometheus Operator resources also pass the validators generated from the upstream CRDs.

@kubernetes-models/prometheus-operator (npm, pinned with integrity hashes in
tests/deploy/node/package-lock.json) compiles the real CRD schemas into validators; this runs
them in Node.js on the rendered ServiceMonitor and on a generated PrometheusRule.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.manifests import OVERLAYS, load_generator, rendered

NODE_DIR = Path(__file__).resolve().parent / "node"


def _validate(docs: list[dict]) -> subprocess.CompletedProcess[str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "Node.js and npm are needed (Debian: apt-get install nodejs npm)"
    if not (NODE_DIR / "node_modules" / "@kubernetes-models" / "prometheus-operator").is_dir():
        install = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert install.returncode == 0, f"npm ci in {NODE_DIR} failed: {install.stderr[-2000:]}"
    return subprocess.run(
        [node, "validate.mjs"],
        cwd=NODE_DIR,
        input=json.dumps(docs),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rendered_service_monitor_passes_the_upstream_crd_validator(overlay: str) -> None:
    docs = [d for d in rendered(overlay) if d["apiVersion"].startswith("monitoring.coreos.com/")]
    assert docs
    out = _validate(docs)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("ok ") == len(docs)


def test_generated_prometheus_rule_passes_the_upstream_crd_validator_and_a_bad_one_fails(
    tmp_path: Path,
) -> None:
    gen = load_generator()
    (tmp_path / "alerts.yml").write_text(
        "groups:\n  - name: triage\n    rules:\n      - alert: TriageDown\n        expr: up == 0\n"
        "        for: 2m\n        annotations: {summary: check the pod}\n"
    )
    (tmp_path / "d.json").write_text("{}")
    (tmp_path / "u.toml").write_text("")
    files, _ = gen.render(
        gen.Inputs(
            alerts=tmp_path / "alerts.yml", dashboard=tmp_path / "d.json", urgency_rules=tmp_path / "u.toml"
        )
    )
    (rule,) = yaml.safe_load_all(files["prometheus-rule.yaml"])
    assert _validate([rule]).returncode == 0
    rule["spec"]["groups"][0]["rules"][0]["for"] = "two minutes"
    bad = _validate([rule])
    assert bad.returncode == 1 and "for" in bad.stdout
