"""Which messages travel on which topic, and which service reads and writes it.

Read by ``proto.export`` (the AsyncAPI document) and by ``deploy/k8s/generate.py`` (the
KafkaUser ACLs), so the wire documentation and the cluster's permissions cannot drift
apart. When you add a topic to ``proto.topics`` or a service starts reading or writing
one, add it here and run ``make contract``; ``tests/deploy`` fails until you do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from proto import events as ev
from proto import topics as t

# The messages each contract topic carries (its value schema is the tagged union of these).
TOPIC_MESSAGES: dict[str, tuple[type[ev.Message], ...]] = {
    t.TRIAGE_SUBMISSIONS.name: (ev.TriageSubmission,),
    t.TRIAGE_RESULTS.name: (ev.TriageResult,),
    t.TRIAGE_EVENTS.name: (ev.CaseTriaged, ev.CaseReferred),
    t.PATIENT_CONTACTS.name: (ev.ContactCard,),
    t.QUEUE_COMMANDS.name: (
        ev.ServeNext,
        ev.CancelCase,
        ev.Reprioritise,
        ev.TransferCase,
        ev.MarkNoShow,
        ev.CompleteCase,
        ev.SetOpeningHours,  # a team lead's new hours, from the staff API (issue 14)
        ev.TransferIn,  # internal: the queue to itself, keyed by the target region
        ev.NotifyFailed,  # the notifier: a called patient's your-turn SMS finally failed
    ),
    t.QUEUE_EVENTS.name: (
        ev.CaseQueued,
        ev.CaseCalled,
        ev.ServeNextEmpty,
        ev.CaseCancelled,
        ev.CaseReprioritised,
        ev.CaseTransferred,
        ev.CaseNoShow,
        ev.CaseClosed,
        ev.CommandRejected,
        ev.CaseNotReached,
        ev.OpeningHoursChanged,
        ev.HeadsUp,
        ev.BatchCommitted,
        ev.PartitionFenced,
    ),
    # and chunk records whose values are raw bytes of one snapshot (services/queue/domain/snapshot.py)
    t.QUEUE_SNAPSHOTS.name: (ev.QueueSnapshotManifest,),
    # and chunk records whose values are raw bytes of one snapshot (services/intake/domain/view_snapshot.py)
    t.INTAKE_SNAPSHOTS.name: (ev.IntakeSnapshotManifest,),
    t.QUEUE_YOUR_TURN.name: (ev.YourTurn, ev.HeadsUp, ev.CaseNotice),
    t.SMS_EVENTS.name: (ev.SmsSent, ev.SmsFailed, ev.SmsDelivered),
    t.SMS_LEDGER.name: (ev.SmsLedgerEntry,),
    t.AUDIT_EVENTS.name: (ev.AuditRecorded,),
    t.QUEUE_FORECASTS.name: (ev.WaitForecast,),
}


class UndeclaredMessage(TypeError):
    """Code tried to write a message on a topic whose TOPIC_MESSAGES does not declare it."""


_DECLARED: dict[str, frozenset[type[ev.Message]]] = {n: frozenset(c) for n, c in TOPIC_MESSAGES.items()}


def require_declared(topic: str, message: ev.Message) -> None:
    """Raise UndeclaredMessage unless ``message``'s type is declared on contract topic ``topic``.

    Every writer of contract messages calls this before it sends (services/kafka/publisher.py,
    the queue's and the notifier's own producers), so a message the AsyncAPI document does not
    list on its channel fails in the tests that exercise it instead of going out undocumented.
    """
    if type(message) not in _DECLARED.get(topic, frozenset()):
        raise UndeclaredMessage(
            f"{type(message).__name__} is not declared on {topic}: add it to "
            "proto.catalog.TOPIC_MESSAGES and run `make contract`"
        )


@dataclass(frozen=True)
class ServiceAccess:
    """What one Kafka client may do: the least privilege its ACLs grant.

    ``faust_app`` names the faust app id whose internal topics (leader, changelogs,
    repartition) the service creates, reads and writes.
    """

    service: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    faust_app: str = ""
    # prefixes of the Kafka transactional ids it uses (the queue: one per owned input partition)
    transactional_ids: tuple[str, ...] = ()
    description: str = ""
    external: bool = field(default=False)  # a client outside this system (its KafkaUser is ours)


def _dlq(spec: t.TopicSpec) -> str:
    return spec.dlq().name


SERVICE_ACCESS: tuple[ServiceAccess, ...] = (
    ServiceAccess(
        "intake",
        # triage.events, triage.results and queue.events: read whole without a group at start and
        # then tailed, for its submission index and its view of the queue (duplicates, admission,
        # case status), found missing when Kafka's authorizer first enforced these ACLs (issue 20);
        # queue.forecasts likewise, for the forecaster's ranges in the case view
        reads=(
            t.TRIAGE_SUBMISSIONS.name,
            t.TRIAGE_EVENTS.name,
            t.TRIAGE_RESULTS.name,
            t.QUEUE_EVENTS.name,
            t.QUEUE_FORECASTS.name,
            t.INTAKE_SNAPSHOTS.name,  # its own snapshots: a start from the newest (docs/intake.md)
        ),
        writes=(
            t.TRIAGE_EVENTS.name,
            t.INTAKE_SNAPSHOTS.name,
            t.PATIENT_CONTACTS.name,
            t.TRIAGE_RESULTS.name,
            _dlq(t.TRIAGE_SUBMISSIONS),
            t.QUEUE_COMMANDS.name,  # CancelCase: a person's second case, a patient's withdrawal
            t.QUEUE_YOUR_TURN.name,  # CaseNotice past_frame_*: a waiting case will miss its frame
        ),
        groups=("triage-intake",),
        description="HTTP and Kafka ingress; publishes triage events and sealed contact cards.",
    ),
    ServiceAccess(
        "queue",
        # queue-p<partition>: each batch is one transaction under the id of its input partition
        # (issue 21, services/queue/transactions.py)
        transactional_ids=("queue-p",),
        # queue.events: its own log, read back on every assignment (event-sourced recovery, issue 11)
        # queue.snapshots: its own snapshots (chunks + manifest), written and read back on assignment
        reads=(t.TRIAGE_EVENTS.name, t.QUEUE_COMMANDS.name, t.QUEUE_EVENTS.name, t.QUEUE_SNAPSHOTS.name),
        # triage.events: re-routing a transferred case to its new region's partition;
        # patient.contacts: the tombstone that deletes a closed case's contact card (issue #3).
        # queue.commands: TransferIn, the receiving half of a transfer, keyed by the target region.
        writes=(
            t.QUEUE_EVENTS.name,
            t.QUEUE_YOUR_TURN.name,
            t.TRIAGE_EVENTS.name,
            t.PATIENT_CONTACTS.name,
            t.QUEUE_COMMANDS.name,
            t.QUEUE_SNAPSHOTS.name,
            _dlq(t.TRIAGE_EVENTS),
            _dlq(t.QUEUE_COMMANDS),
        ),
        groups=("triage-queue",),
        faust_app="triage-queue",
        description="faust worker: the per-region urgency heap.",
    ),
    ServiceAccess(
        "notifier",
        # patient.contacts is read without a consumer group (every instance reads every partition).
        # notifier.sms-ledger is its own effectively-once record, read whole by every instance.
        reads=(t.QUEUE_YOUR_TURN.name, t.PATIENT_CONTACTS.name, t.SMS_LEDGER.name),
        # queue.commands: NotifyFailed, an SMS that could not be sent; patient.contacts: the
        # tombstone of a card once its SMS is settled (both found by Kafka's authorizer, issue 20)
        writes=(
            t.SMS_EVENTS.name,
            t.SMS_LEDGER.name,
            t.QUEUE_COMMANDS.name,
            t.PATIENT_CONTACTS.name,
            _dlq(t.QUEUE_YOUR_TURN),
            _dlq(t.PATIENT_CONTACTS),
        ),
        groups=("triage-notifier",),
        faust_app="triage-notifier",
        description="faust worker: sends the your-turn SMS.",
    ),
    ServiceAccess(
        "staff",
        # queue.events: read from its end without a group, for the answers to its own commands;
        # audit.events: read whole without a group, for the auditor's queries (issue #13);
        # triage.events, queue.events and patient.contacts read whole without a group: the
        # clinician's case view and the audited identity read (sealed cards, issue 25).
        reads=(t.TRIAGE_EVENTS.name, t.QUEUE_EVENTS.name, t.PATIENT_CONTACTS.name, t.AUDIT_EVENTS.name),
        writes=(t.QUEUE_COMMANDS.name, t.AUDIT_EVENTS.name),
        description="Staff HTTP API: authenticated commands with synchronous answers, audit trail.",
    ),
    ServiceAccess(
        "forecast",
        # queue.events read whole without a group (every instance forecasts every region it is given)
        reads=(t.QUEUE_EVENTS.name,),
        writes=(t.QUEUE_FORECASTS.name,),
        description="The wait forecaster: Monte-Carlo futures of each region through the queue's core.",
    ),
    ServiceAccess(
        "clinician-tools",
        writes=(t.QUEUE_COMMANDS.name,),
        description="Staff tools and `triage serve-next`: send queue commands.",
        external=True,
    ),
    ServiceAccess(
        "submitter",
        reads=(t.TRIAGE_RESULTS.name,),
        writes=(t.TRIAGE_SUBMISSIONS.name,),
        groups=("triage-submitter",),
        description="Other services submitting triage over Kafka and reading their results.",
        external=True,
    ),
)


def access(service: str) -> ServiceAccess:
    """The access entry of one service; KeyError names the known services."""
    for entry in SERVICE_ACCESS:
        if entry.service == service:
            return entry
    raise KeyError(f"unknown service {service!r}; known: {[e.service for e in SERVICE_ACCESS]}")
