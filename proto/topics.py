"""Topic names, keys and partition counts: the one source of truth.

The code that creates topics (``services.kafka.topic_admin``), the services and the
Kubernetes KafkaTopic manifests all read this module.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every topic the queue service reads must have this partition count, so that a
# region's commands and its faust table changelog land on the same partition number.
QUEUE_PARTITIONS = 8


@dataclass(frozen=True)
class TopicSpec:
    """A topic of the system: its name, key, partitions and retention policy."""

    name: str
    key: str
    partitions: int
    compacted: bool = False
    retention_ms: int = 7 * 24 * 3600 * 1000
    description: str = ""

    def dlq(self) -> TopicSpec:
        """The dead-letter topic that receives this topic's undecodable or invalid records."""
        return TopicSpec(
            name=f"{self.name}.dlq",
            key=self.key,
            partitions=1,
            retention_ms=30 * 24 * 3600 * 1000,
            description=f"Records from {self.name} that could not be decoded or were invalid; "
            "the error is in the `error` header.",
        )


TRIAGE_SUBMISSIONS = TopicSpec(
    "triage.submissions",
    "submission_id",
    QUEUE_PARTITIONS,
    description="Ingress: TriageSubmission from other services (Kafka twin of POST /v1/triage).",
)
TRIAGE_RESULTS = TopicSpec(
    "triage.results",
    "submission_id",
    QUEUE_PARTITIONS,
    description="TriageResult for Kafka submitters, carrying their correlation_id.",
)
TRIAGE_EVENTS = TopicSpec(
    "triage.events",
    "region",
    QUEUE_PARTITIONS,
    description="CaseTriaged | CaseReferred from intake.",
)
PATIENT_CONTACTS = TopicSpec(
    "patient.contacts",
    "case_id",
    QUEUE_PARTITIONS,
    compacted=True,
    retention_ms=-1,
    description="ContactCard (AES-GCM sealed phone), tombstoned when the case closes.",
)
QUEUE_COMMANDS = TopicSpec(
    "queue.commands",
    "region",
    QUEUE_PARTITIONS,
    description="ServeNext, CancelCase, Reprioritise, TransferCase, MarkNoShow, CompleteCase, SetOpeningHours.",
)
QUEUE_EVENTS = TopicSpec(
    "queue.events",
    "region",
    QUEUE_PARTITIONS,
    description="The queue's full history and its state (event-sourced): CaseQueued, CaseCalled, "
    "CaseClosed, ..., HeadsUp, and one BatchCommitted marker per group-committed batch and partition.",
)
QUEUE_SNAPSHOTS = TopicSpec(
    "queue.snapshots",
    "chunk/<snapshot id>/<i> | manifest",
    QUEUE_PARTITIONS,
    compacted=True,
    retention_ms=-1,
    description="Snapshots of the queue's state per queue.events partition (same number): chunks, then a "
    "manifest naming the queue.events offset they cover; recovery = snapshot + the tail after it.",
)
INTAKE_SNAPSHOTS = TopicSpec(
    "intake.snapshots",
    "chunk/<snapshot id>/<i> | manifest",
    1,
    compacted=True,
    retention_ms=-1,
    description="Snapshots of intake's read model (submission index, queue view): chunks, then a manifest "
    "naming the offsets of triage.events, triage.results, queue.events and queue.forecasts they cover; "
    "intake's start = the newest snapshot + the tail after it.",
)
QUEUE_YOUR_TURN = TopicSpec(
    "queue.your-turn",
    "region",
    QUEUE_PARTITIONS,
    description="YourTurn | HeadsUp | CaseNotice (cancelled, transferred, closed after no-shows) for the notifier.",
)
SMS_EVENTS = TopicSpec(
    "sms.events",
    "case_id",
    QUEUE_PARTITIONS,
    description="SmsSent | SmsFailed | SmsDelivered from the notifier.",
)

SMS_LEDGER = TopicSpec(
    "notifier.sms-ledger",
    "notice event_id",
    QUEUE_PARTITIONS,
    retention_ms=14 * 24 * 3600 * 1000,  # > queue.your-turn retention: no replay outlives it
    description="SmsLedgerEntry (intent -> sent/failed): the notifier's effectively-once record; "
    "partition = the queue.your-turn partition of the notice.",
)

# patientdatalagen: access logs are kept for years. Ten years by default; an overlay may
# patch the KafkaTopic's retention.ms (deploy/k8s) to the region's own rule.
AUDIT_RETENTION_MS = 10 * 365 * 24 * 3600 * 1000
AUDIT_EVENTS = TopicSpec(
    "audit.events",
    "region",
    QUEUE_PARTITIONS,
    retention_ms=AUDIT_RETENTION_MS,
    description="AuditRecorded: every staff action and staff read of case data (who, role, what, "
    "which case, when, from where, outcome); pseudonyms only. Long retention (years).",
)
QUEUE_FORECASTS = TopicSpec(
    "queue.forecasts",
    "region",
    QUEUE_PARTITIONS,
    compacted=True,
    retention_ms=-1,
    description="WaitForecast per region from the forecaster (issue 22): each waiting case's call-time "
    "percentiles and the breach forecast per urgency; compacted, the latest per region is the truth.",
)

PRIMARY_TOPICS: tuple[TopicSpec, ...] = (
    TRIAGE_SUBMISSIONS,
    TRIAGE_RESULTS,
    TRIAGE_EVENTS,
    PATIENT_CONTACTS,
    QUEUE_COMMANDS,
    QUEUE_EVENTS,
    QUEUE_SNAPSHOTS,
    INTAKE_SNAPSHOTS,
    QUEUE_YOUR_TURN,
    SMS_EVENTS,
    SMS_LEDGER,
    AUDIT_EVENTS,
    QUEUE_FORECASTS,
)
# Topics whose consumers send undecodable records to a dead-letter topic.
CONSUMED_TOPICS: tuple[TopicSpec, ...] = (
    TRIAGE_SUBMISSIONS,
    TRIAGE_EVENTS,
    PATIENT_CONTACTS,
    QUEUE_COMMANDS,
    QUEUE_YOUR_TURN,
)
ALL_TOPICS: tuple[TopicSpec, ...] = PRIMARY_TOPICS + tuple(t.dlq() for t in CONSUMED_TOPICS)


def qualified(name: str, namespace: str = "") -> str:
    """The topic name as used on the broker: ``<namespace>.<name>`` when a namespace is set.

    Namespaces let tests (and several dev stacks) share one broker without sharing topics.
    """
    return f"{namespace}.{name}" if namespace else name


# --------------------------------------------------------------------------- faust internals
# faust creates topics of its own next to the contract topics above. They are listed here so
# the Kubernetes manifests (KafkaTopic + KafkaUser ACLs, deploy/k8s/generate.py) match what
# the apps create. SERVICE AUTHORS: when you add a faust Table, register it in FAUST_TABLES
# (app id, table name, partitions) and run `make contract` -- a missing changelog topic means
# the operator-managed cluster rejects the app's topic creation or its ACLs deny it.
FAUST_APP_IDS: tuple[str, ...] = ("triage-queue", "triage-notifier")


@dataclass(frozen=True)
class FaustTable:
    """A faust Table of one app; faust backs it with ``<app_id>-<table>-changelog``."""

    app_id: str
    table: str
    partitions: int = QUEUE_PARTITIONS
    description: str = ""

    def changelog(self) -> TopicSpec:
        """The compacted changelog topic faust writes every change of this table to."""
        return TopicSpec(
            name=f"{self.app_id}-{self.table}-changelog",
            key="table key",
            partitions=self.partitions,
            compacted=True,
            retention_ms=-1,
            description=self.description or f"faust changelog of {self.app_id}'s table {self.table!r}.",
        )


# Register every faust Table here (see the comment above).
FAUST_TABLES: tuple[FaustTable, ...] = (
    FaustTable(
        "triage-queue",
        "queue-state",
        description="Never written: faust assigns its partitions to the queue workers and routes "
        "the views by it. The queue's state is queue.events (services/queue/worker.py).",
    ),
)


def faust_leader_topic(app_id: str) -> TopicSpec:
    """The one-partition topic faust's partition assignor uses to elect a leader."""
    return TopicSpec(
        name=f"{app_id}-__assignor-__leader",
        key="none",
        partitions=1,
        description=f"faust leader election for {app_id}.",
    )


FAUST_INTERNAL_TOPICS: tuple[TopicSpec, ...] = tuple(
    faust_leader_topic(app) for app in FAUST_APP_IDS
) + tuple(t.changelog() for t in FAUST_TABLES)
