"""Request and response bodies of the staff API (msgspec Structs: they are the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from proto.events import OutcomeKind
from proto.regions import REGIONS
from services.staff.domain.closing_note import ADVICE_MAX, CLINIC_MAX

RequestId = Annotated[
    str,
    Meta(
        pattern=r"^[A-Za-z0-9._:-]{1,64}$",
        description=(
            "Idempotency key: retry with the same request_id after a timeout and the queue answers "
            "the same way (default: a new random id)."
        ),
    ),
]
Reason = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=500,
        pattern=r"\S",
        examples=["worse on the phone"],
        description="why, in a few words (no personal data)",
    ),
]
Ignored = Annotated[
    str | None,
    Meta(
        description=(
            "Ignored: the actor is always the token's subject. Accepted so that old clients do not fail."
        )
    ),
]
REGION_PATTERN = "^SE-(" + "|".join(sorted(code[3:] for code in REGIONS)) + ")$"
RegionCode = Annotated[
    str,
    Meta(
        pattern=REGION_PATTERN,
        examples=["SE-E"],
        description="ISO 3166-2:SE region code (one of the 21 regions)",
    ),
]


class CaseActionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of serve-next, no-show and complete (all fields optional)."""

    request_id: RequestId | None = None
    by: Ignored = None
    clinician_id: Ignored = None


class CompleteRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of complete (issue 26): how the case ended and what the patient was told.

    ``advice`` (and ``clinic``) are health data: sealed before they leave the staff API,
    readable later only by the patient in their own case view; never logged or audited.
    """

    outcome: Annotated[
        OutcomeKind,
        Meta(
            description="advice (advice only), booked_visit (a time at a clinic: give clinic and visit_at), "
            "referred_health_centre, referred_emergency, or other"
        ),
    ]
    advice: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=ADVICE_MAX,
            examples=["Vila och drick mycket. Ring 1177 om febern stiger över 40 grader."],
            description="the advice for the patient, in the patient's language; plain text, no links",
        ),
    ]
    clinic: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=CLINIC_MAX,
                examples=["Vårdcentralen Gottsunda"],
                description="booked_visit: the clinic's name (optional for a referral); no links",
            ),
        ]
        | None
    ) = None
    visit_at: Annotated[
        dt.datetime | None,
        Meta(description="booked_visit: when, RFC 3339 with offset (e.g. 2026-12-08T14:30:00+01:00)"),
    ] = None
    request_id: RequestId | None = None
    by: Ignored = None


class ReprioritiseRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    urgency: Annotated[int, Meta(ge=1, le=5, description="the new urgency, Prio 1 (most urgent) .. 5")]
    reason: Reason
    request_id: RequestId | None = None
    by: Ignored = None


class CancelRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Reason
    request_id: RequestId | None = None
    by: Ignored = None


class TransferRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    to_region: RegionCode
    reason: Reason
    request_id: RequestId | None = None
    by: Ignored = None


Answers = dict[str, str | int | bool]


class CalledCase(msgspec.Struct, kw_only=True):
    """The patient who was called (pseudonymised: no personnummer, no phone), with what the
    clinician needs to start: the symptom, the answers, the patient's language, the rule that
    decided and the advice the patient was given (in their language), the region and no-shows.
    The identity is a separate, audited read: ``GET /v1/cases/{case_id}/identity``."""

    case_id: str
    urgency: int
    waited_seconds: float
    queued_at: str
    person_pseudonym: str
    region: str = ""
    language: str = ""
    symptom: str = ""
    answers: Answers = {}
    symptom_text: str = ""  # the symptom as the patient read it, in their language
    answer_texts: list[str] = []  # each answer as the patient read it: "Feber över 40 °C: ja"
    rule_id: str = ""
    advice: str = ""
    no_shows: int = 0


class CaseDetails(msgspec.Struct, kw_only=True):
    """``GET /v1/cases/{case_id}``: the clinician's view of one case (no personal data in clear).

    ``region`` is the case's region now (after transfers); ``status``: triaged (not yet queued),
    waiting, called, transferred, closed, cancelled; ``triaged: false`` when this staff process has
    not (yet) read the case's triage event, so its clinical fields are empty.
    """

    case_id: str
    region: str
    status: str
    urgency: int
    person_pseudonym: str
    language: str
    symptom: str
    answers: Answers
    symptom_text: str
    answer_texts: list[str]
    rule_id: str
    rules_version: str
    advice: str
    triaged: bool
    queued_at: str | None
    waited_seconds: float | None
    called_at: str | None
    called_by: str
    no_shows: int
    not_reached: bool
    closed_reason: str


class PatientIdentity(msgspec.Struct, kw_only=True):
    """``GET /v1/cases/{case_id}/identity``: who to call back. Audited; never cached (no-store).

    ``personnummer`` is null for a case sealed before the contact card carried it.
    """

    case_id: str
    personnummer: str | None
    phone: str


class CommandResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What the queue answered: ``called`` (with the case), ``empty``, or ``done``."""

    outcome: Literal["called", "empty", "done"]
    request_id: str
    region: str
    actor: str
    event_type: str
    case: CalledCase | None = None
    case_id: str | None = None
    version: int | None = None  # opening hours: the region's hours version after the change


class AuditEntry(msgspec.Struct, kw_only=True):
    event_id: str
    occurred_at: str
    actor: str
    role: str
    action: str
    outcome: str
    region: str
    case_id: str
    case_ids: list[str]
    client: str
    request_id: str
    detail: str


class AuditPage(msgspec.Struct, kw_only=True):
    records: list[AuditEntry]
