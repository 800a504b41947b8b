"""The bodies of intake's HTTP API (msgspec Structs; Litestar decodes and documents them)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from proto.events import OutcomeKind

SubmissionId = Annotated[
    str,
    Meta(
        pattern=r"^[A-Za-z0-9._:-]{1,64}$",
        description=("Idempotency key chosen by the client: a retry with the same id gets the same case."),
    ),
]


class TriageRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A patient's triage submission (already authenticated with e-legitimation)."""

    region: Annotated[
        str,
        Meta(max_length=8, examples=["SE-C"], description="ISO 3166-2:SE region code, e.g. SE-C (Uppsala)"),
    ]
    personnummer: Annotated[
        str,
        Meta(
            max_length=20,
            examples=["19900101-0017"],
            description="personnummer or samordningsnummer, 10 or 12 digits",
        ),
    ]
    phone: Annotated[
        str,
        Meta(
            max_length=24, examples=["070-123 45 67"], description="Swedish mobile number; stored only sealed"
        ),
    ]
    symptom: Annotated[
        str,
        Meta(
            max_length=40,
            examples=["fever"],
            description="fever, sore_throat, eye_problems, urinary_problems, cough, back_pain or rash",
        ),
    ]
    answers: Annotated[
        dict[Annotated[str, Meta(max_length=64)], Annotated[str, Meta(max_length=200)] | int | bool],
        Meta(max_length=32, description="answers to the symptom's questions"),
    ] = {}
    language: Literal["sv", "en"] = "sv"
    protected_identity: bool = False
    needs_spoken_contact: Annotated[
        bool,
        Meta(
            description="the patient finds it hard to read and understand written text: referred to 1177 "
            "by phone (reason needs_spoken_contact), never queued for a written chat"
        ),
    ] = False
    submission_id: SubmissionId | None = None
    accept_long_wait: Annotated[
        bool,
        Meta(
            description=(
                "Prio 4-5 only: queue even though the region cannot call within the urgency's time "
                "frame (after a `long_wait` answer, the patient chose to wait). Ignored for Prio 1-3."
            )
        ),
    ] = False


class TriageResponse(msgspec.Struct, kw_only=True):
    """The decision: queued (202), or refer / duplicate / full / long_wait (200), with advice to show.

    ``long_wait`` (Prio 4-5): the region cannot call within the urgency's time frame; nothing was
    queued. The patient may wait anyway: send the submission again with ``accept_long_wait: true``.
    ``reason`` (refer, long_wait) is machine-readable; ``case_token`` (queued, duplicate) is what the
    patient app presents to ``GET /v1/cases/{case_id}`` to prove the case is theirs.
    """

    status: Literal["queued", "refer", "duplicate", "full", "long_wait"]
    case_id: str | None = None
    urgency: int | None = None
    advice: str = ""
    rule_id: str = ""
    reason: (
        Literal[
            "emergency",
            "under_one_year",
            "protected_identity",
            "region_not_enabled",
            "needs_spoken_contact",
            "opens_too_late",  # refer (Prio 1-3) / long_wait (Prio 4-5): closed past the time frame
            "wait_too_long",  # refer / long_wait: the estimate's lower bound ends after the time frame
        ]
        | None
    ) = None
    case_token: str | None = None
    region_open: bool | None = None  # queued/duplicate: is the region staffed now
    opens_at: str | None = None  # when closed: when staff are back (UTC, ISO 8601); also said in ``advice``


class ClinicianOutcome(msgspec.Struct, kw_only=True):
    """How a completed case ended, as the clinician recorded it (issue 26), in the patient's language.

    ``advice`` is the clinician's own text (plain, no links), null if it can no longer be opened
    (its key was retired); ``clinic`` and ``visit_at`` (with ``visit_text``) for a booked visit.
    """

    kind: OutcomeKind
    title: str  # the kind in words: "Du har en bokad tid på en mottagning"
    advice: str | None = None
    clinic: str | None = None
    visit_at: str | None = None  # UTC, ISO 8601
    visit_text: str | None = None  # Stockholm time in words: "tisdag 8 december 2026 kl. 14:30"


class CaseView(msgspec.Struct, kw_only=True):
    """A case as intake's read model of the queue sees it.

    status: pending (announced, the queue has not taken it yet), waiting, called, closed,
    cancelled, transferred, or duplicate (the queue refused it as the person's second case:
    ``duplicate_of`` is the first case's id).
    """

    case_id: str
    region: str
    status: Literal["pending", "waiting", "called", "closed", "cancelled", "transferred", "duplicate"]
    urgency: int | None = None
    position: int | None = None
    estimated_wait_seconds: float | None = None
    estimated_wait_low_seconds: float | None = None  # the range shown to the patient ...
    estimated_wait_high_seconds: float | None = None
    estimated_wait_text: str | None = None  # ... as text: "30–60 min" (staffed time only)
    estimate_basis: Literal["recent_rate", "capacity"] | None = None  # the serving rate it used
    # The forecaster's range (issue 22, docs/forecast.md): of ten patients told "usually 1–3 h",
    # about eight are called within it. Null until the first forecast names the case (<= 1 min).
    wait_forecast_text: str | None = None  # "oftast 1–3 tim"
    wait_forecast_low_seconds: float | None = None  # from now, rounded down (p10)
    wait_forecast_median_seconds: float | None = None  # from now (p50)
    wait_forecast_high_seconds: float | None = None  # from now, rounded up (p90)
    wait_forecast_updated_at: str | None = None  # when the forecast was made (UTC, ISO 8601)
    wait_forecast_moved: bool | None = None  # moved by more than the first range shown: say so
    region_open: bool | None = None
    opens_at: str | None = None  # when closed: when staff are back (UTC, ISO 8601)
    queued_at: str | None = None
    duplicate_of: str | None = None
    outcome: Literal["completed", "no_show", "cancelled"] | None = None  # once closed or cancelled
    # cancelled: why, in terms for the patient (staff's own words are never shown)
    outcome_reason: Literal["withdrawn_by_patient", "cancelled_by_staff", "duplicate"] | None = None
    symptom: str | None = None
    triaged_at: str | None = None  # when the patient submitted it (UTC, ISO 8601)
    advice: str | None = None  # the advice given at triage, in the patient's language
    called_at: str | None = None
    finished_at: str | None = None  # closed or cancelled
    clinician: ClinicianOutcome | None = None  # completed: the clinician's outcome and advice (issue 26)
    transferred_from: list[str] = []  # regions the case was moved away from, oldest first
    # waiting, issue 25: the region can no longer call it within its urgency's time frame (the
    # patient also gets one SMS); the advice says why and where to go now. The case stays queued.
    time_frame_reason: Literal["opens_too_late", "wait_too_long"] | None = None
    time_frame_advice: str | None = None


class CaseList(msgspec.Struct, kw_only=True):
    """The logged-in patient's cases, most recent first (``GET /v1/cases``)."""

    cases: list[CaseView]
    total: int  # the patient's cases intake knows (as far back as the topics and memory reach)
    offset: int
    limit: int
