"""Queue service configuration, built once from the environment in ``main()``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from proto.regions import DEFAULT_ENABLED
from services.config.env import EnvReader, SettingsError
from services.kafka.settings import KafkaSettings
from services.kafka.worker_settings import WorkerSettings, read_worker_settings
from services.opening_hours.eta import EtaPolicy
from services.opening_hours.hours_file import load_hours_from_env
from services.queue.domain.expiry import DAY_S
from services.queue.domain.state import QueuePolicy

# Short session timeout so a killed worker's partitions move quickly (docs/queue.md has the
# measured takeover time).
QUEUE_WORKER = WorkerSettings(
    web_port=6066, data_dir="var/queue", session_timeout_s=6.0, heartbeat_interval_s=0.5
)


@dataclass(frozen=True)
class QueueSettings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    # QUEUE_WEB_*, QUEUE_DATA_DIR, QUEUE_SESSION_TIMEOUT_S, QUEUE_HEARTBEAT_INTERVAL_S
    worker: WorkerSettings = QUEUE_WORKER
    policy: QueuePolicy = field(default_factory=QueuePolicy)
    # Group commit: a batch is whatever the reader has buffered, up to this many records.
    batch_max_records: int = 5000
    # Longest wait of one input fetch when nothing is buffered (the light-load latency floor).
    fetch_wait_ms: int = 5
    # Snapshots of a partition (queue.snapshots) every this many committed events or seconds,
    # whichever first: recovery folds only the log after the latest one. 0 events = no snapshots.
    # (The raced-test timeouts once blamed on snapshots were the test reader cutting Tansu's last
    # record batch short: tests/support/topic_reader.py.)
    snapshot_every_events: int = 5000
    snapshot_every_s: float = 300.0
    # fork = encode a snapshot in a forked child (the loop pauses only for the fork; the child's
    # pages are copied on write, so memory can grow by up to the state's size meanwhile);
    # inline = on the event loop (its pause grows with a partition's cases: ~0.5-2 s at 300k).
    snapshot_encoder: str = "fork"
    # Broker transactions (services/queue/transactions.py): auto = use them when the broker has
    # them (Apache Kafka; not Tansu), on = refuse to run without them, off = never.
    transactions: str = "auto"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> QueueSettings:
        """Read QUEUE_* (and the shared hours and ETA) variables; SettingsError names a bad one."""
        read = EnvReader(env)
        policy = QueuePolicy(
            no_show_attempts=read.int("QUEUE_NO_SHOW_ATTEMPTS", 3),
            heads_up_position=read.int("QUEUE_HEADS_UP_POSITION", 3),
            answer_memory=read.int("QUEUE_ANSWER_MEMORY", 20000),
            rate_window_s=read.float("QUEUE_RATE_WINDOW_S", 900),
            transfer_regions=_regions(read),
            heads_up_within_s=read.float("QUEUE_HEADS_UP_WITHIN_S", 600),
            hours=load_hours_from_env(env),
            eta=EtaPolicy(capacity_per_hour=read.float("ETA_CAPACITY_PER_HOUR", 20)),  # shared with intake
            closed_retention_s=read.float("QUEUE_CLOSED_RETENTION_DAYS", 14) * DAY_S,  # why 14: docs/queue.md
        )
        if policy.closed_retention_s < 0:
            raise SettingsError(
                "QUEUE_CLOSED_RETENTION_DAYS must be >= 0 days (0 = keep finished cases for ever)"
            )
        if policy.eta.capacity_per_hour <= 0:
            raise SettingsError("ETA_CAPACITY_PER_HOUR must be > 0 (calls per staffed hour of a region)")
        snapshot_every_events = read.int("QUEUE_SNAPSHOT_EVERY_EVENTS", 5000)
        snapshot_every_s = read.float("QUEUE_SNAPSHOT_EVERY_S", 300)
        if snapshot_every_events < 0 or snapshot_every_s <= 0:
            raise SettingsError(
                "QUEUE_SNAPSHOT_EVERY_EVENTS must be >= 0 (0 = no snapshots) and QUEUE_SNAPSHOT_EVERY_S > 0"
            )
        if policy.no_show_attempts < 1 or policy.heads_up_position < 0:
            raise SettingsError("QUEUE_NO_SHOW_ATTEMPTS must be >= 1 and QUEUE_HEADS_UP_POSITION >= 0")
        return cls(
            kafka=KafkaSettings.from_env(env),
            worker=read_worker_settings(read, "QUEUE_", QUEUE_WORKER),
            policy=policy,
            batch_max_records=read.int("QUEUE_BATCH_MAX_RECORDS", 5000),
            fetch_wait_ms=read.int("QUEUE_FETCH_WAIT_MS", 5),
            snapshot_every_events=snapshot_every_events,
            snapshot_every_s=snapshot_every_s,
            snapshot_encoder=read.choice("QUEUE_SNAPSHOT_ENCODER", "fork", ("fork", "inline"), lower=True),
            transactions=read.choice("QUEUE_TRANSACTIONS", "auto", ("auto", "on", "off"), lower=True),
        )


def _regions(read: EnvReader) -> frozenset[str]:
    """Where a case may be transferred: QUEUE_TRANSFER_REGIONS, else intake's enabled regions."""
    return read.csv("QUEUE_TRANSFER_REGIONS") or read.csv("INTAKE_ENABLED_REGIONS") or DEFAULT_ENABLED
