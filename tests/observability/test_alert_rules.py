"""The alert rules are valid, and promtool's unit tests fire and clear every alert."""

from __future__ import annotations

import yaml

from tests.observability.prometheus_server import RULE_TESTS, RULES, promtool


def _alerts() -> dict[str, dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"] if "alert" in rule}


def test_promtool_accepts_the_rules_file() -> None:
    result = promtool("check", "rules", RULES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_local_scrape_config_with_its_rules() -> None:
    from tests.observability.prometheus_server import SCRAPE_CONFIG

    result = promtool("check", "config", SCRAPE_CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass_for_every_alert() -> None:
    result = promtool("test", "rules", RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_firing_and_a_not_firing_unit_test() -> None:
    cases = [
        case
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    ]
    firing = {c["alertname"] for c in cases if c.get("exp_alerts")}
    quiet = {c["alertname"] for c in cases if not c.get("exp_alerts")}
    alerts = set(_alerts())
    assert alerts - firing == set(), "alerts with no firing test case"
    assert alerts - quiet == set(), "alerts with no not-firing test case"


def test_every_alert_tells_the_on_call_person_severity_and_what_to_check_first() -> None:
    for name, rule in _alerts().items():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
        annotations = rule["annotations"]
        assert annotations["summary"].strip(), name
        assert "check first" in annotations["description"].lower(), name
        assert annotations["runbook"].startswith("docs/observability.md#"), name


def test_the_issue_s_alerts_all_exist() -> None:
    assert {
        "TriagePrio1WaitOver15Minutes",
        "TriagePrio2WaitOverTarget",
        "TriagePrio3WaitOverTarget",
        "TriagePrio4WaitOverTarget",
        "TriagePrio5WaitOverTarget",
        "TriageQueueOverAdmissionCap",
        "TriageCallsWithoutSms",
        "TriageDeadLettersGrowing",
        "TriageConsumerLagGrowing",
        "TriageServiceDown",
    } <= set(_alerts())


def test_every_runbook_link_points_at_a_heading_in_the_observability_doc() -> None:
    from tests.observability.prometheus_server import ROOT

    headings = {
        "#" + line[4:].strip().lower().replace(" ", "-")
        for line in (ROOT / "docs" / "observability.md").read_text().splitlines()
        if line.startswith("### ")
    }
    for name, rule in _alerts().items():
        anchor = "#" + rule["annotations"]["runbook"].split("#", 1)[1]
        assert anchor in headings, f"{name}: runbook {anchor} has no heading in docs/observability.md"
