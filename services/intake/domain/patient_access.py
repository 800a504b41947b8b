"""The patient's rights over cases: whose case it is, and whether it can be withdrawn now.

A case belongs to the caller when the pseudonym of the personnummer in their identity token
(HMAC under PSEUDONYM_KEY, as on CaseTriaged.person_pseudonym) equals the case's pseudonym.
Only pseudonyms are compared: intake never needs the case's personnummer, which no topic holds.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from services.intake.domain.case_status import CaseStatus
from services.intake.domain.patient_cases import CaseFacts


def owns(pseudonym: str, case: CaseStatus) -> bool:
    """True when the case is the person's (constant-time comparison; a case without one is no one's)."""
    return bool(case.pseudonym) and hmac.compare_digest(case.pseudonym.encode(), pseudonym.encode())


def patient_actor(pseudonym: str) -> str:
    """The actor named on the patient's own commands: pseudonymous, never the personnummer."""
    return f"patient:{pseudonym[:16]}"


@dataclass(frozen=True)
class Withdrawal:
    """What a patient's DELETE does: send a CancelCase, nothing (already withdrawn), or conflict."""

    action: Literal["send", "done", "conflict"]
    why: str = ""  # conflict: what is wrong and what the patient can do instead
    request_id: str = ""  # send: the same for a repeated DELETE of the same waiting spell


def withdrawal(case: CaseStatus, facts: CaseFacts | None) -> Withdrawal:
    """Whether the patient may withdraw ``case`` now (a waiting or pending case only).

    The request id names the case, its region and its no-show count: a repeated DELETE sends
    the same command (the queue answers a repeated request id once), while a case requeued
    after a no-show or moved to another region gets a fresh one.
    """
    no_shows = facts.no_shows if facts else 0
    match case.status:
        case "pending" | "waiting":
            return Withdrawal("send", request_id=f"withdraw-{case.case_id}-{case.region}-{no_shows}")
        case "cancelled" if facts is not None and facts.cancel_reason == "withdrawn_by_patient":
            return Withdrawal("done")
        case "called":
            return Withdrawal(
                "conflict",
                "a clinician is calling you now, so the case can no longer be withdrawn: "
                "answer the call, or tell the clinician you no longer need help",
            )
        case "transferred":
            return Withdrawal(
                "conflict", "the case is moving to another region right now: try again in a few seconds"
            )
        case "duplicate":
            return Withdrawal(
                "conflict",
                f"this submission was not queued: you are already waiting as case {case.duplicate_of}; "
                "withdraw that case instead",
            )
        case "cancelled":
            return Withdrawal("conflict", "the case was already cancelled by staff: nothing to withdraw")
        case _:
            return Withdrawal(
                "conflict", f"the case is closed ({case.outcome or 'finished'}): nothing to withdraw"
            )
