"""Topics and ACLs on the Strimzi cluster follow the code: proto/topics.py and proto/catalog.py."""

from __future__ import annotations

import pytest

from proto import catalog, topics
from tests.deploy.manifests import OVERLAYS, named, of_kind, rendered, selects


def _topics(overlay: str) -> dict[str, dict]:
    return {d["spec"]["topicName"]: d for d in of_kind(rendered(overlay), "KafkaTopic")}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_topics_are_exactly_the_topics_the_code_creates_with_its_partition_counts(overlay: str) -> None:
    declared = _topics(overlay)
    code = {s.name: s for s in topics.ALL_TOPICS + topics.FAUST_INTERNAL_TOPICS}
    assert set(declared) == set(code), (
        f"KafkaTopics differ from proto/topics.py: missing {sorted(set(code) - set(declared))}, "
        f"extra {sorted(set(declared) - set(code))}; run `make contract`"
    )
    for name, spec in code.items():
        assert declared[name]["spec"]["partitions"] == spec.partitions, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_queue_input_topics_are_co_partitioned(overlay: str) -> None:
    declared = _topics(overlay)
    counts = {declared[n]["spec"]["partitions"] for n in ("triage.events", "queue.commands")}
    counts |= {
        declared[t.changelog().name]["spec"]["partitions"]
        for t in topics.FAUST_TABLES
        if t.app_id == "triage-queue"
    }
    assert counts == {topics.QUEUE_PARTITIONS}


def test_patient_contacts_and_changelogs_are_compacted_and_event_topics_expire() -> None:
    declared = _topics("prod")
    for name, doc in declared.items():
        config = doc["spec"]["config"]
        compacted = name in (
            "patient.contacts",
            "queue.snapshots",
            "intake.snapshots",
            "queue.forecasts",
        ) or name.endswith("-changelog")
        assert config["cleanup.policy"] == ("compact" if compacted else "delete"), name
        if not compacted:
            assert config["retention.ms"] > 0, name
    assert declared["patient.contacts"]["spec"]["config"]["cleanup.policy"] == "compact"


def test_production_topics_survive_one_broker_loss_and_dev_fits_one_broker() -> None:
    prod, dev = _topics("prod"), _topics("dev")
    assert {d["spec"]["replicas"] for d in prod.values()} == {3}
    assert {d["spec"]["config"]["min.insync.replicas"] for d in prod.values()} == {2}
    assert {d["spec"]["replicas"] for d in dev.values()} == {1}
    assert (
        sum(
            p["spec"]["replicas"]
            for p in of_kind(rendered("dev"), "KafkaNodePool")
            if "broker" in p["spec"]["roles"]
        )
        == 1
    )


def test_every_topic_and_user_belongs_to_the_triage_cluster() -> None:
    docs = rendered("prod")
    for doc in of_kind(docs, "KafkaTopic") + of_kind(docs, "KafkaUser") + of_kind(docs, "KafkaNodePool"):
        assert doc["metadata"]["labels"]["strimzi.io/cluster"] == "triage-kafka", doc["metadata"]["name"]
    assert named(docs, "Kafka", "triage-kafka")


def _acls(user: dict) -> list[dict]:
    return user["spec"]["authorization"]["acls"]


@pytest.mark.parametrize("entry", catalog.SERVICE_ACCESS, ids=lambda e: e.service)
def test_each_service_user_may_touch_only_its_own_topics_and_groups(entry: catalog.ServiceAccess) -> None:
    user = named(rendered("prod"), "KafkaUser", f"triage-{entry.service}")
    assert user["spec"]["authentication"]["type"] == "tls"
    literal_topics = {
        a["resource"]["name"]: set(a["operations"])
        for a in _acls(user)
        if a["resource"]["type"] == "topic" and a["resource"]["patternType"] == "literal"
    }
    assert set(literal_topics) == set(entry.reads) | set(entry.writes)
    rules = [
        (a["resource"]["type"], a["resource"]["name"], a["resource"]["patternType"]) for a in _acls(user)
    ]
    assert len(rules) == len(set(rules)), "one ACL rule per resource"
    for name, ops in literal_topics.items():
        assert ("Read" in ops) == (name in entry.reads), f"{entry.service} Read on {name}"
        assert ("Write" in ops) == (name in entry.writes), f"{entry.service} Write on {name}"
        assert not ops & {"All", "Delete", "Alter", "AlterConfigs", "ClusterAction"}, (
            f"{entry.service}: {ops}"
        )
    prefixes = [
        a["resource"]["name"]
        for a in _acls(user)
        if a["resource"]["patternType"] == "prefix" and a["resource"]["type"] == "topic"
    ]
    assert prefixes == ([f"{entry.faust_app}-"] if entry.faust_app else [])
    groups = {a["resource"]["name"] for a in _acls(user) if a["resource"]["type"] == "group"}
    assert groups == set(entry.groups)
    # the queue's transactional ids (issue 21): a prefix per service that uses transactions, no more
    transactional = {
        a["resource"]["name"]: set(a["operations"])
        for a in _acls(user)
        if a["resource"]["type"] == "transactionalId"
    }
    assert transactional == {prefix: {"Write", "Describe"} for prefix in entry.transactional_ids}
    assert all(a["resource"]["type"] in {"topic", "group", "transactionalId"} for a in _acls(user)), (
        "no cluster-wide rights"
    )
    assert all("*" not in a["resource"].get("name", "") for a in _acls(user))


def test_faust_apps_may_create_their_internal_topics_and_those_topics_exist() -> None:
    docs = rendered("prod")
    declared = _topics("prod")
    for app in topics.FAUST_APP_IDS:
        entry = next(e for e in catalog.SERVICE_ACCESS if e.faust_app == app)
        user = named(docs, "KafkaUser", f"triage-{entry.service}")
        prefix = [a for a in _acls(user) if a["resource"]["name"] == f"{app}-"]
        assert prefix and {"Create", "Read", "Write"} <= set(prefix[0]["operations"])
        assert f"{app}-__assignor-__leader" in declared
    for internal in topics.FAUST_INTERNAL_TOPICS:
        assert any(internal.name.startswith(f"{app}-") for app in topics.FAUST_APP_IDS), internal.name


def test_every_topic_has_a_writer_and_every_contract_topic_is_in_the_catalog() -> None:
    written = {n for e in catalog.SERVICE_ACCESS for n in e.writes}
    for spec in topics.ALL_TOPICS:
        assert spec.name in written, f"{spec.name}: no service may write it (proto/catalog.py)"
    for spec in topics.PRIMARY_TOPICS:
        assert spec.name in catalog.TOPIC_MESSAGES, f"{spec.name}: no messages listed in proto/catalog.py"


def test_prod_clients_must_authenticate_with_tls_and_only_dev_has_an_open_plain_listener() -> None:
    prod = named(rendered("prod"), "Kafka", "triage-kafka")["spec"]["kafka"]
    assert [(lst["port"], lst["tls"], lst["authentication"]["type"]) for lst in prod["listeners"]] == [
        (9093, True, "tls")
    ]
    assert "superUsers" not in prod["authorization"]
    peers = prod["listeners"][0]["networkPolicyPeers"]
    docs = rendered("prod")
    for workload in of_kind(docs, "Deployment") + of_kind(docs, "StatefulSet"):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert any(selects(p["podSelector"], labels) for p in peers), workload["metadata"]["name"]
    prod_settings = named(rendered("prod"), "ConfigMap", "triage-settings")["data"]
    assert prod_settings["KAFKA_BOOTSTRAP_SERVERS"].endswith(":9093")
    assert prod_settings["KAFKA_SECURITY_PROTOCOL"] == "SSL"
    dev = named(rendered("dev"), "Kafka", "triage-kafka")["spec"]["kafka"]
    assert {lst["port"] for lst in dev["listeners"]} == {9092, 9093}
    assert dev["authorization"]["superUsers"] == ["ANONYMOUS"]
    dev_settings = named(rendered("dev"), "ConfigMap", "triage-settings")["data"]
    assert dev_settings == {"KAFKA_BOOTSTRAP_SERVERS": "triage-kafka-kafka-bootstrap:9092"}


def test_the_kafka_cluster_exports_broker_metrics_and_consumer_group_lag_to_prometheus() -> None:
    import re

    for overlay in ("dev", "prod"):
        docs = rendered(overlay)
        spec = named(docs, "Kafka", "triage-kafka")["spec"]
        ref = spec["kafka"]["metricsConfig"]["valueFrom"]["configMapKeyRef"]
        assert spec["kafka"]["metricsConfig"]["type"] == "jmxPrometheusExporter"
        assert "rules:" in named(docs, "ConfigMap", ref["name"])["data"][ref["key"]]
        groups = re.compile(spec["kafkaExporter"]["groupRegex"])
        assert all(groups.fullmatch(g) for g in ("triage-intake", "triage-queue", "triage-notifier"))
        monitor = named(docs, "PodMonitor", "triage-kafka")["spec"]
        assert monitor["selector"]["matchLabels"] == {"strimzi.io/cluster": "triage-kafka"}
        assert [e["port"] for e in monitor["podMetricsEndpoints"]] == ["tcp-prometheus"]
