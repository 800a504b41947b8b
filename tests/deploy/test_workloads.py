"""Every triage pod is hardened, probed, sized, spread and reachable only where it must be."""

from __future__ import annotations

import re

import pytest

from tests.deploy.manifests import OVERLAYS, named, of_kind, pod_spec, rendered, selects

PORTS = {
    "triage-intake": 8080,
    "triage-queue": 6066,
    "triage-notifier": 8082,
    "triage-staff": 8084,
    "triage-forecast": 8086,
}


def _workloads(overlay: str) -> list[dict]:
    docs = rendered(overlay)
    return of_kind(docs, "Deployment") + of_kind(docs, "StatefulSet")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_runs_non_root_read_only_without_capabilities(overlay: str) -> None:
    for workload in _workloads(overlay):
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert spec["automountServiceAccountToken"] is False
        mounts_needed = {"/tmp", "/app/var"}
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
            assert sc["capabilities"]["drop"] == ["ALL"] and "add" not in sc["capabilities"]
            mounted = {m["mountPath"] for m in c["volumeMounts"]}
            assert mounts_needed <= mounted, f"{c['name']}: writable dirs need an emptyDir"
            writable = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
            assert {m["name"] for m in c["volumeMounts"] if m["mountPath"] in mounts_needed} <= writable


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_health_and_readiness_probes_and_resource_limits(overlay: str) -> None:
    for workload in _workloads(overlay):
        (c,) = pod_spec(workload)["containers"]
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
        port = {p["name"]: p["containerPort"] for p in c["ports"]}
        assert port["http"] == PORTS[workload["metadata"]["name"]]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(c["resources"][kind]), f"{c['name']}: {kind}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_image_is_the_released_triage_image_with_a_pinned_tag(overlay: str) -> None:
    for workload in _workloads(overlay):
        for c in pod_spec(workload)["containers"]:
            image = c["image"]
            assert re.fullmatch(
                r"registry\.example\.se/triage/triage(:[0-9][\w.-]*|@sha256:[0-9a-f]{64})", image
            ), image
            assert not image.endswith(":latest")
            assert c["args"] == [workload["metadata"]["name"].removeprefix("triage-")]


def test_pods_spread_over_zones_and_queue_workers_never_share_a_node() -> None:
    for workload in _workloads("prod"):
        keys = {t["topologyKey"]: t for t in pod_spec(workload)["topologySpreadConstraints"]}
        assert {"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= set(keys)
    queue = named(rendered("prod"), "StatefulSet", "triage-queue")
    host = [
        t
        for t in pod_spec(queue)["topologySpreadConstraints"]
        if t["topologyKey"] == "kubernetes.io/hostname"
    ]
    assert host[0]["whenUnsatisfiable"] == "DoNotSchedule"


def test_queue_workers_have_stable_identities_standby_replicas_and_a_disruption_budget() -> None:
    docs = rendered("prod")
    queue = named(docs, "StatefulSet", "triage-queue")
    headless = named(docs, "Service", queue["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    env = {e["name"]: e.get("value") for e in pod_spec(queue)["containers"][0]["env"]}
    assert int(env["QUEUE_STANDBY_REPLICAS"]) >= 1
    assert "$(POD_NAME).triage-queue-headless" in env["QUEUE_CANONICAL_URL"]
    assert queue["spec"]["replicas"] <= 8, "more workers than partitions would idle"
    assert named(docs, "PodDisruptionBudget", "triage-queue")["spec"]["maxUnavailable"] == 1
    assert named(docs, "PodDisruptionBudget", "triage-intake")["spec"]["minAvailable"] >= 1
    hpa = named(docs, "HorizontalPodAutoscaler", "triage-intake")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "triage-intake" and hpa["spec"]["minReplicas"] >= 2


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_value_is_committed_and_keys_come_from_secret_references(overlay: str) -> None:
    docs = rendered(overlay)
    assert not of_kind(docs, "Secret"), "Secrets are created out of band, never committed"
    secret_env = {}
    for workload in _workloads(overlay):
        for e in pod_spec(workload)["containers"][0].get("env", []):
            if "secretKeyRef" in e.get("valueFrom", {}):
                secret_env[(workload["metadata"]["name"], e["name"])] = e["valueFrom"]["secretKeyRef"]["name"]
            assert not (e["name"].endswith(("_KEY", "_KEYS", "_PASSWORD")) and "value" in e), e["name"]
    assert secret_env[("triage-intake", "PSEUDONYM_KEY")] == "triage-keys"
    assert secret_env[("triage-intake", "CONTACT_KEYS")] == "triage-keys"
    assert secret_env[("triage-notifier", "CONTACT_KEYS")] == "triage-keys"
    assert secret_env[("triage-intake", "ADVICE_KEYS")] == "triage-keys"
    assert secret_env[("triage-staff", "ADVICE_KEYS")] == "triage-keys"
    assert secret_env[("triage-notifier", "ELKS_API_PASSWORD")] == "triage-sms-provider"


def _policies(overlay: str) -> dict[str, dict]:
    return {p["metadata"]["name"]: p["spec"] for p in of_kind(rendered(overlay), "NetworkPolicy")}


def _ports(rules: list[dict]) -> set[int]:
    return {p["port"] for r in rules for p in r.get("ports", [])}


def _strimzi_pod_labels() -> list[dict[str, str]]:
    """Labels Strimzi puts on broker/controller/entity-operator pods: its own plus the custom
    resource's labels (STRIMZI_LABELS_EXCLUSION_PATTERN drops app.kubernetes.io/* except part-of)."""
    docs = rendered("prod")
    kafka = named(docs, "Kafka", "triage-kafka")
    propagated = {
        k: v
        for k, v in kafka["metadata"]["labels"].items()
        if not k.startswith("app.kubernetes.io/") or k == "app.kubernetes.io/part-of"
    }
    return [
        {
            **propagated,
            "strimzi.io/cluster": "triage-kafka",
            "strimzi.io/kind": "Kafka",
            "strimzi.io/name": f"triage-kafka-{role}",
            "app.kubernetes.io/name": name,
        }
        for role, name in (
            ("brokers", "kafka"),
            ("controllers", "kafka"),
            ("entity-operator", "entity-operator"),
        )
    ]


def test_every_triage_pod_is_default_denied_and_may_reach_only_dns_and_kafka() -> None:
    pol = _policies("prod")
    deny = pol["triage-default-deny"]
    assert (
        set(deny["policyTypes"]) == {"Ingress", "Egress"} and "ingress" not in deny and "egress" not in deny
    )
    common = pol["triage-egress-dns-and-kafka"]
    assert _ports(common["egress"]) == {53, 9092, 9093}
    for workload in _workloads("prod"):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert selects(deny["podSelector"], labels), (
            f"{workload['metadata']['name']} escapes the default deny"
        )
        assert selects(common["podSelector"], labels)
    kafka_peer = common["egress"][1]["to"][0]["podSelector"]
    assert all(selects(kafka_peer, pod) for pod in _strimzi_pod_labels()[:2])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_triage_network_policy_selects_the_kafka_clusters_own_pods(overlay: str) -> None:
    for policy in of_kind(rendered(overlay), "NetworkPolicy"):
        for pod in _strimzi_pod_labels():
            assert not selects(policy["spec"]["podSelector"], pod), (
                f"{overlay}: NetworkPolicy {policy['metadata']['name']} would select Strimzi pod {pod}"
            )


def test_each_service_accepts_traffic_only_on_its_own_port_and_reaches_only_what_it_needs() -> None:
    pol = _policies("prod")
    assert _ports(pol["triage-intake"]["ingress"]) == {8080}
    assert _ports(pol["triage-intake"]["egress"]) == {6066}  # queue views
    assert _ports(pol["triage-queue"]["ingress"]) == {6066}
    assert _ports(pol["triage-queue"]["egress"]) == {6066}  # routed to the partition owner
    assert _ports(pol["triage-notifier"]["ingress"]) == {8082}
    assert _ports(pol["triage-notifier"]["egress"]) == {443}  # the SMS provider
    assert _ports(pol["triage-staff"]["ingress"]) == {8084}
    # queue views, the forecaster (ranges, the team lead's forecast), the OIDC issuer's JWKS
    assert _ports(pol["triage-staff"]["egress"]) == {6066, 8086, 443}
    assert _ports(pol["triage-forecast"]["ingress"]) == {8086}
    assert "egress" not in pol["triage-forecast"]  # Kafka and DNS only (the common policy)
    sms = pol["triage-notifier"]["egress"][0]["to"][0]["ipBlock"]
    assert "10.0.0.0/8" in sms["except"], "no 443 into the cluster's private ranges"
    intake_from = pol["triage-intake"]["ingress"][0]["from"]
    assert {f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for f in intake_from} == {
        "ingress-nginx",
        "monitoring",
    }
