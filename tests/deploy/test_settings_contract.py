"""Every environment variable the manifests set is one the services read (or a named gap),
and every Kafka connection setting the code reads is one prod sets (or has a named default).

A renamed setting in the code would otherwise leave the manifests configuring nothing.
"""

from __future__ import annotations

import re

from tests.deploy.manifests import OVERLAYS, ROOT, named, of_kind, pod_spec, rendered
from tests.deploy.settings_scan import names_read_in

# Set by the manifests for features the services do not read yet; each is listed under
# "Known gaps" in deploy/k8s/README.md. Remove an entry once its service reads it.
PENDING = {"QUEUE_STANDBY_REPLICAS", "QUEUE_CANONICAL_URL"}
# Kubernetes downward-API helpers used inside other values, not settings.
HELPERS = {"POD_NAME", "POD_NAMESPACE"}
# Kafka settings the code reads that prod (mutual TLS with KafkaUser certificates) leaves at
# their defaults, and why.
KAFKA_DEFAULTS_IN_PROD = {
    "KAFKA_FETCH_MAX_WAIT_MS": "20 ms suits Kafka too (it answers fetches as soon as data arrives)",
    "KAFKA_SASL_USERNAME_FILE": "SCRAM (SASL_SSL) is the alternative to mTLS, not used in prod",
    "KAFKA_SASL_PASSWORD_FILE": "SCRAM (SASL_SSL) is the alternative to mTLS, not used in prod",
}


def _code_settings() -> set[str]:
    """Every variable the code in services/ reads (tests/deploy/settings_scan.py)."""
    names: set[str] = set()
    for path in (ROOT / "services").rglob("*.py"):
        names |= names_read_in(path.read_text(encoding="utf-8"))
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


def test_no_setting_listed_as_pending_is_read_already() -> None:
    read = PENDING & _code_settings()
    assert not read, f"read by the services now: remove {sorted(read)} from PENDING and from Known gaps"


def test_every_pending_setting_is_documented_as_a_known_gap() -> None:
    readme = (ROOT / "deploy" / "k8s" / "README.md").read_text(encoding="utf-8")
    gaps = readme[readme.index("## Known gaps") :]
    for name in PENDING:
        assert f"`{name}`" in gaps, f"{name} is not under Known gaps in deploy/k8s/README.md"


def _kafka_settings_read() -> set[str]:
    pattern = re.compile(r"""["'](KAFKA_[A-Z0-9_]+)["']""")
    names: set[str] = set()
    for module in ("settings.py", "security.py"):
        names |= set(pattern.findall((ROOT / "services" / "kafka" / module).read_text(encoding="utf-8")))
    return names


def test_every_kafka_connection_setting_the_code_reads_is_set_in_prod_or_has_a_stated_default() -> None:
    read = _kafka_settings_read()
    assert {"KAFKA_SECURITY_PROTOCOL", "KAFKA_SSL_CAFILE", "KAFKA_SASL_PASSWORD_FILE"} <= read
    unset = read - _manifest_env("prod") - set(KAFKA_DEFAULTS_IN_PROD)
    assert not unset, f"prod sets no value for {sorted(unset)}: set it, or state its default above"
    stale = set(KAFKA_DEFAULTS_IN_PROD) - read
    assert not stale, f"no longer read by services/kafka: {sorted(stale)}"


def test_prod_mounts_the_kafka_certificate_files_its_settings_name_in_every_workload() -> None:
    docs = rendered("prod")
    settings = named(docs, "ConfigMap", "triage-settings")["data"]
    assert settings["KAFKA_SECURITY_PROTOCOL"] == "SSL"
    files = [settings[k] for k in ("KAFKA_SSL_CAFILE", "KAFKA_SSL_CERTFILE", "KAFKA_SSL_KEYFILE")]
    for workload in of_kind(docs, "Deployment") + of_kind(docs, "StatefulSet"):
        spec = pod_spec(workload)
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for c in spec["containers"]:
            for path in files:
                directory, _, key = path.rpartition("/")
                mounts = [m for m in c.get("volumeMounts", []) if m["mountPath"] == directory]
                assert mounts, f"{workload['metadata']['name']}: nothing mounted at {directory}"
                secret = volumes[mounts[0]["name"]]["secret"]
                assert key in {i["path"] for i in secret.get("items", [])}, (
                    workload["metadata"]["name"],
                    path,
                )


def test_the_cluster_alerts_at_the_admission_cap_intake_is_configured_with() -> None:
    from services.prometheus_config import admission_cap

    for overlay in OVERLAYS:
        docs = rendered(overlay)
        cap = admission_cap(named(docs, "ConfigMap", "triage-settings")["data"])
        rules = [r for d in of_kind(docs, "PrometheusRule") for g in d["spec"]["groups"] for r in g["rules"]]
        (rule,) = [r for r in rules if r.get("record") == "triage:admission_cap_cases"]
        assert rule["expr"] == f"vector({cap})", f"{overlay}: intake's INTAKE_MAX_WAITING is {cap}"
