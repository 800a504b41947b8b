"""The wire contract: every message on every topic, as msgspec Structs.

Rules (see docs/wire-contract.md):
- One tagged base, ``Message``; the tag (``type`` field, also the CloudEvents
  ``ce_type`` header) is explicit and versioned: ``case.triaged.v1``.
- Structs are frozen and keyword-only. A new field always gets a default, so an
  old consumer can read a new producer's messages and vice versa.
- No personnummer and no phone number on triage.* and queue.* topics: cases are
  known by ``case_id`` and a keyed pseudonym of the person (HMAC-SHA256).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

import msgspec

from proto.random_ids import uuid4_hex

Urgency = Literal[1, 2, 3, 4, 5]
NoticeKind = Literal[
    "cancelled",
    "transferred",
    "closed_no_show",
    # issue 25, sent by intake: the waiting case will now miss its urgency's time frame; where to
    # go now by its [time_frames.alternative] (112/emergency department, 1177, or it may wait)
    "past_frame_emergency",
    "past_frame_call_1177",
    "past_frame_may_wait",
    # issue 22, sent by intake: the waiting case's wait forecast moved by more than the range it
    # was first shown (at most one per case, never while its region is closed); the SMS gives
    # the new range ("usually 3-5 h")
    "forecast_moved",
]


SmsKind = Literal["your_turn", "heads_up", NoticeKind]  # SMS per notice kind


def new_id() -> str:
    """A fresh unique id for an event, case or request (UUID4, hex form; buffered random source)."""
    return uuid4_hex()


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class Message(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of every message. ``event_id`` is unique per message (consumers dedupe on it)."""

    event_id: str = msgspec.field(default_factory=new_id)
    occurred_at: dt.datetime = msgspec.field(default_factory=utcnow)


# --------------------------------------------------------------------------- ingress
class TriageSubmission(Message, frozen=True, kw_only=True, tag="triage.submission.v1"):
    """A patient's answers, sent by another service on ``triage.submissions``.

    This ingress topic is the Kafka twin of ``POST /v1/triage`` and so carries the
    personnummer and phone like the HTTP body does; it is restricted by ACL to
    intake and the submitting services, and is never read by anything else.
    """

    submission_id: str
    region: str
    personnummer: str
    phone: str
    symptom: str
    answers: dict[str, str | int | bool] = {}
    language: str = "sv"
    protected_identity: bool = False
    needs_spoken_contact: bool = False  # finds written text hard: referred to 1177 by phone (issue 26)
    correlation_id: str | None = None
    accept_long_wait: bool = False  # Prio 4-5: queue past the time frame (docs/intake.md, issue 25)


class TriageResult(Message, frozen=True, kw_only=True, tag="triage.result.v1"):
    """The outcome of a Kafka submission, on ``triage.results`` (no personal data)."""

    submission_id: str
    correlation_id: str | None = None
    status: Literal["queued", "refer", "full", "duplicate", "invalid", "long_wait"]
    case_id: str | None = None
    urgency: int | None = None
    advice: str = ""
    errors: list[str] = []
    # What the HTTP answer of POST /v1/triage also carries (issue 25): the machine-readable refer
    # reason, the token the patient app presents to GET /v1/cases/{id}, and the region's hours.
    reason: str | None = None  # refer: emergency, under_one_year, protected_identity, region_not_enabled, ...
    case_token: str | None = None  # queued, duplicate
    region_open: bool | None = None  # queued, duplicate: is the region staffed now
    opens_at: str | None = None  # when closed: when staff are back (UTC, ISO 8601)
    request_digest: str = ""  # keyed digest of the request the submission_id is bound to (issue 25)


# --------------------------------------------------------------------------- triage.events
class CaseTriaged(Message, frozen=True, kw_only=True, tag="case.triaged.v1"):
    """Intake decided a case's urgency; the queue enqueues it."""

    case_id: str
    region: str
    urgency: Urgency
    symptom: str
    person_pseudonym: str
    triaged_at: dt.datetime
    language: str = "sv"
    rule_id: str = ""
    rules_version: str = ""
    submission_id: str = ""
    # The rule's advice as the patient read it at triage, in their language (text of the rules
    # file, no personal data): shown again on their closed case even after the rules change.
    advice: str = ""
    # The answers to the symptom's questions as validated at triage (yes/no, numbers, choices of
    # the rules file: never free text), for the clinician who calls the case (issue 25).
    answers: dict[str, str | int | bool] = {}
    # The symptom and the answers in the words the patient read, in their language
    # (rules/question-texts.toml): "Fever", ["Temperature over 40 °C: yes", "Days with fever: 2"].
    symptom_text: str = ""
    answer_texts: list[str] = []
    request_digest: str = ""  # keyed digest of the request its submission_id is bound to (issue 25)
    # Prio 4-5 queued although past its time frame (the patient chose to wait, knowing): intake
    # sends no "will miss its time frame" SMS for it
    accept_long_wait: bool = False


class CaseReferred(Message, frozen=True, kw_only=True, tag="case.referred.v1"):
    """Intake referred a patient elsewhere (112, 1177, health centre); never queued.

    Carries no pseudonym: it is for statistics only.
    """

    case_id: str
    region: str
    reason: Literal[
        "red_flag",
        "infant",
        "protected_identity",
        "region_not_enabled",
        "needs_spoken_contact",  # finds written text hard: 1177 by phone (issue 26)
    ]
    symptom: str = ""
    advice_code: str = ""
    submission_id: str = ""  # lets intake answer a retried submission the same way after a restart
    request_digest: str = ""  # keyed digest of the request the submission_id is bound to (issue 25)


# --------------------------------------------------------------------------- patient.contacts
class ContactCard(Message, frozen=True, kw_only=True, tag="contact.card.v1"):
    """How to reach a patient: the phone, sealed with AES-GCM (see ``proto.contact_crypto``).

    Keyed by case_id on the compacted ``patient.contacts`` topic; a tombstone
    (null value) deletes it when the case closes.
    """

    case_id: str
    key_id: str
    nonce: str  # base64
    ciphertext: str  # base64; AES-GCM(phone), associated data = case_id
    language: str = "sv"
    # The personnummer, sealed the same way under the same key (associated data =
    # "<case_id>/personnummer"), for the clinician's audited identity read (issue 25).
    # Empty on cards written before it existed.
    identity_nonce: str = ""  # base64
    identity_ciphertext: str = ""  # base64; AES-GCM(personnummer, 12 digits)


# --------------------------------------------------------------------------- queue.commands
class Command(Message, frozen=True, kw_only=True):
    """A request to the queue. ``request_id`` makes a retried command idempotent."""

    region: str
    request_id: str = msgspec.field(default_factory=new_id)


class ServeNext(Command, frozen=True, kw_only=True, tag="queue.serve-next.v1"):
    clinician_id: str


class CancelCase(Command, frozen=True, kw_only=True, tag="queue.cancel-case.v1"):
    case_id: str
    reason: str
    by: str


# CancelCase.reason when the patient withdrew the case themselves (intake's DELETE /v1/cases/{id}):
# the queue sends them no "cancelled" SMS, and their case list says they withdrew it.
WITHDRAWN_BY_PATIENT = "withdrawn_by_patient"


class Reprioritise(Command, frozen=True, kw_only=True, tag="queue.reprioritise.v1"):
    case_id: str
    urgency: int  # validated by the domain: a bad value is rejected, not crashed on
    reason: str
    by: str


class TransferCase(Command, frozen=True, kw_only=True, tag="queue.transfer-case.v1"):
    case_id: str
    to_region: str
    reason: str
    by: str


class MarkNoShow(Command, frozen=True, kw_only=True, tag="queue.mark-no-show.v1"):
    case_id: str
    by: str = ""


# How a completed case ended (issue 26): a closed set, so it can be counted with bounded labels.
OutcomeKind = Literal["advice", "booked_visit", "referred_health_centre", "referred_emergency", "other"]
OUTCOME_KINDS: tuple[str, ...] = get_args(OutcomeKind)


class SealedNote(msgspec.Struct, frozen=True, kw_only=True):
    """The clinician's closing note, AES-256-GCM sealed (``proto.note_crypto``): health data.

    The plaintext is a ``ClosingNote`` as JSON (``advice``: text, ``clinic``: text, ``visit_at``:
    RFC 3339 or null); the associated data is ``closing-note:<case_id>``. The staff API seals it
    with the first of ``ADVICE_KEYS``; only intake (the patient's own case view) opens it. The
    queue carries it unopened from CompleteCase to CaseClosed.
    """

    key_id: str
    nonce: str  # base64
    ciphertext: str  # base64


class ClosingNote(msgspec.Struct, frozen=True, kw_only=True):
    """What a SealedNote holds: the clinician's advice to the patient, in their language, plain
    text without links; for a booked visit the clinic's name and the visit's time."""

    advice: str
    clinic: str = ""
    visit_at: dt.datetime | None = None


class CompleteCase(Command, frozen=True, kw_only=True, tag="queue.complete-case.v1"):
    """The called patient was helped: close the case with the clinician's outcome and advice.

    ``outcome``: how it ended (advice, booked_visit, referred_health_centre, referred_emergency,
    other; null from older senders); ``note``: the clinician's advice for the patient (and a
    booked visit's clinic and time), sealed.
    """

    case_id: str
    by: str
    outcome: OutcomeKind | None = None  # added in issue 26: None from older senders
    note: SealedNote | None = None  # the clinician's advice (and visit), sealed


class NotifyFailed(Command, frozen=True, kw_only=True, tag="queue.notify-failed.v1"):
    """Internal: the notifier could not deliver a your-turn SMS (finally failed), keyed by the
    case's region, so the queue records that the patient was not reached (issue 14)."""

    case_id: str
    sms_id: str


class SetOpeningHours(Command, frozen=True, kw_only=True, tag="queue.set-opening-hours.v1"):
    """A team lead replaces the region's opening hours (issue 14; the staff API's PUT).

    The whole week: every day, the dated exceptions, the capacity and the hourly capacity, in
    the hours file's words (``services/opening_hours/region_table.py``). ``expected_version``:
    refused unless the region's hours are at that version (a lost update is refused, not made).
    """

    by: str
    days: dict[str, list[str]]  # mon..sun -> ["08:00-17:00"], [] = closed
    exceptions: dict[str, list[str]] = {}  # "2026-12-24" -> [] (replace that date's weekly hours)
    capacity: float | None = None  # calls per staffed hour; None = the service's default
    hourly_capacity: dict[str, dict[str, float]] = {}  # mon -> {"08:00-10:00": 30}
    expected_version: int | None = None
    reason: str = ""


class TransferIn(Command, frozen=True, kw_only=True, tag="queue.transfer-in.v1"):
    """Internal: the receiving half of a TransferCase, sent by the queue to itself on
    queue.commands keyed by the TARGET region, so the worker that owns the target
    region's partition enqueues the case with its original queued_at."""

    case_id: str
    from_region: str
    urgency: Urgency
    queued_at: dt.datetime
    person_pseudonym: str = ""
    language: str = "sv"
    reason: str = ""
    by: str = ""
    heads_up_sent: bool = False  # the patient already had a heads-up: none again in the new region


# --------------------------------------------------------------------------- queue.events
class CaseQueued(Message, frozen=True, kw_only=True, tag="case.queued.v1"):
    case_id: str
    region: str
    urgency: Urgency
    queued_at: dt.datetime
    sequence: int
    person_pseudonym: str = ""
    language: str = "sv"
    heads_up_sent: bool = False  # carried over a transfer: at most one heads-up per case


class CaseCalled(Message, frozen=True, kw_only=True, tag="case.called.v1"):
    case_id: str
    region: str
    urgency: Urgency
    clinician_id: str
    request_id: str
    queued_at: dt.datetime
    called_at: dt.datetime
    person_pseudonym: str = ""  # so the clinician's screen can show whom (pseudonymised) was called
    language: str = "sv"  # the patient's SMS language: YourTurn is derived from this event


class ServeNextEmpty(Message, frozen=True, kw_only=True, tag="queue.serve-next-empty.v1"):
    region: str
    clinician_id: str
    request_id: str


class CaseCancelled(Message, frozen=True, kw_only=True, tag="case.cancelled.v1"):
    case_id: str
    region: str
    reason: str
    by: str
    request_id: str = ""
    language: str = "sv"  # the patient's, for the notice (issue 14)


class CaseReprioritised(Message, frozen=True, kw_only=True, tag="case.reprioritised.v1"):
    case_id: str
    region: str
    from_urgency: Urgency
    to_urgency: Urgency
    reason: str
    by: str
    request_id: str = ""


class CaseTransferred(Message, frozen=True, kw_only=True, tag="case.transferred.v1"):
    case_id: str
    region: str  # the region it left
    to_region: str
    urgency: Urgency
    queued_at: dt.datetime  # kept: the case keeps its place in time
    reason: str
    by: str
    person_pseudonym: str = ""
    language: str = "sv"
    request_id: str = ""
    heads_up_sent: bool = False


class CaseNoShow(Message, frozen=True, kw_only=True, tag="case.no-show.v1"):
    case_id: str
    region: str
    attempt: int
    request_id: str = ""
    by: str = ""  # the clinician who marked it (added later: old records have none)
    requeued: bool = True  # False on the last allowed attempt: a CaseClosed(no_show) follows


class CaseClosed(Message, frozen=True, kw_only=True, tag="case.closed.v1"):
    """The case left the queue: completed, closed after the last no-show, or cancelled.

    A completed case carries the clinician's ``outcome`` kind (counted; null when none was
    given), their sealed ``note`` for the patient and the case's ``urgency`` (0 on old records).
    """

    case_id: str
    region: str
    reason: Literal["completed", "no_show", "cancelled"]
    by: str = ""
    request_id: str = ""
    language: str = "sv"
    # Issue 26, completed cases only: the clinician's outcome kind (clear: it is counted) and
    # their sealed note for the patient; the urgency the case had (0 = not recorded).
    outcome: OutcomeKind | None = None
    note: SealedNote | None = None
    urgency: int = 0


class CaseNotReached(Message, frozen=True, kw_only=True, tag="case.not-reached.v1"):
    """The called patient's your-turn SMS finally failed: staff should phone them."""

    case_id: str
    region: str
    sms_id: str
    request_id: str = ""


class OpeningHoursChanged(Message, frozen=True, kw_only=True, tag="queue.opening-hours-changed.v1"):
    """The region's opening hours from now on (a team lead's SetOpeningHours, as decided).

    Carries the whole week, so the latest one is all a reader needs: the queue folds it into
    its state (replayed by recovery, kept by snapshots), intake's read model prefers it to the
    hours file. ``version`` counts the region's changes (1 = the first after the file).
    """

    region: str
    days: dict[str, list[str]]
    exceptions: dict[str, list[str]] = {}
    capacity: float | None = None
    hourly_capacity: dict[str, dict[str, float]] = {}
    version: int
    by: str
    request_id: str = ""
    reason: str = ""


class CommandRejected(Message, frozen=True, kw_only=True, tag="queue.command-rejected.v1"):
    region: str
    request_id: str
    command_type: str
    reason: str
    case_id: str = ""


class BatchCommitted(Message, frozen=True, kw_only=True, tag="queue.batch-committed.v1"):
    """The queue's commit marker: the last record of one group-committed batch in one partition.

    A batch's events are committed iff this marker follows them on ``queue.events``:
    ``events`` records of this partition carry the header ``triage-batch: <batch_id>``
    before it. ``positions`` is the next input offset per input topic (contract name) for
    this partition, so inputs that decided nothing are covered too. Consumers other than
    the queue ignore it (it changes no case).
    """

    batch_id: str
    partition: int
    events: int
    positions: dict[str, int] = {}


class PartitionFenced(Message, frozen=True, kw_only=True, tag="queue.partition-fenced.v1"):
    """A queue worker took over a partition of ``queue.events`` after reading it up to ``recovered_to``.

    Written (and acknowledged) before the worker decides anything there. Records of the
    partition at offsets ``recovered_to`` .. this record's, and records after it written by
    another worker (header ``triage-writer``), landed late from a previous owner that died
    with requests in flight: recovery ignores them, as the new owner did.
    """

    writer: str
    partition: int
    recovered_to: int


class QueueSnapshotManifest(Message, frozen=True, kw_only=True, tag="queue.snapshot-manifest.v1"):
    """On ``queue.snapshots`` (key ``manifest``): a complete snapshot of queue.events ``partition``.

    Written after its ``chunks`` chunk records (keys ``chunk/<snapshot_id>/<i>``, values
    the raw bytes of the encoded state, starting at offset ``first_chunk_offset`` of the same
    partition) were acknowledged. It covers queue.events up to (not including) ``covers``;
    ``writer`` owned the partition there. No personal data: pseudonyms and case ids only.
    """

    snapshot_id: str
    partition: int
    covers: int
    chunks: int
    writer: str
    first_chunk_offset: int


class IntakeSnapshotManifest(Message, frozen=True, kw_only=True, tag="intake.snapshot-manifest.v1"):
    """On ``intake.snapshots`` (key ``manifest``): a complete snapshot of intake's read model.

    Written after its ``chunks`` chunk records (keys ``chunk/<snapshot_id>/<i>``, raw bytes of
    the encoded model, from offset ``first_chunk_offset``) were acknowledged. ``covers`` names,
    per ``<topic>:<partition>`` of the topics intake reads, the offset after the last record the
    model folded: a start reads those topics from there. No personal data: pseudonyms, case ids,
    keyed request digests and sealed notes only, as on the topics it was folded from.
    """

    snapshot_id: str
    covers: dict[str, int]
    chunks: int
    writer: str
    first_chunk_offset: int
    taken_at: dt.datetime
    format: int = 1  # the encoding of the chunks (services/intake/domain/view_snapshot.py)


# --------------------------------------------------------------------------- queue.your-turn
class YourTurn(Message, frozen=True, kw_only=True, tag="patient.your-turn.v1"):
    """It is this patient's turn: the notifier sends the SMS."""

    case_id: str
    region: str
    urgency: Urgency
    clinician_id: str
    called_at: dt.datetime
    language: str = "sv"


class HeadsUp(Message, frozen=True, kw_only=True, tag="patient.heads-up.v1"):
    """The patient is close to the front (position <= K)."""

    case_id: str
    region: str
    position: int
    language: str = "sv"


class CaseNotice(Message, frozen=True, kw_only=True, tag="patient.case-notice.v1"):
    """The patient's case was cancelled by staff, transferred, or closed after no-shows: one SMS.

    Also sent by intake (issue 25, ``past_frame_*``, ``event_id`` ``past-frame-<case>-<region>``)
    when a waiting case will now miss its urgency's time frame; the case stays queued.

    And by intake (issue 22, ``forecast_moved``, ``event_id`` ``forecast-moved-<case>``) when the
    case's wait forecast moved by more than its first range: ``wait_low_seconds`` ..
    ``wait_high_seconds`` (from the notice's ``occurred_at``) is the new range, as shown.

    ``final``: the case has left the system; the notifier deletes the contact card once this
    SMS is sent or has finally failed (the queue does not, so the card is there for it).
    """

    case_id: str
    region: str
    kind: NoticeKind
    to_region: str = ""  # transferred: the new region's code (the SMS names it)
    language: str = "sv"
    final: bool = False
    wait_low_seconds: float = 0.0  # forecast_moved: the new range, rounded as shown
    wait_high_seconds: float = 0.0


# --------------------------------------------------------------------------- sms.events
class SmsSent(Message, frozen=True, kw_only=True, tag="sms.sent.v1"):
    sms_id: str
    case_id: str
    kind: SmsKind
    provider: str
    provider_id: str = ""
    segments: int = 1
    trigger_event_id: str = ""
    trigger_at: dt.datetime | None = None


class SmsFailed(Message, frozen=True, kw_only=True, tag="sms.failed.v1"):
    sms_id: str
    case_id: str
    provider: str
    reason: str
    permanent: bool = True


class SmsDelivered(Message, frozen=True, kw_only=True, tag="sms.delivered.v1"):
    sms_id: str
    case_id: str = ""
    provider: str = ""
    provider_id: str = ""
    delivered_at: dt.datetime | None = None


TRIAGE_EVENT = CaseTriaged | CaseReferred
QUEUE_COMMAND = (
    ServeNext | CancelCase | Reprioritise | TransferCase | MarkNoShow | CompleteCase | SetOpeningHours
)
QUEUE_EVENT = (
    CaseQueued
    | CaseCalled
    | ServeNextEmpty
    | CaseCancelled
    | CaseReprioritised
    | CaseTransferred
    | CaseNoShow
    | CaseClosed
    | CommandRejected
    | CaseNotReached
    | OpeningHoursChanged
    | HeadsUp  # also a notice on queue.your-turn; recorded here because it changes the case
    | BatchCommitted
    | PartitionFenced
)
PATIENT_NOTICE = YourTurn | HeadsUp | CaseNotice
SMS_EVENT = SmsSent | SmsFailed | SmsDelivered


# --------------------------------------------------------------------------- audit.events
class AuditRecorded(Message, frozen=True, kw_only=True, tag="audit.recorded.v1"):
    """One staff action or staff read of case data (patientdatalagen's access log).

    Who (``actor`` = the token's subject, ``role``), what (``action``), which case or
    region, when (``occurred_at``), from where (``client``: the caller's address or
    service name) and how it ended (``outcome``). Pseudonyms and case ids only: never a
    personnummer or phone number. ``detail`` is a short machine-made note (e.g. the
    reason code of a rejection), never free text from a patient.
    """

    actor: str
    role: str
    action: str  # serve-next, no-show, complete, reprioritise, cancel, transfer, read-waiting, ...
    outcome: Literal["requested", "ok", "empty", "rejected", "denied", "timeout", "failed"]
    region: str = ""
    case_id: str = ""
    case_ids: list[str] = []  # a read of a list: every case shown
    client: str = ""
    request_id: str = ""
    detail: str = ""
    request_digest: str = ""  # on "requested": what the request_id is bound to (no personal data)


# --------------------------------------------------------------------------- notifier.sms-ledger
class SmsLedgerEntry(Message, frozen=True, kw_only=True, tag="sms.ledger-entry.v1"):
    """The notifier's durable record of one SMS, keyed by the notice's event_id.

    Written *before* the provider is called (``state="intent"``), again with the
    outcome (``sent`` with the provider's id, or ``failed``), and once more with
    ``announced=True`` when the outcome's events are published. A replayed notice whose
    entry exists sends nothing. No phone number: the notice is the queue.your-turn
    record (no personal data) so a pending SMS can be re-driven after a crash.
    """

    notice_event_id: str
    sms_id: str
    case_id: str
    kind: SmsKind
    state: Literal["intent", "sent", "failed"]
    partition: int  # = the queue.your-turn partition; its owner drives this SMS
    notice: str = ""  # the notice record value (JSON text)
    source: str = ""  # topic/partition@offset of the notice, for the DLQ header
    provider: str = ""
    provider_id: str = ""
    segments: int = 1
    reason: str = ""
    permanent: bool = True
    announced: bool = False  # the outcome's SmsSent/SmsFailed (and DLQ record) are on the broker


# --------------------------------------------------------------------------- queue.forecasts
class CaseWaitForecast(msgspec.Struct, frozen=True, kw_only=True):
    """When one waiting case is expected to be called, in seconds after the forecast's ``as_of``:
    the 10th, 50th and 90th percentile over the forecaster's futures (null: later than it looked)."""

    case_id: str
    urgency: int
    p10_seconds: float | None = None
    p50_seconds: float | None = None
    p90_seconds: float | None = None


class BreachForecast(msgspec.Struct, frozen=True, kw_only=True):
    """Urgency ``urgency``'s time frame in the next ``horizon_seconds``: the share of futures in which
    some patient's frame runs out, and the mean time (seconds after ``as_of``) of the first such moment."""

    urgency: int
    frame_seconds: float
    probability: float
    expected_in_seconds: float | None = None


class WaitForecast(Message, frozen=True, kw_only=True, tag="queue.wait-forecast.v1"):
    """A region's wait forecast (issue 22), on the compacted queue.forecasts keyed by region: the
    latest one per region is the truth. Case ids only, no personal data."""

    region: str
    as_of: dt.datetime  # the queue's state it started from: queue.events read up to this time
    runs: int
    horizon_seconds: float
    seed: int = 0
    cases: list[CaseWaitForecast] = []
    breaches: list[BreachForecast] = []
    what_if: str = ""  # empty: as planned (a what-if is answered to the team lead, never published)
