"""Request and response bodies of the staff API (msgspec Structs: they are the OpenAPI schema)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from proto.regions import REGIONS

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


class CalledCase(msgspec.Struct, kw_only=True):
    """The patient who was called (pseudonymised: no personnummer, no phone)."""

    case_id: str
    urgency: int
    waited_seconds: float
    queued_at: str
    person_pseudonym: str


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


class WaitingCase(msgspec.Struct, kw_only=True):
    position: int
    case_id: str
    urgency: int
    person_pseudonym: str
    queued_at: str
    waited_seconds: float
    due_by: str | None
    overdue: bool
    heads_up_sent: bool
    no_shows: int
    # the forecaster's range for this case (issue 22), seconds from now; null: no forecast yet
    wait_forecast_text: str | None = None
    wait_forecast_low_seconds: float | None = None
    wait_forecast_high_seconds: float | None = None


class NotReachedCase(msgspec.Struct, kw_only=True):
    """A called patient whose your-turn SMS finally failed: phone them."""

    case_id: str
    urgency: int
    person_pseudonym: str
    status: str  # "not_reached"
    called_at: str | None
    not_reached_since: str


class WaitingList(msgspec.Struct, kw_only=True):
    """One page of the region's waiting list, in serving order; ``next_offset`` null on the last page.

    ``not_reached``: called patients the your-turn SMS did not reach (on every page).
    """

    region: str
    total: int
    offset: int
    cases: list[WaitingCase]
    next_offset: int | None
    not_reached: list[NotReachedCase] = []


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
