"""Prometheus scrapes the ports the services run on, and alerts at intake's own admission cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.intake.settings import IntakeSettings
from services.prometheus_config import (
    RULES,
    admission_cap,
    alert_rules,
    prometheus_config,
    scrape_targets,
    write_prometheus_config,
)

ROOT = Path(__file__).resolve().parents[3]


def test_the_checked_in_prometheus_config_is_the_generated_one_for_the_default_ports() -> None:
    checked_in = (ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    assert checked_in == prometheus_config({}), "regenerate with: triage prometheus-config (default env)"


def test_scrape_targets_follow_the_configured_service_ports() -> None:
    targets = scrape_targets(
        {
            "INTAKE_PORT": "18080",
            "QUEUE_WEB_PORT": "16066",
            "NOTIFIER_WEB_PORT": "18082",
            "STAFF_PORT": "18084",
            "FORECAST_PORT": "18086",
        }
    )
    assert targets == {
        "triage-intake": "127.0.0.1:18080",
        "triage-queue": "127.0.0.1:16066",
        "triage-notifier": "127.0.0.1:18082",
        "triage-staff": "127.0.0.1:18084",
        "triage-forecast": "127.0.0.1:18086",
    }
    assert '"127.0.0.1:16066"' in prometheus_config({"QUEUE_WEB_PORT": "16066"})


def test_the_checked_in_admission_cap_rule_equals_intakes_default_cap() -> None:
    default = IntakeSettings.from_env({}).admission.max_waiting
    assert f"vector({default})" in RULES.read_text(encoding="utf-8")
    assert alert_rules({}) == RULES.read_text(encoding="utf-8")


def test_the_admission_cap_alert_follows_intake_max_waiting(tmp_path: Path) -> None:
    assert admission_cap({"INTAKE_MAX_WAITING": "350"}) == 350
    config = write_prometheus_config(tmp_path, {"INTAKE_MAX_WAITING": "350", "INTAKE_PORT": "18080"})
    rules = (tmp_path / "alerts.yml").read_text(encoding="utf-8")
    assert "- record: triage:admission_cap_cases\n        expr: vector(350)" in rules
    assert '"127.0.0.1:18080"' in config.read_text(encoding="utf-8")


def test_a_rules_file_without_the_cap_rule_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "alerts.yml").write_text("groups: []\n")
    with pytest.raises(ValueError, match="triage:admission_cap_cases"):
        alert_rules({}, tmp_path / "alerts.yml")
