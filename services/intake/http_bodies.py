"""The bodies of intake's HTTP API (msgspec Structs; Litestar decodes and documents them)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

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
    submission_id: SubmissionId | None = None


class TriageResponse(msgspec.Struct, kw_only=True):
    """The decision: queued (202), or refer / duplicate / full (200), with advice to show.

    ``reason`` (refer only) is machine-readable; ``case_token`` (queued, duplicate) is what the
    patient app presents to ``GET /v1/cases/{case_id}`` to prove the case is theirs.
    """

    status: Literal["queued", "refer", "duplicate", "full"]
    case_id: str | None = None
    urgency: int | None = None
    advice: str = ""
    rule_id: str = ""
    reason: Literal["emergency", "under_one_year", "protected_identity", "region_not_enabled"] | None = None
    case_token: str | None = None
    region_open: bool | None = None  # queued/duplicate: is the region staffed now
    opens_at: str | None = None  # when closed: when staff are back (UTC, ISO 8601); also said in ``advice``


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
    transferred_from: list[str] = []  # regions the case was moved away from, oldest first


class CaseList(msgspec.Struct, kw_only=True):
    """The logged-in patient's cases, most recent first (``GET /v1/cases``)."""

    cases: list[CaseView]
    total: int  # the patient's cases intake knows (as far back as the topics and memory reach)
    offset: int
    limit: int
