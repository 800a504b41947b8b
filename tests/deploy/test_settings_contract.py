"""Every environment variable the manifests set is one the services read (or a named gap).

A renamed setting in the code would otherwise leave the manifests configuring nothing.
"""

from __future__ import annotations

import re

from tests.deploy.manifests import OVERLAYS, ROOT, named, of_kind, pod_spec, rendered

# Set by the manifests for features the services do not read yet; each is listed under
# "Known gaps" in deploy/k8s/README.md. Remove an entry once its service reads it.
PENDING = {
    "KAFKA_SECURITY_PROTOCOL", "KAFKA_SSL_CAFILE", "KAFKA_SSL_CERTFILE", "KAFKA_SSL_KEYFILE",
    "QUEUE_STANDBY_REPLICAS", "QUEUE_CANONICAL_URL", "INTAKE_RULES_PATH", "QUEUE_URL",
    "SMS_PROVIDER", "ELKS_API_USERNAME", "ELKS_API_PASSWORD", "ELKS_DELIVERY_REPORT_URL",
}
# Kubernetes downward-API helpers used inside other values, not settings.
HELPERS = {"POD_NAME", "POD_NAMESPACE"}


def _code_settings() -> set[str]:
    """Every env-style string literal in services/ (settings are read as env.get("X") or via
    small helpers taking the name, so any quoted UPPER_SNAKE name counts as read)."""
    pattern = re.compile(r"""["']([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)["']""")
    names: set[str] = set()
    for path in (ROOT / "services").rglob("*.py"):
        names |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def _manifest_env(overlay: str) -> set[str]:
    docs = rendered(overlay)
    names: set[str] = set()
    for workload in of_kind(docs, "Deployment") + of_kind(docs, "StatefulSet"):
        for c in pod_spec(workload)["containers"]:
            names |= {e["name"] for e in c.get("env", [])}
            for source in c.get("envFrom", []):
                names |= set(named(docs, "ConfigMap", source["configMapRef"]["name"])["data"])
    return names


def test_every_setting_in_the_manifests_is_read_by_a_service_or_listed_as_a_known_gap() -> None:
    code = _code_settings()
    assert {"KAFKA_BOOTSTRAP_SERVERS", "INTAKE_PORT", "QUEUE_WEB_PORT"} <= code, "settings scan found nothing"
    for overlay in OVERLAYS:
        unknown = _manifest_env(overlay) - code - PENDING - HELPERS
        assert not unknown, f"{overlay}: the services read no such setting: {sorted(unknown)}"


def test_every_pending_setting_is_documented_as_a_known_gap() -> None:
    readme = (ROOT / "deploy" / "k8s" / "README.md").read_text(encoding="utf-8")
    gaps = readme[readme.index("## Known gaps"):]
    for name in PENDING:
        assert f"`{name}`" in gaps, f"{name} is not under Known gaps in deploy/k8s/README.md"
