"""Every overlay renders, and every rendered resource validates against its schema offline."""

from __future__ import annotations

import copy

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.manifests import KUBERNETES_VERSION, OVERLAYS, SCHEMAS, crd_schema, named, rendered

CUSTOM_GROUPS = ("kafka.strimzi.io/", "monitoring.coreos.com/")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_renders_a_complete_system(overlay: str) -> None:
    docs = rendered(overlay)
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for expected in [
        ("Deployment", "triage-intake"),
        ("Service", "triage-intake"),
        ("HorizontalPodAutoscaler", "triage-intake"),
        ("PodDisruptionBudget", "triage-intake"),
        ("StatefulSet", "triage-queue"),
        ("Service", "triage-queue-headless"),
        ("PodDisruptionBudget", "triage-queue"),
        ("Deployment", "triage-notifier"),
        ("Service", "triage-notifier"),
        ("Kafka", "triage-kafka"),
        ("KafkaNodePool", "brokers"),
        ("KafkaNodePool", "controllers"),
        ("ServiceMonitor", "triage"),
        ("ConfigMap", "triage-regions"),
    ]:
        assert expected in kinds, f"{overlay}: {expected} missing from the rendered manifests"
    (namespace,) = [d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"]
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {namespace}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_core_resources_validate_with_kubernetes_validate_strictly(overlay: str) -> None:
    checked = 0
    for doc in rendered(overlay):
        if doc["apiVersion"].startswith(CUSTOM_GROUPS):
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(
                f"{overlay}: {doc['kind']}/{doc['metadata']['name']} invalid at {path}: {exc.message}"
            )
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_strimzi_and_monitoring_resources_validate_against_their_crd_schemas(overlay: str) -> None:
    checked = 0
    for doc in rendered(overlay):
        if not doc["apiVersion"].startswith(CUSTOM_GROUPS):
            continue
        errors = sorted(
            jsonschema.Draft202012Validator(crd_schema(doc["apiVersion"], doc["kind"])).iter_errors(doc),
            key=str,
        )
        assert not errors, f"{overlay}: {doc['kind']}/{doc['metadata']['name']}: " + "; ".join(
            f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors
        )
        checked += 1
    assert checked >= 20


def test_every_vendored_crd_schema_is_a_valid_json_schema() -> None:
    paths = sorted(SCHEMAS.glob("*_v1_*.yaml"))
    assert len(paths) == 7
    for path in paths:
        jsonschema.Draft202012Validator.check_schema(yaml.safe_load(path.read_text())["openAPIV3Schema"])


def test_kubernetes_validate_rejects_a_deployment_with_a_misspelled_field() -> None:
    bad = copy.deepcopy(named(rendered("prod"), "Deployment", "triage-intake"))
    bad["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/readyz"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


def test_crd_schema_rejects_a_kafka_topic_with_a_misspelled_field_or_zero_partitions() -> None:
    topic = copy.deepcopy(named(rendered("prod"), "KafkaTopic", "triage.events"))
    schema = crd_schema(topic["apiVersion"], "KafkaTopic")
    topic["spec"]["partition"] = topic["spec"].pop("partitions")
    with pytest.raises(jsonschema.ValidationError, match="partition"):
        jsonschema.validate(topic, schema)
    topic["spec"]["partitions"] = 0
    del topic["spec"]["partition"]
    with pytest.raises(jsonschema.ValidationError, match="minimum"):
        jsonschema.validate(topic, schema)


def test_crd_schema_rejects_a_kafka_user_with_the_removed_singular_acl_operation() -> None:
    user = copy.deepcopy(named(rendered("prod"), "KafkaUser", "triage-intake"))
    acl = user["spec"]["authorization"]["acls"][0]
    acl["operation"] = acl.pop("operations")[0]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(user, crd_schema(user["apiVersion"], "KafkaUser"))


def test_vendored_files_match_the_checksums_their_readme_records() -> None:
    import hashlib
    import re

    readme = (SCHEMAS / "README.md").read_text()
    recorded = re.findall(r"`([\w.-]+\.json)` \|.*?sha256 `([0-9a-f]{64})`", readme)
    assert recorded, "schemas/README.md records no checksum"
    for name, digest in recorded:
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, name
