"""`triage topics` creates the contract topics, and faust's own, with the replication and min ISR asked for."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from proto.topics import ALL_TOPICS, FAUST_INTERNAL_TOPICS
from services.kafka.settings import KafkaSettings
from services.kafka.topic_admin import TopicPlacement

pytestmark = pytest.mark.e2e


def _topics(kafka: KafkaSettings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "TRIAGE_NAMESPACE": kafka.namespace,
    }
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "topics", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_triage_topics_creates_every_missing_topic_once_with_the_placement_it_reports(
    kafka: KafkaSettings,
) -> None:
    first = _topics(kafka, "--replication-factor", "1", "--min-insync-replicas", "1")
    assert first.returncode == 0, first.stderr
    # faust's leader topics and table changelogs too (a changelog faust creates itself can miss the
    # group leader's first assignment on Apache Kafka)
    created = len(ALL_TOPICS) + len(FAUST_INTERNAL_TOPICS)
    assert first.stdout.startswith(f"{created} topics created on {kafka.bootstrap_servers}"), first.stdout
    assert "(replication factor 1, min ISR 1)" in first.stdout
    again = _topics(kafka)
    assert again.returncode == 0 and again.stdout.startswith("0 topics created"), again.stderr


def test_a_min_isr_above_the_replication_factor_is_refused_before_anything_is_created(
    kafka: KafkaSettings,
) -> None:
    out = _topics(kafka, "--replication-factor", "2", "--min-insync-replicas", "3")
    assert out.returncode == 2
    assert "--min-insync-replicas 3: must be between 1 and the replication factor (2)" in out.stderr


def test_production_placement_is_three_copies_with_two_in_sync() -> None:
    assert TopicPlacement.from_args(3, 2) == TopicPlacement(3, 2)
    with pytest.raises(ValueError, match="--replication-factor 0"):
        TopicPlacement.from_args(0, 1)
