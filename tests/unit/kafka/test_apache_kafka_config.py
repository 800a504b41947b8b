"""The generated Kafka node configuration and the distribution cache (no JVM started here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.kafka import kafka_dist
from services.kafka.kafka_config import Listener, NodePorts, ScramCredential, server_properties
from services.kafka.kafka_dist import KafkaSetupError, cached_jars, kafka_cache_dir, parse_java_major


def _props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def _three_nodes() -> dict[int, NodePorts]:
    return {n: NodePorts(9000 + n, 9100 + n, {"SSL": 9200 + n}) for n in (1, 2, 3)}


def test_a_three_node_cluster_replicates_three_times_and_acks_with_two_in_sync() -> None:
    props = _props(server_properties(2, _three_nodes(), Path("/d"), [Listener("SSL", "SSL")], {}))
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["offsets.topic.replication.factor"] == "3"
    assert props["transaction.state.log.min.isr"] == "2"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103"


def test_a_node_listens_on_its_own_ports_and_advertises_no_controller_listener() -> None:
    props = _props(server_properties(2, _three_nodes(), Path("/d"), [Listener("SSL", "SSL")], {}))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9002,SSL://127.0.0.1:9202,CONTROLLER://127.0.0.1:9102"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9002,SSL://127.0.0.1:9202"
    assert "SSL:SSL" in props["listener.security.protocol.map"].split(",")


def test_one_node_keeps_production_group_limits_and_creates_no_topic_by_itself() -> None:
    props = _props(server_properties(1, {1: NodePorts(1, 2)}, Path("/d"), [], {}))
    assert props["default.replication.factor"] == "1"
    assert props["auto.create.topics.enable"] == "false"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    # Kafka's default minimum session (6 s) applies: the services must live with it
    assert "group.min.session.timeout.ms" not in props


def test_extra_properties_win_over_the_generated_ones() -> None:
    props = _props(server_properties(1, {1: NodePorts(1, 2)}, Path("/d"), [], {"num.io.threads": "8"}))
    assert props["num.io.threads"] == "8"


def test_a_listener_with_an_unknown_security_protocol_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="TLS"):
        Listener("SECURE", "TLS")


def test_a_scram_user_is_formatted_as_kafka_storage_expects() -> None:
    assert (
        ScramCredential("intake", "s3cret").format_argument() == "SCRAM-SHA-512=[name=intake,password=s3cret]"
    )


@pytest.mark.parametrize(
    ("text", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "21" 2023', 21),
    ],
)
def test_the_java_major_version_is_read_from_java_version_output(text: str, major: int) -> None:
    assert parse_java_major(text) == major


def test_unreadable_java_version_output_is_a_setup_error() -> None:
    with pytest.raises(KafkaSetupError, match="Java version"):
        parse_java_major("command not found")


def test_a_missing_java_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kafka_dist.shutil, "which", lambda name: None)
    with pytest.raises(KafkaSetupError, match="openjdk-17"):
        kafka_dist.java_executable({"PATH": ""})


def test_the_cache_directory_follows_the_variable_then_xdg() -> None:
    assert kafka_cache_dir({"TRIAGE_KAFKA_CACHE": "/c"}) == Path("/c")
    assert kafka_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/triage/kafka-4.4.0")


def test_a_cache_missing_one_listed_jar_is_incomplete(tmp_path: Path) -> None:
    (tmp_path / "libs").mkdir()
    (tmp_path / "pom.xml").write_text(kafka_dist._pom())
    (tmp_path / "libs" / "a.jar").write_bytes(b"x")
    (tmp_path / "jars.txt").write_text("a.jar\nb.jar\n")
    assert cached_jars(tmp_path) is None
    (tmp_path / "libs" / "b.jar").write_bytes(b"x")
    assert cached_jars(tmp_path) == [tmp_path / "libs" / "a.jar", tmp_path / "libs" / "b.jar"]


def test_a_cache_fetched_for_another_pom_is_fetched_again(tmp_path: Path) -> None:
    (tmp_path / "libs").mkdir()
    (tmp_path / "libs" / "a.jar").write_bytes(b"x")
    (tmp_path / "jars.txt").write_text("a.jar\n")
    (tmp_path / "pom.xml").write_text("<project>an older Kafka</project>")
    assert cached_jars(tmp_path) is None


def test_without_maven_an_empty_cache_says_to_install_maven(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kafka_dist.shutil, "which", lambda name: None)
    with pytest.raises(KafkaSetupError, match="apt-get install maven"):
        kafka_dist.ensure_kafka_libs(tmp_path)
